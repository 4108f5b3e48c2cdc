// CallTestTask (task_call.h): one call of a tested Task's resource through
// the server's integrations or Lambda endpoint, with TestState's deadline.
// Any thread.
#include "engine/test_state/task_call.h"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "common/clock.h"
#include "common/strings.h"
#include "engine/arn.h"
#include "engine/dispatch/lambda_endpoint_dispatcher.h"
#include "engine/dispatch/lambda_function.h"
#include "engine/dispatch/service_call_dispatcher.h"
#include "engine/dispatch/unsupported_dispatcher.h"
#include "engine/service_error.h"
#include "engine/task_resource.h"

namespace stepwise::engine::test_state {

namespace {

using SteadyClock = std::chrono::steady_clock;

absl::Status NeedsMock(const TestTaskCall& call, std::string_view why) {
  return ServiceError(
      "ValidationException",
      absl::StrCat("Stepwise's TestState cannot call resource '", call.resource,
                   "' of Task state '", call.state_name,
                   "' without a mock: ", ToAbsl(why),
                   "; give 'mock' (result or errorOutput) to test it"));
}

// Wraps `done` so that an outcome arriving after `deadline_ms` is the
// state's States.Timeout, as an execution's task timeout is.
std::function<void(TaskResult)> WithDeadline(
    int64_t deadline_ms, std::function<void(TaskResult)> done) {
  SteadyClock::time_point start = SteadyClock::now();
  return [start, deadline_ms, done = std::move(done)](TaskResult r) {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                       SteadyClock::now() - start)
                       .count();
    if (elapsed >= deadline_ms || r.kind == TaskResult::Kind::kTimedOut)
      r = TaskResult::Failed(std::string(asl::kStatesTimeout), "");
    done(std::move(r));
  };
}

}  // namespace

namespace {

std::string HeadersText(const HttpExchangeTrace::Headers& headers) {
  std::string out = "[";
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0) out += ", ";
    absl::StrAppend(&out, headers[i].first, ": ", headers[i].second);
  }
  return out + "]";
}

}  // namespace

json::object TraceRequestJson(const HttpExchangeTrace& t) {
  return json::object{{"protocol", t.protocol},
                      {"method", t.method},
                      {"url", t.url},
                      {"headers", HeadersText(t.request_headers)},
                      {"body", t.request_body}};
}

json::object TraceResponseJson(const HttpExchangeTrace& t) {
  return json::object{{"protocol", t.protocol},
                      {"statusCode", absl::StrCat(t.status_code)},
                      {"statusMessage", t.status_message},
                      {"headers", HeadersText(t.response_headers)},
                      {"body", t.response_body}};
}

bool NeedsExecution(const std::string& resource) {
  TaskResource r = TaskResource::Parse(resource);
  if (r.kind == TaskKind::kActivity || r.wait_for_task_token) return true;
  std::string_view name = r.resource_name;
  return name.ends_with(".sync") || name.ends_with(".sync:2");
}

absl::Status CallTestTask(std::shared_ptr<const TestStateTargets> targets,
                          TestTaskCall call,
                          std::function<void(TaskResult)> done) {
  int64_t seconds = call.timeout_seconds > 0
                        ? std::min(call.timeout_seconds, kTestStateMaxSeconds)
                        : kTestStateMaxSeconds;
  int64_t deadline_ms = seconds * 1000;
  // The target gives up just after the deadline, so a late answer still
  // comes back (as States.Timeout).
  int64_t call_timeout_ms = deadline_ms + 1000;
  ScheduleTaskCommand command;
  command.kind = TaskResource::Parse(call.resource).kind;
  command.state_name = call.state_name;
  command.resource = call.resource;
  command.input = call.parameters;
  command.timeout_seconds = call.timeout_seconds;
  command.attempt = static_cast<int>(call.attempt);

  if (IsLambdaTask(command)) {
    LambdaCall lambda;
    TaskResult failure;
    if (!ReadLambdaCall(command, targets->region, targets->account, &lambda,
                        &failure)) {
      done(std::move(failure));
      return absl::OkStatus();
    }
    if (targets->lambda == nullptr ||
        !targets->lambda->Routes(lambda.function_name)) {
      return NeedsMock(
          call, absl::StrCat(
                    "function '", lambda.function_name,
                    "' runs on a Stepwise function queue, whose workers take "
                    "tasks of executions only (a function behind "
                    "--lambda-endpoint is called)"));
    }
    lambda.request_id =
        StableUuid(absl::StrCat(call.execution_arn, "#", call.attempt));
    targets->lambda->Invoke(
        lambda, call_timeout_ms,
        [lambda, done = WithDeadline(deadline_ms, std::move(done))](
            LambdaInvokeOutcome outcome) {
          done(LambdaOutcomeResult(lambda, outcome,
                                   SystemClock::Get()->NowMs()));
        });
    return absl::OkStatus();
  }
  TaskResource resource = TaskResource::Parse(call.resource);
  if (resource.resource_type == "states" &&
      resource.resource_name.starts_with("startExecution")) {
    return NeedsMock(
        call, "a nested execution is started by a running execution only");
  }
  for (const std::shared_ptr<ServiceIntegration>& integration :
       targets->integrations) {
    if (!integration->Takes(resource)) continue;
    ServiceCall sc;
    sc.execution_arn = call.execution_arn;
    sc.attempt = call.attempt;
    sc.resource = call.resource;
    sc.parameters = call.parameters;
    sc.region = ServiceCallRegion(call.resource);
    if (sc.region.empty()) sc.region = targets->region;
    sc.request_id =
        StableUuid(absl::StrCat(call.execution_arn, "#", call.attempt));
    sc.timeout_ms = call_timeout_ms;
    sc.http_trace = call.http_trace;
    integration->Call(sc, WithDeadline(deadline_ms, std::move(done)));
    return absl::OkStatus();
  }
  // As an execution's Task no dispatcher takes: States.TaskFailed.
  done(TaskResult::Failed("States.TaskFailed",
                          UnsupportedTaskCause(call.resource)));
  return absl::OkStatus();
}

}  // namespace stepwise::engine::test_state
