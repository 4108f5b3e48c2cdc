// FunctionQueueDispatcher (function_queue_dispatcher.h).
#include "engine/dispatch/function_queue_dispatcher.h"

#include <utility>

#include "engine/dispatch/lambda_function.h"
#include "engine/task_resource.h"

namespace stepwise::engine {

FunctionQueueDispatcher::FunctionQueueDispatcher(TaskQueue& queue, TaskInputs& inputs,
                                                 const Clock* clock, std::string region,
                                                 std::string account)
    : rows_(queue),
      inputs_(inputs),
      clock_(clock),
      region_(std::move(region)),
      account_(std::move(account)) {}

bool FunctionQueueDispatcher::Takes(const ScheduleTaskCommand& command) const {
  return IsLambdaTask(command);
}

std::shared_ptr<PollClaim> FunctionQueueDispatcher::Schedule(const ScheduleTaskCommand& command,
                                                             OpenTask& task,
                                                             PendingCommit& commit) {
  task.via = kVia;
  LambdaCall call;
  TaskResult outcome;
  bool ready = ReadLambdaCall(command, region_, account_, &call, &outcome);
  if (ready && call.invocation_type == "Event") {
    // An asynchronous invocation outlives its Task, which a function queue
    // (whose tasks belong to their execution) cannot hold.
    ready = false;
    outcome.kind = TaskResult::Kind::kFailed;
    outcome.error = "Lambda.InvalidParameterValueException";
    outcome.cause =
        "InvocationType Event is not supported for functions served by Stepwise workers; "
        "route the function to a Lambda endpoint (--lambda-endpoint) or use RequestResponse";
  }
  call.request_id = LambdaRequestId(commit.execution_id(), task.task_id);
  if (ready && call.invocation_type == "DryRun") {
    // Lambda checks the call and runs nothing: 204, empty payload.
    ready = false;
    outcome = TaskResult{};
    outcome.output = LambdaResult(call, "", call.request_id, clock_->NowMs(), 204);
  }
  if (!ready) {
    commit.AfterCommit([this, exec = commit.execution_id(), id = task.task_id,
                        r = std::move(outcome)]() mutable {
      inputs_.ReportTaskResult(exec, id, std::move(r));
    });
    return nullptr;
  }
  task.queue = FunctionQueueKey(call.function_name);
  task.input = call.payload;  // what the worker gets: the event
  task.callback = TaskResource::Parse(command.resource).wait_for_task_token;
  task.details = call.ToDetails();
  return rows_.Schedule(task, commit);
}

void FunctionQueueDispatcher::Requeue(const OpenTask& task, PendingCommit& commit) {
  rows_.Put(task, commit);
}

void FunctionQueueDispatcher::Close(const OpenTask& task, PendingCommit& commit) {
  if (!task.queue.empty()) rows_.Remove(task, commit);
}

absl::Status FunctionQueueDispatcher::Recover(storage::Store& store, TaskInputs& inputs) {
  return rows_.Recover(store, inputs,
                       [](std::string_view key) { return key.starts_with("function:"); });
}

AnswerUse FunctionQueueDispatcher::Answer(const std::string& execution_id, const OpenTask& task,
                                          TaskResult& result) const {
  (void)execution_id;
  absl::StatusOr<LambdaCall> call = LambdaCall::FromDetails(task.details);
  if (result.kind != TaskResult::Kind::kSucceeded) {
    if (call.ok()) {
      result = LambdaAnswerFailure(*call, std::move(result.error), std::move(result.cause));
    }
    return AnswerUse::kComplete;
  }
  if (!call.ok()) return AnswerUse::kComplete;  // not ours to reshape
  std::string raw = result.raw_output.empty() ? SerializeJson(result.output)
                                              : std::move(result.raw_output);
  result.output = LambdaResult(*call, raw, call->request_id, clock_->NowMs());
  return task.callback ? AnswerUse::kSubmit : AnswerUse::kComplete;
}

}  // namespace stepwise::engine
