// UnsupportedDispatcher: the fallback of TaskDispatch. A Task no other
// dispatcher takes fails, once its scheduling commit is on disk, with
// States.TaskFailed, as its own step, so Retry and Catch treat it like any
// task failure (the local runner answers such tasks the same way). Threads:
// as task_dispatcher.h says.
#ifndef SW_ENGINE_DISPATCH_UNSUPPORTED_DISPATCHER_H_
#define SW_ENGINE_DISPATCH_UNSUPPORTED_DISPATCHER_H_

#include <memory>
#include <string>
#include <string_view>

#include "engine/dispatch/task_dispatcher.h"

namespace stepwise::engine {

// The cause of the failure of a Task with `resource` that no dispatcher
// takes: what Stepwise runs and how to make the resource run. Also the
// text of validation's warning about such a Task. Pure: any thread.
std::string UnsupportedTaskCause(std::string_view resource);

class UnsupportedDispatcher : public TaskDispatcher {
 public:
  // `inputs` outlives the dispatcher.
  explicit UnsupportedDispatcher(TaskInputs& inputs) : inputs_(inputs) {}

  bool Takes(const ScheduleTaskCommand&) const override { return true; }
  bool Owns(const OpenTask&) const override { return false; }
  std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& command, OpenTask& task,
                                      PendingCommit& commit) override;
  void Requeue(const OpenTask&, PendingCommit&) override {}
  void Close(const OpenTask&, PendingCommit&) override {}
  absl::Status Recover(storage::Store&, TaskInputs&) override { return absl::OkStatus(); }

 private:
  TaskInputs& inputs_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_UNSUPPORTED_DISPATCHER_H_
