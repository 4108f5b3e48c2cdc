// ActivityDispatcher (activity_dispatcher.h): activity tasks through the
// task table and the long-poll queue (WorkerQueueRows).
#include "engine/dispatch/activity_dispatcher.h"


namespace stepwise::engine {

bool ActivityDispatcher::Takes(const ScheduleTaskCommand& command) const {
  return command.kind == TaskKind::kActivity;
}

// Activity queues are keyed by the activity ARN; function queues are not
// ARNs (FunctionQueueKey).
bool ActivityDispatcher::Owns(const OpenTask& task) const {
  return task.via.empty() && task.queue.starts_with("arn:");
}

std::shared_ptr<PollClaim> ActivityDispatcher::Schedule(const ScheduleTaskCommand& command,
                                                        OpenTask& task, PendingCommit& commit) {
  task.queue = command.resource;
  return rows_.Schedule(task, commit);
}

void ActivityDispatcher::Requeue(const OpenTask& task, PendingCommit& commit) {
  rows_.Put(task, commit);
}

void ActivityDispatcher::Close(const OpenTask& task, PendingCommit& commit) {
  rows_.Remove(task, commit);
}

absl::Status ActivityDispatcher::Recover(storage::Store& store, TaskInputs& inputs) {
  return rows_.Recover(store, inputs,
                       [](std::string_view key) { return key.starts_with("arn:"); });
}

}  // namespace stepwise::engine
