#include "cli/runtime_api_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace stepwise::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct RuntimeApiServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
};

struct RuntimeApiServer::Connection {
  std::thread thread;
  std::atomic<bool> done{false};
};

namespace {

void WriteResponse(tcp::socket& socket, const RuntimeResponse& r, bool keep_alive,
                   beast::error_code& ec) {
  http::response<http::string_body> res;
  res.version(11);
  res.result(static_cast<http::status>(r.status));
  res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  http::write(socket, res, ec);
}

}  // namespace

RuntimeApiServer::RuntimeApiServer(Handler handler, size_t max_body_bytes)
    : handler_(std::move(handler)),
      max_body_bytes_(max_body_bytes),
      impl_(std::make_unique<Impl>()) {}

RuntimeApiServer::~RuntimeApiServer() { Stop(); }

absl::Status RuntimeApiServer::Start(const std::string& host, int port) {
  beast::error_code ec;
  std::string h = host == "localhost" ? "127.0.0.1" : host;
  asio::ip::address addr = asio::ip::make_address(h, ec);
  if (ec) return absl::InvalidArgumentError("bad --listen host '" + host + "'");
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  tcp::acceptor& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    a.close(ignored);
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", host, ":", port, ": ", ec.message()));
  }
  port_ = a.local_endpoint(ec).port();
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void RuntimeApiServer::AcceptLoop() {
  while (!stopping_.load()) {
    tcp::socket socket(impl_->io);
    beast::error_code ec;
    impl_->acceptor.accept(socket, ec);
    if (stopping_.load()) return;
    if (ec) {
      // E.g. out of file descriptors: pause instead of spinning.
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    Reap();
    int fd = socket.native_handle();
    auto conn = std::make_unique<Connection>();
    Connection* c = conn.get();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_.load()) return;
      open_fds_.insert(fd);
      connections_.push_back(std::move(conn));
    }
    c->thread = std::thread([this, c, fd, s = std::move(socket)]() mutable {
      beast::flat_buffer buffer;
      while (!stopping_.load()) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(max_body_bytes_);
        parser.header_limit(64 * 1024);
        beast::error_code read_ec;
        http::read(s, buffer, parser, read_ec);
        if (read_ec == http::error::body_limit) {
          beast::error_code ignored;
          RuntimeResponse too_large;
          too_large.status = 413;
          too_large.body = absl::StrCat(
              R"({"errorMessage":"Exceeded maximum allowed payload size ()",
              kMaxLambdaPayloadBytes, R"( bytes).","errorType":"RequestEntityTooLarge"})");
          WriteResponse(s, too_large, false, ignored);
          break;
        }
        if (read_ec) break;  // closed, reset, malformed
        http::request<http::string_body> req = parser.release();
        RuntimeRequest r;
        r.method = std::string(req.method_string());
        r.target = std::string(req.target());
        for (const auto& f : req) {
          r.headers[absl::AsciiStrToLower(std::string(f.name_string()))] = std::string(f.value());
        }
        r.body = std::move(req.body());
        // The socket stays open until this thread ends, after the handler.
        r.client_gone = [fd] {
          pollfd p{fd, POLLRDHUP, 0};
          if (::poll(&p, 1, 0) <= 0) return false;
          return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
        };
        bool keep_alive = req.keep_alive();
        RuntimeResponse resp = handler_(r);
        beast::error_code write_ec;
        WriteResponse(s, resp, keep_alive, write_ec);
        if (write_ec || !keep_alive) break;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        open_fds_.erase(fd);
        beast::error_code ignored;
        s.shutdown(tcp::socket::shutdown_both, ignored);
        s.close(ignored);
      }
      c->done.store(true);
    });
  }
}

void RuntimeApiServer::Reap() {
  std::list<std::unique_ptr<Connection>> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done.load()) {
        ended.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : ended) {
    if (c->thread.joinable()) c->thread.join();
  }
}

void RuntimeApiServer::Stop() {
  if (!accept_thread_.joinable()) return;
  stopping_.store(true);
  // shutdown() wakes a thread blocked in accept() or read() on Linux.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  accept_thread_.join();
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  std::list<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    connections.swap(connections_);
  }
  for (auto& c : connections) {
    if (c->thread.joinable()) c->thread.join();
  }
}

}  // namespace stepwise::client
