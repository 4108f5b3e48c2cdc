#include "engine/local_runner.h"

#include <deque>
#include <map>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "asl/definition.h"
#include "asl/validator.h"
#include "engine/arn.h"
#include "engine/interpreter.h"

namespace stepwise::engine {

namespace {

// Drives one execution: applies decisions, runs tasks through the handler,
// and fires timers in due order on a skipping clock.
class LocalDriver {
 public:
  LocalDriver(const Interpreter& interp, ExecutionState& state,
              const LocalRunOptions& opts, LocalRunResult& result, TimeMs now)
      : interp_(interp), st_(state), opts_(opts), result_(result), now_(now) {}

  void Absorb(Decision& d) {
    for (int64_t t : d.cancel_tasks) cancelled_tasks_.insert({t, true});
    for (int64_t t : d.cancel_timers) {
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second == t) {
          timers_.erase(it);
          break;
        }
      }
    }
    for (auto& cmd : d.schedule_tasks) tasks_.push_back(std::move(cmd));
    if (d.yielded) yielded_ = true;
    for (const auto& t : d.start_timers) timers_.insert({t.due, t.timer_id});
    for (HistoryEvent& e : d.events) {
      result_.events.push_back(std::move(e));
      if (opts_.stop_when && !stopping_ &&
          st_.status == ExecutionStatus::kRunning &&
          opts_.stop_when(result_.events.back())) {
        stopping_ = true;
      }
    }
    d = Decision();
    if (stopping_ && st_.status == ExecutionStatus::kRunning) {
      Decision stop;
      interp_.Stop(st_, "", "", now_, stop).IgnoreError();  // checked running
      Absorb(stop);
    }
  }

  void Loop() {
    while (st_.status == ExecutionStatus::kRunning) {
      Decision d;
      if (yielded_) {
        yielded_ = false;
        interp_.Continue(st_, now_, d);
        Absorb(d);
        continue;
      }
      if (!tasks_.empty()) {
        ScheduleTaskCommand cmd = std::move(tasks_.front());
        tasks_.pop_front();
        if (cancelled_tasks_.count(cmd.task_id) > 0) continue;
        // Started, then the outcome: a dispatch that fails has no effect.
        if (!interp_.TaskStarted(st_, cmd.task_id, "local", now_, d).ok()) continue;
        Absorb(d);
        if (st_.status != ExecutionStatus::kRunning) break;
        TaskResult r = RunTask(cmd);
        if (r.kind == TaskResult::Kind::kTimedOut && cmd.timeout_seconds > 0) {
          now_ += cmd.timeout_seconds * 1000;
        }
        interp_.CompleteTask(st_, cmd.task_id, r, now_, d).IgnoreError();  // may be aborted
        Absorb(d);
        continue;
      }
      if (!timers_.empty()) {
        auto it = timers_.begin();
        TimeMs due = it->first;
        int64_t id = it->second;
        timers_.erase(it);
        if (due > now_) now_ = due;
        interp_.FireTimer(st_, id, now_, d).IgnoreError();  // unknown timers are no-ops
        Absorb(d);
        continue;
      }
      break;  // nothing pending: cannot make progress
    }
  }

 private:
  TaskResult RunTask(const ScheduleTaskCommand& cmd) {
    TaskResult r;
    if (!opts_.task_handler) {
      r.kind = TaskResult::Kind::kFailed;
      r.error = "States.TaskFailed";
      r.cause = absl::StrCat("The local runner has no way to run resource '", cmd.resource,
                             "' (state '", cmd.state_name, "')");
      return r;
    }
    TaskRequest req;
    req.state_name = cmd.state_name;
    req.resource = cmd.resource;
    req.input = cmd.input;
    req.attempt = cmd.attempt;
    TaskOutcome o = opts_.task_handler(req);
    if (o.timed_out) {
      r.kind = TaskResult::Kind::kTimedOut;
    } else if (o.success) {
      r.kind = TaskResult::Kind::kSucceeded;
      r.output = std::move(o.output);
    } else {
      r.kind = TaskResult::Kind::kFailed;
      r.error = std::move(o.error);
      r.cause = std::move(o.cause);
    }
    return r;
  }

  const Interpreter& interp_;
  ExecutionState& st_;
  const LocalRunOptions& opts_;
  LocalRunResult& result_;
  TimeMs now_;
  bool stopping_ = false;
  bool yielded_ = false;
  std::deque<ScheduleTaskCommand> tasks_;
  std::multimap<TimeMs, int64_t> timers_;
  std::map<int64_t, bool> cancelled_tasks_;
};

}  // namespace

absl::StatusOr<LocalRunResult> RunLocal(std::string_view definition,
                                        std::string_view input,
                                        const LocalRunOptions& options) {
  asl::ValidationResult v = asl::ValidateDefinition(definition, options.state_machine_type);
  if (!v.ok()) {
    std::string msg = "invalid definition:";
    for (const asl::Diagnostic& d : v.diagnostics) {
      if (d.severity != "ERROR") continue;
      absl::StrAppend(&msg, " [", d.code, "] ", d.message,
                      d.location.empty() ? "" : " at " + d.location, ";");
    }
    return absl::InvalidArgumentError(msg);
  }
  SW_ASSIGN_OR_RETURN(json::value def_json, ParseJson(absl::string_view(definition.data(), definition.size())));
  auto machine = asl::ParseStateMachine(def_json);
  if (!machine.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid definition: ", machine.status().message()));
  }
  auto in = ParseJson(absl::string_view(input.data(), input.size()));
  if (!in.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid input: ", in.status().message()));
  }

  asl::SeededRandom random(options.seed);
  InterpreterOptions iopts;
  iopts.max_events = options.max_events;
  Interpreter interp(*machine, &random, iopts);

  ExecutionState state;
  TimeMs now = options.start_time != 0 ? options.start_time : SystemClock::Get()->NowMs();
  bool express = options.state_machine_type == "EXPRESS";
  state.info.state_machine_name = options.state_machine_name;
  state.info.state_machine_arn =
      MachineArn(options.region, options.account, options.state_machine_name);
  state.info.execution_name = options.execution_name;
  if (express) {
    // Express execution ARNs carry a third part, a UUID (seeded: a local
    // run is reproducible).
    asl::SeededRandom id_random(options.seed ^ 0x5eedULL);
    uint64_t hi = id_random.Next64(), lo = id_random.Next64();
    state.info.execution_arn =
        ExpressExecutionArn(options.region, options.account, options.state_machine_name,
                            options.execution_name, FormatUuid(hi, lo));
  } else {
    state.info.execution_arn = ExecutionArn(options.region, options.account,
                                            options.state_machine_name, options.execution_name);
  }
  state.info.role_arn = options.role_arn;
  state.info.express = express;
  state.info.start_time = now;

  LocalRunResult result;
  LocalDriver driver(interp, state, options, result, now);
  Decision d;
  interp.Start(state, *std::move(in), now, d);
  driver.Absorb(d);
  driver.Loop();

  result.status = std::string(ExecutionStatusName(state.status));
  if (state.status == ExecutionStatus::kRunning) {
    return absl::InternalError("execution made no progress and did not end");
  }
  if (state.status == ExecutionStatus::kSucceeded) {
    result.output = state.output;
  } else {
    if (!state.error.empty()) result.error = state.error;
    if (!state.cause.empty()) result.cause = state.cause;
  }
  return result;
}

}  // namespace stepwise::engine
