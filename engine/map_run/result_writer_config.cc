// Reads and checks a Distributed Map's ResultWriter (result_writer_config.h).
// Pure functions: any thread.
#include "engine/map_run/result_writer_config.h"

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace stepwise::engine::map_run {
namespace {

std::string_view Sv(const json::string& s) { return {s.data(), s.size()}; }
// An object's key is a json::string_view: viewed as it is, never through a
// temporary json::string (whose view would dangle).
std::string_view Sv(json::string_view s) { return {s.data(), s.size()}; }

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("ResultWriter", field.empty() ? "" : ".", ToAbsl(field), " ", ToAbsl(what)));
}

absl::Status ReadWriterConfig(const json::value& v, ResultWriterConfig& out) {
  const json::object* o = v.if_object();
  if (o == nullptr) return Bad("WriterConfig", "must be a JSON object");
  for (const auto& kv : *o) {
    std::string_view k = Sv(kv.key());
    const json::string* s = kv.value().if_string();
    if (k == "OutputType") {
      if (s != nullptr && *s == "JSON") {
        out.output_type = ResultOutputType::kJson;
      } else if (s != nullptr && *s == "JSONL") {
        out.output_type = ResultOutputType::kJsonl;
      } else {
        return Bad("WriterConfig.OutputType", "must be one of [JSON, JSONL]");
      }
    } else if (k == "Transformation") {
      if (s != nullptr && *s == "NONE") {
        out.transformation = ResultTransformation::kNone;
      } else if (s != nullptr && *s == "COMPACT") {
        out.transformation = ResultTransformation::kCompact;
      } else if (s != nullptr && *s == "FLATTEN") {
        out.transformation = ResultTransformation::kFlatten;
      } else {
        return Bad("WriterConfig.Transformation", "must be one of [NONE, COMPACT, FLATTEN]");
      }
    } else {
      return Bad("WriterConfig", absl::StrCat("has an unknown field: ", ToAbsl(k)));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadDestination(const json::value& arguments, ResultWriterConfig& out) {
  const json::object* o = arguments.if_object();
  if (o == nullptr) return Bad("Parameters", "must resolve to a JSON object");
  for (const auto& kv : *o) {
    std::string_view k = Sv(kv.key());
    if (k != "Bucket" && k != "Prefix") {
      return Bad("Parameters", absl::StrCat("has an unknown field: ", ToAbsl(k)));
    }
  }
  const json::value* bucket = o->if_contains("Bucket");
  if (bucket == nullptr) return Bad("Parameters", "must contain the field Bucket");
  if (!bucket->is_string() || bucket->get_string().empty()) {
    return Bad("Parameters.Bucket", "must be a non-empty string");
  }
  out.bucket = std::string(Sv(bucket->get_string()));
  if (const json::value* prefix = o->if_contains("Prefix")) {
    if (!prefix->is_string()) return Bad("Parameters.Prefix", "must be a string");
    out.prefix = std::string(Sv(prefix->get_string()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ResultWriterConfig> ReadResultWriterConfig(const json::value& result_writer,
                                                          const json::value& arguments) {
  const json::object* o = result_writer.if_object();
  if (o == nullptr) return Bad("", "must be a JSON object");
  ResultWriterConfig out;
  const json::value* resource = o->if_contains("Resource");
  const json::value* writer_config = o->if_contains("WriterConfig");
  if (resource == nullptr && writer_config == nullptr) {
    return Bad("", "must contain WriterConfig, or Resource and Parameters, or all three");
  }
  if (writer_config != nullptr) {
    if (absl::Status s = ReadWriterConfig(*writer_config, out); !s.ok()) return s;
  }
  if (resource != nullptr) {
    const json::string* r = resource->if_string();
    if (r == nullptr || *r != kResultWriterResource) {
      return Bad("Resource", absl::StrCat("must be ", kResultWriterResource));
    }
    if (arguments.is_null()) return Bad("Parameters", "are required with a Resource");
    if (absl::Status s = ReadDestination(arguments, out); !s.ok()) return s;
    out.writes_to_s3 = true;
  } else {
    if (!arguments.is_null()) return Bad("Parameters", "need a Resource");
    if (writer_config->as_object().if_contains("Transformation") == nullptr) {
      out.transformation = ResultTransformation::kCompact;
    }
  }
  return out;
}

const char* OutputTypeName(ResultOutputType t) {
  return t == ResultOutputType::kJsonl ? "JSONL" : "JSON";
}

const char* TransformationName(ResultTransformation t) {
  switch (t) {
    case ResultTransformation::kNone:
      return "NONE";
    case ResultTransformation::kCompact:
      return "COMPACT";
    case ResultTransformation::kFlatten:
      return "FLATTEN";
  }
  return "NONE";
}

}  // namespace stepwise::engine::map_run
