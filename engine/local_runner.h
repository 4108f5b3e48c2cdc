// RunLocal runs one execution of a state machine in-process, with no server
// and no storage, on a time-skipping clock: Waits, retry back-offs and
// timeouts complete at once. It drives the pure Interpreter exactly as the
// durable engine does, so its results and history are what the server
// produces. Used by `stepwise run-local`, the conformance runner and tests.
// Thread-safe: each call is independent.
#ifndef SW_ENGINE_LOCAL_RUNNER_H_
#define SW_ENGINE_LOCAL_RUNNER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/json.h"
#include "engine/history_event.h"

namespace stepwise::engine {

// What a Task state asks its resource to do.
struct TaskRequest {
  std::string state_name;
  std::string resource;
  json::value input;  // the effective input (after InputPath/Parameters)
  int attempt = 0;    // 0 for the first try, 1 for the first retry, ...
};

// What the resource answered. `success` false means a failure with
// `error`/`cause`; `timed_out` means the task timed out (States.Timeout).
struct TaskOutcome {
  bool success = false;
  bool timed_out = false;
  json::value output;
  std::string error;
  std::string cause;
};

struct LocalRunOptions {
  // Seeds States.UUID, States.MathRandom and retry jitter.
  uint64_t seed = 0;
  // Execution start time (milliseconds since the epoch); 0 = wall clock.
  TimeMs start_time = 0;
  std::string execution_name = "local";
  std::string state_machine_name = "local";
  // "STANDARD" or "EXPRESS".
  std::string state_machine_type = "STANDARD";
  std::string region = "us-east-1";
  std::string account = "123456789012";
  std::string role_arn = "arn:aws:iam::123456789012:role/stepwise";
  // Answers Task states. When unset, every Task fails with States.TaskFailed
  // and a cause saying the local runner has no way to run the resource.
  std::function<TaskOutcome(const TaskRequest&)> task_handler;
  // Called after each history event is appended; returning true stops the
  // execution (StopExecution) at that point, as an operator would.
  std::function<bool(const HistoryEvent&)> stop_when;
  // Safety cap on the events of one run (AWS: 25,000).
  int max_events = 25000;
};

struct LocalRunResult {
  // SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
  std::string status;
  // Execution output as JSON text (SUCCEEDED only).
  std::optional<std::string> output;
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::vector<HistoryEvent> events;
};

// Runs `definition` (ASL JSON text) on `input` (JSON text). Returns
// kInvalidArgument when the definition is invalid (message lists the
// diagnostics) or the input is not JSON. Any execution outcome, including
// FAILED, is an OK result.
absl::StatusOr<LocalRunResult> RunLocal(std::string_view definition,
                                        std::string_view input,
                                        const LocalRunOptions& options);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_LOCAL_RUNNER_H_
