// WorkerQueueRows: the durable side of a worker queue (activities and
// function queues alike). A task waiting for a worker has a row in the task
// table (storage/keys.h TaskKey: queue key, execution, task id) written in
// the commit that schedules it and deleted in the one that hands it out or
// closes it; the in-memory TaskQueue entry is pushed only once the row is
// on disk, and rebuilt from the rows at Open. Used by ActivityDispatcher
// and FunctionQueueDispatcher. Threads: as task_dispatcher.h says for the
// dispatcher calling it; the TaskQueue is thread-safe.
#ifndef SW_ENGINE_DISPATCH_WORKER_QUEUE_ROWS_H_
#define SW_ENGINE_DISPATCH_WORKER_QUEUE_ROWS_H_

#include <functional>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "engine/dispatch/task_dispatcher.h"
#include "engine/task_queue.h"

namespace stepwise::engine {

class WorkerQueueRows {
 public:
  // Task rows Recover reads from the store at a time.
  static constexpr size_t kRecoverPageRows = 1000;

  // `queue` outlives this.
  explicit WorkerQueueRows(TaskQueue& queue) : queue_(queue) {}

  // In the step that schedules `task` (its `queue` set): a worker already
  // waiting on that queue to start it in this same commit, or null after
  // putting the task in the table (and, once on disk, in the queue).
  std::shared_ptr<PollClaim> Schedule(const OpenTask& task, PendingCommit& commit);
  // Puts a task not yet started in the table and, once on disk, the queue.
  void Put(const OpenTask& task, PendingCommit& commit);
  // Deletes the row and queue entry of a task not started (no-op if started:
  // its row went when it was handed out).
  void Remove(const OpenTask& task, PendingCommit& commit);
  // At Open: every row whose queue key `mine` accepts goes back in the
  // queue if its execution still waits for it.
  absl::Status Recover(storage::Store& store, TaskInputs& inputs,
                       const std::function<bool(std::string_view queue_key)>& mine);

 private:
  TaskQueue& queue_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_WORKER_QUEUE_ROWS_H_
