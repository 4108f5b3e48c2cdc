// Interpreter::Run: one trigger's worth of work on one execution (see
// engine/interpreter.h). Internal to engine/interpreter/: the class is
// declared here and defined across the files of this folder, one concern
// each:
//   run.cc             triggers, frames, scheduling, the drain loop, state
//                      entry and exit, frame and execution ends
//   simple_states.cc   Pass, Choice, Succeed, Fail
//   task_and_wait.cc   Task (schedule, start, complete) and Wait
//   fan_out.cc         Parallel and Map: children frames, tolerance, results
//   context_object.cc  the context object ($$, $states.context)
//   jsonpath_io.cc     InputPath, Parameters, ResultSelector, ResultPath,
//                      OutputPath, Assign in JSONPath states
//   jsonata_io.cc      Arguments, Output, Assign in JSONata states
//   retry_catch.cc     errors, Retry and Catch
// A Run lives for one call of an Interpreter method on the thread that
// makes it; it is pure (no I/O, no clock, no locks). The small helpers on
// the per-step path are defined in this header so they stay inline.
#ifndef SW_ENGINE_INTERPRETER_RUN_H_
#define SW_ENGINE_INTERPRETER_RUN_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "asl/definition.h"
#include "asl/eval_context.h"
#include "common/json.h"
#include "engine/interpreter.h"

namespace stepwise::engine {

class Interpreter::Run {
 public:
  Run(const Interpreter& in, ExecutionState& st, TimeMs now, Decision& out)
      : in_(in), st_(st), now_(now), out_(out) {
    out_.events.reserve(16);
  }

  // The triggers (Interpreter's public methods).
  void Start(json::value input, const StartPoint* from = nullptr);
  absl::Status TaskStarted(int64_t task_id, const std::string& worker);
  absl::Status TaskSubmitted(int64_t task_id, const json::value& output);
  absl::Status CompleteTask(int64_t task_id, const TaskResult& r);
  absl::Status FireTimer(int64_t timer_id);
  void Continue();
  absl::Status Stop(const std::string& error, const std::string& cause);
  absl::Status Redrive();

 private:
  using State = asl::State;

  // ---- events (run.cc) ----------------------------------------------------

