// The ResultWriter of a Map Run (result_writer.h): result files and the
// manifest to S3 by PutObject, each skipped when S3 already holds the same
// bytes under its key. Threads: any thread that may block.
#include "engine/map_run/result_writer.h"

#include <openssl/evp.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/strings.h"

namespace stepwise::engine::map_run {
namespace {

// Makes one S3 call and waits for its answer; nullopt when the AwsApi
// never answers (stopped): given up a while after the call's own deadline.
std::optional<integrations::AwsApiResponse> CallS3(integrations::AwsApi& s3,
                                                   const ResultWriterConfig& config,
                                                   const ResultWriterOptions& options,
                                                   const char* operation, const std::string& key,
                                                   json::object params,
                                                   std::optional<std::string> body) {
  integrations::AwsApiRequest request;
  request.service = "s3";
  request.operation = operation;
  params["Bucket"] = json::string(config.bucket);
  params["Key"] = json::string(key);
  request.parameters = std::move(params);
  request.region = options.region;
  request.timeout_ms = options.timeout_ms;
  request.body_bytes = std::move(body);
  auto answer = std::make_shared<std::promise<integrations::AwsApiResponse>>();
  std::future<integrations::AwsApiResponse> done = answer->get_future();
  s3.Call(std::move(request),
          [answer](integrations::AwsApiResponse r) { answer->set_value(std::move(r)); });
  if (done.wait_for(std::chrono::milliseconds(options.timeout_ms + options.answer_grace_ms)) !=
      std::future_status::ready) {
    return std::nullopt;
  }
  return done.get();
}

// Whether `key` already holds exactly `body`: HeadObject answers with its
// size and an ETag equal to the body's MD5 (what S3 gives an object sent by
// one PutObject without SSE-KMS). Any other answer (missing, refused, a
// multipart or KMS ETag, no answer) is "no": the caller PUTs.
bool AlreadyHolds(integrations::AwsApi& s3, const ResultWriterConfig& config,
                  const ResultWriterOptions& options, const std::string& key,
                  const std::string& body) {
  std::optional<integrations::AwsApiResponse> r =
      CallS3(s3, config, options, "HeadObject", key, {}, std::nullopt);
  if (!r || !r->ok()) return false;
  const json::object* o = r->output.if_object();
  if (o == nullptr) return false;
  const json::value* length = o->if_contains("ContentLength");
  const json::value* etag = o->if_contains("ETag");
  if (length == nullptr || etag == nullptr || !etag->is_string()) return false;
  const int64_t* size = length->if_int64();
  if (size == nullptr || static_cast<uint64_t>(*size) != body.size()) return false;
  absl::string_view tag = ToAbsl(etag->get_string());
  absl::ConsumePrefix(&tag, "\"");
  absl::ConsumeSuffix(&tag, "\"");
  return absl::AsciiStrToLower(tag) == ObjectMd5Hex(body);
}

// Puts one object and waits for the answer; nothing is sent when S3
// already holds the same bytes under `key` (a rewrite after a restart).
absl::Status PutObject(integrations::AwsApi& s3, const ResultWriterConfig& config,
                       std::string_view map_run_arn, const ResultWriterOptions& options,
                       const std::string& key, std::string body, std::string_view content_type) {
  if (AlreadyHolds(s3, config, options, key, body)) return absl::OkStatus();
  json::object params;
  params["ContentType"] = json::string(content_type);
  std::optional<integrations::AwsApiResponse> answer =
      CallS3(s3, config, options, "PutObject", key, std::move(params), std::move(body));
  // An AwsApi that stops never answers: as shutting down (the Map Run
  // writes again later).
  if (!answer) {
    return absl::UnavailableError(absl::StrCat("no answer from Amazon S3 for key '", key,
                                               "' of Map Run '", ToAbsl(map_run_arn), "'"));
  }
  const integrations::AwsApiResponse& r = *answer;
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

std::string ObjectMd5Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr) != 1) {
    return std::string();  // never equal to an ETag: the object is PUT
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

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
