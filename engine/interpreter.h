// Interpreter: the pure decider of Stepwise. Given a parsed state machine,
// an ExecutionState and one trigger (start, task started/completed, timer
// fired, stop), it appends AWS-shaped history events, updates the state and
// emits commands (schedule a task, start or cancel a timer). It performs no
// I/O, reads no clock (time comes with each trigger) and draws randomness
// only from the injected RandomSource, so the same inputs give the same
// history. One ExecutionState is used by one thread at a time; the
// StateMachine is shared read-only.
#ifndef SW_ENGINE_INTERPRETER_H_
#define SW_ENGINE_INTERPRETER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/json.h"
#include "asl/definition.h"
#include "asl/eval_context.h"
#include "engine/history_event.h"
#include "engine/task_resource.h"

namespace stepwise::engine {

// Identity of the execution, as the context object ($$) shows it.
struct ExecutionInfo {
  std::string execution_arn;
  std::string execution_name;
  std::string state_machine_arn;
  std::string state_machine_name;
  std::string role_arn;
  TimeMs start_time = 0;
  int64_t redrive_count = 0;
  // Mock-config testing (engine/mock_config/): the test case the execution
  // runs (started as `stateMachineArn#TestCase`), "" for a normal run; and
  // how many times each Task state was scheduled so far (its next mocked
  // invocation index). Stored only when `test_case` is set.
  std::string test_case;
  std::map<std::string, int64_t> mock_invocations;
  // The test case's time scale (MockConfig::TimeScaleFor): each timer the
  // engine arms for it (Wait, retry back-off, timeouts, heartbeats) falls
  // due this many times sooner (engine/mock_config/time_scale.h); $$ and
  // history keep real time. Stored only when not 1.
  double time_scale = 1.0;
  bool express = false;  // EXPRESS executions have no redrive fields...
  // ...except those StartExecution started: AWS gives their $$.Execution a
  // RedriveCount (0), not StartSyncExecution's (recorded in the corpus).
  bool express_async = false;
};

enum class ExecutionStatus { kRunning, kSucceeded, kFailed, kTimedOut, kAborted };
std::string_view ExecutionStatusName(ExecutionStatus s);

// A command for the engine: run a task attempt.
struct ScheduleTaskCommand {
  int64_t task_id = 0;
  TaskKind kind = TaskKind::kService;  // TaskResource::Parse(resource).kind
  std::string state_name;
  std::string resource;
  json::value input;
  int64_t timeout_seconds = 0;  // 0: none
  int64_t heartbeat_seconds = 0;  // 0: none
  int attempt = 0;
  // Mock-config testing: the execution's test case ("" for a normal run),
  // its state machine's name and this schedule's invocation index of
  // `state_name` (0-based, counted across retries and re-entries).
  std::string test_case;
  std::string state_machine_name;
  int64_t mock_invocation = 0;
};

// A command for the engine: call FireTimer(timer_id) at `due`.
struct StartTimerCommand {
  int64_t timer_id = 0;
  TimeMs due = 0;
  // Whether `due` already has the execution's time scale applied (the
  // engine re-arming a heartbeat); otherwise the engine scales it.
  bool due_scaled = false;
};

// Everything one trigger produced. The engine commits `events` (and the
// updated ExecutionState) before acting on the commands.
struct Decision {
  std::vector<HistoryEvent> events;
  std::vector<ScheduleTaskCommand> schedule_tasks;
  std::vector<StartTimerCommand> start_timers;
  std::vector<int64_t> cancel_timers;
  std::vector<int64_t> cancel_tasks;
  // The run stopped after InterpreterOptions::max_steps_per_trigger steps
  // with work left: commit, then call Continue().
  bool yielded = false;
  // The root scope's variables as the execution closed in this run (the
  // frames are gone by then), for indexed fields over VARIABLES.
  std::optional<json::object> closing_variables;
};

// Fan-out bookkeeping of a running Parallel or Map state.
struct FanOut {
  bool is_map = false;
  bool silent_children = false;  // distributed Map: children keep own history
  std::vector<json::value> inputs;
  std::vector<json::value> results;
  std::vector<int> child_frames;  // frame id, or -1 (not started / done)
  size_t next_to_launch = 0;
  int64_t launch_tail = 0;  // previous event of the next child's first event
  int running = 0;
  int succeeded = 0;
  int failed = 0;
  int64_t max_concurrency = 0;  // 0: unlimited
  std::optional<int64_t> tolerated_count;
  std::optional<double> tolerated_percentage;
  std::string first_error;
  std::string first_cause;
  bool finished = false;
  // Children that failed or were aborted, by index (a redrive reruns them;
  // engine/interpreter/redrive.cc).
  std::vector<int> unsuccessful;
};

// child_frames value of a child that succeeded before a redrive: its
// result is kept and it is not launched again.
inline constexpr int kChildDoneBeforeRedrive = -2;

// Where a redrive resumes a closed execution: the root's unsuccessful
// state with the input and variables it had, and for a Parallel or Map
// state the results of the branches or iterations that succeeded.
struct RedrivePoint {
  int state = 0;  // in the root scope
  json::value input;
  json::object variables;
  bool fan = false;
  std::vector<int> done;             // indices of the children that succeeded
  std::vector<json::value> results;  // their results, in the order of `done`
  // The state is a Distributed Map whose Map Run failed (or was aborted):
  // its ARN and how many times it was redriven; a redrive redrives that run
  // (MapRunRedriven) instead of starting a new one. "" otherwise.
  std::string map_run_arn;
  int64_t map_run_redrive_count = 0;
};

// Where a restarted execution begins (engine/restart.h): a top-level state
// other than StartAt, and where it came from, which its ExecutionStarted
// event names (stepwiseRestartedFrom).
struct StartPoint {
  int state = 0;                 // index in the root scope
  json::object restarted_from;   // {executionArn, stateName, eventId}
  json::object variables;        // the top-level variables the state begins with
};

// One thread of control: the root execution, a Parallel branch or a Map
// iteration.
struct Frame {
  enum class Phase {
    kEnter,          // about to enter `state` with `input`
    kAwaitTask,      // a task attempt is scheduled or running
    kAwaitTimer,     // a Wait state's timer
    kAwaitRetry,     // retry back-off timer
    kAwaitChildren,  // Parallel / Map children running
    kDone,
  };
  int id = 0;
  int parent = -1;       // -1 for the root
  int child_index = 0;   // branch or item index in the parent
  bool silent = false;   // events go to a child execution, not this history
  const asl::Scope* scope = nullptr;
  // Where `scope` sits in the definition: pairs (state index, branch index;
  // 0 for a Map's processor) from the root scope. Lets a stored frame find
  // its scope again (see ResolveScope).
  std::vector<int> scope_path;
  int state = 0;
  Phase phase = Phase::kEnter;
  json::value input;      // the state's raw input
  json::value effective;  // effective input (Task / Parallel / Map)
  int64_t entered_event_id = 0;
  // Previous event of the state's Entered event: an EvaluationFailed event
  // chains to it, as AWS records.
  int64_t entered_prev_event_id = 0;
  TimeMs entered_time = 0;
  int64_t tail = 0;  // last event in this frame's causal chain
  std::vector<int64_t> retry_attempts;  // per retrier
  int64_t retry_count = 0;              // $$.State.RetryCount
  int64_t task_id = 0;
  bool task_started = false;
  int64_t timer_id = 0;
  bool queued = false;  // on the run stack of the current trigger
  // `input` serialised, when already known (saves a serialisation per step).
  json::string input_text;
  bool has_input_text = false;
  // Variables visible in this frame (Assign, both modes): the enclosing
  // scope's as of the fan-out, plus this scope's own assignments.
  json::object variables;
  std::unique_ptr<FanOut> fan;
  // A Distributed Map run as a Map Run task: the run this frame's state
  // scheduled (kept while the state has not succeeded, for a redrive) and
  // how many times that run was redriven. "" otherwise.
  std::string map_run_arn;
  int64_t map_run_redrive_count = 0;
};

// The mutable state of one execution: what the interpreter needs to go on.
struct ExecutionState {
  ExecutionInfo info;
  json::value execution_input;
  ExecutionStatus status = ExecutionStatus::kRunning;
  std::optional<std::string> output;  // JSON text, when SUCCEEDED
  std::string error;
  std::string cause;
  int64_t last_event_id = 0;
  int next_frame_id = 1;
  int64_t next_task_id = 1;
  int64_t next_timer_id = 1;
  int64_t execution_timer_id = 0;
  std::map<int, Frame> frames;  // live frames by id
  // Set when a Standard execution closes unsuccessfully (redrive.cc).
  std::optional<RedrivePoint> redrive_point;
  TimeMs redrive_date = 0;  // of the last redrive; 0: never redriven
  // The clientTokens of the last redrives (at most kRedriveTokensKept, the
  // oldest first) and when each redrove: a token repeated within
  // kRedriveTokenValidMs answers that redrive again (engine/redrive.h).
  struct RedriveToken {
    std::string token;
    TimeMs date = 0;
  };
  std::vector<RedriveToken> redrive_client_tokens;
};

// What a task attempt ended with.
struct TaskResult {
  enum class Kind { kSucceeded, kFailed, kTimedOut };
  Kind kind = Kind::kSucceeded;
  json::value output;
  // The answer's text as a worker sent it (SendTaskSuccess), for the
  // dispatchers that shape a response around its bytes; "" otherwise.
  std::string raw_output;
  std::string error;
  std::string cause;

