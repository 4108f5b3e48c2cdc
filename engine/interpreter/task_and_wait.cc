// The states that wait for the world: Task (its effective input, the
// attempt it schedules with timeout and heartbeat, the worker's start and
// result) and Wait (the timer it arms and what happens when it fires), in
// both query languages. The Task resource is read only through
// TaskResource. Runs on whichever thread calls the Interpreter; pure: no
// I/O, no locks.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/interpreter/event_details.h"
#include "engine/interpreter/run.h"
#include "engine/task_resource.h"

namespace stepwise::engine {

using interpreter::PayloadDetails;
using interpreter::Str;

namespace {

// The region of an execution ARN: arn:aws:states:<region>:...
std::string RegionOf(const std::string& arn) {
  size_t a = arn.find(':', arn.find(':', arn.find(':') + 1) + 1);
  if (a == std::string::npos) return "";
  size_t b = arn.find(':', a + 1);
  return arn.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
}

}  // namespace

// ---- Task -------------------------------------------------------------------

absl::Status Interpreter::Run::RunTask(Frame& f, const State& s) {
  if (s.jsonata) {
    f.effective = f.input;
    if (s.arguments.has_value()) {
      SW_ASSIGN_OR_RETURN(f.effective, s.arguments->Evaluate(Bindings(f, s), "Arguments"));
    }
    return ScheduleAttempt(f, s);
  }
  SW_ASSIGN_OR_RETURN(json::value eff, SelectPath(s.input_path, f.input, f, s));
  if (s.parameters.has_value()) {
    SW_ASSIGN_OR_RETURN(eff, ApplyTemplate(*s.parameters, eff, f, s));
  }
  f.effective = std::move(eff);
  return ScheduleAttempt(f, s);
}

absl::Status Interpreter::Run::ScheduleAttempt(Frame& f, const State& s) {
  TaskResource resource = TaskResource::Parse(s.resource);
  ScheduleTaskCommand cmd;
  cmd.kind = resource.kind;
  cmd.state_name = s.name;
  cmd.resource = s.resource;
  cmd.input = f.effective;
  cmd.attempt = static_cast<int>(f.retry_count);
  std::optional<int64_t> timeout = s.timeout_seconds;
  std::optional<int64_t> heartbeat = s.heartbeat_seconds;
  if (s.timeout_seconds_path.has_value()) {
    SW_ASSIGN_OR_RETURN(timeout, IntFromPath(f, s, f.input, *s.timeout_seconds_path));
  }
  if (s.heartbeat_seconds_path.has_value()) {
    SW_ASSIGN_OR_RETURN(heartbeat, IntFromPath(f, s, f.input, *s.heartbeat_seconds_path));
  }
  if (s.timeout_seconds_expr.has_value()) {
    SW_ASSIGN_OR_RETURN(timeout, JsonataInt(f, s, *s.timeout_seconds_expr, "TimeoutSeconds", 1));
  }
  if (s.heartbeat_seconds_expr.has_value()) {
    SW_ASSIGN_OR_RETURN(heartbeat,
                        JsonataInt(f, s, *s.heartbeat_seconds_expr, "HeartbeatSeconds", 1));
  }
  cmd.timeout_seconds = timeout.value_or(0);
  cmd.heartbeat_seconds = heartbeat.value_or(0);
  json::object d;
  switch (resource.kind) {
    case TaskKind::kActivity:
      d = PayloadDetails("input", f.effective);
      d["resource"] = Str(resource.arn);
      if (timeout) d["timeoutInSeconds"] = *timeout;
      if (heartbeat) d["heartbeatInSeconds"] = *heartbeat;
      EmitFrame(f, "ActivityScheduled", std::move(d));
      break;
    case TaskKind::kLambda:
      d = PayloadDetails("input", f.effective);
      d["resource"] = Str(resource.arn);
      if (timeout) d["timeoutInSeconds"] = *timeout;
      EmitFrame(f, "LambdaFunctionScheduled", std::move(d));
      break;
    case TaskKind::kService:
      d["resourceType"] = Str(resource.resource_type);
      d["resource"] = Str(resource.resource_name);
      d["region"] = Str(RegionOf(st_.info.execution_arn));
      d["parameters"] = Str(SerializeJson(f.effective));
      if (timeout) d["timeoutInSeconds"] = *timeout;
      if (heartbeat) d["heartbeatInSeconds"] = *heartbeat;
      EmitFrame(f, "TaskScheduled", std::move(d));
      break;
  }
  if (st_.status != ExecutionStatus::kRunning) return absl::OkStatus();
  cmd.task_id = st_.next_task_id++;
  if (!st_.info.test_case.empty()) {
    cmd.test_case = st_.info.test_case;
    cmd.state_machine_name = st_.info.state_machine_name;
    cmd.mock_invocation = st_.info.mock_invocations[s.name]++;
  }
  f.task_id = cmd.task_id;
  f.task_started = false;
  f.phase = Frame::Phase::kAwaitTask;
  out_.schedule_tasks.push_back(std::move(cmd));
  return absl::OkStatus();
}

absl::Status Interpreter::Run::TaskStarted(int64_t task_id, const std::string& worker) {
  Frame* f = FindTaskFrame(task_id);
  if (f == nullptr || f->task_started) {
    return absl::FailedPreconditionError(
        absl::StrCat("task ", task_id, " is not waiting to start"));
  }
  f->task_started = true;
  if (StateOf(*f).type == asl::StateType::kMap) return absl::OkStatus();  // a Map Run
  TaskResource resource = TaskResource::Parse(StateOf(*f).resource);
  switch (resource.kind) {
    case TaskKind::kActivity: {
      json::object d;
      d["workerName"] = Str(worker);
      EmitFrame(*f, "ActivityStarted", std::move(d));
      break;
    }
    case TaskKind::kLambda:
      EmitFrame(*f, "LambdaFunctionStarted", {});
      break;
    case TaskKind::kService: {
      json::object d;
      d["resourceType"] = Str(resource.resource_type);
      d["resource"] = Str(resource.resource_name);
      EmitFrame(*f, "TaskStarted", std::move(d));
      break;
    }
  }
  return absl::OkStatus();
}

absl::Status Interpreter::Run::TaskSubmitted(int64_t task_id, const json::value& output) {
  Frame* f = FindTaskFrame(task_id);
  if (f == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("task ", task_id, " is not pending"));
  }
  if (!f->task_started) SW_RETURN_IF_ERROR(TaskStarted(task_id, ""));
  TaskResource resource = TaskResource::Parse(StateOf(*f).resource);
  json::object d = PayloadDetails("output", output);
  d["resourceType"] = Str(resource.resource_type);
  d["resource"] = Str(resource.resource_name);
  EmitFrame(*f, "TaskSubmitted", std::move(d));
  return absl::OkStatus();
}

