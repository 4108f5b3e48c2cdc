// ActivityDispatcher: Tasks whose resource is an activity ARN go to the
// activity queue (engine/task_queue.h), where workers long-poll for them
// (GetActivityTask); rows and queue entries as WorkerQueueRows keeps them.
// A worker already waiting is handed the task in the scheduling commit
// itself (Schedule returns its claim). Threads: as task_dispatcher.h says.
#ifndef SW_ENGINE_DISPATCH_ACTIVITY_DISPATCHER_H_
#define SW_ENGINE_DISPATCH_ACTIVITY_DISPATCHER_H_

#include <memory>

#include "engine/dispatch/task_dispatcher.h"
#include "engine/dispatch/worker_queue_rows.h"
#include "engine/task_queue.h"

namespace stepwise::engine {

class ActivityDispatcher : public TaskDispatcher {
 public:
  // `queue` outlives the dispatcher.
  explicit ActivityDispatcher(TaskQueue& queue) : rows_(queue) {}

  bool Takes(const ScheduleTaskCommand& command) const override;
  bool Owns(const OpenTask& task) const override;
  std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& command, OpenTask& task,
                                      PendingCommit& commit) override;
  void Requeue(const OpenTask& task, PendingCommit& commit) override;
  void Close(const OpenTask& task, PendingCommit& commit) override;
  absl::Status Recover(storage::Store& store, TaskInputs& inputs) override;

 private:
  WorkerQueueRows rows_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_ACTIVITY_DISPATCHER_H_
