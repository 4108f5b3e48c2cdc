// HttpServer: a small HTTP/1.1 listener (Boost.Beast on one Asio thread)
// dispatching by exact method + path to registered handlers. stepwised
// serves GET /healthz, /readyz and /metrics with it; the AWS JSON protocol
// endpoint (`POST /`) registers an async handler the same way. Keep-alive,
// requests bounded (1 MiB body by default: 413 beyond, shaped per path by
// HandleErrors). One timeout (30 s by default) bounds the TLS handshake,
// receiving each whole request, writing each reply and keep-alive idleness,
// so slow or half-open clients are cut off and never hold the server.
// HTTPS (TLS 1.2+) when a certificate and key are given, with client
// certificates required and verified when a client CA is given (mTLS). A
// pending async handler can ask whether the client has hung up
// (HttpRequest::client_gone). A failing accept (e.g. out of file
// descriptors) is retried after a pause instead of spinning.
// No exception escapes: Asio/Beast are used through error_code overloads.
//
// Threads: one I/O thread reads, writes and runs every handler.
// Handlers must not block and must stay short, as every other request on the
// listener (/healthz, /metrics, the console) waits behind them: a handler
// with real work (store reads, parsing a large body, engine calls) is an
// async handler that hands the request to a worker pool, as AwsJsonApi
// does, and calls `reply` later from any thread, exactly once. Register
// handlers before Start; Start/Stop from one thread.
#ifndef SW_SERVER_HTTP_SERVER_H_
#define SW_SERVER_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"

namespace stepwise::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, e.g. "/metrics?x=1"
  std::string path;    // without the query
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool tls = false;  // arrived over HTTPS
  std::string peer;  // the client's address, "ip:port"
  // With a client CA (mTLS): the verified client certificate's subject,
  // e.g. "CN=worker-1,O=Example"; empty otherwise.
  std::string client_subject;
  // Set by the server: true once the client has closed or reset the
  // connection (Linux POLLRDHUP, so also after a half-close). Callable from
  // any thread, for as long as the handler holds it.
  std::function<bool()> client_gone;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::map<std::string, std::string> headers;  // extra headers
  std::string body;
};

using HttpReplyFn = std::function<void(HttpResponse)>;
// Gets the request by value (moved in, body included) so it can be handed
// to another thread without a copy.
using HttpAsyncHandler = std::function<void(HttpRequest, HttpReplyFn reply)>;
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Shapes an error the listener answers itself (413 body too large, 431).
using HttpErrorFormatter = std::function<HttpResponse(int status, const std::string& message)>;

struct HttpServerOptions {
  size_t max_body_bytes = size_t{1} << 20;
  size_t max_header_bytes = size_t{64} << 10;
  int idle_timeout_seconds = 30;
  // PEM contents; both set: serve HTTPS only.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // PEM CA bundle (with HTTPS): a client must present a certificate it signed.
  std::string tls_client_ca_pem;
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options = {});
  // Stops if running.
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers `handler` for `method` + `path` (exact match, no query).
  void Handle(const std::string& method, const std::string& path, HttpHandler handler);
  void HandleAsync(const std::string& method, const std::string& path, HttpAsyncHandler handler);

  // Has the listener's own errors for requests to `path` (413, 431)
  // answered by `formatter` instead of plain text.
  void HandleErrors(const std::string& path, HttpErrorFormatter formatter);

  // Binds `host`:`port` (0 picks a free port) and starts serving.
  // kUnavailable naming the address when it cannot be bound (in use,
  // not local), kInvalidArgument for a bad host or TLS certificate/key.
  absl::Status Start(const std::string& host, int port);
  // The bound port (after Start).
  int port() const;
  // Closes the listener and every connection, and joins the I/O thread.
  void Stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepwise::server

#endif  // SW_SERVER_HTTP_SERVER_H_
