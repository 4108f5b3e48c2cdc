// CallTestTask: the one call a Task state tested without a mock makes, as
// AWS's TestState calls the real resource: through the server's service
// integrations or its Lambda Invoke endpoint (task_targets.h), once, with
// the Task's TimeoutSeconds (else TestState's five minutes) as the
// deadline, and the outcome as a TaskResult in AWS's words (what the state
// sees as its result, or its error and cause). Internal to
// engine/test_state/. Any thread; `done` runs on the target's own thread
// (or on the caller's, for a failure known at once) and must not block.
#ifndef SW_ENGINE_TEST_STATE_TASK_CALL_H_
#define SW_ENGINE_TEST_STATE_TASK_CALL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/json.h"
#include "engine/interpreter.h"
#include "engine/test_state/task_targets.h"

namespace stepwise::engine::test_state {

// TestState's own limit on a run (AWS: "can run for up to five minutes";
// past it the state fails with States.Timeout).
inline constexpr int64_t kTestStateMaxSeconds = 300;

struct TestTaskCall {
  std::string execution_arn;  // the context object's Execution.Id
  std::string state_name;
  std::string resource;
  json::value
      parameters;  // the effective parameters (Parameters / Arguments applied)
  int64_t timeout_seconds = 0;  // the Task's TimeoutSeconds; 0: none
  int64_t attempt = 0;          // stateConfiguration.retrierRetryCount
  // At TRACE: where an HTTP Task records its exchange; null otherwise.
  std::shared_ptr<HttpExchangeTrace> http_trace;
};

// AWS's inspectionData.request and .response of an HTTP Task's exchange
// (JSON objects of strings; headers as "[name: value, ...]").
json::object TraceRequestJson(const HttpExchangeTrace& t);
json::object TraceResponseJson(const HttpExchangeTrace& t);

// Whether a Task with `resource` can run only inside an execution (an
// activity, .sync, .waitForTaskToken): TestState needs a mock for it.
bool NeedsExecution(const std::string& resource);

// Makes `call` and runs `done` once with its outcome. A call nothing here
// can make without an execution (a Lambda function served by a Stepwise
// function queue) is refused at once: ValidationException, `done` unused.
absl::Status CallTestTask(std::shared_ptr<const TestStateTargets> targets,
                          TestTaskCall call,
                          std::function<void(TaskResult)> done);

}  // namespace stepwise::engine::test_state

#endif  // SW_ENGINE_TEST_STATE_TASK_CALL_H_
