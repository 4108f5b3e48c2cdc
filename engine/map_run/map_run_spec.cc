// MapRunSpec (map_run_spec.h): decoding the Map Run task's input, child names.
#include "engine/map_run/map_run_spec.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace stepwise::engine {

std::string MapRunSpec::RunId() const {
  size_t colon = map_run_arn.rfind(':');
  return colon == std::string::npos ? map_run_arn : map_run_arn.substr(colon + 1);
}

std::string MapRunSpec::ChildName(size_t index) const {
  return absl::StrCat(RunId(), "-", index);
}

absl::StatusOr<MapRunSpec> DecodeMapRunSpec(const json::value& v) {
  if (!v.is_object()) return absl::InvalidArgumentError("Map Run spec: not an object");
  const json::object& o = v.get_object();
  MapRunSpec s;
  for (auto [key, field] : {std::pair{"mapRunArn", &s.map_run_arn},
                            {"executionArn", &s.execution_arn},
                            {"childMachine", &s.child_machine},
                            {"definition", &s.definition},
                            {"executionType", &s.execution_type}}) {
    const json::value* f = o.if_contains(key);
    if (f == nullptr || !f->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("Map Run spec: ", key, " must be a string"));
    }
    *field = std::string(f->get_string());
  }
  if (const json::value* f = o.if_contains("maxConcurrency"); f != nullptr && f->is_number()) {
    s.max_concurrency = static_cast<int64_t>(ToDouble(*f));
  }
  if (const json::value* f = o.if_contains("toleratedFailureCount");
      f != nullptr && f->is_number()) {
    s.tolerated_failure_count = static_cast<int64_t>(ToDouble(*f));
  }
  if (const json::value* f = o.if_contains("toleratedFailurePercentage");
      f != nullptr && f->is_number()) {
    s.tolerated_failure_percentage = ToDouble(*f);
  }
  if (const json::value* f = o.if_contains("redriveCount"); f != nullptr && f->is_int64()) {
    s.redrive_count = f->get_int64();
    const json::value* date = o.if_contains("redriveDate");
    s.redrive_date = date != nullptr && date->is_int64() ? date->get_int64() : 0;
  }
  const json::value* items = o.if_contains("items");
  if (items == nullptr || !items->is_array()) {
    return absl::InvalidArgumentError("Map Run spec: items must be an array");
  }
  s.items = items->get_array();
  for (auto [key, field] : {std::pair{"reader", &s.reader}, {"selector", &s.selector},
                            {"batcher", &s.batcher},
                            {"writer", &s.writer}}) {
    if (const json::value* f = o.if_contains(key)) *field = *f;
  }
  return s;
}

MapRunRecord MapRunSpec::FirstRecord(const std::string& parent, int64_t task_id) const {
  MapRunRecord record;
  record.map_run_arn = map_run_arn;
  record.execution_arn = parent;
  record.task_id = task_id;
  record.max_concurrency = max_concurrency;
  record.tolerated_failure_percentage = tolerated_failure_percentage;
  record.tolerated_failure_count = tolerated_failure_count;
  record.redrive_count = redrive_count;
  record.redrive_date = redrive_date;
  record.execution_type = execution_type;
  record.item_batcher = !batcher.is_null();
  return record;
}

}  // namespace stepwise::engine
