// ActivityDispatcher (activity_dispatcher.h): activity tasks through the
// task table and the long-poll queue.
#include "engine/dispatch/activity_dispatcher.h"

#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "storage/keys.h"

namespace stepwise::engine {

bool ActivityDispatcher::Takes(const ScheduleTaskCommand& command) const {
  return command.kind == TaskKind::kActivity;
}

bool ActivityDispatcher::Owns(const OpenTask& task) const { return !task.activity.empty(); }

std::shared_ptr<PollClaim> ActivityDispatcher::Schedule(const ScheduleTaskCommand& command,
                                                        OpenTask& task, PendingCommit& commit) {
  task.activity = command.resource;
  // A worker already waiting gets the task in this same commit
  // (ActivityStarted beside ActivityScheduled): one synced write instead of
  // two before it runs.
  if (commit.execution_running()) {
    if (std::shared_ptr<PollClaim> claim = queue_.TakePoller(task.activity)) return claim;
  }
  Requeue(task, commit);
  return nullptr;
}

// Puts a task not yet started in the task table and, once that is on disk,
// in the queue.
void ActivityDispatcher::Requeue(const OpenTask& task, PendingCommit& commit) {
  commit.Write({storage::Table::kTasks,
                storage::TaskKey(task.activity, commit.execution_id(), task.task_id),
                task.input});
  commit.AfterCommit([this, t = ActivityTask{task.activity, commit.execution_id(), task.task_id,
                                             task.attempt, task.input}]() mutable {
    queue_.Push(std::move(t));
  });
}

void ActivityDispatcher::Close(const OpenTask& task, PendingCommit& commit) {
  if (task.started) return;  // its row went when it was handed out
  commit.Write({storage::Table::kTasks,
                storage::TaskKey(task.activity, commit.execution_id(), task.task_id),
                std::nullopt});
  commit.AfterCommit([this, activity = task.activity, exec = commit.execution_id(),
                      id = task.task_id] { queue_.Remove(activity, exec, id); });
}

// Every row is a task not yet handed out; it goes back in the queue if its
// execution still waits for it. The attempt number is in the execution
// record; the worker's token is made at hand-out from it.
absl::Status ActivityDispatcher::Recover(storage::Store& store, TaskInputs& inputs) {
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                      store.Scan(storage::Table::kTasks, storage::ScanOptions{}));
  for (auto& kv : rows) {
    SW_ASSIGN_OR_RETURN(storage::TaskKeyParts p, storage::DecodeTaskKey(kv.key));
    std::string exec = p.execution_id;
    inputs.IfTaskWaiting(exec, p.task_id,
                         [this, activity = std::move(p.activity), exec, id = p.task_id,
                          input = std::move(kv.value)](const OpenTask& t) {
                           queue_.Push(ActivityTask{activity, exec, id, t.attempt, input});
                         });
  }
  return absl::OkStatus();
}

}  // namespace stepwise::engine