absl::Status Interpreter::Run::CompleteTask(int64_t task_id, const TaskResult& r) {
  Frame* f = FindTaskFrame(task_id);
  if (f == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("task ", task_id, " is not pending"));
  }
  if (!f->task_started) SW_RETURN_IF_ERROR(TaskStarted(task_id, ""));
  if (StateOf(*f).type == asl::StateType::kMap) {  // map_run_request.cc
    CompleteMapRun(*f, r);
    return absl::OkStatus();
  }
  TaskResource resource = TaskResource::Parse(StateOf(*f).resource);
  TaskKind kind = resource.kind;
  f->task_id = 0;
  f->task_started = false;
  TaskResult oversize;
  if (r.kind == TaskResult::Kind::kSucceeded &&
      SerializeJson(r.output).size() > in_.options_.max_payload_bytes) {
    // AWS reports an oversize result as a (catchable) task failure.
    oversize.kind = TaskResult::Kind::kFailed;
    oversize.error = std::string(asl::kStatesDataLimitExceeded);
    oversize.cause = absl::StrCat(
        "The state/task '",
        ToAbsl(kind == TaskKind::kService ? resource.resource_type : resource.arn),
        "' returned a result with a size exceeding the maximum number of bytes "
        "service limit.");
  }
  const TaskResult& res = oversize.error.empty() ? r : oversize;
  if (res.kind == TaskResult::Kind::kSucceeded) {
    json::object d = PayloadDetails("output", r.output);
    const char* type = "TaskSucceeded";
    if (kind == TaskKind::kActivity) {
      type = "ActivitySucceeded";
    } else if (kind == TaskKind::kLambda) {
      type = "LambdaFunctionSucceeded";
    } else {
      d["resourceType"] = Str(resource.resource_type);
      d["resource"] = Str(resource.resource_name);
    }
    EmitFrame(*f, type, std::move(d));
    FinishWithResult(*f, r.output);
  } else {
    bool timeout = res.kind == TaskResult::Kind::kTimedOut;
    std::string error = timeout ? std::string(asl::kStatesTimeout) : res.error;
    std::string cause = timeout ? "" : res.cause;
    json::object d;
    if (kind == TaskKind::kService) {
      d["resourceType"] = Str(resource.resource_type);
      d["resource"] = Str(resource.resource_name);
    }
    if (!error.empty()) d["error"] = Str(error);
    if (!cause.empty()) d["cause"] = Str(cause);
    EmitFrame(*f, absl::StrCat(ToAbsl(resource.EventPrefix()), timeout ? "TimedOut" : "Failed"),
              std::move(d));
    HandleError(*f, error, cause, /*from_children=*/false);
    Schedule(*f);
  }
  Drain();
  return absl::OkStatus();
}

