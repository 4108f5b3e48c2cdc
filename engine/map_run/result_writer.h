// WriteMapRunResults: the ResultWriter of a Distributed Map's Map Run.
// Takes the children's results page by page from the caller (never all in
// memory: one open file per kind at most), writes SUCCEEDED_n / FAILED_n /
// PENDING_n files (.json, or .jsonl with OutputType JSONL) and then
// manifest.json under `Prefix/<map run id>/` with S3 PutObject through an
// AwsApi (integrations/aws/aws_api.h; AwsApiClient in stepwised), and gives
// the Map state's result {"MapRunArn", "ResultWriterDetails": {"Bucket",
// "Key"}}. Written once: the keys depend only on the run, and the contents
// on the results in the order the pages give them, so a caller that pages
// in a fixed order (by item index) and writes again after a crash has the
// same bytes for every key; before each PutObject a HeadObject finds the
// files S3 already holds (same size, ETag = MD5 of the bytes) and those are
// not sent again. A failure is kResultWriterFailed with the
// status message as its cause.
// Threads: any thread that may block (it waits for each PutObject's
// answer), never the AwsApi's own callback thread.
#ifndef SW_ENGINE_MAP_RUN_RESULT_WRITER_H_
#define SW_ENGINE_MAP_RUN_RESULT_WRITER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "engine/map_run/result_writer_config.h"
#include "engine/map_run/result_writer_files.h"
#include "integrations/aws/aws_api.h"

namespace stepwise::engine::map_run {

// The error a Map state fails with when its results cannot be written.
inline constexpr char kResultWriterFailed[] = "States.ResultWriterFailed";

// AWS cuts a result file at 5 GB, through S3 multipart uploads. Stepwise
// sends each file in one PutObject held in memory, so it cuts smaller
// files by default (the manifest lists them all, as AWS's does).
inline constexpr uint64_t kAwsMaxResultFileBytes = uint64_t{5} << 30;
inline constexpr uint64_t kDefaultMaxResultFileBytes = uint64_t{64} << 20;

// The next page of results; an empty page ends them.
using ChildResultPages = std::function<absl::StatusOr<std::vector<MapRunChildResult>>()>;

struct ResultWriterOptions {
  std::string region;  // the state machine's region (S3's signing region)
  int64_t timeout_ms = 60000;  // per PutObject
  // How long after timeout_ms a call that never answers (a stopped AwsApi)
  // is given up as kUnavailable.
  int64_t answer_grace_ms = 10000;
  uint64_t max_file_bytes = kDefaultMaxResultFileBytes;
};

// The lowercase hex MD5 of `bytes`: S3's ETag of an object put whole.
std::string ObjectMd5Hex(std::string_view bytes);

// Writes the results of `map_run_arn` as `config` (writes_to_s3) says and
// returns the Map state's result. kFailedPrecondition (States.
// ResultWriterFailed, message: the cause) when S3 refuses or cannot be
// reached; kUnavailable when the AwsApi gives no answer at all (stopped:
// write again later); a page's own error is returned as it is.
absl::StatusOr<json::value> WriteMapRunResults(integrations::AwsApi& s3,
                                               const ResultWriterConfig& config,
                                               std::string_view map_run_arn,
                                               const ChildResultPages& pages,
                                               const ResultWriterOptions& options);

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_RESULT_WRITER_H_
