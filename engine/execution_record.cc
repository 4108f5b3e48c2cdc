// The execution record's codec (see execution_record.h). Pure functions,
// any thread.
#include "engine/execution_record.h"

#include <exception>
#include <utility>

#include "common/json.h"
#include "common/status_macros.h"
#include "engine/execution_codec.h"

namespace stepwise::engine {

namespace {

json::value Str(std::string_view s) { return json::value(json::string(s)); }

absl::StatusOr<json::object> ParseObject(absl::string_view text, const std::string& what) {
  auto v = ParseJson(text);
  if (!v.ok() || !v->is_object()) {
    return absl::DataLossError("stored record of " + what + " is malformed");
  }
  return std::move(v->get_object());
}

}  // namespace

// Written as text directly (every commit writes one).
std::string EncodeExecutionRecord(const ExecutionRecord& r) {
  std::string out;
  out.reserve(1024);
  JsonObjectWriter rec(out);
  rec.String("machine_arn", r.machine_arn);
  rec.Int("revision", r.revision);
  rec.String("input", r.input);
  rec.Int("start_date", r.start_date);
  rec.Int("stop_date", r.stop_date);
  // Written only when set, so records of unqualified starts keep their bytes.
  if (!r.version_arn.empty()) rec.String("version_arn", r.version_arn);
  if (!r.alias_arn.empty()) rec.String("alias_arn", r.alias_arn);
  rec.Key("state");
  AppendExecutionStateJson(*r.state, out);
  rec.Key("tasks");
  JsonArrayWriter tasks(out);
  for (const auto& [id, t] : r.tasks) {
    tasks.Next();
    JsonObjectWriter o(out);
    o.Int("task_id", t.task_id);
    o.Int("attempt", t.attempt);
    o.String("activity", t.queue);
    // Written only when set, so records of activity tasks keep their bytes.
    if (!t.via.empty()) o.String("via", t.via);
    if (!t.details.empty()) o.String("details", t.details);
    o.String("input", t.input);
    o.Bool("started", t.started);
    if (t.callback) o.Bool("callback", true);
    if (t.submitted) o.Bool("submitted", true);
    o.Int("timeout_seconds", t.timeout_seconds);
    o.Int("heartbeat_seconds", t.heartbeat_seconds);
    o.Int("last_heartbeat", t.last_heartbeat);
    o.End();
  }
  tasks.End();
  rec.Key("timers");
  JsonArrayWriter timers(out);
  for (const auto& [id, due] : r.timer_dues) {
    timers.Next();
    JsonArrayWriter pair(out);
    pair.Int(id);
    pair.Int(due);
    pair.End();
  }
  timers.End();
  if (!r.indexed.empty()) {
    rec.Key("indexed");
    JsonObjectWriter ix(out);
    for (const auto& [name, value] : r.indexed) ix.String(name, value);
    ix.End();
  }
  rec.End();
  return out;
}

absl::StatusOr<ExecutionRecord> DecodeExecutionRecord(absl::string_view text,
                                                      const std::string& execution_arn,
                                                      MachineLookup lookup) {
  SW_ASSIGN_OR_RETURN(json::object rec, ParseObject(text, "execution " + execution_arn));
  ExecutionRecord r;
  std::shared_ptr<const asl::StateMachine> machine;
  try {
    r.machine_arn = std::string(rec.at("machine_arn").as_string());
    r.revision = rec.at("revision").as_int64();
    r.input = std::string(rec.at("input").as_string());
    r.start_date = rec.at("start_date").as_int64();
    r.stop_date = rec.at("stop_date").as_int64();
    if (const json::value* v = rec.if_contains("version_arn")) {
      r.version_arn = std::string(v->as_string());
    }
    if (const json::value* v = rec.if_contains("alias_arn")) {
      r.alias_arn = std::string(v->as_string());
    }
  } catch (const std::exception&) {
    return absl::DataLossError("stored record of execution " + execution_arn + " is malformed");
  }
  SW_ASSIGN_OR_RETURN(machine, lookup(r.machine_arn, r.revision));
  SW_ASSIGN_OR_RETURN(ExecutionState st, DecodeExecutionState(rec["state"], *machine));
  r.state = std::make_unique<ExecutionState>(std::move(st));
  try {
    for (const json::value& tv : rec.at("tasks").as_array()) {
      const json::object& to = tv.as_object();
      OpenTask t;
      t.task_id = to.at("task_id").as_int64();
      t.attempt = to.at("attempt").as_int64();
      t.queue = std::string(to.at("activity").as_string());
      if (const json::value* v = to.if_contains("via")) t.via = std::string(v->as_string());
      if (const json::value* v = to.if_contains("details")) {
        t.details = std::string(v->as_string());
      }
      t.input = std::string(to.at("input").as_string());
      t.started = to.at("started").as_bool();
      if (const json::value* v = to.if_contains("callback")) t.callback = v->as_bool();
      if (const json::value* v = to.if_contains("submitted")) t.submitted = v->as_bool();
      t.timeout_seconds = to.at("timeout_seconds").as_int64();
      t.heartbeat_seconds = to.at("heartbeat_seconds").as_int64();
      t.last_heartbeat = to.at("last_heartbeat").as_int64();
      r.tasks[t.task_id] = std::move(t);
    }
    for (const json::value& tv : rec.at("timers").as_array()) {
      const json::array& a = tv.as_array();
      r.timer_dues[a.at(0).as_int64()] = a.at(1).as_int64();
    }
    if (const json::value* v = rec.if_contains("indexed")) {
      for (const auto& [name, value] : v->as_object()) {
        r.indexed[std::string(name)] = std::string(value.as_string());
      }
    }
  } catch (const std::exception&) {
    return absl::DataLossError("stored record of execution " + execution_arn + " is malformed");
  }
  return r;
}

absl::StatusOr<ExecutionDescription> DescribeExecutionRecord(absl::string_view text,
                                                             const std::string& execution_arn,
                                                             ExecutionStateSummary* summary) {
  SW_ASSIGN_OR_RETURN(json::object rec, ParseObject(text, "execution " + execution_arn));
  ExecutionDescription d;
  json::value state;
  try {
    d.execution_arn = execution_arn;
    d.state_machine_arn = std::string(rec.at("machine_arn").as_string());
    d.revision = rec.at("revision").as_int64();
    d.start_date = rec.at("start_date").as_int64();
    d.stop_date = rec.at("stop_date").as_int64();
    d.input = std::string(rec.at("input").as_string());
    if (const json::value* v = rec.if_contains("version_arn")) {
      d.version_arn = std::string(v->as_string());
    }
    if (const json::value* v = rec.if_contains("alias_arn")) {
      d.alias_arn = std::string(v->as_string());
    }
  } catch (const std::exception&) {
    return absl::DataLossError("stored record of execution " + execution_arn + " is malformed");
  }
  SW_ASSIGN_OR_RETURN(ExecutionStateSummary st, SummarizeExecutionState(rec["state"]));
  if (summary != nullptr) *summary = st;
  d.name = std::move(st.execution_name);
  d.status = std::string(ExecutionStatusName(st.status));
  d.output = std::move(st.output);
  if (!st.error.empty()) d.error = std::move(st.error);
  if (!st.cause.empty()) d.cause = std::move(st.cause);
  d.redrive_count = st.redrive_count;
  d.redrive_date = st.redrive_date;
  return d;
}

std::string EncodeVisibilityRow(const std::string& execution_arn, const std::string& name,
                                std::string_view status, TimeMs start_date, TimeMs stop_date,
                                int64_t redrive_count, const std::string& version_arn,
                                const std::string& alias_arn,
                                const std::map<std::string, std::string>* indexed) {
  json::object row;
  row["arn"] = Str(execution_arn);
  row["name"] = Str(name);
  row["status"] = Str(status);
  row["start_date"] = start_date;
  row["stop_date"] = stop_date;
  if (redrive_count > 0) row["redrive_count"] = redrive_count;  // absent: never redriven
  if (!version_arn.empty()) row["version_arn"] = Str(version_arn);
  if (!alias_arn.empty()) row["alias_arn"] = Str(alias_arn);
  if (indexed != nullptr && !indexed->empty()) {
    json::object fields;
    for (const auto& [field, value] : *indexed) fields[field] = Str(value);
    row["fields"] = std::move(fields);
  }
  return SerializeJson(row);
}

absl::StatusOr<ExecutionDescription> DecodeVisibilityRow(absl::string_view text) {
  SW_ASSIGN_OR_RETURN(json::object row, ParseObject(text, "visibility row"));
  ExecutionDescription d;
  try {
    d.execution_arn = std::string(row.at("arn").as_string());
    d.name = std::string(row.at("name").as_string());
    d.status = std::string(row.at("status").as_string());
    d.start_date = row.at("start_date").as_int64();
    d.stop_date = row.at("stop_date").as_int64();
    if (const json::value* r = row.if_contains("redrive_count")) d.redrive_count = r->as_int64();
    if (const json::value* v = row.if_contains("version_arn")) {
      d.version_arn = std::string(v->as_string());
    }
    if (const json::value* v = row.if_contains("alias_arn")) {
      d.alias_arn = std::string(v->as_string());
    }
    if (const json::value* v = row.if_contains("fields")) {
      for (const auto& [name, value] : v->as_object()) {
        d.indexed_fields[std::string(name)] = std::string(value.as_string());
      }
    }
  } catch (const std::exception&) {
    return absl::DataLossError("stored record of visibility row is malformed");
  }
  return d;
}

}  // namespace stepwise::engine