// ---- Wait -------------------------------------------------------------------

absl::Status Interpreter::Run::RunWait(Frame& f, const State& s) {
  TimeMs due = now_;
  if (s.seconds.has_value()) {
    due = now_ + *s.seconds * 1000;
  } else if (s.timestamp.has_value()) {
    auto ns = ParseRfc3339Nanos(*s.timestamp);
    if (ns.has_value()) due = *ns / 1000000;
  } else if (s.jsonata) {
    SW_ASSIGN_OR_RETURN(due, WaitDueFromJsonata(f, s));
  } else {
    SW_ASSIGN_OR_RETURN(due, WaitDueFromPath(f, s));
  }
  // AWS holds a Wait's delay in a 32-bit count of seconds: 24855 days ahead
  // waits, 24856 days fails (recorded in LocalStack's AWS snapshot
  // test_wait::test_timestamp_too_far_in_future_boundary).
  if ((due - now_) / 1000 > kMaxWaitDelaySeconds) {
    return asl::RuntimeError(asl::kStatesRuntime, "Wait state delay is too long.");
  }
  f.timer_id = st_.next_timer_id++;
  f.phase = Frame::Phase::kAwaitTimer;
  out_.start_timers.push_back({f.timer_id, std::max(due, now_)});
  return absl::OkStatus();
}

// The value a Wait's SecondsPath or TimestampPath selects; a miss fails as
// AWS records it for SecondsPath (LocalStack's AWS snapshot test_logs,
// wait_seconds_path): "The SecondsPath parameter does not reference an input
// value: <path>". TimestampPath has no recording; it gets the same wording.
absl::StatusOr<json::value> Interpreter::Run::WaitPathValue(const Frame& f, const State& s,
                                                            const json::value& eff,
                                                            const asl::JsonPath& path,
                                                            std::string_view field) const {
  json::value ctx;
  if (path.IsContextPath()) ctx = ContextObject(f, s);
  std::optional<json::value> v =
      path.Evaluate(Env(f, &eff, path.IsContextPath() ? &ctx : nullptr));
  if (!v.has_value()) {
    return asl::RuntimeError(asl::kStatesRuntime,
                             absl::StrCat("The ", ToAbsl(field),
                                          " parameter does not reference an input value: ",
                                          path.text()));
  }
  return *std::move(v);
}

