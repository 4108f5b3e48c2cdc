// HttpClient: outbound HTTP/1.1 requests over http:// and https:// (Lambda
// Invoke endpoints, later the HTTP Task and AWS service integrations).
// TLS peer verification (chain and host name, with SNI) is on by default
// against the system's CA store or a CA bundle file; every call has its own
// deadline covering resolve, connect, handshake, write and read, and a
// limit on the response body. One connection per call (Connection: close).
// Other schemes are refused.
// Threads: Send may be called from any thread; the calls run on the
// client's own I/O thread, where `done` runs too (keep it short, never
// block). Destroying the client stops that thread; calls still running
// then never call `done`.
#ifndef SW_NET_HTTP_CLIENT_H_
#define SW_NET_HTTP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace stepwise::net {

// An http or https URL split for a request.
struct Url {
  std::string scheme;  // "http" | "https"
  std::string host;    // without brackets for IPv6 literals
  int port = 0;        // the scheme's default when the URL names none
  std::string target;  // path and query, at least "/"
  // The Host header: host[:port] (the port only when not the default).
  std::string HostHeader() const;
  // scheme://HostHeader() with no path.
  std::string Origin() const;
};

// kInvalidArgument naming what is wrong (scheme other than http/https, no
// host, bad port, user info, fragment).
absl::StatusOr<Url> ParseUrl(std::string_view text);

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;
  // Lower-case names. Host is set from the URL when absent.
  std::map<std::string, std::string> headers;
  std::string body;
};

struct HttpClientResponse {
  int status = 0;
  // The status line's reason phrase ("OK"), the standard one when the
  // server sent none.
  std::string reason;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct HttpCallOptions {
  int64_t timeout_ms = 30000;
  size_t max_response_bytes = 8 << 20;
};

struct HttpClientOptions {
  // PEM CA bundle for https; "" uses the system's trust store.
  std::string ca_file;
  // Skips TLS verification. Only for tests against self-signed servers.
  bool insecure_skip_verify = false;
};

class HttpClient {
 public:
  // kInvalidArgument when the CA bundle cannot be loaded.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(HttpClientOptions options);
  virtual ~HttpClient() = default;

  using Done = std::function<void(absl::StatusOr<HttpClientResponse>)>;
  // Sends `request`; `done` gets the response (any status code) or
  // kInvalidArgument (bad URL), kDeadlineExceeded (the deadline passed),
  // kResourceExhausted (response too large) or kUnavailable (resolve,
  // connect, TLS or protocol failure), with a message naming the host and
  // what failed.
  virtual void Send(HttpClientRequest request, HttpCallOptions options, Done done) = 0;

  // Send, waiting for the answer on the calling thread (never the client's
  // own thread).
  absl::StatusOr<HttpClientResponse> SendAndWait(HttpClientRequest request,
                                                 HttpCallOptions options);
};

}  // namespace stepwise::net

#endif  // SW_NET_HTTP_CLIENT_H_
