// The result files of a Map Run (result_writer_files.h). Pure; a
// ResultFileSet is used by one thread at a time.
#include "engine/map_run/result_writer_files.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/strings.h"

namespace stepwise::engine::map_run {
namespace {

void Member(std::string& out, bool& first, std::string_view name) {
  out += first ? "" : ",";
  first = false;
  AppendJsonString(name, out);
  out += ':';
}

void StringMember(std::string& out, bool& first, std::string_view name, std::string_view v) {
  Member(out, first, name);
  AppendJsonString(v, out);
}

}  // namespace

ResultFileKind FileKindOf(std::string_view status) {
  if (status == "SUCCEEDED") return ResultFileKind::kSucceeded;
  if (status == "FAILED" || status == "TIMED_OUT" || status == "ABORTED") {
    return ResultFileKind::kFailed;
  }
  return ResultFileKind::kPending;
}

const char* FileKindName(ResultFileKind kind) {
  switch (kind) {
    case ResultFileKind::kSucceeded:
      return "SUCCEEDED";
    case ResultFileKind::kFailed:
      return "FAILED";
    case ResultFileKind::kPending:
      return "PENDING";
  }
  return "PENDING";
}

std::string NoneEntryJson(const MapRunChildResult& r) {
  std::string out = "{";
  bool first = true;
  if (r.cause) StringMember(out, first, "Cause", *r.cause);
  if (r.error) StringMember(out, first, "Error", *r.error);
  if (!r.execution_arn.empty()) StringMember(out, first, "ExecutionArn", r.execution_arn);
  if (r.input) {
    StringMember(out, first, "Input", *r.input);
    Member(out, first, "InputDetails");
    out += R"({"Included":true})";
  }
  if (!r.name.empty()) StringMember(out, first, "Name", r.name);
  if (r.output) StringMember(out, first, "Output", *r.output);
  if (r.output || FileKindOf(r.status) != ResultFileKind::kPending) {
    Member(out, first, "OutputDetails");
    out += R"({"Included":true})";
  }
  Member(out, first, "RedriveCount");
  out += std::to_string(r.redrive_count);
  if (!r.redrive_status.empty()) StringMember(out, first, "RedriveStatus", r.redrive_status);
  if (!r.redrive_status_reason.empty()) {
    StringMember(out, first, "RedriveStatusReason", r.redrive_status_reason);
  }
  if (r.start_date_ms) StringMember(out, first, "StartDate", FormatIso8601(*r.start_date_ms));
  if (!r.state_machine_arn.empty()) {
    StringMember(out, first, "StateMachineArn", r.state_machine_arn);
  }
  StringMember(out, first, "Status", r.status);
  if (r.stop_date_ms) StringMember(out, first, "StopDate", FormatIso8601(*r.stop_date_ms));
  out += '}';
  return out;
}

std::vector<std::string> ResultRecords(const MapRunChildResult& r, ResultTransformation t) {
  if (t == ResultTransformation::kNone || FileKindOf(r.status) != ResultFileKind::kSucceeded) {
    return {NoneEntryJson(r)};
  }
  if (!r.output) return {"null"};
  absl::StatusOr<json::value> value = ParseJson(*r.output);
  if (!value.ok()) {
    // Not JSON (never from a child execution): its text as a string.
    std::string s;
    AppendJsonString(*r.output, s);
    return {s};
  }
  if (t == ResultTransformation::kFlatten && value->is_array()) {
    std::vector<std::string> records;
    records.reserve(value->get_array().size());
    for (const json::value& e : value->get_array()) records.push_back(SerializeJson(e));
    return records;
  }
  return {SerializeJson(*value)};
}

std::string MapRunId(std::string_view map_run_arn) {
  size_t colon = map_run_arn.rfind(':');
  return std::string(colon == std::string_view::npos ? map_run_arn
                                                     : map_run_arn.substr(colon + 1));
}

std::string ResultKey(std::string_view prefix, std::string_view map_run_id,
                      std::string_view file) {
  std::string key(prefix);
  if (!key.empty() && key.back() != '/') key += '/';
  absl::StrAppend(&key, ToAbsl(map_run_id), "/", ToAbsl(file));
  return key;
}

ResultFileSet::ResultFileSet(std::string prefix, std::string map_run_id, ResultOutputType type,
                             uint64_t max_file_bytes, Sink sink)
    : prefix_(std::move(prefix)),
      map_run_id_(std::move(map_run_id)),
      type_(type),
      max_file_bytes_(max_file_bytes),
      sink_(std::move(sink)) {}

uint64_t ResultFileSet::ClosedSize(const Part& p) const {
  return p.body.size() + (type_ == ResultOutputType::kJson ? 1 : 0);
}

absl::Status ResultFileSet::Add(ResultFileKind kind, std::string_view record) {
  Part& p = parts_[static_cast<int>(kind)];
  // JSON: "[" + records joined by "," + "]"; JSONL: one record a line.
  uint64_t added = record.size() + 1;
  if (p.records > 0 && ClosedSize(p) + added > max_file_bytes_) {
    if (absl::Status s = Seal(kind); !s.ok()) return s;
  }
  if (type_ == ResultOutputType::kJson) {
    p.body += p.records == 0 ? '[' : ',';
    p.body += record;
  } else {
    p.body += record;
    p.body += '\n';
  }
  ++p.records;
  return absl::OkStatus();
}

absl::Status ResultFileSet::Seal(ResultFileKind kind) {
  Part& p = parts_[static_cast<int>(kind)];
  if (p.records == 0) return absl::OkStatus();
  if (type_ == ResultOutputType::kJson) p.body += ']';
  std::string key = ResultKey(
      prefix_, map_run_id_,
      absl::StrCat(FileKindName(kind), "_", p.files.size(), ".",
                   type_ == ResultOutputType::kJson ? "json" : "jsonl"));
  uint64_t size = p.body.size();
  std::string body = std::move(p.body);
  p.body.clear();
  p.records = 0;
  if (absl::Status s = sink_(key, std::move(body)); !s.ok()) return s;
  p.files.push_back({std::move(key), size});
  return absl::OkStatus();
}

absl::Status ResultFileSet::Finish() {
  for (ResultFileKind kind :
       {ResultFileKind::kSucceeded, ResultFileKind::kFailed, ResultFileKind::kPending}) {
    if (absl::Status s = Seal(kind); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string ManifestJson(std::string_view bucket, std::string_view map_run_arn,
                         const ResultFileSet& files) {
  std::string out = "{";
  bool first = true;
  StringMember(out, first, "DestinationBucket", bucket);
  StringMember(out, first, "MapRunArn", map_run_arn);
  Member(out, first, "ResultFiles");
  out += '{';
  bool first_kind = true;
  for (ResultFileKind kind :
       {ResultFileKind::kFailed, ResultFileKind::kPending, ResultFileKind::kSucceeded}) {
    Member(out, first_kind, FileKindName(kind));
    out += '[';
    bool first_file = true;
    for (const ResultFile& f : files.files(kind)) {
      out += first_file ? "{" : ",{";
      first_file = false;
      bool first_member = true;
      StringMember(out, first_member, "Key", f.key);
      Member(out, first_member, "Size");
      out += std::to_string(f.size);
      out += '}';
    }
    out += ']';
  }
  out += "}}";
  return out;
}

json::value MapResultWithWriter(std::string_view map_run_arn, std::string_view bucket,
                                std::string_view manifest_key) {
  json::object details;
  details["Bucket"] = json::string(bucket);
  details["Key"] = json::string(manifest_key);
  json::object out;
  out["MapRunArn"] = json::string(map_run_arn);
  out["ResultWriterDetails"] = std::move(details);
  return out;
}

}  // namespace stepwise::engine::map_run