  // A failure with `error` and `cause`.
  static TaskResult Failed(std::string error, std::string cause) {
    TaskResult r;
    r.kind = Kind::kFailed;
    r.error = std::move(error);
    r.cause = std::move(cause);
    return r;
  }
};

// Mints the callback token of a .waitForTaskToken Task's attempt (what
// $$.Task.Token shows): the engine's signed token. Any thread.
class CallbackTokens {
 public:
  virtual ~CallbackTokens() = default;
  virtual std::string Mint(const std::string& execution_arn, int64_t task_id,
                           int64_t attempt) const = 0;
};

struct InterpreterOptions {
  // Null: $$.Task.Token shows "<execution arn>#<task id>" (local runs).
  const CallbackTokens* tokens = nullptr;
  int max_events = 25000;
  size_t max_payload_bytes = 262144;
  // Most state steps one trigger runs before it yields (Decision::yielded)
  // so the engine commits bounded groups; Continue() resumes.
  int max_steps_per_trigger = 100000;
  // Longest an Express execution (ExecutionInfo::express) runs before it
  // times out, in ms; 0: no limit beyond the definition's TimeoutSeconds.
  int64_t express_max_ms = 0;
  // A DISTRIBUTED Map runs as a Map Run task (resource kMapRunResource,
  // engine/interpreter/map_run_request.cc) whose children are executions;
  // false: inline in this execution with silent children (local runs).
  bool map_runs_as_tasks = false;
};

// The internal Task resource of a Map Run (engine/map_run/map_run_dispatcher.h).
inline constexpr const char* kMapRunResource = "stepwise:mapRun";

class Interpreter {
 public:
  Interpreter(std::shared_ptr<const asl::StateMachine> machine,
              asl::RandomSource* random, InterpreterOptions options = {});

