// The Task dispatch seam: where a scheduled Task's work goes. The
// interpreter turns a Task state into a ScheduleTaskCommand; the step
// (engine/step.cc) asks TaskDispatch which TaskDispatcher takes it and lets
// that dispatcher hand the work over inside the commit that schedules it.
// The engine never branches on the kind of Task anywhere else: Lambda
// functions, nested executions, HTTP, AWS services and mocks are further
// TaskDispatcher implementations registered in TaskDispatch, beside the
// activity queue (activity_dispatcher.h) and the fallback that fails what
// nothing runs (unsupported_dispatcher.h).
//
// Rules every dispatcher keeps (DESIGN.md, "Task dispatch"):
//  - Nothing leaves before its commit: rows go into the step's commit
//    (PendingCommit::Write); anything others may see (a queue push, a
//    request, a worker's answer) runs from PendingCommit::AfterCommit.
//  - Outcomes come back as inputs (TaskInputs), never as direct writes.
// Threads: Schedule, Close and Answer run on the execution's shard (inside a step);
// AfterCommit work runs there too, once the commit is on disk. Recover runs
// once at Open, before any API call. TaskInputs may be called from any
// thread.
#ifndef SW_ENGINE_DISPATCH_TASK_DISPATCHER_H_
#define SW_ENGINE_DISPATCH_TASK_DISPATCHER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/api_types.h"
#include "engine/execution_record.h"
#include "engine/interpreter.h"
#include "engine/task_queue.h"
#include "storage/store.h"
#include "storage/transition.h"

namespace stepwise::engine {

// The commit a step is building, as a dispatcher sees it.
class PendingCommit {
 public:
  virtual ~PendingCommit() = default;
  virtual const std::string& execution_id() const = 0;
  // Whether the execution is still running after this step's decision.
  virtual bool execution_running() const = 0;
  // Adds a write to this step's transition: on disk with it, or not at all.
  virtual void Write(storage::Write w) = 0;
  // Runs `fn` on the execution's shard once this commit is on disk; never
  // when the commit fails.
  virtual void AfterCommit(std::function<void()> fn) = 0;
};

// The engine's inputs a dispatcher reports through. Any thread.
class TaskInputs {
 public:
  virtual ~TaskInputs() = default;
  // `task_id` of `execution` ended with `result` (a dispatcher's own
  // outcome): a new step on the execution's shard, which marks the task
  // started when it was not and completes it (Retry/Catch apply as for any
  // task result). Ignored when the task is no longer open.
  virtual void ReportTaskResult(const std::string& execution, int64_t task_id,
                                TaskResult result) = 0;
  // Runs `fn` on the execution's shard if `task_id` is still open there and
  // not started (recovery re-queues only such tasks).
  virtual void IfTaskWaiting(const std::string& execution, int64_t task_id,
                             std::function<void(const OpenTask&)> fn) = 0;
  // Runs `fn` on the execution's shard if `task_id` is still open there
  // (started or not, submitted or not).
  virtual void IfTaskOpen(const std::string& execution, int64_t task_id,
                          std::function<void(const OpenTask&)> fn) = 0;
  // The work of callback task `task_id` was handed over (TaskSubmitted with
  // `output`); it keeps waiting for its token. A new step on the shard;
  // ignored when the task is no longer open or already submitted.
  virtual void ReportTaskSubmitted(const std::string& execution, int64_t task_id,
                                   json::value output) = 0;

  // The engine's own API, for dispatchers whose work is an execution
  // (nested executions). `done` runs on any thread.
  virtual void StartExecution(const std::string& machine_arn, const std::string& name,
                              const std::string& input,
                              std::function<void(absl::StatusOr<StartExecutionResult>)> done) = 0;
  virtual void StopExecution(const std::string& arn, const std::string& error,
                             const std::string& cause,
                             std::function<void(absl::StatusOr<TimeMs>)> done) = 0;
  virtual absl::StatusOr<ExecutionDescription> DescribeExecution(const std::string& arn) = 0;
  // RedriveExecution of a closed unsuccessful execution (a Map Run's
  // redrive redrives its STANDARD children); `done` runs on any thread.
  virtual void RedriveExecution(const std::string& arn, const std::string& client_token,
                                std::function<void(absl::StatusOr<TimeMs>)> done) = 0;
};

// What a worker's answer to a task means (TaskDispatcher::Answer).
enum class AnswerUse {
  kComplete,  // the task completes with the (possibly reshaped) result
  kSubmit,    // TaskSubmitted with the result's output; the callback completes it
};

class TaskDispatcher {
 public:
  virtual ~TaskDispatcher() = default;
  // Whether this dispatcher does the work of `command` (its resource, and
  // the kind the interpreter parsed from it).
  virtual bool Takes(const ScheduleTaskCommand& command) const = 0;
  // Whether AWS refuses `command`'s resource, one this dispatcher takes, at
  // creation as not recognized, as far as the dispatcher knows (an aws-sdk
  // ACTION the service's SDK does not have). Validation refuses it.
  virtual bool Refuses(const ScheduleTaskCommand& command) const {
    (void)command;
    return false;
  }
  // Whether `task` (as the execution record keeps it) is this dispatcher's.
  virtual bool Owns(const OpenTask& task) const = 0;
  // In the step that schedules the task: hands `task` over (it may fill in
  // the record's fields it owns, e.g. the activity). Returns a waiting
  // worker to start the task in this same commit (ActivityStarted beside
  // ActivityScheduled), or null.
  virtual std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& command, OpenTask& task,
                                              PendingCommit& commit) = 0;
  // In a step: a worker returned by Schedule could not start `task` after
  // all; the task waits like any other.
  virtual void Requeue(const OpenTask& task, PendingCommit& commit) = 0;
  // In the step that closes `task` (result, timeout, cancellation, the
  // execution's end): undoes what Schedule wrote for a task not started.
  virtual void Close(const OpenTask& task, PendingCommit& commit) = 0;
  // At Open: rebuilds what the dispatcher keeps in memory from the store.
  virtual absl::Status Recover(storage::Store& store, TaskInputs& inputs) = 0;

