#include "engine/interpreter.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/check.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "asl/errors.h"
#include "asl/jsonata_template.h"
#include "asl/variable_limits.h"

namespace stepwise::engine {

using asl::State;
using asl::StateType;

std::string_view ExecutionStatusName(ExecutionStatus s) {
  switch (s) {
    case ExecutionStatus::kRunning: return "RUNNING";
    case ExecutionStatus::kSucceeded: return "SUCCEEDED";
    case ExecutionStatus::kFailed: return "FAILED";
    case ExecutionStatus::kTimedOut: return "TIMED_OUT";
    case ExecutionStatus::kAborted: return "ABORTED";
  }
  return "";
}

TaskKind ClassifyResource(const std::string& resource) {
  // arn:aws:states:<region>:<account>:activity:<name>
  if (resource.rfind("arn:", 0) == 0 &&
      resource.find(":activity:") != std::string::npos &&
      resource.find(":states:") != std::string::npos) {
    return TaskKind::kActivity;
  }
  // arn:aws:lambda:<region>:<account>:function:<name>
  if (resource.rfind("arn:", 0) == 0 &&
      resource.find(":lambda:") != std::string::npos &&
      resource.find(":function:") != std::string::npos) {
    return TaskKind::kLambda;
  }
  return TaskKind::kService;
}

const asl::Scope* ResolveScope(const asl::StateMachine& machine,
                               const std::vector<int>& path) {
  const asl::Scope* scope = machine.root.get();
  if (path.size() % 2 != 0) return nullptr;
  for (size_t i = 0; i < path.size(); i += 2) {
    int si = path[i], bi = path[i + 1];
    if (scope == nullptr || si < 0 || static_cast<size_t>(si) >= scope->states.size()) {
      return nullptr;
    }
    const asl::State& st = scope->states[static_cast<size_t>(si)];
    if (st.type == StateType::kMap) {
      scope = bi == 0 ? st.processor.get() : nullptr;
    } else if (st.type == StateType::kParallel && bi >= 0 &&
               static_cast<size_t>(bi) < st.branches.size()) {
      scope = st.branches[static_cast<size_t>(bi)].get();
    } else {
      return nullptr;
    }
  }
  return scope;
}

namespace {

// resourceType / resource of an optimized or SDK integration:
// arn:aws:states:::lambda:invoke → ("lambda", "invoke");
// arn:aws:states:::aws-sdk:s3:getObject → ("aws-sdk:s3", "getObject").
std::pair<std::string, std::string> SplitServiceResource(const std::string& arn) {
  size_t pos = arn.find(":::");
  std::string rest = pos == std::string::npos ? arn : arn.substr(pos + 3);
  size_t last = rest.rfind(':');
  // A ".sync:2" suffix contains a colon of its own.
  if (last != std::string::npos && rest.compare(last, 2, ":2") == 0 &&
      last > 5 && rest.compare(last - 5, 5, ".sync") == 0) {
    last = rest.rfind(':', last - 1);
  }
  if (last == std::string::npos) return {rest, ""};
  return {rest.substr(0, last), rest.substr(last + 1)};
}

json::value Str(std::string_view s) { return json::value(json::string(s)); }

// {"<key>": <v as JSON text>, "<key>Details": {"truncated": false}}. When
// `text` is given it is v's serialisation, already made for an earlier event.
json::object PayloadDetails(std::string_view key, const json::value& v,
                            const json::string* text = nullptr) {
  json::object d(4);
  if (text != nullptr) {
    d[key] = *text;
  } else {
    std::string s = SerializeJson(v);
    d[key] = json::string(std::string_view(s));
  }
  json::object truncated(1);
  truncated["truncated"] = false;
  d[key == "input" ? "inputDetails" : "outputDetails"] = std::move(truncated);
  return d;
}

json::value ErrorOutput(const std::string& error, const std::string& cause) {
  json::object o;
  o["Error"] = Str(error);
  o["Cause"] = Str(cause);
  return o;
}

bool ErrorMatches(const std::vector<std::string>& equals, const std::string& error) {
  for (const std::string& e : equals) {
    if (e == error) return true;
    if (e == asl::kStatesAll && error != asl::kStatesRuntime) {
      return true;
    }
    if (e == asl::kStatesTaskFailed && error.rfind("States.", 0) != 0) {
      return true;
    }
  }
  return false;
}

// Splits Jayway's normalised path "$['a']['b'][0]" into its segments.
std::vector<std::string> NormalizedSegments(const std::string& norm) {
  std::vector<std::string> out;
  size_t i = 1;  // after "$"
  while (i < norm.size() && norm[i] == '[') {
    size_t j = i + 1;
    if (j < norm.size() && norm[j] == '\'') {
      j = norm.find("']", j + 1);
      if (j == std::string::npos) break;
      j += 2;
    } else {
      j = norm.find(']', j);
      if (j == std::string::npos) break;
      j += 1;
    }
    out.push_back(norm.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

// One trigger's worth of work on one execution.
class Interpreter::Run {
 public:
  Run(const Interpreter& in, ExecutionState& st, TimeMs now, Decision& out)
      : in_(in), st_(st), now_(now), out_(out) {
    out_.events.reserve(16);
  }

  void Start(json::value input) {
    st_.execution_input = input;
    json::object d = PayloadDetails("input", input);
    d["roleArn"] = Str(st_.info.role_arn);
    Emit(nullptr, "ExecutionStarted", std::move(d), 0);
    if (in_.machine_->timeout_seconds.has_value()) {
      st_.execution_timer_id = st_.next_timer_id++;
      out_.start_timers.push_back(
          {st_.execution_timer_id, now_ + *in_.machine_->timeout_seconds * 1000});
    }
    Frame& root = NewFrame(-1, in_.machine_->root.get(), std::move(input), 0);
    Schedule(root);
    Drain();
  }

  absl::Status TaskStarted(int64_t task_id, const std::string& worker) {
    Frame* f = FindTaskFrame(task_id);
    if (f == nullptr || f->task_started) {
      return absl::FailedPreconditionError(
          absl::StrCat("task ", task_id, " is not waiting to start"));
    }
    f->task_started = true;
    const State& s = StateOf(*f);
    switch (ClassifyResource(s.resource)) {
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
        auto [type, res] = SplitServiceResource(s.resource);
        json::object d;
        d["resourceType"] = Str(type);
        d["resource"] = Str(res);
        EmitFrame(*f, "TaskStarted", std::move(d));
        break;
      }
    }
    return absl::OkStatus();
  }

  absl::Status CompleteTask(int64_t task_id, const TaskResult& r) {
    Frame* f = FindTaskFrame(task_id);
    if (f == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("task ", task_id, " is not pending"));
    }
    if (!f->task_started) SW_RETURN_IF_ERROR(TaskStarted(task_id, ""));
    const State& s = StateOf(*f);
    TaskKind kind = ClassifyResource(s.resource);
    auto [rtype, rname] = SplitServiceResource(s.resource);
    f->task_id = 0;
    f->task_started = false;
    TaskResult oversize;
    if (r.kind == TaskResult::Kind::kSucceeded &&
        SerializeJson(r.output).size() > in_.options_.max_payload_bytes) {
      // AWS reports an oversize result as a (catchable) task failure.
      oversize.kind = TaskResult::Kind::kFailed;
      oversize.error = std::string(asl::kStatesDataLimitExceeded);
      oversize.cause = absl::StrCat(
          "The state/task '", kind == TaskKind::kService ? rtype : s.resource,
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
        d["resourceType"] = Str(rtype);
        d["resource"] = Str(rname);
      }
      EmitFrame(*f, type, std::move(d));
      FinishWithResult(*f, r.output);
    } else {
      bool timeout = res.kind == TaskResult::Kind::kTimedOut;
      std::string error = timeout ? std::string(asl::kStatesTimeout) : res.error;
      std::string cause = timeout ? "" : res.cause;
      json::object d;
      if (kind == TaskKind::kService) {
        d["resourceType"] = Str(rtype);
        d["resource"] = Str(rname);
      }
      if (!error.empty()) d["error"] = Str(error);
      if (!cause.empty()) d["cause"] = Str(cause);
      std::string prefix = kind == TaskKind::kActivity ? "Activity"
                           : kind == TaskKind::kLambda ? "LambdaFunction"
                                                       : "Task";
      EmitFrame(*f, prefix + (timeout ? "TimedOut" : "Failed"), std::move(d));
      HandleError(*f, error, cause, /*from_children=*/false);
      Schedule(*f);
    }
    Drain();
    return absl::OkStatus();
  }

  absl::Status FireTimer(int64_t timer_id) {
    if (timer_id == st_.execution_timer_id) {
      st_.execution_timer_id = 0;
      // DescribeExecution of a timed-out execution carries no error.
      Emit(nullptr, "ExecutionTimedOut", {}, st_.last_event_id);
      EndExecution(ExecutionStatus::kTimedOut, "", "");
      Sweep();
      return absl::OkStatus();
    }
    Frame* found = nullptr;
    for (auto& [id, f] : st_.frames) {
      if (f.timer_id == timer_id && f.phase != Frame::Phase::kDone) found = &f;
    }
    if (found == nullptr) return absl::OkStatus();
    Frame& f = *found;
    f.timer_id = 0;
    if (f.phase == Frame::Phase::kAwaitTimer && StateOf(f).jsonata) {
      const State& s = StateOf(f);
      absl::Status status = ExitJsonata(f, s, s.jsonata_assign, s.output, nullptr);
      if (!status.ok()) HandleStatus(f, status);
      Schedule(f);
    } else if (f.phase == Frame::Phase::kAwaitTimer) {
      const State& s = StateOf(f);
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
    } else if (f.phase == Frame::Phase::kAwaitRetry) {
      ++f.retry_count;
      RetryState(f);
    }
    Drain();
    return absl::OkStatus();
  }

  void Continue() {
    for (auto& [id, f] : st_.frames) {
      if (f.phase == Frame::Phase::kEnter) {
        f.queued = false;
        Schedule(f);
      } else if (f.phase == Frame::Phase::kAwaitChildren) {
        pending_launch_.push_back(id);
      }
    }
    // Deepest (newest) frames first, as the run that yielded would have.
    std::sort(stack_.begin(), stack_.end());
    Drain();
  }

  absl::Status Stop(const std::string& error, const std::string& cause) {
    json::object d;
    if (!error.empty()) d["error"] = Str(error);
    if (!cause.empty()) d["cause"] = Str(cause);
    Emit(nullptr, "ExecutionAborted", std::move(d), 0);
    EndExecution(ExecutionStatus::kAborted, error, cause);
    Sweep();
    return absl::OkStatus();
  }

 private:
  // ---- events ----------------------------------------------------------

  // Appends an event with an explicit previous id; returns its id.
  int64_t Emit(Frame* f, std::string_view type, json::object details,
               int64_t prev) {
    if (f != nullptr && f->silent) return 0;
    HistoryEvent e;
    e.id = ++st_.last_event_id;
    e.previous_event_id = prev;
    e.timestamp = now_;
    e.type = std::string(type);
    e.details = std::move(details);
    out_.events.push_back(std::move(e));
    return st_.last_event_id;
  }

  // Appends an event chained to the frame's tail and advances the tail.
  int64_t EmitFrame(Frame& f, std::string_view type, json::object details) {
    if (st_.status != ExecutionStatus::kRunning) return 0;
    if (st_.last_event_id + 1 >= in_.options_.max_events && !f.silent) {
      HitEventLimit(f);
      return 0;
    }
    int64_t id = Emit(&f, type, std::move(details), f.tail);
    if (id != 0) f.tail = id;
    return id;
  }

  void HitEventLimit(Frame& f) {
    std::string cause = absl::StrCat(
        "The execution reached the maximum number of history events (",
        in_.options_.max_events, ").");
    json::object d;
    d["error"] = Str(asl::kStatesRuntime);
    d["cause"] = Str(cause);
    Emit(nullptr, "ExecutionFailed", std::move(d), f.tail);
    EndExecution(ExecutionStatus::kFailed, std::string(asl::kStatesRuntime), cause);
  }

  // ---- frames ----------------------------------------------------------

  Frame& NewFrame(int parent, const asl::Scope* scope, json::value input,
                  int64_t tail) {
    int id = st_.next_frame_id++;
    Frame& f = st_.frames[id];
    f.id = id;
    f.parent = parent;
    f.scope = scope;
    f.state = scope->start_index;
    f.phase = Frame::Phase::kEnter;
    f.input = std::move(input);
    f.tail = tail;
    if (parent >= 0) f.silent = st_.frames[parent].silent;
    return f;
  }

  const State& StateOf(const Frame& f) const {
    return f.scope->states[static_cast<size_t>(f.state)];
  }

  Frame* FindTaskFrame(int64_t task_id) {
    if (st_.status != ExecutionStatus::kRunning || task_id == 0) return nullptr;
    for (auto& [id, f] : st_.frames) {
      if (f.task_id == task_id && f.phase == Frame::Phase::kAwaitTask) return &f;
    }
    return nullptr;
  }

  // Queues `f` to run its next state, once.
  void Schedule(Frame& f) {
    if (f.phase != Frame::Phase::kEnter || f.queued) return;
    f.queued = true;
    stack_.push_back(f.id);
  }

  void Drain() {
    while (st_.status == ExecutionStatus::kRunning) {
      if (!stack_.empty()) {
        int id = stack_.back();
        stack_.pop_back();
        auto it = st_.frames.find(id);
        if (it == st_.frames.end()) continue;
        Frame& f = it->second;
        f.queued = false;
        if (f.phase != Frame::Phase::kEnter) continue;
        if (steps_ >= in_.options_.max_steps_per_trigger) {
          // Bounded work per commit: stop here; Continue() picks up every
          // frame still waiting to enter its state.
          out_.yielded = true;
          for (auto& [fid, fr] : st_.frames) fr.queued = false;
          stack_.clear();
          pending_launch_.clear();
          break;
        }
        ++steps_;
        EnterState(f);
        if (f.phase == Frame::Phase::kEnter) {
          Schedule(f);
        } else if (f.phase != Frame::Phase::kDone && f.parent >= 0) {
          // Blocked: the parent fan-out may start another child.
          pending_launch_.push_back(f.parent);
        }
        continue;
      }
      if (!pending_launch_.empty()) {
        int parent = pending_launch_.front();
        pending_launch_.pop_front();
        LaunchMore(parent);
        continue;
      }
      break;
    }
    Sweep();
  }

  // Erases finished frames (deferred so references stay valid while a
  // trigger is processed) and everything once the execution has ended.
  void Sweep() {
    if (st_.status != ExecutionStatus::kRunning) {
      st_.frames.clear();
      stack_.clear();
      pending_launch_.clear();
      return;
    }
    for (auto it = st_.frames.begin(); it != st_.frames.end();) {
      if (it->second.phase == Frame::Phase::kDone) {
        it = st_.frames.erase(it);
      } else {
        ++it;
      }
    }
  }

  // ---- context object --------------------------------------------------

  json::value ContextObject(const Frame& f, const State& s,
                            const json::value* map_index = nullptr,
                            const json::value* map_value = nullptr) const {
    json::object exec;
    exec["Id"] = Str(st_.info.execution_arn);
    exec["Input"] = st_.execution_input;
    exec["Name"] = Str(st_.info.execution_name);
    exec["RoleArn"] = Str(st_.info.role_arn);
    exec["StartTime"] = Str(FormatIso8601(st_.info.start_time));
    if (!st_.info.express) exec["RedriveCount"] = st_.info.redrive_count;
    json::object state;
    state["EnteredTime"] = Str(FormatIso8601(f.entered_time));
    state["Name"] = Str(s.name);
    if (s.type == StateType::kTask || s.type == StateType::kParallel ||
        s.type == StateType::kMap) {
      state["RetryCount"] = f.retry_count;
    }
    json::object machine;
    machine["Id"] = Str(st_.info.state_machine_arn);
    machine["Name"] = Str(st_.info.state_machine_name);
    json::object ctx;
    ctx["Execution"] = std::move(exec);
    ctx["State"] = std::move(state);
    ctx["StateMachine"] = std::move(machine);
    if (s.type == StateType::kTask && s.resource.find(".waitForTaskToken") != std::string::npos) {
      json::object task;
      task["Token"] = Str(absl::StrCat(st_.info.execution_arn, "#", st_.next_task_id));
      ctx["Task"] = std::move(task);
    }
    if (map_index != nullptr) {
      json::object item;
      item["Index"] = *map_index;
      item["Value"] = *map_value;
      json::object m;
      m["Item"] = std::move(item);
      ctx["Map"] = std::move(m);
    }
    return ctx;
  }

  asl::EvalContext Env(const Frame& f, const json::value* input,
                       const json::value* ctx) const {
    asl::EvalContext env;
    env.input = input;
    env.context = ctx;
    env.variables = &f.variables;
    env.random = in_.random_;
    return env;
  }

  // ---- paths -----------------------------------------------------------

  // The message AWS gives when an InputPath/OutputPath/... finds nothing.
  static std::string InvalidPathMessage(const asl::JsonPath& p,
                                        const asl::EvalContext& env) {
    std::string norm = p.NormalizedText();
    std::vector<std::string> segs = NormalizedSegments(norm);
    std::string prefix = p.IsContextPath() ? "$$" : "$";
    // Find the first segment that is missing: "Missing property" when it is
    // not the last one.
    std::string acc = "$";
    for (size_t i = 0; i + 1 < segs.size(); ++i) {
      acc += segs[i];
      auto sub = asl::JsonPath::Parse(prefix == "$$" ? "$" + acc : acc);
      if (sub.ok() && sub->Find(env) == nullptr) {
        return absl::StrCat("Invalid path '", p.text(),
                            "' : Missing property in path ", acc);
      }
    }
    return absl::StrCat("Invalid path '", p.text(), "' : No results for path: ", norm);
  }

  absl::StatusOr<json::value> SelectPath(const asl::PathField& field,
                                         const json::value& doc,
                                         const Frame& f, const State& s) const {
    if (field.is_null) return json::value(json::object());
    if (!field.path.has_value()) return doc;
    const asl::JsonPath& p = *field.path;
    json::value ctx_holder;
    const json::value* ctx = nullptr;
    if (p.IsContextPath()) {
      ctx_holder = ContextObject(f, s);
      ctx = &ctx_holder;
    }
    asl::EvalContext env = Env(f, &doc, ctx);
    std::optional<json::value> v = p.Evaluate(env);
    if (!v.has_value()) {
      return asl::RuntimeError(asl::kStatesRuntime, InvalidPathMessage(p, env));
    }
    return *std::move(v);
  }

  // Like SelectPath, but moves the document out when the field is the
  // default "$" (saves a copy per step on the common path).
  absl::StatusOr<json::value> TakePath(const asl::PathField& field, json::value&& doc,
                                       const Frame& f, const State& s) const {
    if (!field.is_null && !field.path.has_value()) return std::move(doc);
    return SelectPath(field, doc, f, s);
  }

  json::value EffectiveInput(const Frame& f, const State& s) const {
    auto v = SelectPath(s.input_path, f.input, f, s);
    return v.ok() ? *std::move(v) : json::value();
  }

  absl::StatusOr<json::value> ApplyTemplate(const asl::PayloadTemplate& t,
                                            const json::value& input,
                                            const Frame& f, const State& s) const {
    // The context object is built only for states that read "$$".
    json::value ctx = s.uses_context ? ContextObject(f, s) : json::value();
    return t.Evaluate(Env(f, &input, s.uses_context ? &ctx : nullptr));
  }

  absl::StatusOr<json::value> ApplyResultPath(const State& s, const json::value& raw_input,
                                              json::value result) const {
    if (s.result_path.is_null) return raw_input;
    if (!s.result_path.path.has_value()) return result;
    json::value doc = raw_input;
    absl::Status st = s.result_path.path->Assign(doc, std::move(result));
    if (!st.ok()) {
      return asl::RuntimeError(
          asl::kStatesResultPathMatchFailure,
          absl::StrCat("Unable to apply ResultPath \"", s.result_path.path->text(),
                       "\" to input \"", SerializeJson(raw_input), "\""));
    }
    return doc;
  }

  absl::StatusOr<json::value> ApplyOutputPath(const Frame& f, const State& s,
                                              const json::value& doc) const {
    return SelectPath(s.output_path, doc, f, s);
  }

  // ---- states ----------------------------------------------------------

  void EnterState(Frame& f) {
    const State& s = StateOf(f);
    // The input's text is usually the previous state's output, already
    // serialised for its Exited event; otherwise serialise it once here. It
    // stays valid while the state runs (states that pass their input
    // through unchanged reuse it for their Exited event).
    if (!f.has_input_text) {
      std::string text = SerializeJson(f.input);
      f.input_text = json::string(std::string_view(text));
      f.has_input_text = true;
    }
    json::object d = PayloadDetails("input", f.input, &f.input_text);
    d["name"] = Str(s.name);
    f.entered_prev_event_id = f.tail;
    f.entered_event_id = EmitFrame(f, absl::StrCat(ToAbsl(asl::StateTypeName(s.type)), "StateEntered"),
                                   std::move(d));
    if (st_.status != ExecutionStatus::kRunning) return;
    f.entered_time = now_;
    f.retry_attempts.assign(s.retry.size(), 0);
    f.retry_count = 0;
    absl::Status status = s.jsonata ? RunJsonataState(f, s) : RunState(f, s);
    if (!status.ok()) HandleStatus(f, status);
  }

  absl::Status RunState(Frame& f, const State& s) {
    switch (s.type) {
      case StateType::kPass: {
        // The raw input is needed after the result only for a ResultPath
        // that merges into it; otherwise it can be moved.
        bool keep_input = s.result_path.is_null || s.result_path.path.has_value();
        json::value eff;
        if (keep_input) {
          SW_ASSIGN_OR_RETURN(eff, SelectPath(s.input_path, f.input, f, s));
        } else {
          SW_ASSIGN_OR_RETURN(eff, TakePath(s.input_path, std::move(f.input), f, s));
        }
        json::value result;
        if (s.parameters.has_value()) {
          auto r = ApplyTemplate(*s.parameters, eff, f, s);
          if (!r.ok()) return AsRuntime(r.status());
          result = *std::move(r);
        } else if (s.result.has_value()) {
          result = *s.result;
        } else {
          result = std::move(eff);
        }
        SW_ASSIGN_OR_RETURN(json::object assigned, EvalAssign(f, s, s.assign, result));
        SW_ASSIGN_OR_RETURN(json::value merged, ApplyResultPath(s, f.input, std::move(result)));
        SW_ASSIGN_OR_RETURN(json::value out, TakePath(s.output_path, std::move(merged), f, s));
        ExitAndTransition(f, s, std::move(out), std::move(assigned));
        return absl::OkStatus();
      }
      case StateType::kSucceed: {
        SW_ASSIGN_OR_RETURN(json::value eff, TakePath(s.input_path, std::move(f.input), f, s));
        SW_ASSIGN_OR_RETURN(json::value out, TakePath(s.output_path, std::move(eff), f, s));
        json::object d = PayloadDetails("output", out);
        d["name"] = Str(s.name);
        EmitFrame(f, "SucceedStateExited", std::move(d));
        FinishFrame(f, std::move(out));
        return absl::OkStatus();
      }
      case StateType::kFail: {
        std::string error = s.error.value_or("");
        std::string cause = s.cause.value_or("");
        if (s.error_path.has_value()) {
          SW_ASSIGN_OR_RETURN(error, EvalFailField(f, s, *s.error_path, "ErrorPath"));
        }
        if (s.cause_path.has_value()) {
          SW_ASSIGN_OR_RETURN(cause, EvalFailField(f, s, *s.cause_path, "CausePath"));
        }
        FailFrame(f, error, cause);
        return absl::OkStatus();
      }
      case StateType::kChoice: {
        SW_ASSIGN_OR_RETURN(json::value eff, TakePath(s.input_path, std::move(f.input), f, s));
        json::value ctx = s.uses_context ? ContextObject(f, s) : json::value();
        asl::EvalContext env = Env(f, &eff, s.uses_context ? &ctx : nullptr);
        int next = -1;
        const std::optional<asl::PayloadTemplate>* assign = &s.assign;
        for (const asl::ChoiceRule& rule : s.choices) {
          SW_ASSIGN_OR_RETURN(bool match, asl::EvaluateChoiceRule(rule, env));
          if (match) {
            next = rule.next_index;
            assign = &rule.assign;
            break;
          }
        }
        if (next < 0) next = s.default_index;
        if (next < 0) {
          return asl::RuntimeError(asl::kStatesNoChoiceMatched,
                                   absl::StrCat("No Matches!"));
        }
        SW_ASSIGN_OR_RETURN(json::object assigned, EvalAssign(f, s, *assign, eff));
        SW_ASSIGN_OR_RETURN(json::value out, TakePath(s.output_path, std::move(eff), f, s));
        bool same = f.has_input_text && PassesInputThrough(s);
        json::object d = PayloadDetails("output", out, same ? &f.input_text : nullptr);
        d["name"] = Str(s.name);
        AddAssigned(f, assigned, d);
        if (!same) {
          f.input_text = d["output"].get_string();
          f.has_input_text = true;
        }
        EmitFrame(f, "ChoiceStateExited", std::move(d));
        f.state = next;
        f.input = std::move(out);
        f.phase = Frame::Phase::kEnter;
        return absl::OkStatus();
      }
      case StateType::kWait:
        return RunWait(f, s);
      case StateType::kTask:
        return RunTask(f, s);
      case StateType::kParallel:
      case StateType::kMap:
        return StartFanOut(f, s);
    }
    return absl::OkStatus();
  }

  // Path failures in states without Catch are States.Runtime errors.
  static absl::Status AsRuntime(const absl::Status& s) {
    if (asl::RuntimeErrorName(s) == asl::kStatesParameterPathFailure) {
      return asl::RuntimeError(asl::kStatesRuntime, ToStd(s.message()));
    }
    return s;
  }

  absl::StatusOr<std::string> EvalFailField(const Frame& f, const State& s,
                                            const asl::PathOrIntrinsic& field,
                                            std::string_view name) const {
    json::value ctx = ContextObject(f, s);
    asl::EvalContext env = Env(f, &f.input, &ctx);
    std::optional<json::value> v;
    if (field.call.has_value()) {
      SW_ASSIGN_OR_RETURN(json::value r, field.call->Evaluate(env));
      v = std::move(r);
    } else {
      v = field.path->Evaluate(env);
    }
    if (!v.has_value()) {
      return asl::RuntimeError(
          asl::kStatesRuntime,
          absl::StrCat("The JSONPath '", field.text, "' specified for the field '", ToAbsl(name),
                       "' could not be found in the input '", SerializeJson(f.input), "'"));
    }
    if (v->is_string()) return std::string(v->get_string());
    return SerializeJson(*v);
  }

  absl::Status RunWait(Frame& f, const State& s) {
    TimeMs due = now_;
    if (s.seconds.has_value()) {
      due = now_ + *s.seconds * 1000;
    } else if (s.timestamp.has_value()) {
      auto ns = ParseRfc3339Nanos(*s.timestamp);
      if (ns.has_value()) due = *ns / 1000000;
    } else if (s.seconds_path.has_value()) {
      SW_ASSIGN_OR_RETURN(json::value eff, SelectPath(s.input_path, f.input, f, s));
      asl::PathField pf;
      pf.path = s.seconds_path;
      SW_ASSIGN_OR_RETURN(json::value v, SelectPath(pf, eff, f, s));
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
      due = now_ + secs * 1000;
    } else if (s.timestamp_path.has_value()) {
      SW_ASSIGN_OR_RETURN(json::value eff, SelectPath(s.input_path, f.input, f, s));
      asl::PathField pf;
      pf.path = s.timestamp_path;
      SW_ASSIGN_OR_RETURN(json::value v, SelectPath(pf, eff, f, s));
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
      due = *ns / 1000000;
    }
    f.timer_id = st_.next_timer_id++;
    f.phase = Frame::Phase::kAwaitTimer;
    out_.start_timers.push_back({f.timer_id, std::max(due, now_)});
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> IntFromPath(const Frame& f, const State& s,
                                      const json::value& eff,
                                      const asl::JsonPath& path) const {
    asl::PathField pf;
    pf.path = path;
    SW_ASSIGN_OR_RETURN(json::value v, SelectPath(pf, eff, f, s));
    if (!IsIntegral(v) || v.is_uint64()) {
      return asl::RuntimeError(asl::kStatesRuntime,
                               absl::StrCat("The value at ", path.text(),
                                            " is not a valid integer: ", SerializeJson(v)));
    }
    return v.is_int64() ? v.get_int64() : static_cast<int64_t>(v.get_double());
  }

  absl::Status RunTask(Frame& f, const State& s) {
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

  absl::Status ScheduleAttempt(Frame& f, const State& s) {
    ScheduleTaskCommand cmd;
    cmd.kind = ClassifyResource(s.resource);
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
    switch (cmd.kind) {
      case TaskKind::kActivity:
        d = PayloadDetails("input", f.effective);
        d["resource"] = Str(s.resource);
        if (timeout) d["timeoutInSeconds"] = *timeout;
        if (heartbeat) d["heartbeatInSeconds"] = *heartbeat;
        EmitFrame(f, "ActivityScheduled", std::move(d));
        break;
      case TaskKind::kLambda:
        d = PayloadDetails("input", f.effective);
        d["resource"] = Str(s.resource);
        if (timeout) d["timeoutInSeconds"] = *timeout;
        EmitFrame(f, "LambdaFunctionScheduled", std::move(d));
        break;
      case TaskKind::kService: {
        auto [rtype, rname] = SplitServiceResource(s.resource);
        d["resourceType"] = Str(rtype);
        d["resource"] = Str(rname);
        d["region"] = Str(RegionOf(st_.info.execution_arn));
        d["parameters"] = Str(SerializeJson(f.effective));
        if (timeout) d["timeoutInSeconds"] = *timeout;
        if (heartbeat) d["heartbeatInSeconds"] = *heartbeat;
        EmitFrame(f, "TaskScheduled", std::move(d));
        break;
      }
    }
    if (st_.status != ExecutionStatus::kRunning) return absl::OkStatus();
    cmd.task_id = st_.next_task_id++;
    f.task_id = cmd.task_id;
    f.task_started = false;
    f.phase = Frame::Phase::kAwaitTask;
    out_.schedule_tasks.push_back(std::move(cmd));
    return absl::OkStatus();
  }

  static std::string RegionOf(const std::string& arn) {
    // arn:aws:states:<region>:...
    size_t a = arn.find(':', arn.find(':', arn.find(':') + 1) + 1);
    if (a == std::string::npos) return "";
    size_t b = arn.find(':', a + 1);
    return arn.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  }

  // Task / Parallel / Map result: ResultSelector, ResultPath, OutputPath.
  void FinishWithResult(Frame& f, json::value result) {
    const State& s = StateOf(f);
    if (s.jsonata) {
      absl::Status status = ExitJsonata(f, s, s.jsonata_assign, s.output, &result);
      if (!status.ok()) HandleStatus(f, status);
      Schedule(f);
      return;
    }
    absl::Status status = [&]() -> absl::Status {
      if (s.result_selector.has_value()) {
        SW_ASSIGN_OR_RETURN(result, ApplyTemplate(*s.result_selector, result, f, s));
      }
      SW_ASSIGN_OR_RETURN(json::object assigned, EvalAssign(f, s, s.assign, result));
      SW_ASSIGN_OR_RETURN(json::value merged, ApplyResultPath(s, f.input, std::move(result)));
      SW_ASSIGN_OR_RETURN(json::value out, TakePath(s.output_path, std::move(merged), f, s));
      ExitAndTransition(f, s, std::move(out), std::move(assigned));
      return absl::OkStatus();
    }();
    if (!status.ok()) HandleStatus(f, status);
    Schedule(f);
  }

  // True when the state's output is its input, unchanged: no paths, no
  // Result or Parameters. Its Exited event reuses the input's text.
  static bool PassesInputThrough(const State& s) {
    if (s.output.has_value()) return false;
    bool paths = !s.input_path.is_null && !s.input_path.path && !s.output_path.is_null &&
                 !s.output_path.path;
    switch (s.type) {
      case StateType::kPass:
        return paths && !s.parameters && !s.result && !s.result_path.is_null &&
               !s.result_path.path;
      case StateType::kChoice:
      case StateType::kWait:
      case StateType::kSucceed:
        return paths;
      default:
        return false;
    }
  }

  void ExitAndTransition(Frame& f, const State& s, json::value out,
                         json::object assigned = {}) {
    bool same = f.has_input_text && PassesInputThrough(s);
    json::object d = PayloadDetails("output", out, same ? &f.input_text : nullptr);
    if (d["output"].get_string().size() > in_.options_.max_payload_bytes) {
      // An oversize state output cannot be caught.
      FailFrame(f, std::string(asl::kStatesDataLimitExceeded),
                absl::StrCat("The state/task '", s.name,
                             "' returned a result with a size exceeding the maximum "
                             "number of bytes service limit."));
      return;
    }
    d["name"] = Str(s.name);
    AddAssigned(f, assigned, d);
    bool last = s.end || s.next_index < 0;
    if (!last && !same) {
      f.input_text = d["output"].get_string();
      f.has_input_text = true;
    }
    EmitFrame(f, absl::StrCat(ToAbsl(asl::StateTypeName(s.type)), "StateExited"), std::move(d));
    if (st_.status != ExecutionStatus::kRunning) return;
    if (last) {
      FinishFrame(f, std::move(out));
      return;
    }
    f.state = s.next_index;
    f.input = std::move(out);
    f.phase = Frame::Phase::kEnter;
  }

  // ---- JSONata ------------------------------------------------------------

  // The bindings of one JSONata evaluation: $states (input, context, and
  // result or errorOutput where they exist) and the frame's variables as
  // they were when the state was entered.
  asl::JsonataBindings Bindings(const Frame& f, const State& s,
                                const json::value* result = nullptr,
                                const json::value* error_output = nullptr,
                                const json::value* map_index = nullptr,
                                const json::value* map_value = nullptr) const {
    asl::JsonataBindings b;
    for (const auto& kv : f.variables) b.emplace(std::string(kv.key()), kv.value());
    json::object states(4);
    states["input"] = f.input;
    states["context"] = ContextObject(f, s, map_index, map_value);
    if (result != nullptr) states["result"] = *result;
    if (error_output != nullptr) states["errorOutput"] = *error_output;
    b["states"] = json::value(std::move(states));
    return b;
  }

  // `stored`: the variables before the Assign (for AWS's size limits).
  static absl::StatusOr<json::object> JsonataAssign(
      const std::optional<asl::JsonataTemplate>& t, const asl::JsonataBindings& b,
      const json::object& stored) {
    if (!t.has_value()) return json::object();
    SW_ASSIGN_OR_RETURN(json::value v, t->Evaluate(b, "Assign"));
    if (!v.is_object()) return json::object();
    SW_RETURN_IF_ERROR(asl::CheckAssignedVariables(v.get_object(), stored));
    return std::move(v.get_object());
  }

  // Evaluates a JSONata number field that must be an integer >= `min`.
  absl::StatusOr<int64_t> JsonataInt(const Frame& f, const State& s,
                                     const asl::JsonataTemplate& t, std::string_view field,
                                     int64_t min) const {
    SW_ASSIGN_OR_RETURN(json::value v, t.Evaluate(Bindings(f, s), field));
    if (!IsIntegral(v) || v.is_uint64() ||
        (v.is_int64() ? v.get_int64() : static_cast<int64_t>(v.get_double())) < min) {
      return asl::QueryError(
          field, absl::StrCat("The ", ToAbsl(field), " field refers to value \"",
                              SerializeJson(v), "\" which is not a valid ",
                              min > 0 ? "positive integer" : "non-negative integer", "."));
    }
    return v.is_int64() ? v.get_int64() : static_cast<int64_t>(v.get_double());
  }

  // Evaluates Assign and Output (default: `result`, else the input) of a
  // JSONata state and leaves it.
  absl::Status ExitJsonata(Frame& f, const State& s,
                           const std::optional<asl::JsonataTemplate>& assign,
                           const std::optional<asl::JsonataTemplate>& output,
                           json::value* result) {
    json::object assigned;
    json::value out;
    if (assign.has_value() || output.has_value()) {
      asl::JsonataBindings b = Bindings(f, s, result);
      SW_ASSIGN_OR_RETURN(assigned, JsonataAssign(assign, b, f.variables));
      if (output.has_value()) {
        SW_ASSIGN_OR_RETURN(out, output->Evaluate(b, "Output"));
      } else {
        out = result != nullptr ? std::move(*result) : f.input;
      }
    } else {
      out = result != nullptr ? std::move(*result) : f.input;
    }
    ExitAndTransition(f, s, std::move(out), std::move(assigned));
    return absl::OkStatus();
  }

  absl::Status RunJsonataState(Frame& f, const State& s) {
    switch (s.type) {
      case StateType::kPass:
        return ExitJsonata(f, s, s.jsonata_assign, s.output, nullptr);
      case StateType::kSucceed: {
        json::value out;
        if (s.output.has_value()) {
          SW_ASSIGN_OR_RETURN(out, s.output->Evaluate(Bindings(f, s), "Output"));
        } else {
          out = std::move(f.input);
        }
        json::object d = PayloadDetails("output", out);
        d["name"] = Str(s.name);
        EmitFrame(f, "SucceedStateExited", std::move(d));
        FinishFrame(f, std::move(out));
        return absl::OkStatus();
      }
      case StateType::kFail: {
        std::string error, cause;
        if (s.error_expr.has_value() || s.cause_expr.has_value()) {
          asl::JsonataBindings b = Bindings(f, s);
          auto text = [](const json::value& v) {
            return v.is_string() ? std::string(v.get_string()) : SerializeJson(v);
          };
          if (s.error_expr.has_value()) {
            SW_ASSIGN_OR_RETURN(json::value v, s.error_expr->Evaluate(b, "Error"));
            error = text(v);
          }
          if (s.cause_expr.has_value()) {
            SW_ASSIGN_OR_RETURN(json::value v, s.cause_expr->Evaluate(b, "Cause"));
            cause = text(v);
          }
        }
        FailFrame(f, error, cause);
        return absl::OkStatus();
      }
      case StateType::kChoice: {
        asl::JsonataBindings b = Bindings(f, s);
        int next = -1;
        const std::optional<asl::JsonataTemplate>* assign = &s.jsonata_assign;
        const std::optional<asl::JsonataTemplate>* output = &s.output;
        for (const asl::ChoiceRule& rule : s.choices) {
          SW_ASSIGN_OR_RETURN(json::value c, rule.condition->Evaluate(b, "Condition"));
          if (!c.is_bool()) {
            return asl::QueryError(
                "Condition",
                absl::StrCat("The Condition field evaluated to ", SerializeJson(c),
                             ", which is not a boolean."));
          }
          if (c.get_bool()) {
            next = rule.next_index;
            assign = &rule.jsonata_assign;
            output = &rule.output;
            break;
          }
        }
        if (next < 0) next = s.default_index;
        if (next < 0) {
          return asl::RuntimeError(asl::kStatesNoChoiceMatched, "No Matches!");
        }
        SW_ASSIGN_OR_RETURN(json::object assigned, JsonataAssign(*assign, b, f.variables));
        json::value out;
        bool same = false;
        if (output->has_value()) {
          SW_ASSIGN_OR_RETURN(out, (*output)->Evaluate(b, "Output"));
        } else {
          out = std::move(f.input);
          same = f.has_input_text;
        }
        json::object d = PayloadDetails("output", out, same ? &f.input_text : nullptr);
        d["name"] = Str(s.name);
        AddAssigned(f, assigned, d);
        if (!same) {
          f.input_text = d["output"].get_string();
          f.has_input_text = true;
        }
        EmitFrame(f, "ChoiceStateExited", std::move(d));
        f.state = next;
        f.input = std::move(out);
        f.phase = Frame::Phase::kEnter;
        return absl::OkStatus();
      }
      case StateType::kWait: {
        TimeMs due = now_;
        if (s.seconds.has_value()) {
          due = now_ + *s.seconds * 1000;
        } else if (s.timestamp.has_value()) {
          auto ns = ParseRfc3339Nanos(*s.timestamp);
          if (ns.has_value()) due = *ns / 1000000;
        } else if (s.seconds_expr.has_value()) {
          SW_ASSIGN_OR_RETURN(int64_t secs, JsonataInt(f, s, *s.seconds_expr, "Seconds", 0));
          due = now_ + secs * 1000;
        } else if (s.timestamp_expr.has_value()) {
          SW_ASSIGN_OR_RETURN(json::value v, s.timestamp_expr->Evaluate(Bindings(f, s),
                                                                         "Timestamp"));
          std::optional<int64_t> ns;
          if (v.is_string()) ns = ParseRfc3339Nanos(std::string_view(v.get_string()));
          if (!ns.has_value()) {
            return asl::QueryError(
                "Timestamp",
                absl::StrCat("The Timestamp field cannot be parsed as an ISO-8601 extended "
                             "offset date-time format string: ",
                             v.is_string() ? std::string(v.get_string()) : SerializeJson(v)));
          }
          due = *ns / 1000000;
        }
        f.timer_id = st_.next_timer_id++;
        f.phase = Frame::Phase::kAwaitTimer;
        out_.start_timers.push_back({f.timer_id, std::max(due, now_)});
        return absl::OkStatus();
      }
      case StateType::kTask:
        return RunTask(f, s);
      case StateType::kParallel:
      case StateType::kMap:
        return StartFanOut(f, s);
    }
    return absl::OkStatus();
  }

  void EmitEvaluationFailed(Frame& f, const State& s, const std::string& cause,
                            const std::string& location, int64_t prev) {
    if (st_.last_event_id + 1 >= in_.options_.max_events && !f.silent) {
      HitEventLimit(f);
      return;
    }
    json::object d;
    d["cause"] = Str(cause);
    d["error"] = Str(asl::kStatesQueryEvaluationError);
    d["location"] = Str(location);
    d["state"] = Str(s.name);
    int64_t id = Emit(&f, "EvaluationFailed", std::move(d), prev);
    if (id != 0) f.tail = id;
  }

  // A Catcher of a JSONata state: Output (default $states.errorOutput) and
  // Assign see $states.errorOutput; the state's own Assign does not run.
  void CatchJsonata(Frame& f, const State& s, const asl::Catcher& c, const std::string& error,
                    const std::string& cause) {
    json::value err = ErrorOutput(error, cause);
    json::object assigned;
    json::value out;
    absl::Status status = [&]() -> absl::Status {
      if (!c.output.has_value() && !c.jsonata_assign.has_value()) {
        out = err;
        return absl::OkStatus();
      }
      asl::JsonataBindings b = Bindings(f, s, nullptr, &err);
      SW_ASSIGN_OR_RETURN(assigned, JsonataAssign(c.jsonata_assign, b, f.variables));
      if (c.output.has_value()) {
        SW_ASSIGN_OR_RETURN(out, c.output->Evaluate(b, "Output"));
      } else {
        out = err;
      }
      return absl::OkStatus();
    }();
    if (!status.ok()) {
      std::string qcause = absl::StrCat("An error occurred while executing the state '", s.name,
                                        "' (entered at the event id #", f.entered_event_id,
                                        "). ", status.message());
      EmitEvaluationFailed(f, s, qcause, asl::QueryErrorLocation(status),
                           f.entered_prev_event_id);
      FailFrame(f, std::string(asl::kStatesQueryEvaluationError), qcause);
      return;
    }
    json::object d = PayloadDetails("output", out);
    d["name"] = Str(s.name);
    AddAssigned(f, assigned, d);
    f.input_text = d["output"].get_string();
    f.has_input_text = true;
    EmitFrame(f, absl::StrCat(ToAbsl(asl::StateTypeName(s.type)), "StateExited"), std::move(d));
    f.state = c.next_index;
    f.input = std::move(out);
    f.phase = Frame::Phase::kEnter;
  }

  // ---- variables ---------------------------------------------------------

  // Evaluates an Assign template against `doc` with the variables as they
  // were when the state was entered. The values take effect on exit.
  absl::StatusOr<json::object> EvalAssign(const Frame& f, const State& s,
                                          const std::optional<asl::PayloadTemplate>& tmpl,
                                          const json::value& doc) const {
    if (!tmpl.has_value()) return json::object();
    auto r = ApplyTemplate(*tmpl, doc, f, s);
    if (!r.ok()) return AsRuntime(r.status());
    if (!r->is_object()) return json::object();
    // AWS's size limits: one variable, one Assign, all stored variables.
    SW_RETURN_IF_ERROR(asl::CheckAssignedVariables(r->get_object(), f.variables));
    return std::move(r->get_object());
  }

  // Applies `assigned` to the frame's variables and records them (sorted by
  // name, values as JSON text) in the state's exit event details.
  static void AddAssigned(Frame& f, json::object& assigned, json::object& details) {
    if (assigned.empty()) return;
    std::vector<std::string> names;
    for (const auto& kv : assigned) names.emplace_back(kv.key());
    std::sort(names.begin(), names.end());
    json::object shown;
    for (const std::string& n : names) {
      shown[n] = Str(SerializeJson(assigned[n]));
      f.variables[n] = std::move(assigned[n]);
    }
    details["assignedVariables"] = std::move(shown);
    json::object truncated;
    truncated["truncated"] = false;
    details["assignedVariablesDetails"] = std::move(truncated);
  }

  // ---- errors ------------------------------------------------------------

  void HandleStatus(Frame& f, const absl::Status& status) {
    std::string name = asl::RuntimeErrorName(status);
    if (name.empty()) name = std::string(asl::kStatesRuntime);
    std::string cause(status.message());
    const State& s = StateOf(f);
    if (name == asl::kStatesRuntime || name == asl::kStatesParameterPathFailure ||
        name == asl::kStatesResultPathMatchFailure || name == asl::kStatesIntrinsicFailure) {
      cause = absl::StrCat("An error occurred while executing the state '", s.name,
                           "' (entered at the event id #", f.entered_event_id, "). ", cause);
    } else if (name == asl::kStatesQueryEvaluationError) {
      cause = absl::StrCat("An error occurred while executing the state '", s.name,
                           "' (entered at the event id #", f.entered_event_id, "). ", cause);
      std::string location = asl::QueryErrorLocation(status);
      // AWS chains the event to the Entered event's predecessor, except for
      // a Wait's bad Seconds/Timestamp value (to the Entered event itself).
      bool after_entered = s.type == StateType::kWait;
      EmitEvaluationFailed(f, s, cause, location,
                           after_entered ? f.tail : f.entered_prev_event_id);
      if (st_.status != ExecutionStatus::kRunning) return;
      // A Map that fails before its iterations start records MapStateFailed.
      bool map_start = s.type == StateType::kMap && f.phase == Frame::Phase::kEnter;
      HandleError(f, name, cause, /*from_children=*/map_start);
      return;
    }
    HandleError(f, name, cause, /*from_children=*/false);
  }

  void HandleError(Frame& f, const std::string& error, const std::string& cause,
                   bool from_children) {
    if (st_.status != ExecutionStatus::kRunning) return;
    const State& s = StateOf(f);
    bool catchable = error != asl::kStatesRuntime;
    if (catchable) {
      for (size_t i = 0; i < s.retry.size(); ++i) {
        const asl::Retrier& r = s.retry[i];
        if (!ErrorMatches(r.error_equals, error)) continue;
        if (f.retry_attempts[i] < r.max_attempts) {
          double delay = static_cast<double>(r.interval_seconds) *
                         std::pow(r.backoff_rate, static_cast<double>(f.retry_attempts[i]));
          if (r.max_delay_seconds.has_value()) {
            delay = std::min(delay, static_cast<double>(*r.max_delay_seconds));
          }
          if (r.jitter_full && in_.random_ != nullptr) {
            delay = delay * static_cast<double>(in_.random_->Next64() >> 11) /
                    static_cast<double>(1ULL << 53);
          }
          ++f.retry_attempts[i];
          f.timer_id = st_.next_timer_id++;
          f.phase = Frame::Phase::kAwaitRetry;
          out_.start_timers.push_back(
              {f.timer_id, now_ + static_cast<TimeMs>(std::llround(delay * 1000.0))});
          return;
        }
        break;
      }
    }
    if (from_children) {
      EmitFrame(f, s.type == StateType::kMap ? "MapStateFailed" : "ParallelStateFailed", {});
    }
    if (catchable) {
      for (const asl::Catcher& c : s.catchers) {
        if (!ErrorMatches(c.error_equals, error)) continue;
        if (s.jsonata) {
          CatchJsonata(f, s, c, error, cause);
          return;
        }
        json::value out;
        json::value err = ErrorOutput(error, cause);
        if (c.result_path.is_null) {
          out = f.input;
        } else if (!c.result_path.path.has_value()) {
          out = std::move(err);
        } else {
          out = f.input;
          if (!c.result_path.path->Assign(out, std::move(err)).ok()) {
            FailFrame(f, std::string(asl::kStatesResultPathMatchFailure),
                      absl::StrCat("Unable to apply ResultPath \"", c.result_path.path->text(),
                                   "\" to input \"", SerializeJson(f.input), "\""));
            return;
          }
        }
        json::object d = PayloadDetails("output", out);
        d["name"] = Str(s.name);
        auto assigned = EvalAssign(f, s, c.assign, ErrorOutput(error, cause));
        if (assigned.ok()) AddAssigned(f, *assigned, d);
        f.input_text = d["output"].get_string();
        f.has_input_text = true;
        EmitFrame(f, absl::StrCat(ToAbsl(asl::StateTypeName(s.type)), "StateExited"), std::move(d));
        f.state = c.next_index;
        f.input = std::move(out);
        f.phase = Frame::Phase::kEnter;
        return;
      }
    }
    FailFrame(f, error, cause);
  }

  void RetryState(Frame& f) {
    const State& s = StateOf(f);
    // Each attempt evaluates InputPath and Parameters again (so
    // $$.State.RetryCount in Parameters counts the attempts).
    absl::Status status = s.type == StateType::kTask ? RunTask(f, s) : StartFanOut(f, s);
    if (!status.ok()) HandleStatus(f, status);
    Schedule(f);
  }

  // ---- frame completion ---------------------------------------------------

  void FinishFrame(Frame& f, json::value output) {
    f.phase = Frame::Phase::kDone;
    if (f.parent < 0) {
      json::object d = PayloadDetails("output", output);
      Emit(nullptr, "ExecutionSucceeded", std::move(d), f.tail);
      st_.output = SerializeJson(output);
      EndExecution(ExecutionStatus::kSucceeded, "", "");
      return;
    }
    ChildDone(f, true, std::move(output), "", "");
  }

  void FailFrame(Frame& f, const std::string& error, const std::string& cause) {
    f.phase = Frame::Phase::kDone;
    if (f.parent < 0) {
      json::object d;
      if (!error.empty()) d["error"] = Str(error);
      if (!cause.empty()) d["cause"] = Str(cause);
      Emit(nullptr, "ExecutionFailed", std::move(d), f.tail);
      EndExecution(ExecutionStatus::kFailed, error, cause);
      return;
    }
    ChildDone(f, false, json::value(), error, cause);
  }

  void EndExecution(ExecutionStatus status, std::string error, std::string cause) {
    st_.status = status;
    st_.error = std::move(error);
    st_.cause = std::move(cause);
    for (auto& [id, f] : st_.frames) {
      if (f.task_id != 0) out_.cancel_tasks.push_back(f.task_id);
      if (f.timer_id != 0) out_.cancel_timers.push_back(f.timer_id);
    }
    if (st_.execution_timer_id != 0) out_.cancel_timers.push_back(st_.execution_timer_id);
    st_.execution_timer_id = 0;
  }

  // ---- Parallel and Map -----------------------------------------------------

  absl::Status StartFanOut(Frame& f, const State& s) {
    json::value eff;
    if (s.jsonata) {
      eff = f.input;
    } else {
      SW_ASSIGN_OR_RETURN(eff, SelectPath(s.input_path, f.input, f, s));
    }
    auto fan = std::make_unique<FanOut>();
    fan->is_map = s.type == StateType::kMap;
    if (!fan->is_map) {
      if (s.jsonata && s.arguments.has_value()) {
        SW_ASSIGN_OR_RETURN(eff, s.arguments->Evaluate(Bindings(f, s), "Arguments"));
      } else if (s.parameters.has_value()) {
        SW_ASSIGN_OR_RETURN(eff, ApplyTemplate(*s.parameters, eff, f, s));
      }
      fan->inputs.assign(s.branches.size(), eff);
      EmitFrame(f, "ParallelStateStarted", {});
    } else {
      SW_RETURN_IF_ERROR(PrepareMap(f, s, eff, *fan));
    }
    if (st_.status != ExecutionStatus::kRunning) return absl::OkStatus();
    fan->results.assign(fan->inputs.size(), json::value());
    fan->child_frames.assign(fan->inputs.size(), -1);
    f.effective = std::move(eff);
    f.fan = std::move(fan);
    f.phase = Frame::Phase::kAwaitChildren;
    if (f.fan->inputs.empty()) {
      FinishFanOut(f);
      return absl::OkStatus();
    }
    LaunchMore(f.id);
    return absl::OkStatus();
  }

  absl::Status PrepareMap(Frame& f, const State& s, const json::value& eff, FanOut& fan) {
    json::value items_holder;
    const json::value* items = &eff;
    if (s.items.has_value()) {
      SW_ASSIGN_OR_RETURN(items_holder, s.items->Evaluate(Bindings(f, s), "Items"));
      items = &items_holder;
      if (!items->is_array()) {
        std::string_view type = items->is_string()   ? "string"
                                : items->is_number() ? "number"
                                : items->is_bool()   ? "boolean"
                                : items->is_null()   ? "null"
                                                     : "object";
        return asl::QueryError(
            "Items", absl::StrCat("The JSONata expression '", s.items->expression_text(),
                                  "' specified for the field 'Items' returned an unexpected "
                                  "result type. Expected 'array', but was '",
                                  ToAbsl(type), "' for value: ", SerializeJson(*items)));
      }
    } else if (s.items_path.has_value()) {
      asl::PathField pf;
      pf.path = s.items_path;
      SW_ASSIGN_OR_RETURN(items_holder, SelectPath(pf, eff, f, s));
      items = &items_holder;
    }
    if (!items->is_array()) {
      return asl::RuntimeError(
          asl::kStatesRuntime,
          absl::StrCat("Invalid path '", s.items_path ? s.items_path->text() : "$",
                       "': The path must point to an array, but found: ",
                       SerializeJson(*items)));
    }
    const json::array& arr = items->get_array();
    // MaxConcurrencyPath is resolved before the Map starts; the tolerance
    // paths after (AWS records MapStateStarted before those failures).
    if (s.max_concurrency.has_value()) fan.max_concurrency = *s.max_concurrency;
    if (s.max_concurrency_expr.has_value()) {
      SW_ASSIGN_OR_RETURN(fan.max_concurrency,
                          JsonataInt(f, s, *s.max_concurrency_expr, "MaxConcurrency", 0));
    }
    if (s.max_concurrency_path.has_value()) {
      SW_ASSIGN_OR_RETURN(fan.max_concurrency,
                          NumberAtPath(f, s, eff, *s.max_concurrency_path,
                                       "MaxConcurrencyPath", /*integer=*/true));
    }
    json::object started;
    started["length"] = static_cast<int64_t>(arr.size());
    EmitFrame(f, "MapStateStarted", std::move(started));
    if (s.tolerated_failure_count.has_value()) fan.tolerated_count = *s.tolerated_failure_count;
    if (s.tolerated_failure_count_path.has_value()) {
      SW_ASSIGN_OR_RETURN(double c, NumberAtPath(f, s, eff, *s.tolerated_failure_count_path,
                                                 "ToleratedFailureCountPath", true));
      fan.tolerated_count = static_cast<int64_t>(c);
    }
    if (s.tolerated_failure_percentage.has_value()) {
      fan.tolerated_percentage = *s.tolerated_failure_percentage;
    }
    if (s.tolerated_failure_count_expr.has_value()) {
      SW_ASSIGN_OR_RETURN(fan.tolerated_count,
                          JsonataInt(f, s, *s.tolerated_failure_count_expr,
                                     "ToleratedFailureCount", 0));
    }
    if (s.tolerated_failure_percentage_expr.has_value()) {
      SW_ASSIGN_OR_RETURN(json::value v, s.tolerated_failure_percentage_expr->Evaluate(
                                             Bindings(f, s), "ToleratedFailurePercentage"));
      if (!v.is_number() || ToDouble(v) < 0 || ToDouble(v) > 100) {
        return asl::QueryError(
            "ToleratedFailurePercentage",
            absl::StrCat("The ToleratedFailurePercentage field refers to value \"",
                         SerializeJson(v), "\" which is not a valid percentage between 0 and 100."));
      }
      fan.tolerated_percentage = ToDouble(v);
    }
    if (s.tolerated_failure_percentage_path.has_value()) {
      SW_ASSIGN_OR_RETURN(fan.tolerated_percentage,
                          NumberAtPath(f, s, eff, *s.tolerated_failure_percentage_path,
                                       "ToleratedFailurePercentagePath", false));
    }
    if (fan.tolerated_count.has_value() && *fan.tolerated_count < 0) {
      return asl::RuntimeError(asl::kStatesRuntime, "ToleratedFailureCount cannot be negative.");
    }
    if (fan.tolerated_percentage.has_value() &&
        (*fan.tolerated_percentage < 0 || *fan.tolerated_percentage > 100)) {
      return asl::RuntimeError(asl::kStatesRuntime,
                               "ToleratedFailurePercentage must be between 0 and 100.");
    }
    fan.silent_children = s.distributed;
    if (s.distributed) {
      json::object d;
      d["mapRunArn"] = Str(absl::StrCat(st_.info.execution_arn, "/", s.name));
      EmitFrame(f, "MapRunStarted", std::move(d));
    }
    // Item inputs: ItemSelector (or Parameters) with $$.Map.Item.
    fan.inputs.reserve(arr.size());
    for (size_t i = 0; i < arr.size(); ++i) {
      if (s.item_selector.has_value()) {
        json::value index(static_cast<int64_t>(i));
        SW_ASSIGN_OR_RETURN(json::value in,
                            s.item_selector->Evaluate(
                                Bindings(f, s, nullptr, nullptr, &index, &arr[i]),
                                "ItemSelector"));
        fan.inputs.push_back(std::move(in));
        continue;
      }
      if (!s.parameters.has_value()) {
        fan.inputs.push_back(arr[i]);
        continue;
      }
      json::value index(static_cast<int64_t>(i));
      json::value ctx = ContextObject(f, s, &index, &arr[i]);
      SW_ASSIGN_OR_RETURN(json::value in, s.parameters->Evaluate(Env(f, &eff, &ctx)));
      fan.inputs.push_back(std::move(in));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<double> NumberAtPath(const Frame& f, const State& s, const json::value& eff,
                                      const asl::JsonPath& path, std::string_view field,
                                      bool integer) const {
    asl::PathField pf;
    pf.path = path;
    SW_ASSIGN_OR_RETURN(json::value v, SelectPath(pf, eff, f, s));
    bool ok = integer ? IsIntegral(v) : v.is_number();
    if (!ok) {
      std::string shown = v.is_string() ? std::string(v.get_string()) : SerializeJson(v);
      return asl::RuntimeError(
          asl::kStatesRuntime,
          absl::StrCat("The ", ToAbsl(field), " field refers to value \"", shown,
                       "\" which is not a valid ", integer ? "integer" : "float", ": ",
                       path.text()));
    }
    return ToDouble(v);
  }

  void LaunchMore(int parent_id) {
    auto it = st_.frames.find(parent_id);
    if (it == st_.frames.end()) return;
    Frame& p = it->second;
    if (p.phase != Frame::Phase::kAwaitChildren || !p.fan) return;
    FanOut& fan = *p.fan;
    if (fan.finished || fan.next_to_launch >= fan.inputs.size()) return;
    if (fan.max_concurrency > 0 && fan.running >= fan.max_concurrency) return;
    size_t i = fan.next_to_launch++;
    const State& s = StateOf(p);
    const asl::Scope* scope = fan.is_map ? s.processor.get() : s.branches[i].get();
    if (fan.launch_tail == 0) fan.launch_tail = p.tail;
    int64_t tail = fan.launch_tail;
    if (fan.is_map && !fan.silent_children) {
      json::object d;
      d["name"] = Str(s.name);
      d["index"] = static_cast<int64_t>(i);
      tail = Emit(&p, "MapIterationStarted", std::move(d), fan.launch_tail);
    }
    Frame& child = NewFrame(p.id, scope, fan.inputs[i], tail);
    child.child_index = static_cast<int>(i);
    child.scope_path = p.scope_path;
    child.scope_path.push_back(p.state);
    child.scope_path.push_back(fan.is_map ? 0 : static_cast<int>(i));
    child.variables = p.variables;
    child.silent = p.silent || fan.silent_children;
    fan.child_frames[i] = child.id;
    ++fan.running;
    Schedule(child);
  }

  void ChildDone(Frame& child, bool ok, json::value output, const std::string& error,
                 const std::string& cause) {
    int parent_id = child.parent;
    int index = child.child_index;
    int64_t child_tail = child.tail;
    child.phase = Frame::Phase::kDone;
    Frame& p = st_.frames.at(parent_id);
    FanOut& fan = *p.fan;
    const State& s = StateOf(p);
    fan.child_frames[static_cast<size_t>(index)] = -1;
    --fan.running;
    if (!fan.silent_children) {
      // The next iteration chains from this one's last event; the Map's own
      // closing events chain from the MapIterationSucceeded (as AWS records).
      fan.launch_tail = child_tail;
      p.tail = child_tail;
      if (fan.is_map) {
        json::object d;
        d["name"] = Str(s.name);
        d["index"] = static_cast<int64_t>(index);
        int64_t id = Emit(&p, ok ? "MapIterationSucceeded" : "MapIterationFailed",
                          std::move(d), child_tail);
        if (ok) p.tail = id;
      }
    }
    if (ok) {
      ++fan.succeeded;
      fan.results[static_cast<size_t>(index)] = std::move(output);
    } else {
      ++fan.failed;
      fan.results[static_cast<size_t>(index)] = ErrorOutput(error, cause);
      if (fan.first_error.empty()) {
        fan.first_error = error;
        fan.first_cause = cause;
      }
      if (!WithinTolerance(fan)) {
        AbortChildren(p);
        fan.finished = true;
        bool tolerance_set = fan.tolerated_count.has_value() || fan.tolerated_percentage.has_value();
        std::string e = tolerance_set ? std::string(asl::kStatesExceedToleratedFailureThreshold)
                                      : error;
        std::string c = tolerance_set ? "The specified tolerated failure threshold was exceeded"
                                      : cause;
        if (fan.silent_children) {
          json::object d;
          d["error"] = Str(e);
          d["cause"] = Str(c);
          EmitFrame(p, "MapRunFailed", std::move(d));
        }
        p.fan.reset();
        HandleError(p, e, c, /*from_children=*/true);
        Schedule(p);
        return;
      }
    }
    if (fan.running == 0 && fan.next_to_launch >= fan.inputs.size()) {
      FinishFanOut(p);
      return;
    }
    LaunchMore(p.id);
  }

  static bool WithinTolerance(const FanOut& fan) {
    bool any = false;
    if (fan.tolerated_count.has_value()) {
      any = true;
      if (fan.failed <= *fan.tolerated_count) return true;
    }
    if (fan.tolerated_percentage.has_value() && !fan.inputs.empty()) {
      any = true;
      double pct = 100.0 * fan.failed / static_cast<double>(fan.inputs.size());
      if (pct <= *fan.tolerated_percentage) return true;
    }
    (void)any;
    return false;
  }

  void AbortChildren(Frame& p) {
    if (!p.fan) return;
    const State& s = StateOf(p);
    for (size_t i = 0; i < p.fan->child_frames.size(); ++i) {
      int id = p.fan->child_frames[i];
      if (id < 0) continue;
      AbortFrame(st_.frames.at(id));
      if (p.fan->is_map && !p.fan->silent_children) {
        json::object d;
        d["name"] = Str(s.name);
        d["index"] = static_cast<int64_t>(i);
        Emit(&p, "MapIterationAborted", std::move(d), st_.frames.at(id).tail);
      }
      st_.frames.at(id).phase = Frame::Phase::kDone;
      p.fan->child_frames[i] = -1;
    }
    p.fan->running = 0;
  }

  void AbortFrame(Frame& f) {
    const State& s = StateOf(f);
    if (f.task_id != 0) out_.cancel_tasks.push_back(f.task_id);
    if (f.timer_id != 0) out_.cancel_timers.push_back(f.timer_id);
    f.task_id = 0;
    f.timer_id = 0;
    switch (f.phase) {
      case Frame::Phase::kAwaitTask:
      case Frame::Phase::kAwaitRetry:
        EmitFrame(f, "TaskStateAborted", {});
        break;
      case Frame::Phase::kAwaitTimer:
        EmitFrame(f, "WaitStateAborted", {});
        break;
      case Frame::Phase::kAwaitChildren:
        AbortChildren(f);
        EmitFrame(f, s.type == StateType::kMap ? "MapStateAborted" : "ParallelStateAborted", {});
        break;
      default:
        break;
    }
    f.phase = Frame::Phase::kDone;
  }

  void FinishFanOut(Frame& p) {
    FanOut& fan = *p.fan;
    fan.finished = true;
    if (fan.is_map) {
      int64_t prev = p.tail;
      if (fan.silent_children) prev = Emit(&p, "MapRunSucceeded", {}, p.tail);
      Emit(&p, "MapStateSucceeded", {}, prev);
    }
    json::array results;
    results.reserve(fan.results.size());
    for (json::value& v : fan.results) results.push_back(std::move(v));
    p.fan.reset();
    FinishWithResult(p, json::value(std::move(results)));
  }

  const Interpreter& in_;
  ExecutionState& st_;
  TimeMs now_;
  Decision& out_;
  std::vector<int> stack_;          // frames ready to run, top = back
  std::deque<int> pending_launch_;  // fan-outs whose child just blocked
  int steps_ = 0;
};

Interpreter::Interpreter(std::shared_ptr<const asl::StateMachine> machine,
                         asl::RandomSource* random, InterpreterOptions options)
    : machine_(std::move(machine)), random_(random), options_(options) {}

void Interpreter::Start(ExecutionState& state, json::value input, TimeMs now,
                        Decision& out) const {
  Run(*this, state, now, out).Start(std::move(input));
}

absl::Status Interpreter::TaskStarted(ExecutionState& state, int64_t task_id,
                                      const std::string& worker_name, TimeMs now,
                                      Decision& out) const {
  return Run(*this, state, now, out).TaskStarted(task_id, worker_name);
}

absl::Status Interpreter::CompleteTask(ExecutionState& state, int64_t task_id,
                                       const TaskResult& result, TimeMs now,
                                       Decision& out) const {
  return Run(*this, state, now, out).CompleteTask(task_id, result);
}

absl::Status Interpreter::FireTimer(ExecutionState& state, int64_t timer_id, TimeMs now,
                                    Decision& out) const {
  if (state.status != ExecutionStatus::kRunning) return absl::OkStatus();
  return Run(*this, state, now, out).FireTimer(timer_id);
}

void Interpreter::Continue(ExecutionState& state, TimeMs now, Decision& out) const {
  if (state.status != ExecutionStatus::kRunning) return;
  Run(*this, state, now, out).Continue();
}

absl::Status Interpreter::Stop(ExecutionState& state, const std::string& error,
                               const std::string& cause, TimeMs now, Decision& out) const {
  if (state.status != ExecutionStatus::kRunning) {
    return absl::FailedPreconditionError("execution is not running");
  }
  return Run(*this, state, now, out).Stop(error, cause);
}

}  // namespace stepwise::engine
