// MapRunRecord (map_run_record.h): row keys, the record's JSON text, and
// Map Run ARNs. Pure: any thread.
#include "engine/map_run/map_run_record.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "engine/arn.h"
#include "storage/keys.h"

namespace stepwise::engine {

namespace {

constexpr const char* kCountNames[] = {
    "pending", "running", "succeeded",      "failed",
    "timedOut", "aborted", "total",         "resultsWritten",
    "failuresNotRedrivable", "pendingRedrive"};

int64_t* CountFields(MapRunCounts& c, size_t i) {
  int64_t* fields[] = {&c.pending, &c.running, &c.succeeded, &c.failed,
                       &c.timed_out, &c.aborted, &c.total, &c.results_written,
                       &c.failures_not_redrivable, &c.pending_redrive};
  return fields[i];
}

json::object CountsJson(MapRunCounts c) {
  json::object o;
  for (size_t i = 0; i < std::size(kCountNames); ++i) o[kCountNames[i]] = *CountFields(c, i);
  return o;
}

bool ReadCounts(const json::value* v, MapRunCounts& out) {
  if (v == nullptr || !v->is_object()) return false;
  for (size_t i = 0; i < std::size(kCountNames); ++i) {
    const json::value* n = v->get_object().if_contains(kCountNames[i]);
    if (n == nullptr || !n->is_int64()) return false;
    *CountFields(out, i) = n->get_int64();
  }
  return true;
}

}  // namespace

std::string MapRunRecordKey(absl::string_view run_id) {
  return storage::TaskKey(kMapRunRecordQueue, run_id, 0);
}

std::string MapRunOfKey(absl::string_view parent_execution_id, int64_t task_id) {
  return storage::TaskKey(kMapRunOfQueue, parent_execution_id, task_id);
}

std::string MapRunIdOf(absl::string_view map_run_arn) {
  size_t colon = map_run_arn.rfind(':');
  return std::string(colon == absl::string_view::npos ? map_run_arn
                                                      : map_run_arn.substr(colon + 1));
}

std::string MapRunsOfPrefix(absl::string_view parent_execution_id) {
  // A TaskKey ends in the task id's 8 bytes; what comes before is
  // Str(queue) . Str(execution id), never a prefix of another id's.
  std::string key = MapRunOfKey(parent_execution_id, 0);
  key.resize(key.size() - 8);
  return key;
}

std::string EncodeMapRunRecord(const MapRunRecord& r) {
  json::object o;
  o["mapRunArn"] = r.map_run_arn;
  o["executionArn"] = r.execution_arn;
  o["taskId"] = r.task_id;
  o["status"] = r.status;
  o["startDate"] = r.start_date;
  o["stopDate"] = r.stop_date;
  o["maxConcurrency"] = r.max_concurrency;
  if (r.tolerated_failure_percentage) {
    o["toleratedFailurePercentage"] = *r.tolerated_failure_percentage;
  }
  if (r.tolerated_failure_count) o["toleratedFailureCount"] = *r.tolerated_failure_count;
  o["itemCounts"] = CountsJson(r.items);
  o["executionCounts"] = CountsJson(r.executions);
  if (!r.execution_type.empty()) o["executionType"] = r.execution_type;
  if (r.item_batcher) o["itemBatcher"] = true;
  if (r.redrive_count > 0) {  // absent: never redriven (older records too)
    o["redriveCount"] = r.redrive_count;
    o["redriveDate"] = r.redrive_date;
  }
  return SerializeJson(json::value(std::move(o)));
}

absl::StatusOr<MapRunRecord> DecodeMapRunRecord(absl::string_view text) {
  absl::StatusOr<json::value> v = ParseJson(text);
  auto bad = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("stored Map Run record is malformed (", what,
                                            "): ", text.substr(0, 200)));
  };
  if (!v.ok() || !v->is_object()) return bad("not a JSON object");
  const json::object& o = v->get_object();
  MapRunRecord r;
  auto str = [&](const char* k, std::string& out) {
    const json::value* m = o.if_contains(k);
    if (m == nullptr || !m->is_string()) return false;
    out = std::string(m->get_string());
    return true;
  };
  auto i64 = [&](const char* k, int64_t& out) {
    const json::value* m = o.if_contains(k);
    if (m == nullptr || !m->is_int64()) return false;
    out = m->get_int64();
    return true;
  };
  if (!str("mapRunArn", r.map_run_arn) || !str("executionArn", r.execution_arn) ||
      !str("status", r.status) || !i64("taskId", r.task_id) ||
      !i64("startDate", r.start_date) || !i64("stopDate", r.stop_date) ||
      !i64("maxConcurrency", r.max_concurrency)) {
    return bad("a member is missing or of the wrong type");
  }
  if (const json::value* p = o.if_contains("toleratedFailurePercentage")) {
    if (!p->is_number()) return bad("toleratedFailurePercentage");
    r.tolerated_failure_percentage = p->to_number<double>();
  }
  if (const json::value* c = o.if_contains("toleratedFailureCount")) {
    if (!c->is_int64()) return bad("toleratedFailureCount");
    r.tolerated_failure_count = c->get_int64();
  }
  if (!ReadCounts(o.if_contains("itemCounts"), r.items) ||
      !ReadCounts(o.if_contains("executionCounts"), r.executions)) {
    return bad("counts");
  }
  str("executionType", r.execution_type);  // absent in older records
  if (const json::value* b = o.if_contains("itemBatcher")) {
    if (!b->is_bool()) return bad("itemBatcher");
    r.item_batcher = b->get_bool();
  }
  if (o.contains("redriveCount") &&
      (!i64("redriveCount", r.redrive_count) || !i64("redriveDate", r.redrive_date))) {
    return bad("redriveCount");
  }
  return r;
}

