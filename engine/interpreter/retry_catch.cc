// Errors in a state and what follows them: the cause AWS shows for runtime
// and query errors (with their EvaluationFailed event), Retry (back-off,
// MaxDelaySeconds, full jitter from the injected RandomSource), Catch in
// both query languages, and failing the frame when nothing handles the
// error. Runs on whichever thread calls the Interpreter; pure: no I/O, no
// locks.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "common/status_macros.h"
#include "engine/interpreter/event_details.h"
#include "engine/interpreter/run.h"

namespace stepwise::engine {

using asl::StateType;
using interpreter::ErrorOutput;
using interpreter::Str;

namespace {

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

}  // namespace

void Interpreter::Run::HandleStatus(Frame& f, const absl::Status& status) {
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

void Interpreter::Run::EmitEvaluationFailed(Frame& f, const State& s, const std::string& cause,
                                            const std::string& location, int64_t prev) {
  if (st_.last_event_id + 1 >= in_.options_.max_events && !f.silent) {
    HitEventLimit(f);
    return;
  }
  json::object d;
  d["cause"] = Str(cause);
  d["error"] = Str(asl::kStatesQueryEvaluationError);
  if (!location.empty()) d["location"] = Str(location);
  d["state"] = Str(s.name);
  int64_t id = Emit(&f, "EvaluationFailed", std::move(d), prev);
  if (id != 0) f.tail = id;
}

void Interpreter::Run::HandleError(Frame& f, const std::string& error, const std::string& cause,
                                   bool from_children) {
  if (st_.status != ExecutionStatus::kRunning) return;
  const State& s = StateOf(f);
  bool catchable = error != asl::kStatesRuntime;
  if (catchable && TryRetry(f, s, error)) return;
  if (from_children) {
    EmitFrame(f, s.type == StateType::kMap ? "MapStateFailed" : "ParallelStateFailed", {});
  }
  if (catchable) {
    for (const asl::Catcher& c : s.catchers) {
      if (!ErrorMatches(c.error_equals, error)) continue;
      if (s.jsonata) {
        CatchJsonata(f, s, c, error, cause);
      } else {
        CatchJsonPath(f, s, c, error, cause);
      }
      return;
    }
  }
  FailFrame(f, error, cause);
}

// ---- Retry ------------------------------------------------------------------

// Arms the back-off timer of the first Retrier that matches `error`, if it
// has attempts left; returns whether it did.
bool Interpreter::Run::TryRetry(Frame& f, const State& s, const std::string& error) {
  for (size_t i = 0; i < s.retry.size(); ++i) {
    const asl::Retrier& r = s.retry[i];
    if (!ErrorMatches(r.error_equals, error)) continue;
    if (f.retry_attempts[i] >= r.max_attempts) return false;
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
    return true;
  }
  return false;
}

void Interpreter::Run::RetryState(Frame& f) {
  const State& s = StateOf(f);
  // Each attempt evaluates InputPath and Parameters again (so
  // $$.State.RetryCount in Parameters counts the attempts).
  absl::Status status = s.type == StateType::kTask ? RunTask(f, s) : StartFanOut(f, s);
  if (!status.ok()) HandleStatus(f, status);
  Schedule(f);
}

// ---- Catch ------------------------------------------------------------------

// A Catcher of a JSONPath state: ResultPath places the error output in the
// state's input; Assign sees the error output.
void Interpreter::Run::CatchJsonPath(Frame& f, const State& s, const asl::Catcher& c,
                                     const std::string& error, const std::string& cause) {
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
  auto assigned = EvalAssign(f, s, c.assign, ErrorOutput(error, cause));
  ExitState(f, s, c.next_index, std::move(out),
            assigned.ok() ? *std::move(assigned) : json::object(), /*same=*/false,
            /*check_size=*/false);
}

// A Catcher of a JSONata state: Output (default $states.errorOutput) and
// Assign see $states.errorOutput; the state's own Assign does not run.
void Interpreter::Run::CatchJsonata(Frame& f, const State& s, const asl::Catcher& c,
                                    const std::string& error, const std::string& cause) {
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
    EmitEvaluationFailed(f, s, qcause, asl::QueryErrorLocation(status), f.entered_prev_event_id);
    FailFrame(f, std::string(asl::kStatesQueryEvaluationError), qcause);
    return;
  }
  ExitState(f, s, c.next_index, std::move(out), std::move(assigned), /*same=*/false,
            /*check_size=*/false);
}

}  // namespace stepwise::engine
