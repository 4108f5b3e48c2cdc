// ServiceCallDispatcher: Tasks Stepwise calls out for itself, through one
// ServiceIntegration (service_integration.h): the HTTP Task, the optimized
// AWS integrations, aws-sdk:SERVICE:ACTION. One dispatcher per integration,
// plugged in by server/main.cc through EngineOptions::extra_dispatchers.
// Durable, the way LambdaEndpointDispatcher is: the commit that schedules
// the task writes a row ("service:<name>" in the task table, the call's
// resource and region as details) and starts the task (TaskStarted beside
// TaskScheduled, so TimeoutSeconds counts from there); the call is made
// once that commit is on disk; at Open every row whose task is still open
// (and, for .waitForTaskToken, not yet submitted) is called again. So a
// call is made AT LEAST ONCE per attempt, with the same request id: a
// crash between the call and the commit of its outcome calls again. The
// row goes in the commit that closes the task. The task's TimeoutSeconds
// still ends it with States.Timeout through the engine's timers (a late
// answer is then ignored).
// Threads: Schedule/Requeue/Close on the execution's shard; Recover at
// Open; the integration's `done` on its own thread, which only reports
// through TaskInputs.
#ifndef SW_ENGINE_DISPATCH_SERVICE_CALL_DISPATCHER_H_
#define SW_ENGINE_DISPATCH_SERVICE_CALL_DISPATCHER_H_

#include <memory>
#include <mutex>
#include <string>

#include "engine/dispatch/service_integration.h"
#include "engine/dispatch/task_dispatcher.h"

namespace stepwise::engine {

class ServiceCallDispatcher : public TaskDispatcher {
 public:
  // The call deadline of a task without TimeoutSeconds.
  static constexpr int64_t kDefaultCallTimeoutMs = 60 * 1000;

  // `inputs` outlives the dispatcher; `region` is the server's, for
  // resources that name none.
  ServiceCallDispatcher(TaskInputs& inputs, std::shared_ptr<ServiceIntegration> integration,
                        std::string region);
  // Later outcomes of calls still in flight are dropped.
  ~ServiceCallDispatcher() override;

  // The task table's queue key of this integration's rows.
  std::string RowKey() const;

  bool Takes(const ScheduleTaskCommand& command) const override;
  bool Owns(const OpenTask& task) const override { return task.via == via_; }
  std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& command, OpenTask& task,
                                      PendingCommit& commit) override;
  void Requeue(const OpenTask& task, PendingCommit& commit) override;
  void Close(const OpenTask& task, PendingCommit& commit) override;
  absl::Status Recover(storage::Store& store, TaskInputs& inputs) override;

 private:
  // Calls `call` and reports its outcome (TaskSubmitted first for a
  // .waitForTaskToken success). Any thread.
  void Call(ServiceCall call);
  // The call of open task `task` of `execution_arn`, from its details.
  absl::StatusOr<ServiceCall> CallOf(const std::string& execution_arn, const OpenTask& task) const;

  struct Alive {
    std::mutex mu;
    bool open = true;
  };

  const std::shared_ptr<Alive> alive_ = std::make_shared<Alive>();
  TaskInputs& inputs_;
  const std::shared_ptr<ServiceIntegration> integration_;
  const std::string region_;
  const std::string via_;  // "service:<name>"
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_SERVICE_CALL_DISPATCHER_H_
