// The checks both crash harnesses (crash_driver --verify on the embedded
// engine, daemon_crash on the real daemon) run on a data directory once the
// workload is done: the state machine as stored, and for each closed
// execution its record, its history chunks and a replay of the history to
// the stored state. What is specific to a workload (expected status and
// output, worker logs) stays in each harness. Not thread-safe: one checker
// run at a time.
#ifndef SW_TESTS_CRASH_CHECKER_H_
#define SW_TESTS_CRASH_CHECKER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "asl/definition.h"
#include "engine/interpreter.h"
#include "engine/history_event.h"
#include "engine/task_token.h"
#include "storage/store.h"
#include "tests/crash/replay.h"

namespace stepwise::crash {

// Counts violations and prints the first 50 on stderr ("VIOLATION: ...").
struct Report {
  int problems = 0;
  void Problem(const std::string& what);
};

// Running totals over the executions checked.
struct CheckTotals {
  int64_t events = 0;
  int64_t chunks = 0;
  int64_t activity_started = 0;
  int64_t activity_timed_out = 0;
  // LambdaFunctionStarted and TaskStarted (Lambda and service Tasks).
  int64_t other_task_started = 0;
  int64_t other_task_timed_out = 0;
  int replayed = 0;
  ReplayStats replay;  // summed over the replayed executions
};

// Reads state machine `name` from `store` and parses its one revision's
// definition (a second revision is a problem in `rep`). kDataLoss when the
// record is missing or does not parse.
absl::StatusOr<std::shared_ptr<const asl::StateMachine>> LoadMachine(storage::Store& store,
                                                                     const std::string& name,
                                                                     Report* rep);

// $$.Task.Token as the engine of a data directory mints it: the callback
// token under the token key stored in its meta table.
class StoredCallbackTokens : public engine::CallbackTokens {
 public:
  // Nothing when the store has no token key yet.
  static std::unique_ptr<StoredCallbackTokens> Load(storage::Store& store);
  std::string Mint(const std::string& execution_arn, int64_t task_id,
                   int64_t attempt) const override;

 private:
  explicit StoredCallbackTokens(std::string key) : codec_(std::move(key)) {}
  engine::TaskTokenCodec codec_;
};

// What a verifier reads once the workload is done: the store of the data
// directory, the workflow's state machine as stored, and the callback token
// minter for replays (ReplayOptions::tokens).
struct StoredRun {
  std::unique_ptr<storage::Store> store;
  std::shared_ptr<const asl::StateMachine> machine;
  std::unique_ptr<StoredCallbackTokens> tokens;
};

// Opens the RocksDB store in `db_dir` (or, for a `postgresql://` URI, the
// PostgreSQL store there, which is only read) and loads state machine
// `machine_name` from it (LoadMachine). The error says what failed
// ("open store: ...", or LoadMachine's).
absl::StatusOr<StoredRun> OpenStoredRun(const std::string& db_dir,
                                        const std::string& machine_name, Report* rep);

// Reads and parses the stored record of execution `arn` (named `who` in
// messages). Nothing, and a problem in `rep` ("no execution record" followed
// by `missing_note`, or "record malformed"), when it is missing or malformed.
std::optional<json::object> ReadRecord(storage::Store& store, const std::string& arn,
                                       const std::string& who, const std::string& missing_note,
                                       Report* rep);

// The execution status stored in a record's "state".
engine::ExecutionStatus StoredStatus(const json::object& state);

// Checks that workload execution i (named `who`), started with `input`,
// SUCCEEDED (else a problem naming its status, error and cause) with the
// output WorkloadOutput(i, input) (else a problem with the first
// difference). `strip`, when set, is applied to the stored output first, to
// take out what differs from run to run. Returns whether it SUCCEEDED.
bool CheckSucceeded(int i, const json::object& input, const json::object& state,
                    const std::function<void(json::object&)>& strip, const std::string& who,
                    Report* rep);

// Checks what every closed execution `arn` (named `who` in messages) must
// satisfy, whatever the workload: its `record` lists no open task or timer;
// its history chunks chain with ids 1..N, previousEventId < id, as many
// events as the record's state says; no state is entered twice after the
// same event; each task attempt (activity, Lambda function, service
// integration) starts once, after its *Scheduled, and ends at most once; there is exactly one
// execution-closing event; with `expected_entered`, each state is entered
// exactly that often; and the history replays to the stored state (`opts`).
// Returns the history, or nothing when it could not be read whole (the
// later checks are then skipped).
std::vector<engine::HistoryEvent> CheckClosedExecution(
    storage::Store& store, const std::string& arn, const std::string& who,
    const json::object& record, const std::shared_ptr<const asl::StateMachine>& machine,
    const ReplayOptions& opts, const std::map<std::string, int>* expected_entered,
    CheckTotals* totals, Report* rep);

// The crash workload both harnesses run (Pass chain, Choice, Wait, an
// activity Task with Retry, inline Map of 10, Parallel of 3, a Task whose
// failure is caught): the output a SUCCEEDED execution i with `input` must
// have (without workers' "by" fields), and how often each state is entered
// on its path (retries re-schedule inside a state and never re-enter it).
json::value WorkloadOutput(int i, json::object input);
std::map<std::string, int> WorkloadEntered(int i);

// Reports rows left in the tasks and timers tables once every execution is
// closed.
void CheckQueuesEmpty(storage::Store& store, Report* rep);

}  // namespace stepwise::crash

#endif  // SW_TESTS_CRASH_CHECKER_H_
