// HttpClient (http_client.h): Boost.Beast over Asio coroutines on one I/O
// thread, OpenSSL for https.
#include "net/http_client.h"

#include <chrono>
#include <future>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/as_tuple.hpp"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "common/strings.h"

namespace stepwise::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxHeaderBytes = 64 * 1024;

bool DefaultPort(const Url& u) {
  return (u.scheme == "http" && u.port == 80) || (u.scheme == "https" && u.port == 443);
}

using Deadline = std::chrono::steady_clock::time_point;

// One call: resolve, connect, (handshake), write, read.
class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(asio::io_context& ioc, asio::ssl::context* tls, bool verify, Url url,
       HttpClientRequest request, HttpCallOptions options)
      : ioc_(ioc), tls_(tls), verify_(verify), resolver_(ioc), url_(std::move(url)),
        request_(std::move(request)), options_(options),
        deadline_(std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(std::max<int64_t>(1, options.timeout_ms))) {}

  asio::awaitable<absl::StatusOr<HttpClientResponse>> Run() {
    std::string where = url_.Origin();
    // Resolve, bounded by the deadline (the resolver has no timeout of its own).
    asio::steady_timer timer(ioc_);
    timer.expires_at(deadline_);
    timer.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) {
        self->resolve_timed_out_ = true;
        self->resolver_.cancel();
      }
    });
    auto [rec, endpoints] =
        co_await resolver_.async_resolve(url_.host, std::to_string(url_.port), kTuple);
    timer.cancel();
    if (resolve_timed_out_) co_return Timeout(where, "resolving the host");
    if (rec) co_return Failed(where, "cannot resolve host", rec);

    http::request<http::string_body> req;
    req.method_string(request_.method);
    req.target(url_.target);
    req.version(11);
    for (const auto& [name, value] : request_.headers) req.set(name, value);
    if (request_.headers.count("host") == 0) req.set(http::field::host, url_.HostHeader());
    req.set(http::field::connection, "close");
    req.body() = request_.body;
    if (!request_.body.empty() || request_.method == "POST" || request_.method == "PUT") {
      req.prepare_payload();
    }

    if (tls_ == nullptr) {
      beast::tcp_stream stream(ioc_);
      stream.expires_at(deadline_);
      auto [cec, ep] = co_await stream.async_connect(endpoints, kTuple);
      (void)ep;
      if (cec) co_return Failed(where, "cannot connect", cec);
      co_return co_await Exchange(stream, stream, req, where);
    }
    beast::ssl_stream<beast::tcp_stream> stream(ioc_, *tls_);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str())) {
      co_return absl::UnavailableError(absl::StrCat(where, ": cannot set the TLS server name"));
    }
    if (verify_) stream.set_verify_callback(asio::ssl::host_name_verification(url_.host));
    beast::get_lowest_layer(stream).expires_at(deadline_);
    auto [cec, ep] = co_await beast::get_lowest_layer(stream).async_connect(endpoints, kTuple);
    (void)ep;
    if (cec) co_return Failed(where, "cannot connect", cec);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kTuple);
    if (hec) co_return Failed(where, "TLS handshake failed", hec);
    co_return co_await Exchange(stream, beast::get_lowest_layer(stream), req, where);
  }

 private:
  template <typename Stream>
  asio::awaitable<absl::StatusOr<HttpClientResponse>> Exchange(
      Stream& stream, beast::tcp_stream& lowest, http::request<http::string_body>& req,
      const std::string& where) {
    lowest.expires_at(deadline_);
    auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
    (void)wn;
    if (wec) co_return Failed(where, "cannot send the request", wec);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(options_.max_response_bytes);
    // A HEAD answer's Content-Length describes a body that never comes.
    if (request_.method == "HEAD") parser.skip(true);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kTuple);
    (void)rn;
    if (rec == http::error::body_limit || rec == http::error::header_limit) {
      co_return absl::ResourceExhaustedError(absl::StrCat(
          where, ": the response is larger than ", options_.max_response_bytes, " bytes"));
    }
    if (rec) co_return Failed(where, "cannot read the response", rec);
    http::response<http::string_body> res = parser.release();
    HttpClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.reason = std::string(res.reason());
    if (out.reason.empty()) out.reason = std::string(http::obsolete_reason(res.result()));
    for (const auto& field : res) {
      std::string name = absl::AsciiStrToLower(ToAbsl(std::string_view(field.name_string())));
      std::string value(field.value());
      auto [it, fresh] = out.headers.emplace(name, value);
      if (!fresh) absl::StrAppend(&it->second, ", ", value);
    }
    out.body = std::move(res.body());
    beast::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return out;
  }

  absl::Status Timeout(const std::string& where, const char* doing) const {
    return absl::DeadlineExceededError(absl::StrCat(where, ": timed out after ",
                                                    options_.timeout_ms, " ms ", doing));
  }

  absl::Status Failed(const std::string& where, const char* what, const beast::error_code& ec) {
    if (ec == beast::error::timeout || std::chrono::steady_clock::now() >= deadline_) {
      return Timeout(where, what);
    }
    return absl::UnavailableError(absl::StrCat(where, ": ", what, ": ", ec.message()));
  }

  asio::io_context& ioc_;
  asio::ssl::context* tls_;
  const bool verify_;
  tcp::resolver resolver_;
  bool resolve_timed_out_ = false;  // on the I/O thread
  const Url url_;
  const HttpClientRequest request_;
  const HttpCallOptions options_;
  const Deadline deadline_;
};

