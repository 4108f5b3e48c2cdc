// LambdaCall (lambda_function.h): reading Lambda Tasks and shaping their
// answers. Pure: any thread.
#include "engine/dispatch/lambda_function.h"


#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "common/strings.h"
#include "engine/arn.h"
#include "engine/dispatch/sdk_metadata.h"
#include "engine/task_resource.h"

namespace stepwise::engine {

namespace {

bool ValidQualifier(std::string_view q) {
  if (q.empty() || q.size() > 128) return false;
  if (q == "$LATEST") return true;
  for (char c : q) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

// Splits a FunctionName or function ARN (name, name:qualifier,
// ACCOUNT:function:name[:q], arn:aws:lambda:REGION:ACCOUNT:function:name[:q])
// into `call`. False when it is none of these.
bool SplitFunction(std::string_view text, std::string_view region, std::string_view account,
                   LambdaCall* call) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  std::string_view name;
  std::string_view qualifier;
  std::string reg(region);
  std::string acct(account);
  if (parts.size() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function") {
    if (parts.size() > 8) return false;
    reg = std::string(parts[3]);
    acct = std::string(parts[4]);
    name = parts[6];
    if (parts.size() == 8) qualifier = parts[7];
  } else if (parts.size() >= 3 && parts[1] == "function") {
    if (parts.size() > 4) return false;
    acct = std::string(parts[0]);
    name = parts[2];
    if (parts.size() == 4) qualifier = parts[3];
  } else if (parts.size() <= 2) {
    name = parts[0];
    if (parts.size() == 2) qualifier = parts[1];
  } else {
    return false;
  }
  if (!ValidFunctionName(name)) return false;
  if (parts.size() > 1 && !qualifier.empty() && !ValidQualifier(qualifier)) return false;
  if (reg.empty() || acct.empty()) return false;
  call->function_name = std::string(name);
  call->qualifier = qualifier == "$LATEST" ? "" : std::string(qualifier);
  call->region = reg;
  call->function_arn = absl::StrCat("arn:aws:lambda:", reg, ":", acct, ":function:", ToAbsl(name));
  if (!qualifier.empty()) absl::StrAppend(&call->function_arn, ":", ToAbsl(qualifier));
  return true;
}

std::string_view Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

}  // namespace

std::string LambdaRequestId(std::string_view execution_id, int64_t task_id) {
  return StableUuid(absl::StrCat(ToAbsl(execution_id), "#", task_id));
}

std::string FunctionQueueKey(std::string_view name) { return absl::StrCat("function:", ToAbsl(name)); }

bool ValidFunctionName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

bool IsLambdaTask(const ScheduleTaskCommand& command) {
  if (command.kind == TaskKind::kLambda) return true;
  TaskResource r = TaskResource::Parse(command.resource);
  return r.kind == TaskKind::kService && r.resource_type == "lambda" &&
         (r.resource_name == "invoke" || r.resource_name == "invoke.waitForTaskToken");
}

bool ReadLambdaCall(const ScheduleTaskCommand& command, std::string_view region,
                    std::string_view account, LambdaCall* call, TaskResult* failure) {
  call->state_name = command.state_name;
  if (command.kind == TaskKind::kLambda) {
    // The resource names the function; the effective input is the event.
    if (!SplitFunction(command.resource, region, account, call)) {
      *failure = TaskResult::Failed("States.Runtime",
                         absl::StrCat("Invalid Lambda function ARN: '", command.resource, "'"));
      return false;
    }
    call->payload = SerializeJson(command.input);
    return true;
  }
  call->invoke_api = true;
  if (!command.input.is_object()) {
    *failure = TaskResult::Failed("States.Runtime",
                       "The Parameters of lambda:invoke must be an object with FunctionName");
    return false;
  }
  const json::object& in = command.input.get_object();
  const json::value* fn = in.if_contains("FunctionName");
  if (fn == nullptr || !fn->is_string()) {
    *failure = TaskResult::Failed("Lambda.InvalidParameterValueException",
                       fn == nullptr ? "The field 'FunctionName' is required but was missing"
                                     : "The field 'FunctionName' must be a string");
    return false;
  }
  std::string_view function(fn->get_string());
  if (!SplitFunction(function, region, account, call)) {
    *failure = TaskResult::Failed(
        "Lambda.InvalidParameterValueException",
        absl::StrCat("1 validation error detected: Value '", ToAbsl(function),
                     "' at 'functionName' failed to satisfy constraint: Member must satisfy "
                     "regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-"
                     "[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|"
                     "[a-zA-Z0-9-_]+))?"));
    return false;
  }
  std::string_view qualifier = Str(in, "Qualifier");
  if (!qualifier.empty()) {
    if (!ValidQualifier(qualifier)) {
      *failure = TaskResult::Failed("Lambda.InvalidParameterValueException",
                         absl::StrCat("Invalid Qualifier: '", ToAbsl(qualifier), "'"));
      return false;
    }
    if (!call->qualifier.empty() && call->qualifier != qualifier) {
      *failure = TaskResult::Failed("Lambda.InvalidParameterValueException",
                         "The derived qualifier from the function name does not match the "
                         "specified qualifier.");
      return false;
    }
    if (call->qualifier.empty() && qualifier != "$LATEST") {
      call->qualifier = std::string(qualifier);
      absl::StrAppend(&call->function_arn, ":", ToAbsl(qualifier));
    }
  }
  std::string_view type = Str(in, "InvocationType");
  if (!type.empty()) {
    if (type != "RequestResponse" && type != "Event" && type != "DryRun") {
      *failure = TaskResult::Failed("Lambda.InvalidParameterValueException",
                         absl::StrCat("1 validation error detected: Value '", ToAbsl(type),
                                      "' at 'invocationType' failed to satisfy constraint: "
                                      "Member must satisfy enum value set: [Event, "
                                      "RequestResponse, DryRun]"));
      return false;
    }
    call->invocation_type = std::string(type);
  }
  call->client_context = std::string(Str(in, "ClientContext"));
  // Payload: absent or null sends {}; a string is sent as it is (it must
  // be JSON text); anything else as its JSON.
  const json::value* payload = in.if_contains("Payload");
  if (payload == nullptr || payload->is_null()) {
    call->payload = "{}";
  } else if (payload->is_string()) {
    call->payload = std::string(payload->get_string());
    if (!ParseJson(call->payload).ok()) {
      *failure = TaskResult::Failed("Lambda.InvalidRequestContentException",
                         "Could not parse request body into json: Could not parse payload "
                         "into json");
      return false;
    }
  } else {
    call->payload = SerializeJson(*payload);
  }
  return true;
}

std::string LambdaCall::ToDetails() const {
  json::object o;
  o["function_name"] = function_name;
  if (!qualifier.empty()) o["qualifier"] = qualifier;
  o["function_arn"] = function_arn;
  o["region"] = region;
  if (invocation_type != "RequestResponse") o["invocation_type"] = invocation_type;
  if (!client_context.empty()) o["client_context"] = client_context;
  if (invoke_api) o["invoke_api"] = true;
  o["state_name"] = state_name;
  o["request_id"] = request_id;
  return SerializeJson(json::value(std::move(o)));
}

absl::StatusOr<LambdaCall> LambdaCall::FromDetails(std::string_view details) {
  auto v = ParseJson(ToAbsl(details));
  if (!v.ok() || !v->is_object()) {
    return absl::DataLossError("stored Lambda task details are malformed");
  }
  const json::object& o = v->get_object();
  LambdaCall c;
  c.function_name = std::string(Str(o, "function_name"));
  c.qualifier = std::string(Str(o, "qualifier"));
  c.function_arn = std::string(Str(o, "function_arn"));
  c.region = std::string(Str(o, "region"));
  if (std::string_view t = Str(o, "invocation_type"); !t.empty()) c.invocation_type = t;
  c.client_context = std::string(Str(o, "client_context"));
  const json::value* api = o.if_contains("invoke_api");
  c.invoke_api = api != nullptr && api->is_bool() && api->get_bool();
  c.state_name = std::string(Str(o, "state_name"));
  c.request_id = std::string(Str(o, "request_id"));
  if (c.function_name.empty()) return absl::DataLossError("stored Lambda task has no function");
  return c;
}

json::value LambdaResult(const LambdaCall& call, std::string_view payload,
                         std::string_view request_id, TimeMs now, int status_code) {
  json::value body;
  if (!payload.empty()) {
    auto parsed = ParseJson(ToAbsl(payload));
    body = parsed.ok() ? *std::move(parsed) : json::value(json::string(payload));
  } else {
    body = json::string();
  }
  if (!call.invoke_api) return body;
  std::string version = call.qualifier.empty() ? "$LATEST" : call.qualifier;
  // X-Ray's form, Root=1-<8 hex>-<24 hex>, from the request id's digits.
  std::string hex;
  for (char c : request_id) {
    if (c != '-') hex.push_back(c);
  }
  hex.resize(32, '0');
  std::string trace = absl::StrCat("Root=1-", hex.substr(0, 8), "-", hex.substr(8, 24));
  std::vector<std::pair<std::string, std::string>> headers;
  if (status_code == 200) headers.emplace_back("X-Amz-Executed-Version", version);
  headers.emplace_back("x-amzn-Remapped-Content-Length", "0");
  headers.emplace_back("Connection", "keep-alive");
  headers.emplace_back("X-Amzn-Trace-Id", trace);
  headers.emplace_back("Content-Type", "application/json");
  json::object r;
  if (status_code == 200) r["ExecutedVersion"] = json::string(version);
  r["Payload"] = std::move(body);
  AddSdkMetadata(r, headers, request_id, payload.size(), now, status_code);
  r["StatusCode"] = status_code;
  return r;
}

FunctionTaskGrant FunctionGrantOf(const ActivityTaskGrant& grant) {
  FunctionTaskGrant f;
  if (grant.task_token.empty()) return f;
  f.task_token = grant.task_token;
  f.payload = grant.input;
  f.execution_arn = grant.execution_arn;
  f.deadline_ms = grant.deadline_ms;
  absl::StatusOr<LambdaCall> call = LambdaCall::FromDetails(grant.details);
  if (call.ok()) {
    f.request_id = call->request_id;
    f.function_arn = call->function_arn;
    f.qualifier = call->qualifier.empty() ? "$LATEST" : call->qualifier;
    f.client_context = call->client_context;
    f.state_name = call->state_name;
  }
  return f;
}

TaskResult LambdaAnswerFailure(const LambdaCall& call, std::string error, std::string cause) {
  if (error == asl::kStatesDataLimitExceeded && cause.empty()) {
    return TaskResult::Failed(std::move(error),
                   absl::StrCat("The state/task '", call.invoke_api ? "lambda" : call.function_arn,
                                "' returned a result with a size exceeding the maximum number "
                                "of bytes service limit."));
  }
  if (call.invoke_api && !cause.empty()) {
    if (auto v = ParseJson(cause); v.ok() && v->is_object()) cause = SerializeJson(*v);
  }
  return LambdaFunctionError(std::move(error), std::move(cause));
}

TaskResult LambdaFunctionError(std::string error_type, std::string cause) {
  if (error_type.empty()) {
    // AWS's words when a function failed without an error type.
    return TaskResult::Failed("Lambda.Unknown",
                   cause.empty() ? "The cause could not be determined because Lambda did not "
                                   "return an error type."
                                 : std::move(cause));
  }
  return TaskResult::Failed(std::move(error_type), std::move(cause));
}

}  // namespace stepwise::engine