  // Starts the execution: ExecutionStarted, then runs until every frame is
  // blocked or the execution ends. `state.info` must be filled in. `from`,
  // when given, begins at that top-level state instead of StartAt.
  void Start(ExecutionState& state, json::value input, TimeMs now,
             Decision& out, const StartPoint* from = nullptr) const;

  // Records that a worker picked up task `task_id` (ActivityStarted /
  // TaskStarted). Returns kFailedPrecondition when the task is not pending.
  absl::Status TaskStarted(ExecutionState& state, int64_t task_id,
                           const std::string& worker_name, TimeMs now,
                           Decision& out) const;

  // Records that the work of a .waitForTaskToken task `task_id` was handed
  // over (TaskSubmitted, with the service's answer as `output`); the task
  // keeps waiting for its callback. kFailedPrecondition when not pending.
  absl::Status TaskSubmitted(ExecutionState& state, int64_t task_id,
                             const json::value& output, TimeMs now, Decision& out) const;

  // Completes task `task_id`. Returns kFailedPrecondition when the task is
  // not pending (already completed, aborted, or unknown).
  absl::Status CompleteTask(ExecutionState& state, int64_t task_id,
                            const TaskResult& result, TimeMs now,
                            Decision& out) const;

  // Fires timer `timer_id`. Unknown or cancelled timers are ignored (OK).
  absl::Status FireTimer(ExecutionState& state, int64_t timer_id, TimeMs now,
                         Decision& out) const;

  // Resumes a run that yielded (Decision::yielded).
  void Continue(ExecutionState& state, TimeMs now, Decision& out) const;

  // Stops a running execution (ExecutionAborted). kFailedPrecondition when
  // it is not running.
  absl::Status Stop(ExecutionState& state, const std::string& error,
                    const std::string& cause, TimeMs now, Decision& out) const;

  // Redrives a closed, unsuccessful execution from its redrive point
  // (ExecutionRedriven; engine/interpreter/redrive.cc). kFailedPrecondition
  // when it is running, succeeded or has no redrive point.
  absl::Status Redrive(ExecutionState& state, TimeMs now, Decision& out) const;

  const asl::StateMachine& machine() const { return *machine_; }

 private:
  class Run;
  std::shared_ptr<const asl::StateMachine> machine_;
  asl::RandomSource* random_;
  InterpreterOptions options_;
};

// Returns the scope `path` (Frame::scope_path) designates in `machine`, or
// null when the path does not fit the definition.
const asl::Scope* ResolveScope(const asl::StateMachine& machine,
                               const std::vector<int>& path);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_INTERPRETER_H_
