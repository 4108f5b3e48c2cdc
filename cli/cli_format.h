// Output formatting for the `stepwise` CLI: aligned tables, timestamps,
// history event rows (state names, durations, errors), pretty JSON, and the
// mapping from a worker command's result to a task report. Pure functions
// and a small stateful HistoryFormatter; unit-tested in cli_format_test.cc.
// Not thread-safe (HistoryFormatter); the free functions are.
#ifndef SW_CLIENT_CLI_FORMAT_H_
#define SW_CLIENT_CLI_FORMAT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "google/protobuf/timestamp.pb.h"
#include "stepwise/v1/service.pb.h"

namespace stepwise::client {

// Returns `rows` under `headers`, columns padded to their widest cell and
// separated by two spaces, one line per row (no trailing spaces).
std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);

// Returns "2024-05-01T12:00:00.123Z", or "-" for an unset timestamp.
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);
// Returns a short duration: "850us", "12.3ms", "4.56s", "3m12s", "2h05m".
std::string FormatDuration(int64_t micros);
// Microseconds since the epoch.
int64_t TimestampMicros(const google::protobuf::Timestamp& ts);

// Pretty-prints `v` with two-space indents and a final newline.
std::string PrettyJson(const json::value& v);
// Parses `text` as JSON, or keeps it as a string when it is not JSON.
json::value JsonOrString(const std::string& text);

// Parent and child executions (states:startExecution), as AWS links them:
// the child's ARN in the output of a TaskSubmitted or TaskSucceeded event
// (`ExecutionArn`), the parent's in the child's input
// (`AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID`). "" when there is none.
std::string ChildExecutionArn(const std::string& event_type, const json::object& details);
std::string StartedByExecutionArn(const std::string& input);

// "waiting for a worker of function NAME" (or "of activity ARN") for an
// open task that no worker has and no worker polls for; "" otherwise.
std::string WaitingNote(const v1::ExecutionOpenTask& task);

// Builds history table rows one event at a time (for --follow too): the
// event id, the offset from the first event, the type, the state name, the
// duration (state exits since their entry, activity and task results since
// their scheduling, execution closes since the start) and the detail: the
// error and cause, "child ARN" for a Task that started an execution and
// "started by ARN" for an execution a parent started.
class HistoryFormatter {
 public:
  static std::vector<std::string> Headers();
  std::vector<std::string> Row(const v1::HistoryEvent& event);
  // Formats a row with fixed column widths, for streaming.
  static std::string FixedWidthLine(const std::vector<std::string>& cells);

 private:
  std::optional<int64_t> first_micros_;
  std::map<std::string, int64_t> entered_;  // state name -> entry time
  std::optional<int64_t> scheduled_;        // last activity/task scheduled
};

// A history event as AWS JSON (id, previousEventId, timestamp, type, and the
// details under their member name).
json::object HistoryEventJson(const v1::HistoryEvent& event);

// What `stepwise worker` reports for one command run.
struct TaskReport {
  bool success = false;
  std::string output;  // JSON text, when success
  std::string error;   // when !success
  std::string cause;
};

// Maps a command's exit code and output to a report: exit 0 with JSON (or
// empty: "null") stdout succeeds; exit 0 with non-JSON stdout fails with
// "InvalidOutput"; non-zero fails with "CommandFailed", or NAME when the
// first line of stderr is "error: NAME", with the tail of stderr (at most
// `max_cause` bytes) as cause. `exit_code` is negative for a signal.
TaskReport ReportFromCommand(int exit_code, const std::string& stdout_text,
                             const std::string& stderr_text,
                             size_t max_cause = 32768);

}  // namespace stepwise::client

#endif  // SW_CLIENT_CLI_FORMAT_H_
