#include "server/http_server.h"

#include <poll.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <optional>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "openssl/x509.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "common/logging.h"

namespace stepwise::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

class HttpServer::Impl {
 public:
  explicit Impl(HttpServerOptions options)
      : options_(std::move(options)), acceptor_(io_), ssl_(asio::ssl::context::tls_server) {}

  struct Route {
    HttpAsyncHandler handler;
  };

  void Handle(const std::string& method, const std::string& path, HttpAsyncHandler h) {
    routes_[{method, path}] = Route{std::move(h)};
  }

  void HandleErrors(const std::string& path, HttpErrorFormatter f) {
    error_formatters_[path] = std::move(f);
  }

  // The reply for a request to `path` refused by the listener itself.
  HttpResponse ErrorReply(const std::string& path, int status, const std::string& message) const {
    auto it = error_formatters_.find(path);
    if (it != error_formatters_.end()) return it->second(status, message);
    return HttpResponse{status, "text/plain; charset=utf-8", {}, message + "\n"};
  }

  bool tls() const { return tls_; }
  asio::ssl::context& ssl() { return ssl_; }

  absl::Status Start(const std::string& host, int port) {
    beast::error_code ec;
    if (!options_.tls_cert_pem.empty() || !options_.tls_key_pem.empty()) {
      ssl_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1,
                       ec);
      if (!ec) ssl_.use_certificate_chain(asio::buffer(options_.tls_cert_pem), ec);
      if (ec) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad TLS certificate for HTTP: ", ec.message()));
      }
      ssl_.use_private_key(asio::buffer(options_.tls_key_pem), asio::ssl::context::pem, ec);
      if (ec) return absl::InvalidArgumentError(absl::StrCat("bad TLS key for HTTP: ", ec.message()));
      if (!options_.tls_client_ca_pem.empty()) {
        ssl_.add_certificate_authority(asio::buffer(options_.tls_client_ca_pem), ec);
        if (ec) {
          return absl::InvalidArgumentError(
              absl::StrCat("bad TLS client CA for HTTP: ", ec.message()));
        }
        ssl_.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert, ec);
        if (ec) {
          return absl::InvalidArgumentError(
              absl::StrCat("cannot require client certificates: ", ec.message()));
        }
      }
      tls_ = true;
    }
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
  asio::ssl::context ssl_;
  bool tls_ = false;
  std::map<std::pair<std::string, std::string>, Route> routes_;
  std::map<std::string, HttpErrorFormatter> error_formatters_;
  std::thread thread_;
  int port_ = 0;
  // Delays the next accept after a failure (e.g. EMFILE).
  std::optional<asio::steady_timer> accept_pause_;
};

namespace {

// The origin-form of a request target: "/path?query" as sent, or taken from
// an absolute-form target ("http://host:port/path?query", RFC 9112 3.2.2:
// what a client configured with this server as its HTTP proxy sends, the
// way to reach it under a host name that does not resolve).
std::string OriginForm(std::string target) {
  for (absl::string_view scheme : {"http://", "https://"}) {
    if (absl::StartsWithIgnoreCase(target, scheme)) {
      size_t slash = target.find('/', scheme.size());
      return slash == std::string::npos ? "/" : target.substr(slash);
    }
  }
  return target;
}

// One connection: read a request, dispatch, write the reply, repeat while
// keep-alive. `Stream` is beast::tcp_stream or an ssl_stream over one.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <typename... Args>
  Session(tcp::socket socket, HttpServer::Impl* server, Args&&... args)
      : fd_(socket.native_handle()),
        peer_(PeerName(socket)),
        stream_(std::move(socket), std::forward<Args>(args)...),
        server_(server) {}