// SecondsPath or TimestampPath (else now).
absl::StatusOr<TimeMs> Interpreter::Run::WaitDueFromPath(const Frame& f, const State& s) const {
  if (s.seconds_path.has_value()) {
    SW_ASSIGN_OR_RETURN(json::value eff, SelectPath(s.input_path, f.input, f, s));
    SW_ASSIGN_OR_RETURN(json::value v, WaitPathValue(f, s, eff, *s.seconds_path, "SecondsPath"));
    if (!IsIntegral(v) || v.is_uint64()) {
      return asl::RuntimeError(
          asl::kStatesRuntime,
          absl::StrCat("The SecondsPath parameter cannot be parsed as a long value: ",
                       s.seconds_path->text(), " == ", SerializeJson(v)));
    }
    int64_t secs = v.is_int64() ? v.get_int64() : static_cast<int64_t>(v.get_double());
    if (secs < 0) {
      return asl::RuntimeError(
          asl::kStatesRuntime,
          absl::StrCat("The SecondsPath parameter references a negative value: ",
                       s.seconds_path->text(), " == ", SerializeJson(v)));
    }
    return now_ + secs * 1000;
  }
  if (s.timestamp_path.has_value()) {
    SW_ASSIGN_OR_RETURN(json::value eff, SelectPath(s.input_path, f.input, f, s));
    SW_ASSIGN_OR_RETURN(json::value v,
                        WaitPathValue(f, s, eff, *s.timestamp_path, "TimestampPath"));
    std::optional<int64_t> ns;
    if (v.is_string()) ns = ParseRfc3339Nanos(std::string_view(v.get_string()));
    if (!ns.has_value()) {
      return asl::RuntimeError(
          asl::kStatesRuntime,
          absl::StrCat("The TimestampPath parameter does not reference a valid ISO-8601 "
                       "extended offset date-time format string: ",
                       s.timestamp_path->text(), " == ",
                       v.is_string() ? std::string(v.get_string()) : SerializeJson(v)));
    }
    return *ns / 1000000;
  }
  return now_;
}

// Seconds or Timestamp given as JSONata expressions (else now).
absl::StatusOr<TimeMs> Interpreter::Run::WaitDueFromJsonata(const Frame& f,
                                                            const State& s) const {
  if (s.seconds_expr.has_value()) {
    SW_ASSIGN_OR_RETURN(int64_t secs, JsonataInt(f, s, *s.seconds_expr, "Seconds", 0));
    return now_ + secs * 1000;
  }
  if (s.timestamp_expr.has_value()) {
    SW_ASSIGN_OR_RETURN(json::value v, s.timestamp_expr->Evaluate(Bindings(f, s), "Timestamp"));
    std::optional<int64_t> ns;
    if (v.is_string()) ns = ParseRfc3339Nanos(std::string_view(v.get_string()));
    if (!ns.has_value()) {
      return asl::QueryError(
          "Timestamp",
          absl::StrCat("The Timestamp field cannot be parsed as an ISO-8601 extended "
                       "offset date-time format string: ",
                       v.is_string() ? std::string(v.get_string()) : SerializeJson(v)));
    }
    return *ns / 1000000;
  }
  return now_;
}

void Interpreter::Run::FinishWait(Frame& f) {
  const State& s = StateOf(f);
  if (s.jsonata) {
    absl::Status status = ExitJsonata(f, s, s.jsonata_assign, s.output, nullptr);
    if (!status.ok()) HandleStatus(f, status);
    Schedule(f);
    return;
  }
  json::value eff = EffectiveInput(f, s);
  auto assigned = EvalAssign(f, s, s.assign, eff);
  auto out = ApplyOutputPath(f, s, eff);
  if (!assigned.ok()) {
    HandleStatus(f, assigned.status());
  } else if (!out.ok()) {
    HandleStatus(f, out.status());
  } else {
    ExitAndTransition(f, s, *std::move(out), *std::move(assigned));
  }
  Schedule(f);
}

}  // namespace stepwise::engine