absl::StatusOr<MapRunArnParts> ParseMapRunArn(absl::string_view region,
                                              absl::string_view account,
                                              const std::string& arn) {
  std::string prefix = absl::StrCat("arn:aws:states:", region, ":", account);
  std::string head = prefix + ":mapRun:";
  if (arn.rfind(head, 0) != 0) return InvalidArnError(arn);
  absl::string_view rest = absl::string_view(arn).substr(head.size());
  size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos) return InvalidArnError(arn);
  absl::string_view machine = rest.substr(0, colon);
  absl::string_view id = rest.substr(colon + 1);
  size_t slash = machine.find('/');
  if (id.empty() || slash == absl::string_view::npos || slash == 0 ||
      slash + 1 == machine.size() || machine.find(':') != absl::string_view::npos) {
    return InvalidArnError(arn);
  }
  MapRunArnParts p;
  p.prefix = std::move(prefix);
  p.parent_machine = std::string(machine.substr(0, slash));
  p.child_machine = std::string(machine);
  p.run_id = std::string(id);
  return p;
}

std::string MapRunArnOfChild(absl::string_view execution_arn) {
  // arn:aws:states:R:A:execution:MACHINE/LABEL:RUN_ID-INDEX (or :express:
  // for Express children, which end in :UUID after the name).
  for (absl::string_view kind : {":execution:", ":express:"}) {
    size_t at = execution_arn.find(kind);
    if (at == absl::string_view::npos) continue;
    absl::string_view rest = execution_arn.substr(at + kind.size());
    size_t colon = rest.find(':');
    if (colon == absl::string_view::npos) return "";
    absl::string_view machine = rest.substr(0, colon);
    if (machine.find('/') == absl::string_view::npos) return "";
    absl::string_view name = rest.substr(colon + 1);
    if (size_t end = name.find(':'); end != absl::string_view::npos) name = name.substr(0, end);
    size_t dash = name.rfind('-');
    if (dash == absl::string_view::npos || dash == 0 || dash + 1 == name.size() ||
        name.substr(dash + 1).find_first_not_of("0123456789") != absl::string_view::npos) {
      return "";
    }
    return absl::StrCat(execution_arn.substr(0, at), ":mapRun:", machine, ":",
                        name.substr(0, dash));
  }
  return "";
}

}  // namespace stepwise::engine