  // A worker answered `task` with its hand-out token (SendTaskSuccess or
  // SendTaskFailure): reshapes `result` into what the state sees (e.g. the
  // lambda:invoke response around a function's return value) and says
  // whether it completes the task. On the execution's shard.
  virtual AnswerUse Answer(const std::string& execution_id, const OpenTask& task,
                           TaskResult& result) const {
    (void)execution_id;
    (void)task;
    (void)result;
    return AnswerUse::kComplete;
  }
  // Whether a worker's answer over the payload limit is the task's failure
  // (States.DataLimitExceeded, as a Lambda function's oversize result is)
  // rather than a refused call (InvalidOutput, as for activities). The
  // failure reaches Answer with an empty cause for the dispatcher to word.
  virtual bool OversizeAnswerFailsTask() const { return false; }
  // An execution closed (its closing commit is on disk). On that
  // execution's shard: keep it short, post work elsewhere.
  virtual void ExecutionClosed(const ExecutionDescription& closed) { (void)closed; }
  // Appends the executions whose ExecutionClosed this dispatcher waits for
  // (the children it started and still counts on). In cluster mode the
  // engine reads those another node runs from the store and calls
  // ExecutionClosed when they close (engine/remote_children.h). Any thread;
  // may block briefly.
  virtual void AwaitedExecutions(std::vector<std::string>& out) { (void)out; }
  // Cluster mode: this node no longer runs the executions `lost` says
  // (their shard went to another node). Forget, without writing, what is
  // kept in memory for tasks of theirs: the new owner's Recover takes over.
  // Any thread; `lost` may be called from any thread, later.
  virtual void ExecutionsLost(std::function<bool(const std::string& execution)> lost) {
    (void)lost;
  }
  // The engine is shutting down (first thing, shards still running): stop
  // and join any thread of the dispatcher's own. Any thread; once.
  virtual void Shutdown() {}
};

// The dispatchers in the order they are asked, and the fallback.
class TaskDispatch {
 public:
  // `dispatchers` are asked in order; `fallback` takes what none takes.
  TaskDispatch(std::vector<std::unique_ptr<TaskDispatcher>> dispatchers,
               std::unique_ptr<TaskDispatcher> fallback);

  TaskDispatcher& For(const ScheduleTaskCommand& command) const;
  // Whether a dispatcher other than the fallback takes `command` (the Task
  // runs rather than fails with States.TaskFailed).
  bool Runs(const ScheduleTaskCommand& command) const;
  // Whether the dispatcher taking `command` refuses it (Refuses above).
  bool Refuses(const ScheduleTaskCommand& command) const;
  // The dispatcher owning a scheduled task, or null (nothing to undo).
  TaskDispatcher* OwnerOf(const OpenTask& task) const;
  absl::Status Recover(storage::Store& store, TaskInputs& inputs) const;
  // Tells every dispatcher that an execution closed.
  void ExecutionClosed(const ExecutionDescription& closed) const;
  // Every dispatcher's AwaitedExecutions / ExecutionsLost.
  void AwaitedExecutions(std::vector<std::string>& out) const;
  void ExecutionsLost(const std::function<bool(const std::string& execution)>& lost) const;
  // Tells every dispatcher that the engine shuts down.
  void Shutdown() const;

 private:
  std::vector<std::unique_ptr<TaskDispatcher>> dispatchers_;
  std::unique_ptr<TaskDispatcher> fallback_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_TASK_DISPATCHER_H_
