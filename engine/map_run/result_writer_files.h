// The result files of a Map Run as AWS lays them out under
// `Prefix/<map run id>/`: one entry per child execution (AWS's members, in
// AWS's order), shaped by the WriterConfig's Transformation, written as a
// JSON array or JSON Lines into SUCCEEDED_n / FAILED_n / PENDING_n files
// that are cut before they would pass a size limit, and the manifest.json
// that lists them. No I/O: a sealed file goes to the sink the caller gives
// (result_writer.h sends it to S3). Pure; a ResultFileSet is used by one
// thread at a time.
#ifndef SW_ENGINE_MAP_RUN_RESULT_WRITER_FILES_H_
#define SW_ENGINE_MAP_RUN_RESULT_WRITER_FILES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/json.h"
#include "engine/map_run/result_writer_config.h"

namespace stepwise::engine::map_run {

// One child execution of a Map Run as the result files describe it.
struct MapRunChildResult {
  std::string execution_arn;
  std::string name;
  std::string state_machine_arn;
  // SUCCEEDED; FAILED, TIMED_OUT or ABORTED (the FAILED files); PENDING
  // (never started: the Map Run failed or was aborted first).
  std::string status;
  std::optional<std::string> input;   // JSON text
  std::optional<std::string> output;  // JSON text (SUCCEEDED)
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::optional<int64_t> start_date_ms;
  std::optional<int64_t> stop_date_ms;
  int64_t redrive_count = 0;
  std::string redrive_status;         // NOT_REDRIVABLE, REDRIVABLE_BY_MAP_RUN, …
  std::string redrive_status_reason;  // "" when there is none
};

// Which files an entry goes to.
enum class ResultFileKind { kSucceeded, kFailed, kPending };
ResultFileKind FileKindOf(std::string_view status);
const char* FileKindName(ResultFileKind kind);  // "SUCCEEDED", "FAILED", "PENDING"

// The entry Transformation NONE writes: ExecutionArn, Input, InputDetails,
// Name, Output, OutputDetails, RedriveCount, RedriveStatus,
// RedriveStatusReason, StartDate, StateMachineArn, Status, StopDate (and
// Cause, Error first for a failed child), members absent when unknown.
std::string NoneEntryJson(const MapRunChildResult& r);

// The records `r` becomes under `t`: NONE the entry; COMPACT the output's
// value; FLATTEN the output's elements when it is an array, else its value.
// A child that did not succeed is written as under NONE, as AWS does.
std::vector<std::string> ResultRecords(const MapRunChildResult& r, ResultTransformation t);

// The id AWS names a Map Run's folder by: its ARN's part after the last ':'.
std::string MapRunId(std::string_view map_run_arn);
// `prefix` + "/" (unless empty or ending in "/") + id + "/" + file.
std::string ResultKey(std::string_view prefix, std::string_view map_run_id,
                      std::string_view file);

struct ResultFile {
  std::string key;
  uint64_t size = 0;
};

// Accumulates records into the three kinds of files. A file is sealed and
// handed to `sink` (key, body) when the next record would make it larger
// than `max_file_bytes` (a record larger than that alone fills a file), and
// by Finish. Same records in the same order give the same files.
class ResultFileSet {
 public:
  using Sink = std::function<absl::Status(const std::string& key, std::string body)>;
  ResultFileSet(std::string prefix, std::string map_run_id, ResultOutputType type,
                uint64_t max_file_bytes, Sink sink);

  absl::Status Add(ResultFileKind kind, std::string_view record);
  // Seals the open files; afterwards files() lists every file written.
  absl::Status Finish();
  const std::vector<ResultFile>& files(ResultFileKind kind) const {
    return parts_[static_cast<int>(kind)].files;
  }

 private:
  struct Part {
    std::string body;
    int records = 0;
    std::vector<ResultFile> files;
  };
  absl::Status Seal(ResultFileKind kind);
  // The bytes `body` has once closed (JSON: the closing bracket).
  uint64_t ClosedSize(const Part& p) const;

  const std::string prefix_, map_run_id_;
  const ResultOutputType type_;
  const uint64_t max_file_bytes_;
  Sink sink_;
  Part parts_[3];
};

// manifest.json: {"DestinationBucket", "MapRunArn", "ResultFiles":
// {"FAILED", "PENDING", "SUCCEEDED": [{"Key", "Size"}]}}.
std::string ManifestJson(std::string_view bucket, std::string_view map_run_arn,
                         const ResultFileSet& files);

// The Map state's result with a ResultWriter:
// {"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}} (Key: the manifest's).
json::value MapResultWithWriter(std::string_view map_run_arn, std::string_view bucket,
                                std::string_view manifest_key);

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_RESULT_WRITER_FILES_H_
