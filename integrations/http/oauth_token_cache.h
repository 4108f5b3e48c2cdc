// OAuthTokenCache: the access tokens of OAUTH_CLIENT_CREDENTIALS
// connections, fetched and kept as EventBridge does: a client-credentials
// request to the connection's AuthorizationEndpoint with its HttpMethod
// (the client id and secret as a Basic Authorization header,
// grant_type=client_credentials in the body, or the query for GET, and the
// OAuthHttpParameters headers, query and body), the token kept until its
// expires_in runs out (or, without one, until the API refuses it), and
// fetched again when a call is refused with 401 or 407 (the caller passes
// the refused token as `stale`). One fetch at a time per connection; the
// calls waiting for it share its answer. Asynchronous: the fetch goes
// through the integration's HTTP client and `done` runs on that client's
// thread (or at once, on the caller's, with a cached token); nothing
// blocks. Fetched tokens are added to the SecretRedactor.
// Threads: thread-safe.
#ifndef SW_INTEGRATIONS_HTTP_OAUTH_TOKEN_CACHE_H_
#define SW_INTEGRATIONS_HTTP_OAUTH_TOKEN_CACHE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "integrations/http/connections.h"
#include "integrations/http/secret_redactor.h"
#include "net/http_client.h"

namespace stepwise::integrations::http {

// Sends one request (net::HttpClient::Send); false when the sender has
// stopped, and then `done` never runs.
using HttpSend =
    std::function<bool(net::HttpClientRequest, net::HttpCallOptions, net::HttpClient::Done)>;

class OAuthTokenCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using TokenDone = std::function<void(absl::StatusOr<std::string>)>;

  // `redactor` outlives the cache.
  OAuthTokenCache(HttpSend send, SecretRedactor& redactor,
                  Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Calls `done` with a token for `connection` (which outlives the call):
  // the cached one unless it has expired or equals `stale`, else a fresh
  // one. kUnauthenticated naming the endpoint and what it answered (never
  // a secret) when the token cannot be fetched. `timeout_ms` bounds the
  // fetch.
  void Get(const Connection& connection, const std::string& stale, int64_t timeout_ms,
           TokenDone done);

  // The token request for `connection` (for tests).
  static net::HttpClientRequest TokenRequest(const Connection& connection);

 private:
  struct Entry {
    std::string token;
    bool expires = false;
    std::chrono::steady_clock::time_point expiry;
    bool fetching = false;
    std::vector<TokenDone> waiters;
  };

  void Fetch(const Connection& connection, int64_t timeout_ms);
  void Finish(const std::string& arn, absl::StatusOr<std::string> token, int64_t expires_in);

  const HttpSend send_;
  SecretRedactor& redactor_;
  const Clock clock_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // by connection ARN
};

}  // namespace stepwise::integrations::http

#endif  // SW_INTEGRATIONS_HTTP_OAUTH_TOKEN_CACHE_H_
