// MockedTaskDispatcher: answers the Tasks a mock-config test case mocks
// (mock_config.h), whatever their kind: activities, Lambda functions and
// lambda:invoke, .sync, .waitForTaskToken, HTTP, AWS services, in both
// query languages. Registered first in TaskDispatch (engine.cc) when the
// engine has a MockConfig; it takes a command only when its execution runs
// a test case that maps the command's state to a mocked response, so
// everything else goes on to the real dispatchers (Step Functions Local's
// "hybrid" runs).
// The answer is the mocked response's entry for the command's invocation
// index (ScheduleTaskCommand::mock_invocation: the n-th schedule of that
// state in the execution, retries included): `Return` is the task's result
// (for lambda:invoke the whole Invoke response, as in Step Functions Local;
// for .waitForTaskToken the callback's answer, no token needed), `Throw`
// its failure {Error, Cause}. An index the response does not give fails
// the task with States.Runtime (Local fails the execution), as does a
// response name missing from the config after a restart.
// Durable as the outbound calls are (outbound_call_rows.h): a row and the
// task's start in the scheduling commit, so history shows the AWS-shaped
// events of the resource's kind (TaskScheduled/TaskStarted/TaskSucceeded,
// Activity*, LambdaFunction*); the answer once that commit is on disk; the
// answer again at Open for a task still open.
// Threads: Schedule/Requeue/Close on the execution's shard; Recover at Open.
#ifndef SW_ENGINE_MOCK_CONFIG_MOCKED_TASK_DISPATCHER_H_
#define SW_ENGINE_MOCK_CONFIG_MOCKED_TASK_DISPATCHER_H_

#include <memory>
#include <string>

#include "engine/dispatch/outbound_call_rows.h"
#include "engine/dispatch/task_dispatcher.h"
#include "engine/mock_config/mock_config.h"

namespace stepwise::engine {

class MockedTaskDispatcher : public TaskDispatcher {
 public:
  // The task table's queue key of mocked tasks' rows (also their "via").
  static constexpr const char* kRowKey = "mock";

  // `inputs` outlives the dispatcher.
  MockedTaskDispatcher(TaskInputs& inputs, std::shared_ptr<const MockConfig> config);
  ~MockedTaskDispatcher() override;

  bool Takes(const ScheduleTaskCommand& command) const override;
  bool Owns(const OpenTask& task) const override { return task.via == rows_.row_key(); }
  std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& command, OpenTask& task,
                                      PendingCommit& commit) override;
  void Requeue(const OpenTask& task, PendingCommit& commit) override;
  void Close(const OpenTask& task, PendingCommit& commit) override;
  absl::Status Recover(storage::Store& store, TaskInputs& inputs) override;

  // The outcome the mock gives open task `task` (from its details).
  TaskResult AnswerOf(const OpenTask& task) const;

 private:
  void Report(const std::string& execution, const OpenTask& task);

  const std::shared_ptr<OutboundCallRows::Answers> answers_;
  const std::shared_ptr<const MockConfig> config_;
  const OutboundCallRows rows_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_MOCK_CONFIG_MOCKED_TASK_DISPATCHER_H_
