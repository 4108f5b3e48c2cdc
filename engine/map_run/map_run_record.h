// MapRunRecord: the durable record of one Distributed Map's Map Run, what
// DescribeMapRun, ListMapRuns and UpdateMapRun answer from (issue 19). It
// lives in the store's tasks table under two TaskKey rows (storage/keys.h),
// both first written in the commit that schedules the run
// (MapRunDispatcher::Schedule):
//   TaskKey("stepwise:mapRunRecord", RUN_ID, 0)        → the record (JSON text)
//   TaskKey("stepwise:mapRunOf", PARENT_ID, TASK_ID)   → RUN_ID (ListMapRuns)
// The driver rewrites the record at page boundaries (counts, and the
// settings UpdateMapRun changed); the step that closes the parent's task
// writes its final status in that same commit. The ARN's last part is the
// run id (a UUID); the machine part is MACHINE/LABEL, the hidden machine
// of its children, whose names are `RUN_ID-INDEX`.
//
// Pure functions and value types: any thread.
#ifndef SW_ENGINE_MAP_RUN_MAP_RUN_RECORD_H_
#define SW_ENGINE_MAP_RUN_MAP_RUN_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "engine/api_types.h"

namespace stepwise::engine {

struct MapRunRecord {
  std::string map_run_arn;    // arn:aws:states:R:A:mapRun:MACHINE/LABEL:UUID
  std::string execution_arn;  // the parent execution
  int64_t task_id = 0;        // the parent's Map Run task
  std::string status = "RUNNING";  // RUNNING | SUCCEEDED | FAILED | ABORTED
  TimeMs start_date = 0;
  TimeMs stop_date = 0;  // 0 while RUNNING
  int64_t max_concurrency = 0;  // 0: the server's default cap (AWS: unlimited)
  std::optional<double> tolerated_failure_percentage;
  std::optional<int64_t> tolerated_failure_count;
  MapRunCounts items;
  MapRunCounts executions;
  // How its children run: STANDARD | EXPRESS ("" in records written before
  // it was kept: STANDARD), and whether an ItemBatcher gives each child
  // several items (ListExecutions' itemCount).
  std::string execution_type;
  bool item_batcher = false;
  int64_t redrive_count = 0;  // times redriven with its parent
  TimeMs redrive_date = 0;    // of the last redrive; 0: never
};

// The rows' queue keys in the tasks table (TaskKey's first part).
inline constexpr char kMapRunRecordQueue[] = "stepwise:mapRunRecord";
inline constexpr char kMapRunOfQueue[] = "stepwise:mapRunOf";

// The record's row key, by run id (the ARN's last part).
std::string MapRunRecordKey(absl::string_view run_id);
// The ListMapRuns row of the parent's task `task_id` (value: the run id).
std::string MapRunOfKey(absl::string_view parent_execution_id, int64_t task_id);
// The prefix shared by exactly the ListMapRuns rows of `parent_execution_id`.
std::string MapRunsOfPrefix(absl::string_view parent_execution_id);

std::string EncodeMapRunRecord(const MapRunRecord& r);
// kDataLoss naming the run when `text` is not a record this code wrote.
absl::StatusOr<MapRunRecord> DecodeMapRunRecord(absl::string_view text);

// The parts of a Map Run ARN.
struct MapRunArnParts {
  std::string prefix;         // arn:aws:states:REGION:ACCOUNT
  std::string parent_machine;  // MACHINE
  std::string child_machine;   // MACHINE/LABEL
  std::string run_id;          // UUID
};
// InvalidArn (AWS's "Invalid Arn: '...'") when `arn` is not
// arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:ID of this region and
// account.
absl::StatusOr<MapRunArnParts> ParseMapRunArn(absl::string_view region,
                                              absl::string_view account,
                                              const std::string& arn);

// The run id of a Map Run ARN: its part after the last ':'.
std::string MapRunIdOf(absl::string_view map_run_arn);

// The Map Run ARN of a child execution (ARN of MACHINE/LABEL, name
// RUN_ID-INDEX), or "" when `execution_arn` is not a Map Run's child.
// Derived, not stored: only Map Run machines have a '/' in their name.
std::string MapRunArnOfChild(absl::string_view execution_arn);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_MAP_RUN_MAP_RUN_RECORD_H_
