// LambdaInvoker: what the engine sees of a Lambda Invoke endpoint (AWS
// Lambda, or a Lambda-compatible server): which functions are routed to
// one, and one Invoke call of a LambdaCall. The implementation (HTTP,
// SigV4, the routing table) lives outside the engine (server/
// lambda_http_invoker.h); LambdaEndpointDispatcher drives it.
// Threads: Routes and Invoke from any thread; `done` runs on the
// implementation's thread and must not block.
#ifndef SW_ENGINE_DISPATCH_LAMBDA_INVOKER_H_
#define SW_ENGINE_DISPATCH_LAMBDA_INVOKER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/dispatch/lambda_function.h"

namespace stepwise::engine {

// How one Invoke call ended: Lambda's HTTP answer, or no answer at all.
struct LambdaInvokeOutcome {
  // The request never got an HTTP answer (network, TLS, timeout, bad
  // endpoint, no credentials): `transport_error` says why, in the AWS
  // SDK's words ("Unable to execute HTTP request: ...").
  bool transport_failed = false;
  std::string transport_error;

  int status = 0;              // HTTP status (200, 202, 204, 4xx, 5xx)
  std::string function_error;  // X-Amz-Function-Error ("Unhandled", "Handled")
  std::string executed_version;  // X-Amz-Executed-Version
  std::string error_type;        // x-amzn-ErrorType, the API error's name
  std::string request_id;        // x-amzn-RequestId
  std::string body;              // the function's payload, or the API error
};

class LambdaInvoker {
 public:
  virtual ~LambdaInvoker() = default;
  // Whether function `function_name` runs behind an endpoint (else on a
  // Stepwise function queue).
  virtual bool Routes(std::string_view function_name) const = 0;
  // Invokes `call` (its function name, qualifier, invocation type, client
  // context and payload; `call.request_id` identifies the attempt),
  // giving up after `timeout_ms`. `done` runs once, or never when the
  // invoker stops first (server shutdown: the task's row invokes it again
  // at the next Open).
  virtual void Invoke(const LambdaCall& call, int64_t timeout_ms,
                      std::function<void(LambdaInvokeOutcome)> done) = 0;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_LAMBDA_INVOKER_H_
