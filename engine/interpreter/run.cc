// Interpreter::Run, the core: the triggers (start, timer fired, continue,
// stop), frames and the scheduling loop that runs them, entering and
// leaving a state, and the end of a frame or of the execution. The state
// families live beside it (see run.h). Runs on whichever thread calls the
// Interpreter; pure: no I/O, no locks.
#include "engine/interpreter/run.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "engine/interpreter/event_details.h"

namespace stepwise::engine {

using asl::StateType;
using interpreter::PayloadDetails;
using interpreter::Str;

// ---- triggers ---------------------------------------------------------------

void Interpreter::Run::Start(json::value input, const StartPoint* from) {
  st_.execution_input = input;
  json::object d = PayloadDetails("input", input);
  d["roleArn"] = Str(st_.info.role_arn);
  if (from != nullptr && !from->restarted_from.empty()) {
    d["stepwiseRestartedFrom"] = from->restarted_from;
  }
  Emit(nullptr, "ExecutionStarted", std::move(d), 0);
  std::optional<TimeMs> due;
  if (in_.machine_->timeout_seconds.has_value()) {
    due = now_ + *in_.machine_->timeout_seconds * 1000;
  }
  if (st_.info.express && in_.options_.express_max_ms > 0) {
    // Express: the 5-minute limit, or the definition's, whichever is first.
    due = std::min(due.value_or(now_ + in_.options_.express_max_ms),
                   now_ + in_.options_.express_max_ms);
  }
  if (due.has_value()) {
    st_.execution_timer_id = st_.next_timer_id++;
    out_.start_timers.push_back({st_.execution_timer_id, *due});
  }
  Frame& root = NewFrame(-1, in_.machine_->root.get(), std::move(input), 0);
  if (from != nullptr && from->state >= 0 &&
      static_cast<size_t>(from->state) < in_.machine_->root->states.size()) {
    root.state = from->state;
    for (const auto& kv : from->variables) root.variables[kv.key()] = kv.value();
  }
  Schedule(root);
  Drain();
}

absl::Status Interpreter::Run::FireTimer(int64_t timer_id) {
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
  if (f.phase == Frame::Phase::kAwaitTimer) {
    FinishWait(f);
  } else if (f.phase == Frame::Phase::kAwaitRetry) {
    ++f.retry_count;
    RetryState(f);
  }
  Drain();
  return absl::OkStatus();
}

void Interpreter::Run::Continue() {
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

absl::Status Interpreter::Run::Stop(const std::string& error, const std::string& cause) {
  json::object d;
  if (!error.empty()) d["error"] = Str(error);
  if (!cause.empty()) d["cause"] = Str(cause);
  Emit(nullptr, "ExecutionAborted", std::move(d), 0);
  EndExecution(ExecutionStatus::kAborted, error, cause);
  Sweep();
  return absl::OkStatus();
}

// ---- events -----------------------------------------------------------------

void Interpreter::Run::HitEventLimit(Frame& f) {
  std::string cause = absl::StrCat(
      "The execution reached the maximum number of history events (",
      in_.options_.max_events, ").");
  json::object d;
  d["error"] = Str(asl::kStatesRuntime);
  d["cause"] = Str(cause);
  Emit(nullptr, "ExecutionFailed", std::move(d), f.tail);
  EndExecution(ExecutionStatus::kFailed, std::string(asl::kStatesRuntime), cause);
}

// ---- frames and scheduling --------------------------------------------------

Frame& Interpreter::Run::NewFrame(int parent, const asl::Scope* scope, json::value input,
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

Frame* Interpreter::Run::FindTaskFrame(int64_t task_id) {
  if (st_.status != ExecutionStatus::kRunning || task_id == 0) return nullptr;
  for (auto& [id, f] : st_.frames) {
    if (f.task_id == task_id && f.phase == Frame::Phase::kAwaitTask) return &f;
  }
  return nullptr;
}

void Interpreter::Run::Drain() {
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
void Interpreter::Run::Sweep() {
  if (st_.status != ExecutionStatus::kRunning) {
    for (auto& [fid, fr] : st_.frames) {
      if (fr.parent < 0) out_.closing_variables = std::move(fr.variables);
    }
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

// ---- entering and leaving states --------------------------------------------

void Interpreter::Run::EnterState(Frame& f) {
  const State& s = StateOf(f);
  if (!failed_fans_.empty()) failed_fans_.erase(f.id);
  f.map_run_arn.clear();  // a Map Run is kept for a redrive only while its state is current
  f.map_run_redrive_count = 0;
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
  f.entered_event_id = EmitFrame(f, interpreter::StateEnteredType(s.type), std::move(d));
  if (st_.status != ExecutionStatus::kRunning) return;
  f.entered_time = now_;
  f.retry_attempts.assign(s.retry.size(), 0);
  f.retry_count = 0;
  absl::Status status;
  switch (s.type) {
    case StateType::kPass:
      status = RunPass(f, s);
      break;
    case StateType::kChoice:
      status = s.jsonata ? RunJsonataChoice(f, s) : RunChoice(f, s);
      break;
    case StateType::kSucceed:
      status = RunSucceed(f, s);
      break;
    case StateType::kFail:
      status = RunFail(f, s);
      break;
    case StateType::kWait:
      status = RunWait(f, s);
      break;
    case StateType::kTask:
      status = RunTask(f, s);
      break;
    case StateType::kParallel:
    case StateType::kMap:
      status = StartFanOut(f, s);
      break;
  }
  if (!status.ok()) HandleStatus(f, status);
}

void Interpreter::Run::ExitState(Frame& f, const State& s, int next, json::value out,
                                 json::object assigned, bool same, bool check_size) {
  json::object d = PayloadDetails("output", out, same ? &f.input_text : nullptr);
  if (check_size && d["output"].get_string().size() > in_.options_.max_payload_bytes) {
    // An oversize state output cannot be caught.
    FailFrame(f, std::string(asl::kStatesDataLimitExceeded),
              absl::StrCat("The state/task '", s.name,
                           "' returned a result with a size exceeding the maximum "
                           "number of bytes service limit."));
    return;
  }
  d["name"] = Str(s.name);
  AddAssigned(f, assigned, d);
  bool last = next < 0;
  if (!last && !same) {
    f.input_text = d["output"].get_string();
    f.has_input_text = true;
  }
  EmitFrame(f, interpreter::StateExitedType(s.type), std::move(d));
  if (st_.status != ExecutionStatus::kRunning) return;
  if (last) {
    FinishFrame(f, std::move(out));
    return;
  }
  f.state = next;
  f.input = std::move(out);
  f.phase = Frame::Phase::kEnter;
}

void Interpreter::Run::ExitSucceed(Frame& f, const State& s, json::value out) {
  json::object d = PayloadDetails("output", out);
  d["name"] = Str(s.name);
  EmitFrame(f, "SucceedStateExited", std::move(d));
  FinishFrame(f, std::move(out));
}

void Interpreter::Run::FinishWithResult(Frame& f, json::value result) {
  const State& s = StateOf(f);
  absl::Status status = s.jsonata
                            ? ExitJsonata(f, s, s.jsonata_assign, s.output, &result)
                            : ExitWithJsonPathResult(f, s, std::move(result));
  if (!status.ok()) HandleStatus(f, status);
  Schedule(f);
}

// True when the state's output is its input, unchanged: no paths, no
// Result or Parameters. Its Exited event reuses the input's text.
bool Interpreter::Run::PassesInputThrough(const State& s) {
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

void Interpreter::Run::AddAssigned(Frame& f, json::object& assigned, json::object& details) {
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

// ---- frame and execution ends -----------------------------------------------

void Interpreter::Run::FinishFrame(Frame& f, json::value output) {
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

void Interpreter::Run::FailFrame(Frame& f, const std::string& error, const std::string& cause) {
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

void Interpreter::Run::EndExecution(ExecutionStatus status, std::string error,
                                    std::string cause) {
  st_.status = status;
  st_.error = std::move(error);
  st_.cause = std::move(cause);
  if (status != ExecutionStatus::kSucceeded && !st_.info.express) KeepRedrivePoint();
  for (auto& [id, f] : st_.frames) {
    if (f.task_id != 0) out_.cancel_tasks.push_back(f.task_id);
    if (f.timer_id != 0) out_.cancel_timers.push_back(f.timer_id);
  }
  if (st_.execution_timer_id != 0) out_.cancel_timers.push_back(st_.execution_timer_id);
  st_.execution_timer_id = 0;
}

}  // namespace stepwise::engine
