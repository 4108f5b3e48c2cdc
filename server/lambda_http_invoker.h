// LambdaHttpInvoker: the engine's LambdaInvoker over HTTP(S): Lambda's
// Invoke API (`POST /2015-03-31/functions/NAME/invocations[?Qualifier=Q]`,
// X-Amz-Invocation-Type, X-Amz-Client-Context), signed with SigV4 for
// service `lambda` in the function's region with credentials from the
// standard chain (net/aws_credentials.h), sent to the function's endpoint:
// its own route (--lambda-route NAME=URL), else the default
// (--lambda-endpoint URL); NAME=queue keeps a function on its Stepwise
// function queue. Wired by server/main.cc into LambdaEndpointDispatcher.
// Secrets never reach logs (only the key id and where it came from).
// Threads: any; `done` runs on the HTTP client's thread, or on the caller's
// when the call cannot be sent.
#ifndef SW_SERVER_LAMBDA_HTTP_INVOKER_H_
#define SW_SERVER_LAMBDA_HTTP_INVOKER_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/dispatch/lambda_invoker.h"
#include "net/aws_credentials.h"
#include "net/http_client.h"

namespace stepwise::server {

// Where functions run: a default endpoint ("" = function queues) and
// per-function routes (a URL, or "queue").
struct LambdaRoutes {
  static constexpr const char* kQueue = "queue";
  std::string default_endpoint;
  std::map<std::string, std::string> routes;
  // Whether any function can reach an endpoint.
  bool any_endpoint() const;
};

class LambdaHttpInvoker : public engine::LambdaInvoker {
 public:
  LambdaHttpInvoker(LambdaRoutes routes, std::unique_ptr<net::HttpClient> client,
                    std::unique_ptr<net::AwsCredentialsProvider> credentials);

  bool Routes(std::string_view function_name) const override;
  void Invoke(const engine::LambdaCall& call, int64_t timeout_ms,
              std::function<void(engine::LambdaInvokeOutcome)> done) override;

  // The Invoke URL of `call` at `endpoint` (a base URL, its path kept).
  // Stops the HTTP client: calls in flight and later ones never call
  // `done` (their tasks are invoked again at the next Open). For shutdown.
  void Stop();

  static std::string InvokeUrl(std::string_view endpoint, const engine::LambdaCall& call);
  // The largest answer read: Lambda's 6 MB synchronous response and room
  // for its error document.
  static constexpr size_t kMaxResponseBytes = 7 << 20;

 private:
  const std::string* EndpointOf(std::string_view function_name) const;

  const LambdaRoutes routes_;
  std::mutex mu_;
  std::unique_ptr<net::HttpClient> client_;  // under mu_; null once stopped
  const std::unique_ptr<net::AwsCredentialsProvider> credentials_;
};

}  // namespace stepwise::server

#endif  // SW_SERVER_LAMBDA_HTTP_INVOKER_H_
