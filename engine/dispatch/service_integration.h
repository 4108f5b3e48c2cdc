// ServiceIntegration: what the engine sees of a Task that Stepwise itself
// calls out for (the HTTP Task, optimized AWS service integrations,
// aws-sdk:SERVICE:ACTION): which resources it takes, and one call of one
// task attempt. The implementations (HTTP, SigV4, connections, service
// tables) live outside the engine, in integrations/; server/main.cc plugs
// each into a ServiceCallDispatcher (service_call_dispatcher.h), which keeps
// the durable part: the row written with the scheduling commit, the call
// made once that commit is on disk, made again at Open while the task is
// open (at least once), and the outcome reported as an input.
// Threads: Takes and Call from any thread; `done` runs on the
// implementation's own thread and must not block.
#ifndef SW_ENGINE_DISPATCH_SERVICE_INTEGRATION_H_
#define SW_ENGINE_DISPATCH_SERVICE_INTEGRATION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "engine/interpreter.h"
#include "engine/task_resource.h"

namespace stepwise::engine {

// What an HTTP Task's call sent and what came back, for TestState's
// inspection data at TRACE (AWS's InspectionDataRequest / Response). The
// integration fills it, when a call carries one, before `done` runs.
struct HttpExchangeTrace {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  // In: show the connection's secrets (TestState's revealSecrets); else
  // they are masked wherever they appear.
  bool reveal_secrets = false;
  bool has_request = false;
  std::string protocol;  // the URL's scheme: "http" | "https"
  std::string method;
  std::string url;
  Headers request_headers;
  std::string request_body;
  bool has_response = false;
  int status_code = 0;
  std::string status_message;
  Headers response_headers;
  std::string response_body;
};

// One call: one attempt of one Task.
struct ServiceCall {
  std::string execution_arn;
  int64_t task_id = 0;
  int64_t attempt = 0;
  // The Task's Resource, e.g. "arn:aws:states:::http:invoke" or
  // "arn:aws:states:::aws-sdk:dynamodb:getItem.waitForTaskToken".
  std::string resource;
  // The effective parameters (Parameters / Arguments applied): what
  // TaskScheduled shows.
  json::value parameters;
  // The region the call is made in: the Resource's, else the server's.
  std::string region;
  // Stable for this attempt (the same after a restart): a request id or
  // idempotency token where the integration wants one.
  std::string request_id;
  // The call's deadline: the task's TimeoutSeconds and a margin, else the
  // dispatcher's default. Integrations may cap it (the HTTP Task's 60 s).
  int64_t timeout_ms = 0;
  // .waitForTaskToken: a success only submits the task (TaskSubmitted).
  bool callback = false;
  // TestState at TRACE only (null otherwise): the HTTP Task records its
  // exchange here.
  std::shared_ptr<HttpExchangeTrace> http_trace;
};

class ServiceIntegration {
 public:
  virtual ~ServiceIntegration() = default;
  // A short name for logs, the task row's key ("service:<name>") and the
  // task's owner ("via"), e.g. "http", "aws". Fixed: stored on disk.
  virtual std::string_view name() const = 0;
  // Whether this integration calls `resource`.
  virtual bool Takes(const TaskResource& resource) const = 0;
  // Whether AWS refuses `resource`, one Takes takes, at creation as not
  // recognized, as far as this integration knows (an aws-sdk ACTION the
  // service's SDK does not have). Validation refuses it in AWS's words.
  virtual bool Refuses(const TaskResource& resource) const {
    (void)resource;
    return false;
  }
  // Makes `call`; `done` runs once with what the state sees: the result
  // (kSucceeded), or the failure in AWS's names (kFailed with error and
  // cause). `done` never runs when the integration stops first (server
  // shutdown): the task is called again at the next Open. Never blocks.
  virtual void Call(const ServiceCall& call, std::function<void(TaskResult)> done) = 0;
  // Stops: calls in flight and later ones never call `done`. For shutdown;
  // any thread.
  virtual void Stop() {}
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_SERVICE_INTEGRATION_H_