  // Appends an event with an explicit previous id; returns its id.
  int64_t Emit(Frame* f, std::string_view type, json::object details, int64_t prev) {
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

  void HitEventLimit(Frame& f);

  // ---- frames and scheduling (run.cc) ---------------------------------------

  Frame& NewFrame(int parent, const asl::Scope* scope, json::value input, int64_t tail);

  const State& StateOf(const Frame& f) const {
    return f.scope->states[static_cast<size_t>(f.state)];
  }

  Frame* FindTaskFrame(int64_t task_id);

  // Queues `f` to run its next state, once.
  void Schedule(Frame& f) {
    if (f.phase != Frame::Phase::kEnter || f.queued) return;
    f.queued = true;
    stack_.push_back(f.id);
  }

  void Drain();
  void Sweep();

  // ---- entering and leaving states (run.cc) ---------------------------------

  void EnterState(Frame& f);

  // Leaves state `s` with `out`: applies `assigned` to the frame's
  // variables, records <Type>StateExited (output and assigned variables)
  // and moves the frame to state `next`, or ends the frame when `next` < 0.
  // `same`: `out` is the state's input unchanged, so the event reuses the
  // input's text. `check_size`: an output over the payload limit fails the
  // frame with States.DataLimitExceeded (uncatchable) instead.
  void ExitState(Frame& f, const State& s, int next, json::value out, json::object assigned,
                 bool same, bool check_size);

  // Leaves `s` for its Next state (or ends the frame at an End state), with
  // the payload size check.
  void ExitAndTransition(Frame& f, const State& s, json::value out,
                         json::object assigned = {}) {
    bool same = f.has_input_text && PassesInputThrough(s);
    ExitState(f, s, s.end ? -1 : s.next_index, std::move(out), std::move(assigned), same,
              /*check_size=*/true);
  }

  // Records SucceedStateExited and ends the frame with `out` (both modes).
  void ExitSucceed(Frame& f, const State& s, json::value out);

  // Task / Parallel / Map result: ResultSelector, ResultPath and OutputPath
  // (JSONPath) or Output and Assign (JSONata), then leaves the state.
  void FinishWithResult(Frame& f, json::value result);

  static bool PassesInputThrough(const State& s);

  // Applies `assigned` to the frame's variables and records them (sorted by
  // name, values as JSON text) in the state's exit event details.
  static void AddAssigned(Frame& f, json::object& assigned, json::object& details);

  void FinishFrame(Frame& f, json::value output);
  void FailFrame(Frame& f, const std::string& error, const std::string& cause);
  void EndExecution(ExecutionStatus status, std::string error, std::string cause);

  // ---- Pass, Choice, Succeed, Fail (simple_states.cc) -------------------------

  absl::Status RunPass(Frame& f, const State& s);
  absl::Status RunChoice(Frame& f, const State& s);
  absl::Status RunJsonataChoice(Frame& f, const State& s);
  absl::Status RunSucceed(Frame& f, const State& s);
  absl::Status RunFail(Frame& f, const State& s);

  // ---- Task and Wait (task_and_wait.cc) -------------------------------------

  absl::Status RunTask(Frame& f, const State& s);
  absl::Status ScheduleAttempt(Frame& f, const State& s);
  absl::Status RunWait(Frame& f, const State& s);
  absl::StatusOr<TimeMs> WaitDueFromPath(const Frame& f, const State& s) const;
  absl::StatusOr<json::value> WaitPathValue(const Frame& f, const State& s,
                                            const json::value& eff, const asl::JsonPath& path,
                                            std::string_view field) const;
  // The longest delay a Wait state accepts (AWS: a 32-bit count of seconds).
  static constexpr int64_t kMaxWaitDelaySeconds = 2147483647;
  absl::StatusOr<TimeMs> WaitDueFromJsonata(const Frame& f, const State& s) const;
  // A Wait state's timer fired: leaves the state.
  void FinishWait(Frame& f);

  // ---- Parallel and Map (fan_out.cc) -----------------------------------------

  absl::Status StartFanOut(Frame& f, const State& s);
  absl::Status PrepareMap(Frame& f, const State& s, const json::value& eff, FanOut& fan);
  void LaunchMore(int parent_id);
  void ChildDone(Frame& child, bool ok, json::value output, const std::string& error,
                 const std::string& cause);
  static bool WithinTolerance(const FanOut& fan);
  void AbortChildren(Frame& p);
  void AbortFrame(Frame& f);
  void FinishFanOut(Frame& p);

  // ---- Distributed Map as a Map Run task (map_run_request.cc) ------------------

  // The Map Run ARN of `s` entered by `f` (stable for the attempt).
  std::string MapRunArn(const Frame& f, const State& s) const;
  // Schedules the Map Run task of `s` with the prepared `fan` (item inputs,
  // concurrency, tolerances); the frame waits for it like a Task.
  absl::Status ScheduleMapRun(Frame& f, const State& s, json::value eff, FanOut& fan);
  // The Map Run task ended with `r`: MapRun*/MapState* events and the
  // Map's result or error.
  void CompleteMapRun(Frame& f, const TaskResult& r);
  // ItemReader (with its Parameters/Arguments evaluated), ItemSelector (for
  // reader items, with what it reads) and ItemBatcher (BatchInput
  // evaluated) into the Map Run's `spec`.
  absl::Status AddMapRunSources(const Frame& f, const State& s, const json::object& map_json,
                                json::object& spec) const;
  absl::StatusOr<json::value> EvaluateMapRunField(const Frame& f, const State& s,
                                                  const json::value& field,
                                                  std::string_view name) const;

  // ---- redrive (redrive.cc) ---------------------------------------------------

  // Records where a redrive would resume (ExecutionState::redrive_point);
  // called when the execution ends unsuccessfully.
  void KeepRedrivePoint();
  // Marks the children that succeeded before the redrive as done in the
  // fan-out that `f` (the redriven root) just started.
  void SeedRedrivenFanOut(Frame& f);
  // Moves next_to_launch past children done before the redrive.
  static void SkipDoneChildren(FanOut& fan);

  // ---- the context object (context_object.cc) -------------------------------

  // `map_key`: the entry's key when the Map iterates over an object
  // ($$.Map.Item.Key).
  json::value ContextObject(const Frame& f, const State& s,
                            const json::value* map_index = nullptr,
                            const json::value* map_value = nullptr,
                            const json::value* map_key = nullptr) const;

  // ---- JSONPath input and output (jsonpath_io.cc) ---------------------------

  asl::EvalContext Env(const Frame& f, const json::value* input, const json::value* ctx) const;
  absl::StatusOr<json::value> SelectPath(const asl::PathField& field, const json::value& doc,
                                         const Frame& f, const State& s) const;

  // Like SelectPath, but moves the document out when the field is the
  // default "$" (saves a copy per step on the common path).
  absl::StatusOr<json::value> TakePath(const asl::PathField& field, json::value&& doc,
                                       const Frame& f, const State& s) const {
    if (!field.is_null && !field.path.has_value()) return std::move(doc);
    return SelectPath(field, doc, f, s);
  }

  json::value EffectiveInput(const Frame& f, const State& s) const;
  absl::StatusOr<json::value> ApplyTemplate(const asl::PayloadTemplate& t,
                                            const json::value& input, const Frame& f,
                                            const State& s) const;
  absl::StatusOr<json::value> ApplyResultPath(const State& s, const json::value& raw_input,
                                              json::value result) const;
  absl::StatusOr<json::value> ApplyOutputPath(const Frame& f, const State& s,
                                              const json::value& doc) const;
  // ResultSelector, Assign, ResultPath and OutputPath on a Task, Parallel
  // or Map result, then leaves the state.
  absl::Status ExitWithJsonPathResult(Frame& f, const State& s, json::value result);
  static absl::Status AsRuntime(const absl::Status& s);
  // A value as AWS quotes it in "... refers to value \"<v>\" ..." causes:
  // a string as is, anything else as JSON.
  static std::string Shown(const json::value& v) {
    return v.is_string() ? std::string(v.get_string()) : SerializeJson(v);
  }
  absl::StatusOr<std::string> EvalFailField(const Frame& f, const State& s,
                                            const asl::PathOrIntrinsic& field,
                                            std::string_view name) const;
  absl::StatusOr<int64_t> IntFromPath(const Frame& f, const State& s, const json::value& eff,
                                      const asl::JsonPath& path) const;
  absl::StatusOr<double> NumberAtPath(const Frame& f, const State& s, const json::value& eff,
                                      const asl::JsonPath& path, std::string_view field,
                                      bool integer) const;
  absl::StatusOr<json::object> EvalAssign(const Frame& f, const State& s,
                                          const std::optional<asl::PayloadTemplate>& tmpl,
                                          const json::value& doc) const;

  // ---- JSONata input and output (jsonata_io.cc) -----------------------------

  asl::JsonataBindings Bindings(const Frame& f, const State& s,
                                const json::value* result = nullptr,
                                const json::value* error_output = nullptr,
                                const json::value* map_index = nullptr,
                                const json::value* map_value = nullptr,
                                const json::value* map_key = nullptr) const;
  static absl::StatusOr<json::object> JsonataAssign(
      const std::optional<asl::JsonataTemplate>& t, const asl::JsonataBindings& b,
      const json::object& stored);
  absl::StatusOr<int64_t> JsonataInt(const Frame& f, const State& s,
                                     const asl::JsonataTemplate& t, std::string_view field,
                                     int64_t min) const;
  absl::Status ExitJsonata(Frame& f, const State& s,
                           const std::optional<asl::JsonataTemplate>& assign,
                           const std::optional<asl::JsonataTemplate>& output,
                           json::value* result);

  // ---- errors, Retry and Catch (retry_catch.cc) -----------------------------

  void HandleStatus(Frame& f, const absl::Status& status);
  void HandleError(Frame& f, const std::string& error, const std::string& cause,
                   bool from_children);
  bool TryRetry(Frame& f, const State& s, const std::string& error);
  void CatchJsonPath(Frame& f, const State& s, const asl::Catcher& c, const std::string& error,
                     const std::string& cause);
  void CatchJsonata(Frame& f, const State& s, const asl::Catcher& c, const std::string& error,
                    const std::string& cause);
  void EmitEvaluationFailed(Frame& f, const State& s, const std::string& cause,
                            const std::string& location, int64_t prev);
  void RetryState(Frame& f);

  const Interpreter& in_;
  ExecutionState& st_;
  TimeMs now_;
  Decision& out_;
  std::vector<int> stack_;          // frames ready to run, top = back
  std::deque<int> pending_launch_;  // fan-outs whose child just blocked
  int steps_ = 0;
  // Fan-outs that failed in this trigger, by frame id: the redrive point
  // of an execution failing with them keeps their succeeded children.
  std::map<int, std::unique_ptr<FanOut>> failed_fans_;
  // The redrive being started, until its root's fan-out is seeded.
  const RedrivePoint* seed_ = nullptr;
  int seed_frame_ = -1;
  // The Map Run a redrive redrives (RedrivePoint::map_run_arn) until the
  // root frame's Distributed Map takes it over: MapRunRedriven instead of
  // MapRunStarted, the same ARN; its redrive count, this one included.
  std::string redriven_map_run_;
  int64_t redriven_map_run_count_ = 0;
  int redriven_map_run_frame_ = -1;
  // AWS's hard limit on the redrives of one Map Run.
  static constexpr int64_t kMaxMapRunRedrives = 1000;
  bool RedrivesMapRun(const Frame& f) const {
    return !redriven_map_run_.empty() && f.id == redriven_map_run_frame_;
  }
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_INTERPRETER_RUN_H_
