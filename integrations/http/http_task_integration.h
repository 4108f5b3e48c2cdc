// HttpTaskIntegration: the HTTP Task (arn:aws:states:::http:invoke and
// http:invoke.waitForTaskToken) as a ServiceIntegration
// (engine/dispatch/service_integration.h), which server/main.cc plugs into
// a ServiceCallDispatcher. One call: the connection looked up in the
// connections file (an unknown ARN fails with
// Events.ConnectionResource.ResourceNotFound naming it), the request built
// (http_task_request.h; bad parameters fail with States.Runtime), an OAuth
// token added (oauth_token_cache.h; a 401 or 407 answer fetches a new token
// and calls once more, as EventBridge does), the request sent over
// net::HttpClient (TLS verified by default; redirects are not followed: a
// 3xx answer is the result, States.Http.StatusCode.3xx, and credentials
// never travel to another host), and the answer shaped as AWS does
// (http_task_result.h), within AWS's 60 s (or the task's shorter
// TimeoutSeconds) and 256 KiB. Secrets never reach a result, a cause or
// the log (request headers are never logged). A call carrying an
// HttpExchangeTrace (TestState at TRACE) gets what was sent and received
// recorded there, secrets masked unless the trace reveals them.
// Threads: Takes/Call/Stop from any thread; `done` runs on the HTTP
// client's thread, or at once on the caller's for a call that fails before
// any request.
#ifndef SW_INTEGRATIONS_HTTP_HTTP_TASK_INTEGRATION_H_
#define SW_INTEGRATIONS_HTTP_HTTP_TASK_INTEGRATION_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/dispatch/service_integration.h"
#include "integrations/http/connections.h"
#include "integrations/http/oauth_token_cache.h"
#include "integrations/http/secret_redactor.h"
#include "net/http_client.h"

namespace stepwise::integrations::http {

class HttpTaskIntegration : public engine::ServiceIntegration {
 public:
  // With an HTTP client of its own made from `options` (ca_file: the PEM
  // bundle https endpoints are verified against, "" = the system's).
  // kInvalidArgument when the CA bundle cannot be loaded.
  static absl::StatusOr<std::shared_ptr<HttpTaskIntegration>> Create(
      Connections connections, net::HttpClientOptions options);

  HttpTaskIntegration(Connections connections, std::unique_ptr<net::HttpClient> client);
  ~HttpTaskIntegration() override;

  std::string_view name() const override { return "http"; }
  bool Takes(const engine::TaskResource& resource) const override;
  void Call(const engine::ServiceCall& call,
            std::function<void(engine::TaskResult)> done) override;
  // Stops the HTTP client (joins its thread): later and pending calls never
  // call `done`.
  void Stop() override;

 private:
  struct Attempt;
  // Adds the connection's OAuth token (fresh when `stale` is the one
  // refused) and sends.
  void WithToken(std::shared_ptr<Attempt> a, const std::string& stale);
  void Send(std::shared_ptr<Attempt> a);
  // Records what `a` sent and got (`res`: null without an answer) in its
  // call's HttpExchangeTrace, when it has one.
  void Trace(const Attempt& a, const net::HttpClientResponse* res) const;
  // Sends through the client; false once stopped.
  bool SendRaw(net::HttpClientRequest request, net::HttpCallOptions options,
               net::HttpClient::Done done);

  const Connections connections_;
  SecretRedactor redactor_;
  // Recursive: a client may answer inside Send, and the answer may send
  // again (OAuth's refresh).
  std::recursive_mutex mu_;
  std::unique_ptr<net::HttpClient> client_;  // null once stopped
  OAuthTokenCache tokens_;
};

}  // namespace stepwise::integrations::http

#endif  // SW_INTEGRATIONS_HTTP_HTTP_TASK_INTEGRATION_H_
