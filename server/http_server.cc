#include "server/http_server.h"

#include <chrono>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/logging.h"

namespace stepwise::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

class HttpServer::Impl {
 public:
  explicit Impl(HttpServerOptions options) : options_(options), acceptor_(io_) {}

  struct Route {
    HttpAsyncHandler handler;
  };

  void Handle(const std::string& method, const std::string& path, HttpAsyncHandler h) {
    routes_[{method, path}] = Route{std::move(h)};
  }

  absl::Status Start(const std::string& host, int port) {
    beast::error_code ec;
    std::string h = host == "localhost" ? "127.0.0.1" : host;
    asio::ip::address addr = asio::ip::make_address(h, ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("bad HTTP listen host '", host, "'"));
    tcp::endpoint ep(addr, static_cast<unsigned short>(port));
    std::string where = absl::StrCat(host, ":", port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      beast::error_code ignored;
      acceptor_.close(ignored);
      return absl::UnavailableError(
          absl::StrCat("cannot listen for HTTP on ", where, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint(ec).port();
    Accept();
    thread_ = std::thread([this] {
      // Handlers and Beast report errors by code; a throw here is a bug in
      // a handler: log it and keep serving.
      while (true) {
        try {
          io_.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http: handler threw: {}", e.what());
        }
      }
    });
    return absl::OkStatus();
  }

  void Stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
    thread_.join();
  }

  int port() const { return port_; }

  const HttpServerOptions& options() const { return options_; }

  // Returns the handler for `method` `path`, or null.
  const HttpAsyncHandler* Find(const std::string& method, const std::string& path) const {
    auto it = routes_.find({method, path});
    return it == routes_.end() ? nullptr : &it->second.handler;
  }
  bool PathKnown(const std::string& path) const {
    for (const auto& [k, v] : routes_) {
      if (k.second == path) return true;
    }
    return false;
  }

 private:
  void Accept();

  HttpServerOptions options_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::map<std::pair<std::string, std::string>, Route> routes_;
  std::thread thread_;
  int port_ = 0;
};

namespace {

// One connection: read a request, dispatch, write the reply, repeat while
// keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl* server)
      : stream_(std::move(socket)), server_(server) {}

  void Run() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(server_->options().max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_->options().max_header_bytes));
    stream_.expires_after(std::chrono::seconds(server_->options().idle_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return Write(false, HttpResponse{413, "text/plain; charset=utf-8", {},
                                       "request body too large\n"});
    }
    if (ec == http::error::header_limit) {
      return Write(false, HttpResponse{431, "text/plain; charset=utf-8", {},
                                       "request headers too large\n"});
    }
    if (ec) {
      if (ec == asio::error::eof || ec == asio::error::connection_reset) return Close();
      return Write(false, HttpResponse{400, "text/plain; charset=utf-8", {}, "bad request\n"});
    }
    http::request<http::string_body> req = parser_->release();
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.path = r.target.substr(0, r.target.find('?'));
    for (const auto& f : req) {
      r.headers[absl::AsciiStrToLower(std::string(f.name_string()))] = std::string(f.value());
    }
    r.body = std::move(req.body());
    bool keep_alive = req.keep_alive();
    const HttpAsyncHandler* h = server_->Find(r.method, r.path);
    if (h == nullptr) {
      bool known = server_->PathKnown(r.path);
      return Write(keep_alive, HttpResponse{known ? 405 : 404, "text/plain; charset=utf-8", {},
                                            known ? "method not allowed\n" : "not found\n"});
    }
    auto self = shared_from_this();
    (*h)(r, [self, keep_alive](HttpResponse resp) {
      // May come from any thread: write on the connection's executor.
      asio::post(self->stream_.get_executor(),
                 [self, keep_alive, resp = std::move(resp)]() mutable {
                   self->Write(keep_alive, std::move(resp));
                 });
    });
  }

  void Write(bool keep_alive, HttpResponse resp) {
    res_ = {};
    res_.version(11);
    res_.result(static_cast<http::status>(resp.status));
    res_.set(http::field::server, "stepwised");
    res_.set(http::field::content_type, resp.content_type);
    for (const auto& [k, v] : resp.headers) res_.set(k, v);
    res_.body() = std::move(resp.body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    stream_.expires_after(std::chrono::seconds(server_->options().idle_timeout_seconds));
    http::async_write(stream_, res_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) std::make_shared<Session>(std::move(s), this)->Run();
    Accept();
  });
}

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& method, const std::string& path,
                        HttpHandler handler) {
  impl_->Handle(method, path, [handler = std::move(handler)](const HttpRequest& r,
                                                             HttpReplyFn reply) {
    reply(handler(r));
  });
}

void HttpServer::HandleAsync(const std::string& method, const std::string& path,
                             HttpAsyncHandler handler) {
  impl_->Handle(method, path, std::move(handler));
}

absl::Status HttpServer::Start(const std::string& host, int port) {
  return impl_->Start(host, port);
}

int HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace stepwise::server
