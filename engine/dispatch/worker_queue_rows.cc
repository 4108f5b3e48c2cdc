// WorkerQueueRows (worker_queue_rows.h): task rows and queue entries.
#include "engine/dispatch/worker_queue_rows.h"

#include <string>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "storage/keys.h"

namespace stepwise::engine {

std::shared_ptr<PollClaim> WorkerQueueRows::Schedule(const OpenTask& task,
                                                     PendingCommit& commit) {
  // A worker already waiting gets the task in this same commit (started
  // beside scheduled): one synced write instead of two before it runs.
  if (commit.execution_running()) {
    if (std::shared_ptr<PollClaim> claim = queue_.TakePoller(task.queue)) return claim;
  }
  Put(task, commit);
  return nullptr;
}

void WorkerQueueRows::Put(const OpenTask& task, PendingCommit& commit) {
  commit.Write({storage::Table::kTasks,
                storage::TaskKey(task.queue, commit.execution_id(), task.task_id), task.input});
  commit.AfterCommit([this, t = ActivityTask{task.queue, commit.execution_id(), task.task_id,
                                             task.attempt}]() mutable {
    queue_.Push(std::move(t));
  });
}

void WorkerQueueRows::Remove(const OpenTask& task, PendingCommit& commit) {
  if (task.started) return;  // its row went when it was handed out
  commit.Write({storage::Table::kTasks,
                storage::TaskKey(task.queue, commit.execution_id(), task.task_id),
                std::nullopt});
  commit.AfterCommit([this, key = task.queue, exec = commit.execution_id(),
                      id = task.task_id] { queue_.Remove(key, exec, id); });
}

// Every row is a task not yet handed out. The attempt number is in the
// execution record; the worker's token is made at hand-out from it.
absl::Status WorkerQueueRows::Recover(
    storage::Store& store, TaskInputs& inputs,
    const std::function<bool(std::string_view queue_key)>& mine) {
  // Page by page: a million parked tasks must not be read into memory at once.
  storage::ScanOptions page;
  page.limit = kRecoverPageRows;
  while (true) {
    SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                        store.Scan(storage::Table::kTasks, page));
    for (auto& kv : rows) {
      SW_ASSIGN_OR_RETURN(storage::TaskKeyParts p, storage::DecodeTaskKey(kv.key));
      if (!mine(p.activity)) continue;
      std::string exec = p.execution_id;
      inputs.IfTaskWaiting(exec, p.task_id,
                           [this, key = std::move(p.activity), exec,
                            id = p.task_id](const OpenTask& t) {
                             queue_.Push(ActivityTask{key, exec, id, t.attempt});
                           });
    }
    if (rows.size() < page.limit) break;
    page.start_after = std::move(rows.back().key);
  }
  return absl::OkStatus();
}

}  // namespace stepwise::engine
