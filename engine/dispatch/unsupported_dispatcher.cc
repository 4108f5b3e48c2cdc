// UnsupportedDispatcher (unsupported_dispatcher.h).
#include "engine/dispatch/unsupported_dispatcher.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace stepwise::engine {

std::string UnsupportedTaskCause(std::string_view resource) {
  return absl::StrCat(
      "Stepwise cannot run resource '", absl::string_view(resource.data(), resource.size()),
      "': it runs activities, Lambda functions (lambda:invoke or a function ARN), nested "
      "executions (states:startExecution), HTTP Tasks (http:invoke), the optimized dynamodb, "
      "sqs, sns and events integrations, and aws-sdk:SERVICE:ACTION for the services "
      "`stepwised --help` lists under --aws-endpoint; call this API through aws-sdk "
      "(arn:aws:states:::aws-sdk:SERVICE:ACTION) or hand it to an activity worker");
}

std::shared_ptr<PollClaim> UnsupportedDispatcher::Schedule(const ScheduleTaskCommand& command,
                                                           OpenTask&, PendingCommit& commit) {
  TaskResult r;
  r.kind = TaskResult::Kind::kFailed;
  r.error = "States.TaskFailed";
  r.cause = UnsupportedTaskCause(command.resource);
  commit.AfterCommit([this, exec = commit.execution_id(), id = command.task_id,
                      r = std::move(r)]() mutable {
    inputs_.ReportTaskResult(exec, id, std::move(r));
  });
  return nullptr;
}

}  // namespace stepwise::engine
