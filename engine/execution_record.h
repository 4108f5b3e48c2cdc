// ExecutionRecord: what the store keeps per execution in its executions
// table (the "current record", rewritten by every commit): the machine and
// revision it runs, its input and dates, the interpreter's ExecutionState,
// its open activity tasks and its armed timers. This file and its .cc are
// the only code that knows the record's field names (the ExecutionState
// inside it is engine/execution_codec's), and the visibility row's. The
// encoding is compact JSON, byte-compatible with what the engine has always
// written (engine/execution_record_test.cc holds records written by
// 7560271 and re-encodes them byte for byte).
// Pure functions; thread-safe. A record belongs to the shard thread that
// loaded it (engine/shards.h).
#ifndef SW_ENGINE_EXECUTION_RECORD_H_
#define SW_ENGINE_EXECUTION_RECORD_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "asl/definition.h"
#include "common/clock.h"
#include "engine/api_types.h"
#include "engine/execution_codec.h"
#include "engine/interpreter.h"

namespace stepwise::engine {

// An open task of an execution, as the engine tracks it. The dispatcher
// that owns it (engine/dispatch/) reads and fills in its own fields.
struct OpenTask {
  int64_t task_id = 0;
  int64_t attempt = 0;
  // The worker queue it waits in: an activity ARN, or a function queue
  // (FunctionQueueKey); "" for work no worker polls. Stored as "activity".
  std::string queue;
  // The dispatcher owning it when that is not the activity queue (see its
  // Owns); "" for activity tasks and for what nothing runs.
  std::string via;
  // What the owning dispatcher keeps about the task (JSON text), e.g. the
  // function invoked or the child execution started; "" when nothing.
  std::string details;
  std::string input;
  bool started = false;
  // The state waits for its callback token (.waitForTaskToken): a worker's
  // or service's answer only submits it (TaskSubmitted).
  bool callback = false;
  bool submitted = false;  // TaskSubmitted is written
  int64_t timeout_seconds = 0;
  int64_t heartbeat_seconds = 0;
  TimeMs last_heartbeat = 0;
};

// Timer ids inside one execution (ExecutionRecord::timer_dues, the timers
// table): the interpreter's are positive; 0 continues a run that yielded
// after max_steps_per_commit steps; the engine's task clocks (timeout,
// heartbeat) are negative.
inline constexpr int64_t kContinueTimerId = 0;
inline int64_t TaskTimeoutTimerId(int64_t task_id) { return -(task_id * 2); }
inline int64_t HeartbeatTimerId(int64_t task_id) { return -(task_id * 2 + 1); }

struct ExecutionRecord {
  std::string machine_arn;
  int64_t revision = 0;  // of the machine, 1-based
  std::string input;     // as given (JSON text)
  TimeMs start_date = 0;
  TimeMs stop_date = 0;  // 0 while running
  // The version (and alias) a qualified StartExecution ran; "" otherwise.
  std::string version_arn;
  std::string alias_arn;
  std::unique_ptr<ExecutionState> state;
  std::map<int64_t, OpenTask> tasks;     // open tasks by task id
  std::map<int64_t, TimeMs> timer_dues;  // armed timers: due time by timer id
  // The indexed field values its visibility row holds (field name → JSON
  // text; engine/search/), so the next row write knows which index entries
  // to replace. Stored as "indexed" only when not empty.
  std::map<std::string, std::string> indexed;
};

// Encodes `record` (its `state` must be set), written directly as text.
std::string EncodeExecutionRecord(const ExecutionRecord& record);

// Resolves the definition an execution runs: (machine ARN, revision) →
// parsed machine, or the error to report.
using MachineLookup = absl::FunctionRef<absl::StatusOr<std::shared_ptr<const asl::StateMachine>>(
    const std::string& machine_arn, int64_t revision)>;

// Decodes what EncodeExecutionRecord wrote for execution `execution_arn`,
// decoding the state against the machine `lookup` gives (its error is
// returned as is). kDataLoss naming the execution when the text is
// malformed.
absl::StatusOr<ExecutionRecord> DecodeExecutionRecord(absl::string_view text,
                                                      const std::string& execution_arn,
                                                      MachineLookup lookup);

// DescribeExecution's answer from a stored record, without decoding the
// state against its machine; `summary`, when given, gets what it read of the
// state (engine/execution_codec.h). kDataLoss when malformed.
absl::StatusOr<ExecutionDescription> DescribeExecutionRecord(
    absl::string_view text, const std::string& execution_arn,
    ExecutionStateSummary* summary = nullptr);

// The visibility row (ListExecutions) of an execution, and its reading
// (state_machine_arn is left empty: it is the row key's prefix).
std::string EncodeVisibilityRow(const std::string& execution_arn, const std::string& name,
                                std::string_view status, TimeMs start_date, TimeMs stop_date,
                                int64_t redrive_count = 0,
                                const std::string& version_arn = "",
                                const std::string& alias_arn = "",
                                const std::map<std::string, std::string>* indexed = nullptr);
absl::StatusOr<ExecutionDescription> DecodeVisibilityRow(absl::string_view text);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_EXECUTION_RECORD_H_
