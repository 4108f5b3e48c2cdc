// LambdaEndpointDispatcher (lambda_endpoint_dispatcher.h): Lambda Tasks
// invoked through a LambdaInvoker after their scheduling commit, again at
// Open, with the outcome mapped as AWS reports it.
#include "engine/dispatch/lambda_endpoint_dispatcher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/task_resource.h"

namespace stepwise::engine {

namespace {

std::string StringField(const json::value& v, std::initializer_list<const char*> keys) {
  if (!v.is_object()) return "";
  for (const char* k : keys) {
    const json::value* f = v.get_object().if_contains(k);
    if (f != nullptr && f->is_string()) return std::string(f->get_string());
  }
  return "";
}

// The API error's name: x-amzn-ErrorType (without its ":<namespace>"
// tail), the body's __type/code (without a "<namespace>#" head), or what
// the status code means.
std::string ErrorName(const LambdaInvokeOutcome& o, const json::value& body) {
  std::string name = o.error_type;
  if (size_t colon = name.find(':'); colon != std::string::npos) name.resize(colon);
  if (name.empty()) {
    name = StringField(body, {"__type", "code", "Code"});
    if (size_t hash = name.rfind('#'); hash != std::string::npos) name.erase(0, hash + 1);
  }
  if (!name.empty()) return name;
  if (o.status == 404) return "ResourceNotFoundException";
  if (o.status == 429) return "TooManyRequestsException";
  if (o.status >= 500) return "ServiceException";
  return "AWSLambdaException";
}

json::value ParsedOrNull(const std::string& text) {
  auto v = ParseJson(text);
  return v.ok() ? *std::move(v) : json::value();
}

}  // namespace

TaskResult LambdaOutcomeResult(const LambdaCall& call, const LambdaInvokeOutcome& o,
                               TimeMs now) {
  if (o.transport_failed) {
    return TaskResult::Failed("Lambda.SdkClientException", o.transport_error);
  }
  const std::string& request_id = o.request_id.empty() ? call.request_id : o.request_id;
  if (o.status >= 200 && o.status < 300) {
    if (!o.function_error.empty()) {
      // The function failed: its errorType, and its error document as cause.
      json::value body = ParsedOrNull(o.body);
      return LambdaFunctionError(StringField(body, {"errorType"}), o.body);
    }
    TaskResult r;
    r.output = LambdaResult(call, o.body, request_id, now, o.status);
    if (call.invoke_api && o.status == 200 && !o.executed_version.empty() &&
        r.output.is_object()) {
      // The version that ran (an alias resolves to a number).
      json::object& out = r.output.get_object();
      out["ExecutedVersion"] = o.executed_version;
      json::value* http = out.if_contains("SdkHttpMetadata");
      if (http != nullptr && http->is_object()) {
        json::object& h = http->get_object();
        if (json::value* one = h.if_contains("HttpHeaders"); one != nullptr && one->is_object()) {
          one->get_object()["X-Amz-Executed-Version"] = o.executed_version;
        }
        if (json::value* all = h.if_contains("AllHttpHeaders");
            all != nullptr && all->is_object()) {
          json::array a;
          a.emplace_back(json::string(o.executed_version));
          all->get_object()["X-Amz-Executed-Version"] = std::move(a);
        }
      }
    }
    return r;
  }
  json::value body = ParsedOrNull(o.body);
  std::string name = ErrorName(o, body);
  std::string message = StringField(body, {"Message", "message", "errorMessage"});
  if (message.empty() && !body.is_object()) message = o.body;
  if (message.empty() && name == "ResourceNotFoundException") {
    message = absl::StrCat("Function not found: ", call.function_arn,
                           call.qualifier.empty() ? ":$LATEST" : "");
  }
  return TaskResult::Failed(absl::StrCat("Lambda.", name),
                 absl::StrCat(message, " (Service: AWSLambda; Status Code: ", o.status,
                              "; Error Code: ", name, "; Request ID: ", request_id,
                              "; Proxy: null)"));
}

LambdaEndpointDispatcher::LambdaEndpointDispatcher(TaskInputs& inputs, const Clock* clock,
                                                   std::shared_ptr<LambdaInvoker> invoker,
                                                   std::string region, std::string account)
    : answers_(std::make_shared<OutboundCallRows::Answers>(inputs)),
      clock_(clock),
      invoker_(std::move(invoker)),
      region_(std::move(region)),
      account_(std::move(account)) {}

LambdaEndpointDispatcher::~LambdaEndpointDispatcher() { answers_->Close(); }

bool LambdaEndpointDispatcher::Takes(const ScheduleTaskCommand& command) const {
  if (!IsLambdaTask(command)) return false;
  LambdaCall call;
  TaskResult failure;
  // A call that cannot be read is the function queue's to fail, with the
  // same words.
  if (!ReadLambdaCall(command, region_, account_, &call, &failure)) return false;
  return invoker_->Routes(call.function_name);
}

std::shared_ptr<PollClaim> LambdaEndpointDispatcher::Schedule(const ScheduleTaskCommand& command,
                                                              OpenTask& task,
                                                              PendingCommit& commit) {
  task.via = kVia;
  LambdaCall call;
  TaskResult failure;
  const std::string& execution = commit.execution_id();
  int64_t task_id = task.task_id;
  if (!ReadLambdaCall(command, region_, account_, &call, &failure)) {
    commit.AfterCommit([answers = answers_, execution, task_id, r = std::move(failure)]() mutable {
      answers->Report(execution, task_id, false, std::move(r));
    });
    return nullptr;
  }
  call.request_id = LambdaRequestId(execution, task_id);
  task.input = call.payload;
  task.callback = TaskResource::Parse(command.resource).wait_for_task_token;
  task.details = call.ToDetails();
  // Started in this same commit (LambdaFunctionStarted beside
  // LambdaFunctionScheduled), so TimeoutSeconds counts from now; the
  // function is invoked once the commit is on disk.
  return rows_.Schedule(task, commit,
                        [this, execution, task_id, call = std::move(call),
                         callback = task.callback, timeout = task.timeout_seconds] {
                          Invoke(execution, task_id, call, callback, timeout);
                        });
}

void LambdaEndpointDispatcher::Requeue(const OpenTask& task, PendingCommit& commit) {
  absl::StatusOr<LambdaCall> call = LambdaCall::FromDetails(task.details);
  if (!call.ok()) return;
  call->payload = task.input;
  commit.AfterCommit([this, execution = commit.execution_id(), task_id = task.task_id,
                      call = *std::move(call), callback = task.callback,
                      timeout = task.timeout_seconds] {
    Invoke(execution, task_id, call, callback, timeout);
  });
}

void LambdaEndpointDispatcher::Invoke(const std::string& execution, int64_t task_id,
                                      const LambdaCall& call, bool callback,
                                      int64_t timeout_seconds) {
  int64_t timeout_ms =
      timeout_seconds > 0 ? timeout_seconds * 1000 + 1000 : kDefaultInvokeTimeoutMs;
  invoker_->Invoke(call, timeout_ms,
                   [answers = answers_, clock = clock_, execution, task_id, call,
                    callback](LambdaInvokeOutcome outcome) {
                     answers->Report(execution, task_id, callback,
                                     LambdaOutcomeResult(call, outcome, clock->NowMs()));
                   });
}

void LambdaEndpointDispatcher::Close(const OpenTask& task, PendingCommit& commit) {
  rows_.Close(task, commit);
}

absl::Status LambdaEndpointDispatcher::Recover(storage::Store& store, TaskInputs& inputs) {
  return rows_.Recover(store, inputs, [this](const std::string& execution, const OpenTask& t) {
    absl::StatusOr<LambdaCall> call = LambdaCall::FromDetails(t.details);
    if (!call.ok()) {
      answers_->Report(execution, t.task_id, false,
                       TaskResult::Failed("States.Runtime", std::string(call.status().message())));
      return;
    }
    call->payload = t.input;
    Invoke(execution, t.task_id, *call, t.callback, t.timeout_seconds);
  });
}

}  // namespace stepwise::engine
