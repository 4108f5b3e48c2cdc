// ActivityDispatcher: Tasks whose resource is an activity ARN go to the
// activity queue (engine/task_queue.h), where workers long-poll for them
// (GetActivityTask). The task row (storage/keys.h TaskKey) is written in
// the commit that schedules the task and deleted in the one that starts or
// closes it; the queue is pushed only after the row is on disk and rebuilt
// from the rows at Open. A worker already waiting is handed the task in the
// scheduling commit itself (Schedule returns its claim). Threads: as
// task_dispatcher.h says; the TaskQueue is thread-safe.
#ifndef SW_ENGINE_DISPATCH_ACTIVITY_DISPATCHER_H_
#define SW_ENGINE_DISPATCH_ACTIVITY_DISPATCHER_H_

#include <memory>

#include "engine/dispatch/task_dispatcher.h"
#include "engine/task_queue.h"

namespace stepwise::engine {

class ActivityDispatcher : public TaskDispatcher {
 public:
  // `queue` outlives the dispatcher.
  explicit ActivityDispatcher(TaskQueue& queue) : queue_(queue) {}

  bool Takes(const ScheduleTaskCommand& command) const override;
  bool Owns(const OpenTask& task) const override;
  std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& command, OpenTask& task,
                                      PendingCommit& commit) override;
  void Requeue(const OpenTask& task, PendingCommit& commit) override;
  void Close(const OpenTask& task, PendingCommit& commit) override;
  absl::Status Recover(storage::Store& store, TaskInputs& inputs) override;

 private:
  TaskQueue& queue_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_ACTIVITY_DISPATCHER_H_