class AsioHttpClient : public HttpClient {
 public:
  AsioHttpClient(std::unique_ptr<asio::ssl::context> tls, bool verify)
      : tls_(std::move(tls)), verify_(verify), work_(asio::make_work_guard(ioc_)) {
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~AsioHttpClient() override {
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

  void Send(HttpClientRequest request, HttpCallOptions options, Done done) override {
    absl::StatusOr<Url> url = ParseUrl(request.url);
    if (!url.ok()) {
      asio::post(ioc_, [done = std::move(done), s = url.status()] { done(s); });
      return;
    }
    asio::ssl::context* tls = url->scheme == "https" ? tls_.get() : nullptr;
    auto call = std::make_shared<Call>(ioc_, tls, verify_, *std::move(url), std::move(request),
                                       options);
    asio::co_spawn(
        ioc_, [call]() { return call->Run(); },
        [call, done = std::move(done)](std::exception_ptr e,
                                       absl::StatusOr<HttpClientResponse> r) {
          if (e) {
            r = absl::UnavailableError("the HTTP call failed unexpectedly");
          }
          done(std::move(r));
        });
  }

 private:
  // The TLS context outlives the I/O context (whose destruction frees the
  // calls still pending).
  std::unique_ptr<asio::ssl::context> tls_;
  const bool verify_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace

std::string Url::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
  if (!DefaultPort(*this)) absl::StrAppend(&h, ":", port);
  return h;
}

std::string Url::Origin() const { return absl::StrCat(scheme, "://", HostHeader()); }

absl::StatusOr<Url> ParseUrl(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid URL '", ToAbsl(text), "': ", ToAbsl(why)));
  };
  Url u;
  size_t colon = text.find("://");
  if (colon == std::string_view::npos) return bad("expected http://HOST[:PORT][/PATH]");
  u.scheme = absl::AsciiStrToLower(ToAbsl(text.substr(0, colon)));
  if (u.scheme != "http" && u.scheme != "https") return bad("only http and https are allowed");
  std::string_view rest = text.substr(colon + 3);
  if (rest.find('#') != std::string_view::npos) return bad("a fragment is not allowed");
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (u.target.front() == '?') u.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return bad("user info is not allowed");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed IPv6 address");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("expected :PORT after the IPv6 address");
      port = after.substr(1);
    }
  } else {
    size_t c = authority.rfind(':');
    u.host = std::string(authority.substr(0, c));
    if (c != std::string_view::npos) port = authority.substr(c + 1);
  }
  if (u.host.empty()) return bad("no host");
  for (char ch : u.host) {
    if (static_cast<unsigned char>(ch) <= ' ' || ch == '/' || ch == '\\') return bad("bad host");
  }
  u.port = u.scheme == "https" ? 443 : 80;
  if (!port.empty() && (!absl::SimpleAtoi(ToAbsl(port), &u.port) || u.port < 1 || u.port > 65535)) {
    return bad("bad port");
  }
  for (char ch : u.target) {
    if (static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f) return bad("bad character in path");
  }
  return u;
}

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options) {
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (options.insecure_skip_verify) {
    tls->set_verify_mode(asio::ssl::verify_none);
  } else {
    tls->set_verify_mode(asio::ssl::verify_peer);
    if (options.ca_file.empty()) {
      tls->set_default_verify_paths(ec);
    } else {
      tls->load_verify_file(options.ca_file, ec);
    }
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load CA bundle ",
                       options.ca_file.empty() ? "(system default)" : options.ca_file, ": ",
                       ec.message()));
    }
  }
  return std::unique_ptr<HttpClient>(new AsioHttpClient(std::move(tls), !options.insecure_skip_verify));
}

absl::StatusOr<HttpClientResponse> HttpClient::SendAndWait(HttpClientRequest request,
                                                           HttpCallOptions options) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<HttpClientResponse>>>();
  auto future = promise->get_future();
  Send(std::move(request), options,
       [promise](absl::StatusOr<HttpClientResponse> r) { promise->set_value(std::move(r)); });
  return future.get();
}

}  // namespace stepwise::net
