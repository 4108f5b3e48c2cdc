// LambdaCall: what a Lambda Task invokes and how the answer reads, for both
// forms AWS accepts: the function ARN as Resource (the state's effective
// input is the event; the result is the function's return value) and
// arn:aws:states:::lambda:invoke[.waitForTaskToken] (FunctionName,
// Payload, Qualifier, InvocationType, ClientContext; the result is the
// Invoke response AWS records: ExecutedVersion, Payload, SdkHttpMetadata,
// SdkResponseMetadata, StatusCode). Every route a function can take (a
// Stepwise function queue, a Lambda Invoke endpoint) reads calls and shapes
// answers here. Pure functions on values: any thread.
#ifndef SW_ENGINE_DISPATCH_LAMBDA_FUNCTION_H_
#define SW_ENGINE_DISPATCH_LAMBDA_FUNCTION_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/json.h"
#include "engine/api_types.h"
#include "engine/interpreter.h"

namespace stepwise::engine {

// The key of function `name`'s queue in the TaskQueue and the task table.
// Not an ARN, so it never meets an activity's key.
std::string FunctionQueueKey(std::string_view name);
// Lambda's function name rule: 1-64 of letters, digits, '-' and '_'.
bool ValidFunctionName(std::string_view name);

struct LambdaCall {
  std::string function_name;  // the name alone
  std::string qualifier;      // version or alias; "" for $LATEST
  std::string function_arn;   // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
  std::string region;
  std::string payload;  // the event, JSON text
  std::string invocation_type = "RequestResponse";  // | Event | DryRun
  std::string client_context;  // base64, as given
  bool invoke_api = false;     // lambda:invoke: the answer is wrapped
  std::string state_name;
  // The attempt's request id (Lambda-Runtime-Aws-Request-Id, x-amzn-RequestId):
  // a UUID made from the execution and task id, so each attempt has its own.
  std::string request_id;

  // As OpenTask::details keeps it, and back.
  std::string ToDetails() const;
  static absl::StatusOr<LambdaCall> FromDetails(std::string_view details);
};

// Reads the call a Task makes into `call`: `command.resource` is a
// function ARN or lambda:invoke, `command.input` the effective input.
// `region` and `account` fill in a bare function name. False when the input
// cannot make a call; `failure` is then the task failure AWS reports.
bool ReadLambdaCall(const ScheduleTaskCommand& command, std::string_view region,
                    std::string_view account, LambdaCall* call, TaskResult* failure);

// The request id of task `task_id` of `execution_id` (see LambdaCall).
std::string LambdaRequestId(std::string_view execution_id, int64_t task_id);

// Whether `command` is a Lambda Task (either form).
bool IsLambdaTask(const ScheduleTaskCommand& command);

// The function's return value (`payload`, the raw response body) as the
// state sees it: parsed JSON (a body that is not JSON stays a string),
// wrapped in the Invoke response for lambda:invoke. `status_code` is 200
// for RequestResponse, 202 for Event and 204 for DryRun.
json::value LambdaResult(const LambdaCall& call, std::string_view payload,
                         std::string_view request_id, TimeMs now, int status_code = 200);

// What a worker polling a function queue gets for the hand-out `grant`
// (an empty grant stays empty).
FunctionTaskGrant FunctionGrantOf(const ActivityTaskGrant& grant);

// A function error as AWS reports it: error = the function's errorType
// (Lambda.Unknown when it gave none), cause = its error JSON text.
TaskResult LambdaFunctionError(std::string error_type, std::string cause);

// A worker's failure answer for `call` as the state sees it: the function
// error above (lambda:invoke rewrites a JSON cause compactly, as AWS's SDK
// does; the function ARN form keeps the text as sent), or, for an answer
// over the payload limit (States.DataLimitExceeded, no cause), AWS's words
// naming the function ARN (or 'lambda' for lambda:invoke).
TaskResult LambdaAnswerFailure(const LambdaCall& call, std::string error, std::string cause);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_LAMBDA_FUNCTION_H_
