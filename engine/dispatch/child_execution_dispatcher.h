// ChildExecutionDispatcher: nested executions,
// arn:aws:states:::states:startExecution with the four patterns AWS offers:
// request-response (the Task ends with {ExecutionArn, StartDate}), .sync
// (waits for the child; the result is DescribeExecution's shape with Input
// and Output as JSON text), .sync:2 (the same with Input and Output as
// JSON) and .waitForTaskToken (the child gets $$.Task.Token in its input
// and a SendTask* call ends the parent's Task).
// Exactly once: the child's name is fixed in the commit that schedules the
// attempt (the Task's Name, or a UUID made from the parent and the task
// id), with a row in the task table naming it; the child is started after
// that commit, again at Open for every row whose task is still open, and a
// start that finds the child already there adopts it (same machine and
// input) instead of starting another.
// A .sync parent learns of its child's end from ExecutionClosed (or, when
// the child ended while the server was down, from the adoption at Open);
// a .sync Task that closes before its child (the parent stopped, timed out
// or failed elsewhere) stops the child, as AWS does for a job it runs: the
// closing commit replaces the child's row with a stop row, the stop is
// sent after it, and the row is deleted (a direct synced write) once the
// child is no longer running; a stop row found at Open is sent again.
// Threads: Schedule/Close/Answer on the parent's shard, ExecutionClosed on
// the child's; the table of children waited for is under a mutex.
#ifndef SW_ENGINE_DISPATCH_CHILD_EXECUTION_DISPATCHER_H_
#define SW_ENGINE_DISPATCH_CHILD_EXECUTION_DISPATCHER_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/dispatch/task_dispatcher.h"

namespace stepwise::engine {

class ChildExecutionDispatcher : public TaskDispatcher {
 public:
  static constexpr const char* kVia = "execution";
  // The task table's queue key of child rows (never an ARN or a function).
  static constexpr const char* kRowKey = "states:startExecution";

  // The task table's queue key of a child to stop (its parent's task ended).
  static constexpr const char* kStopRowKey = "states:stopExecution";

  // `inputs` and `store` outlive the dispatcher.
  ChildExecutionDispatcher(TaskInputs& inputs, storage::Store& store)
      : inputs_(inputs), store_(store) {}

  bool Takes(const ScheduleTaskCommand& command) const override;
  bool Owns(const OpenTask& task) const override { return task.via == kVia; }
  std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& command, OpenTask& task,
                                      PendingCommit& commit) override;
  void Requeue(const OpenTask& task, PendingCommit& commit) override { (void)task, (void)commit; }
  void Close(const OpenTask& task, PendingCommit& commit) override;
  absl::Status Recover(storage::Store& store, TaskInputs& inputs) override;
  void ExecutionClosed(const ExecutionDescription& closed) override;
  // The children of .sync tasks.
  void AwaitedExecutions(std::vector<std::string>& out) override;
  void ExecutionsLost(std::function<bool(const std::string& execution)> lost) override;

 private:
  // What the parent's task waits for, by child ARN.
  struct Waiter {
    std::string parent;
    int64_t task_id = 0;
    std::string mode;  // "", "sync", "sync:2", "callback"
    bool submitted = false;  // TaskSubmitted reported
    std::optional<TaskResult> result;  // the child ended before that
  };
  struct Child;  // the task's details (child_execution_dispatcher.cc)

  // Starts (or adopts) the child of `parent`'s task `task_id`. Any thread.
  void Start(const std::string& parent, int64_t task_id, const std::string& details);
  // The child's start is known (`start_date`): report it to the parent.
  void Started(const std::string& child_arn, TimeMs start_date);
  // The child ended as `closed` says: report it to a .sync parent.
  void Ended(const ExecutionDescription& closed);
  // Stops `child` (its parent's task ended) and then deletes the stop row
  // `row_key`. Any thread.
  void StopChild(const std::string& child, const std::string& parent,
                 const std::string& row_key);

  TaskInputs& inputs_;
  storage::Store& store_;  // thread-safe
  std::mutex mu_;
  std::map<std::string, Waiter> waiting_;  // under mu_, by child ARN
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_CHILD_EXECUTION_DISPATCHER_H_
