// LambdaEndpointDispatcher: Lambda Tasks (a function ARN as Resource, or
// arn:aws:states:::lambda:invoke[.waitForTaskToken]) whose function is
// routed to a Lambda Invoke endpoint (LambdaInvoker::Routes): AWS Lambda
// itself or a Lambda-compatible server. It runs before the function queue
// dispatcher, which takes every Lambda Task this one declines.
// Durable through OutboundCallRows (outbound_call_rows.h): a row (kRowKey)
// with the scheduling commit, which also starts the task (its
// TimeoutSeconds counts from there); the Invoke call once that commit is
// on disk; the call again at Open while the task waits for it. So a
// function runs AT LEAST ONCE per attempt, as with AWS's own retries of an
// Invoke: a crash between the call and the commit of its result invokes
// the function again (with the same request id).
// Outcomes map to what AWS reports (LambdaOutcomeResult below); the task's
// TimeoutSeconds still ends it with States.Timeout through the engine's
// timers (a late answer is then ignored).
// Threads: Schedule/Close on the execution's shard; the invoker's `done`
// on its own thread, which only reports through TaskInputs.
#ifndef SW_ENGINE_DISPATCH_LAMBDA_ENDPOINT_DISPATCHER_H_
#define SW_ENGINE_DISPATCH_LAMBDA_ENDPOINT_DISPATCHER_H_

#include <memory>
#include <string>

#include "common/clock.h"
#include "engine/dispatch/lambda_function.h"
#include "engine/dispatch/lambda_invoker.h"
#include "engine/dispatch/outbound_call_rows.h"
#include "engine/dispatch/task_dispatcher.h"

namespace stepwise::engine {

// What the state sees of an Invoke `outcome` of `call` at `now`:
//  - no HTTP answer → Lambda.SdkClientException, cause the transport error;
//  - X-Amz-Function-Error → the function's errorType (LambdaFunctionError),
//    cause the body text;
//  - 2xx → the function's result (LambdaResult, with the status code for
//    Event's 202 and DryRun's 204);
//  - any other status → Lambda.<x-amzn-ErrorType> (else the body's
//    __type/code, else by status: 404 ResourceNotFoundException, 429
//    TooManyRequestsException, 5xx ServiceException, else
//    AWSLambdaException) with the cause the AWS SDK writes: "<Message>
//    (Service: AWSLambda; Status Code: N; Error Code: NAME; Request ID: ID;
//    Proxy: null)".
TaskResult LambdaOutcomeResult(const LambdaCall& call, const LambdaInvokeOutcome& outcome,
                               TimeMs now);

class LambdaEndpointDispatcher : public TaskDispatcher {
 public:
  static constexpr const char* kVia = "lambda-endpoint";
  // The task table's queue key of its rows (never an ARN or a function queue).
  static constexpr const char* kRowKey = "lambda:endpoint";
  // The Invoke deadline of a task without TimeoutSeconds: Lambda's longest
  // run (15 minutes) and a margin.
  static constexpr int64_t kDefaultInvokeTimeoutMs = 15 * 60 * 1000 + 30 * 1000;

  // `inputs`, `clock` and `invoker` outlive the dispatcher; `region` and
  // `account` complete bare function names.
  LambdaEndpointDispatcher(TaskInputs& inputs, const Clock* clock,
                           std::shared_ptr<LambdaInvoker> invoker, std::string region,
                           std::string account);
  // Later answers of calls still in flight are dropped.
  ~LambdaEndpointDispatcher() override;

  bool Takes(const ScheduleTaskCommand& command) const override;
  bool Owns(const OpenTask& task) const override { return task.via == kVia; }
  std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& command, OpenTask& task,
                                      PendingCommit& commit) override;
  void Requeue(const OpenTask& task, PendingCommit& commit) override;
  void Close(const OpenTask& task, PendingCommit& commit) override;
  absl::Status Recover(storage::Store& store, TaskInputs& inputs) override;

 private:
  // Invokes `call` for `execution`'s task `task_id` and reports the
  // outcome. Any thread.
  void Invoke(const std::string& execution, int64_t task_id, const LambdaCall& call,
              bool callback, int64_t timeout_seconds);

  const std::shared_ptr<OutboundCallRows::Answers> answers_;
  const OutboundCallRows rows_{kRowKey};
  const Clock* const clock_;
  const std::shared_ptr<LambdaInvoker> invoker_;
  const std::string region_;
  const std::string account_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_LAMBDA_ENDPOINT_DISPATCHER_H_