  void Run() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(
          std::chrono::seconds(server_->options().idle_timeout_seconds));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void Read() {
    parser_.emplace();
    parser_->body_limit(server_->options().max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_->options().max_header_bytes));
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::seconds(server_->options().idle_timeout_seconds));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  // Reads the body, if any. Beast reads no more than the buffer's free
  // capacity (at least 512 bytes) at a time, so a 1 MiB body would take
  // some 2,000 reads on the I/O thread: a large body gets a buffer of up to
  // kBodyReadBytes first (shrunk again once the request is read).
  void OnHeader(beast::error_code ec) {
    if (ec || parser_->is_done()) return OnRead(ec);
    if (auto length = parser_->content_length(); length && *length > kSmallBodyBytes) {
      buffer_.reserve(static_cast<size_t>(std::min<uint64_t>(*length, kBodyReadBytes)));
    }
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code read_ec, size_t) {
                       self->OnRead(read_ec);
                     });
  }

  // True when the peer has closed (or reset) the connection. Called from
  // any thread while a handler is pending: the socket stays open until this
  // session is destroyed or Close runs, which sets `closed_` first.
  bool PeerGone() const {
    if (closed_.load()) return true;
    pollfd p{fd_, POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted) {
      return Close();
    }
    std::string path;
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      // The start line is parsed first (a Content-Length over the limit
      // fails before the header is done).
      std::string target = OriginForm(std::string(parser_->get().target()));
      path = target.substr(0, target.find('?'));
    }
    if (ec == http::error::body_limit) {
      return Write(false, server_->ErrorReply(path, 413,
                                              absl::StrCat("request body exceeds ",
                                                           server_->options().max_body_bytes,
                                                           " bytes")));
    }
    if (ec == http::error::header_limit) {
      return Write(false, server_->ErrorReply(path, 431, "request headers too large"));
    }
    if (ec) {
      if (ec == asio::error::eof || ec == asio::error::connection_reset) return Close();
      if constexpr (kTls) {
        if (ec == asio::ssl::error::stream_truncated) return Close();
      }
      return Write(false, HttpResponse{400, "text/plain; charset=utf-8", {}, "bad request\n"});
    }
    http::request<http::string_body> req = parser_->release();
    if (buffer_.capacity() > kSmallBodyBytes) buffer_.shrink_to_fit();
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = OriginForm(std::string(req.target()));
    r.path = r.target.substr(0, r.target.find('?'));
    for (const auto& f : req) {
      r.headers[absl::AsciiStrToLower(std::string(f.name_string()))] = std::string(f.value());
    }
    r.body = std::move(req.body());
    r.tls = kTls;
    r.peer = peer_;
    if constexpr (kTls) r.client_subject = ClientSubject();
    bool keep_alive = req.keep_alive();
    const HttpAsyncHandler* h = server_->Find(r.method, r.path);
    if (h == nullptr) {
      bool known = server_->PathKnown(r.path);
      return Write(keep_alive, HttpResponse{known ? 405 : 404, "text/plain; charset=utf-8", {},
                                            known ? "method not allowed\n" : "not found\n"});
    }
    auto self = this->shared_from_this();
    r.client_gone = [self] { return self->PeerGone(); };
    (*h)(std::move(r), [self, keep_alive](HttpResponse resp) {
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
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::seconds(server_->options().idle_timeout_seconds));
    http::async_write(stream_, res_,
                      [self = this->shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (!keep_alive) return self->LingerAndClose();
                        self->Read();
                      });
  }

  // After the last reply: stops sending and discards what the client is
  // still sending (e.g. the rest of a body refused with 413) until it
  // closes or the timeout passes, then closes. Closing at once would reset
  // the connection and the client could lose the reply unread.
  void LingerAndClose() {
    beast::error_code ignored;
    auto& lowest = beast::get_lowest_layer(stream_);
    lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest.expires_after(std::chrono::seconds(
        std::min(server_->options().idle_timeout_seconds, kMaxLingerSeconds)));
    Drain();
  }

  void Drain() {
    beast::get_lowest_layer(stream_).async_read_some(
        asio::buffer(drain_),
        [self = this->shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->Close();
          self->Drain();
        });
  }

  void Close() {
    closed_.store(true);
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  }

  static std::string PeerName(const tcp::socket& socket) {
    beast::error_code ec;
    tcp::endpoint ep = socket.remote_endpoint(ec);
    if (ec) return "";
    return ep.address().is_v6() ? absl::StrCat("[", ep.address().to_string(), "]:", ep.port())
                                : absl::StrCat(ep.address().to_string(), ":", ep.port());
  }

  // The verified client certificate's subject (one-line RFC 2253), or "".
  std::string ClientSubject() {
    if constexpr (kTls) {
      X509* cert = SSL_get_peer_certificate(stream_.native_handle());
      if (cert == nullptr) return "";
      std::string out;
      BIO* bio = BIO_new(BIO_s_mem());
      if (bio != nullptr &&
          X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
        char* data = nullptr;
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0) out.assign(data, static_cast<size_t>(n));
      }
      BIO_free(bio);
      X509_free(cert);
      return out;
    } else {
      return "";
    }
  }

  static constexpr int kMaxLingerSeconds = 5;
  static constexpr size_t kSmallBodyBytes = 16 << 10;
  static constexpr size_t kBodyReadBytes = 64 << 10;  // Beast reads at most 64 KiB at once

  const int fd_;
  const std::string peer_;
  std::array<char, 16384> drain_;
  std::atomic<bool> closed_{false};
  Stream stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of file descriptors or memory: accepting again at once would
      // spin; pause, and let open connections finish or time out.
      spdlog::warn("http: accept failed: {}; retrying in 100 ms", ec.message());
      accept_pause_.emplace(io_, std::chrono::milliseconds(100));
      accept_pause_->async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && acceptor_.is_open()) Accept();
      });
      return;
    }
    {
      if (tls_) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(s), this, ssl_)
            ->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(s), this)->Run();
      }
    }
    Accept();
  });
}

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& method, const std::string& path,
                        HttpHandler handler) {
  impl_->Handle(method, path, [handler = std::move(handler)](HttpRequest r, HttpReplyFn reply) {
    reply(handler(r));
  });
}

void HttpServer::HandleAsync(const std::string& method, const std::string& path,
                             HttpAsyncHandler handler) {
  impl_->Handle(method, path, std::move(handler));
}

void HttpServer::HandleErrors(const std::string& path, HttpErrorFormatter formatter) {
  impl_->HandleErrors(path, std::move(formatter));
}

absl::Status HttpServer::Start(const std::string& host, int port) {
  return impl_->Start(host, port);
}

int HttpServer::port() const { return impl_->port(); }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace stepwise::server
