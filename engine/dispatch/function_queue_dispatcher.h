// FunctionQueueDispatcher: Lambda Tasks (a function ARN as Resource, or
// arn:aws:states:::lambda:invoke[.waitForTaskToken]) whose function runs on
// a Stepwise function queue: workers long-poll GetFunctionTask for a
// function name (`stepwise lambda-runtime`, `stepwise worker --function`,
// the C++ ActivityWorker) and answer with SendTaskSuccess/Failure. Durable
// like activity queues (WorkerQueueRows): the hand-out is committed before
// a worker sees it, one worker per attempt, TimeoutSeconds and
// HeartbeatSeconds run from the hand-out. The worker's answer is shaped as
// AWS shapes a Lambda answer (lambda_function.h); for .waitForTaskToken it
// only submits the task, the callback token completes it.
// It takes every Lambda Task the dispatchers before it (e.g. a Lambda
// Invoke endpoint route) did not take. Threads: as task_dispatcher.h says.
#ifndef SW_ENGINE_DISPATCH_FUNCTION_QUEUE_DISPATCHER_H_
#define SW_ENGINE_DISPATCH_FUNCTION_QUEUE_DISPATCHER_H_

#include <memory>
#include <string>

#include "common/clock.h"
#include "engine/dispatch/task_dispatcher.h"
#include "engine/dispatch/worker_queue_rows.h"

namespace stepwise::engine {

class FunctionQueueDispatcher : public TaskDispatcher {
 public:
  static constexpr const char* kVia = "function";

  // `queue`, `inputs` and `clock` outlive the dispatcher; `region` and `account`
  // complete bare function names.
  FunctionQueueDispatcher(TaskQueue& queue, TaskInputs& inputs, const Clock* clock,
                          std::string region, std::string account);

  bool Takes(const ScheduleTaskCommand& command) const override;
  bool Owns(const OpenTask& task) const override { return task.via == kVia; }
  std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& command, OpenTask& task,
                                      PendingCommit& commit) override;
  void Requeue(const OpenTask& task, PendingCommit& commit) override;
  void Close(const OpenTask& task, PendingCommit& commit) override;
  absl::Status Recover(storage::Store& store, TaskInputs& inputs) override;
  AnswerUse Answer(const std::string& execution_id, const OpenTask& task,
                   TaskResult& result) const override;
  bool OversizeAnswerFailsTask() const override { return true; }

 private:
  WorkerQueueRows rows_;
  TaskInputs& inputs_;
  const Clock* const clock_;
  const std::string region_;
  const std::string account_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_FUNCTION_QUEUE_DISPATCHER_H_
