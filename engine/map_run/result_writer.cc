// The ResultWriter of a Map Run (result_writer.h): result files and the
// manifest to S3 by PutObject. Threads: any thread that may block.
#include "engine/map_run/result_writer.h"

#include <chrono>
#include <future>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace stepwise::engine::map_run {
namespace {

// Puts one object and waits for the answer.
absl::Status PutObject(integrations::AwsApi& s3, const ResultWriterConfig& config,
                       std::string_view map_run_arn, const ResultWriterOptions& options,
                       const std::string& key, std::string body, std::string_view content_type) {
  integrations::AwsApiRequest request;
  request.service = "s3";
  request.operation = "PutObject";
  json::object params;
  params["Bucket"] = json::string(config.bucket);
  params["Key"] = json::string(key);
  params["ContentType"] = json::string(content_type);
  request.parameters = std::move(params);
  request.region = options.region;
  request.timeout_ms = options.timeout_ms;
  request.body_bytes = std::move(body);
  auto answer = std::make_shared<std::promise<integrations::AwsApiResponse>>();
  std::future<integrations::AwsApiResponse> done = answer->get_future();
  s3.Call(std::move(request),
          [answer](integrations::AwsApiResponse r) { answer->set_value(std::move(r)); });
  // An AwsApi that stops never answers: give up a while after the call's
  // own deadline, as shutting down (the Map Run writes again later).
  if (done.wait_for(std::chrono::milliseconds(options.timeout_ms + options.answer_grace_ms)) !=
      std::future_status::ready) {
    return absl::UnavailableError(absl::StrCat("no answer from Amazon S3 for key '", key,
                                               "' of Map Run '", ToAbsl(map_run_arn), "'"));
  }
  integrations::AwsApiResponse r = done.get();
  if (r.ok()) return absl::OkStatus();
  std::string why = r.transport_failed
                        ? r.transport_error
                        : absl::StrCat(r.error_code.empty() ? "HTTP " + std::to_string(r.status)
                                                             : r.error_code,
                                       r.error_message.empty() ? "" : ": ", r.error_message,
                                       " (Service: S3, Status Code: ", r.status,
                                       r.request_id.empty() ? "" : ", Request ID: ",
                                       r.request_id, ")");
  return absl::FailedPreconditionError(
      absl::StrCat("Failed to write the results of Map Run '", ToAbsl(map_run_arn),
                   "' to Amazon S3 bucket '", config.bucket, "', key '", key, "': ", why));
}

}  // namespace

absl::StatusOr<json::value> WriteMapRunResults(integrations::AwsApi& s3,
                                               const ResultWriterConfig& config,
                                               std::string_view map_run_arn,
                                               const ChildResultPages& pages,
                                               const ResultWriterOptions& options) {
  if (!config.writes_to_s3) {
    return absl::InvalidArgumentError("ResultWriter has no Resource: the results stay inline");
  }
  const std::string run_id = MapRunId(map_run_arn);
  const char* content_type = config.output_type == ResultOutputType::kJson
                                 ? "application/json"
                                 : "application/jsonl";
  ResultFileSet files(config.prefix, run_id, config.output_type,
                      options.max_file_bytes == 0 ? kDefaultMaxResultFileBytes
                                                  : options.max_file_bytes,
                      [&](const std::string& key, std::string body) {
                        return PutObject(s3, config, map_run_arn, options, key,
                                         std::move(body), content_type);
                      });
  for (;;) {
    absl::StatusOr<std::vector<MapRunChildResult>> page = pages();
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    for (const MapRunChildResult& r : *page) {
      ResultFileKind kind = FileKindOf(r.status);
      for (const std::string& record : ResultRecords(r, config.transformation)) {
        if (absl::Status s = files.Add(kind, record); !s.ok()) return s;
      }
    }
  }
  if (absl::Status s = files.Finish(); !s.ok()) return s;
  const std::string manifest_key = ResultKey(config.prefix, run_id, "manifest.json");
  if (absl::Status s = PutObject(s3, config, map_run_arn, options, manifest_key,
                                 ManifestJson(config.bucket, map_run_arn, files),
                                 "application/json");
      !s.ok()) {
    return s;
  }
  return MapResultWithWriter(map_run_arn, config.bucket, manifest_key);
}

}  // namespace stepwise::engine::map_run
