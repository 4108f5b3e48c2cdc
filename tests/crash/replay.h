// Replayer: checks the DESIGN.md invariant "replaying the history yields the
// stored state". It starts a fresh ExecutionState from ExecutionStarted and
// drives the pure Interpreter through the stored history: events the
// interpreter produces by itself must equal the stored ones; where the next
// stored event needs an outside trigger (a worker picking up or finishing a
// task, a .waitForTaskToken or .sync task being submitted, a timer firing,
// a stop, a Continue after a yield), each candidate
// trigger is tried on a copy of the state and the one whose events match the
// stored ones is kept. At the end the replayed state, encoded, must equal the
// stored record's "state". Used by crash_driver --verify and by tests.
// Pure functions; thread-safe.
#ifndef SW_TESTS_CRASH_REPLAY_H_
#define SW_TESTS_CRASH_REPLAY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/json.h"
#include "asl/definition.h"
#include "engine/history_event.h"
#include "engine/interpreter.h"

namespace stepwise::crash {

struct ReplayOptions {
  // Must equal the engine's EngineOptions::max_steps_per_commit, since a
  // yield splits a trigger's events across commits with two timestamps.
  int max_steps_per_trigger = 100;
  int max_events = 25000;
  size_t max_payload_bytes = 262144;
  // Mints $$.Task.Token as the engine did (the data directory's token key,
  // see StoredCallbackTokens in checker.h); null for "<arn>#<task id>".
  const engine::CallbackTokens* tokens = nullptr;
};

struct ReplayStats {
  int triggers = 0;  // external triggers applied (Start included)
  int continues = 0;
  int timers = 0;
  int tasks_started = 0;
  int tasks_completed = 0;
  int tasks_submitted = 0;  // TaskSubmitted of .waitForTaskToken / .sync tasks
};

// Replays `history` (the whole stored history, in id order) of an execution
// of `machine` and compares the result with `stored_state` (the "state"
// field of the stored execution record). The execution's identity comes from
// `stored_state`'s "info". Returns kDataLoss describing the first mismatch
// (event id, expected vs produced) or the first differing field of the
// final state; OK when the history replays to exactly the stored state.
absl::Status ReplayHistory(std::shared_ptr<const asl::StateMachine> machine,
                           const std::vector<engine::HistoryEvent>& history,
                           const json::value& stored_state, const ReplayOptions& options,
                           ReplayStats* stats = nullptr);

// Returns "" when `a` equals `b`, otherwise the JSON path of the first
// difference with both values, e.g. `$.frames[0].state: 3 != 4`.
std::string JsonDiff(const json::value& a, const json::value& b, const std::string& path = "$");

// Renders an event for messages: `#12 (prev 11, t 1700000000123) TaskStateEntered {...}`.
std::string DescribeEvent(const engine::HistoryEvent& e);

}  // namespace stepwise::crash

#endif  // SW_TESTS_CRASH_REPLAY_H_
