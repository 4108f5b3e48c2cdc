// ServiceCallDispatcher: Tasks Stepwise calls out for itself, through one
// ServiceIntegration (service_integration.h): the HTTP Task, the optimized
// AWS integrations, aws-sdk:SERVICE:ACTION. One dispatcher per integration,
// plugged in by server/main.cc through EngineOptions::extra_dispatchers.
// Durable through OutboundCallRows (outbound_call_rows.h), as the Lambda
// endpoint route is: a row ("service:<name>" in the task table, the call's
// resource and region as details) with the scheduling commit, which also
// starts the task (TaskStarted beside TaskScheduled, so TimeoutSeconds
// counts from there); the call once that commit is on disk; the call again
// at Open while the task waits for it. So a call is made AT LEAST ONCE per
// attempt, with the same request id: a crash between the call and the
// commit of its outcome calls again. The task's TimeoutSeconds still ends
// it with States.Timeout through the engine's timers (a late answer is
// then ignored).
// Threads: Schedule/Requeue/Close on the execution's shard; Recover at
// Open; the integration's `done` on its own thread, which only reports
// through TaskInputs.
#ifndef SW_ENGINE_DISPATCH_SERVICE_CALL_DISPATCHER_H_
#define SW_ENGINE_DISPATCH_SERVICE_CALL_DISPATCHER_H_

#include <memory>
#include <string>
#include <string_view>

#include "engine/dispatch/outbound_call_rows.h"
#include "engine/dispatch/service_integration.h"
#include "engine/dispatch/task_dispatcher.h"

namespace stepwise::engine {

// The region a resource names (arn:aws:states:REGION:...), else "" (the
// optimized integrations' arn:aws:states:::...). Pure; any thread.
std::string ServiceCallRegion(std::string_view resource);

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
  const std::string& RowKey() const { return rows_.row_key(); }

  bool Takes(const ScheduleTaskCommand& command) const override;
  bool Refuses(const ScheduleTaskCommand& command) const override;
  bool Owns(const OpenTask& task) const override { return task.via == rows_.row_key(); }
  std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& command, OpenTask& task,
                                      PendingCommit& commit) override;
  void Requeue(const OpenTask& task, PendingCommit& commit) override;
  void Close(const OpenTask& task, PendingCommit& commit) override;
  absl::Status Recover(storage::Store& store, TaskInputs& inputs) override;

 private:
  // Calls `call` and reports its outcome. Any thread.
  void Call(ServiceCall call);
  // The call of open task `task` of `execution_arn`, from its details.
  absl::StatusOr<ServiceCall> CallOf(const std::string& execution_arn, const OpenTask& task) const;

  const std::shared_ptr<OutboundCallRows::Answers> answers_;
  const std::shared_ptr<ServiceIntegration> integration_;
  const std::string region_;
  const OutboundCallRows rows_;  // its key is also the tasks' "via"
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_SERVICE_CALL_DISPATCHER_H_
