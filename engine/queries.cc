// Read-only calls: DescribeExecution, ListExecutions, GetExecutionHistory,
// DescribeStateMachineForExecution, ListOpenTasks and the counters. They read the store
// (and the catalog) directly, not through the shards. Any thread.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "common/status_macros.h"
#include "engine/arn.h"
#include "engine/dispatch/lambda_function.h"
#include "engine/engine_impl.h"
#include "engine/execution_codec.h"
#include "engine/execution_record.h"
#include "engine/map_run/express_child_outcome.h"
#include "engine/map_run/map_run_record.h"
#include "engine/redrive.h"
#include "storage/keys.h"

namespace stepwise::engine {

namespace {

using storage::Table;

// The function name of a function queue's key (FunctionQueueKey), or
// nullopt for any other queue (an activity ARN).
std::optional<std::string> FunctionOfQueue(const std::string& queue) {
  static const std::string kPrefix = FunctionQueueKey("");
  if (queue.rfind(kPrefix, 0) != 0) return std::nullopt;
  return queue.substr(kPrefix.size());
}

void StripData(json::object& event) {
  for (auto& kv : event) {
    if (json::object* d = kv.value().if_object()) {
      for (const char* k : {"input", "output", "parameters"}) {
        if (d->contains(k)) d->erase(k);
      }
    }
  }
}

}  // namespace

absl::StatusOr<ExecutionDescription> EngineImpl::DescribeExecution(const std::string& arn) {
  SW_RETURN_IF_ERROR(CheckExecutionArn(arn));
  SW_ASSIGN_OR_RETURN(std::optional<storage::VersionedValue> v, store_->GetExecution(arn));
  if (!v.has_value() && IsMapRunExpressChildArn(arn)) {
    // A Map Run's Express child that closed: its stored outcome
    // (engine/map_run/express_child_outcome.h).
    SW_ASSIGN_OR_RETURN(std::optional<std::string> outcome,
                        store_->Get(Table::kMeta, ExpressChildOutcomeKey(arn)));
    if (outcome.has_value()) {
      SW_ASSIGN_OR_RETURN(ExecutionDescription d, DecodeExpressChildOutcome(arn, *outcome));
      d.map_run_arn = MapRunArnOfChild(arn);
      return d;
    }
  }
  if (!v.has_value()) {
    return ServiceError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'");
  }
  ExecutionStateSummary summary;
  SW_ASSIGN_OR_RETURN(ExecutionDescription d, DescribeExecutionRecord(v->value, arn, &summary));
  RedriveCheck check =
      CheckRedrive(summary, d.stop_date, clock_->NowMs(), opts_.max_history_events);
  d.redrive_status = std::move(check.status);
  d.redrive_status_reason = std::move(check.reason);
  d.map_run_arn = MapRunArnOfChild(arn);
  return d;
}

absl::StatusOr<StateMachineDescription> EngineImpl::DescribeStateMachineForExecution(
    const std::string& execution_arn) {
  SW_ASSIGN_OR_RETURN(ExecutionDescription d, DescribeExecution(execution_arn));
  std::string name = ArnTail(d.state_machine_arn);
  SW_ASSIGN_OR_RETURN(std::optional<json::object> rec, catalog_.MachineRecord(name));
  if (!rec.has_value()) return ServiceError("StateMachineDoesNotExist", d.state_machine_arn);
  return catalog_.Describe(*rec, d.revision);
}

absl::StatusOr<ExecutionList> EngineImpl::ListExecutions(const std::string& listed_arn,
                                                         const std::string& status_filter,
                                                         int max_results,
                                                         const std::string& next_token,
                                                         const std::string& redrive_filter,
                                                         const std::string& name_prefix) {
  // A version or alias ARN lists the executions that version or alias ran.
  SW_ASSIGN_OR_RETURN(auto split, catalog_.SplitMachineArn(listed_arn));
  const std::string& machine_arn = split.first;
  bool by_version = !split.second.empty() &&
                    split.second.find_first_not_of("0123456789") == std::string::npos;
  bool by_alias = !split.second.empty() && !by_version;
  SW_ASSIGN_OR_RETURN(json::object machine,
                      catalog_.LoadMachine(machine_arn, /*allow_deleting=*/true));
  if (machine["type"].as_string() == "EXPRESS") {
    // Express executions are not listed (AWS; they keep no visibility).
    return ServiceError("StateMachineTypeNotSupported",
                        "This operation is not supported by this type of state machine");
  }
  if (max_results < 0 || max_results > 1000) {
    return ServiceError("ValidationException", "maxResults must be between 0 and 1000");
  }
  size_t limit = max_results == 0 ? 100 : static_cast<size_t>(max_results);
  storage::ScanOptions o;
  o.prefix = storage::VisibilityPrefix(machine_arn);
  if (!next_token.empty()) {
    std::string key;
    if (!absl::WebSafeBase64Unescape(next_token, &key) || key.rfind(o.prefix, 0) != 0) {
      return ServiceError("InvalidToken", "Invalid Token: '" + next_token + "'");
    }
    o.start_after = key;
  }
  ExecutionList out;
  std::string last_key;
  while (out.executions.size() < limit) {
    o.limit = limit * 2;
    SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                        store_->Scan(Table::kVisibility, o));
    if (rows.empty()) break;
    for (const auto& kv : rows) {
      o.start_after = kv.key;
      SW_ASSIGN_OR_RETURN(ExecutionDescription d, DecodeVisibilityRow(kv.value));
      if (!status_filter.empty() && d.status != status_filter) continue;
      if (!redrive_filter.empty() && (d.redrive_count > 0) != (redrive_filter == "REDRIVEN")) {
        continue;
      }
      if (by_version && d.version_arn != listed_arn) continue;
      if (by_alias && d.alias_arn != listed_arn) continue;
      if (!name_prefix.empty() && !d.name.starts_with(name_prefix)) continue;
      d.state_machine_arn = machine_arn;
      d.map_run_arn = MapRunArnOfChild(d.execution_arn);
      out.executions.push_back(std::move(d));
      last_key = kv.key;
      if (out.executions.size() == limit) break;
    }
    if (rows.size() < o.limit) break;
  }
  if (out.executions.size() == limit) {
    storage::ScanOptions more = o;
    more.start_after = last_key;
    more.limit = 1;
    SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rest,
                        store_->Scan(Table::kVisibility, more));
    if (!rest.empty()) out.next_token = absl::WebSafeBase64Escape(last_key);
  }
  return out;
}

absl::StatusOr<HistoryPage> EngineImpl::GetExecutionHistory(const std::string& arn,
                                                            int max_results,
                                                            const std::string& next_token,
                                                            bool reverse, bool include_data) {
  if (max_results < 0 || max_results > 1000) {
    return ServiceError("ValidationException", "maxResults must be between 0 and 1000");
  }
  size_t limit = max_results == 0 ? 100 : static_cast<size_t>(max_results);
  SW_RETURN_IF_ERROR(CheckExecutionArn(arn));
  SW_ASSIGN_OR_RETURN(std::optional<storage::VersionedValue> v, store_->GetExecution(arn));
  if (!v.has_value()) {
    return ServiceError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'");
  }
  int64_t after = 0;  // token: id of the last event returned
  if (!next_token.empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(next_token, &raw) || !absl::SimpleAtoi(raw, &after) ||
        after <= 0) {
      return ServiceError("InvalidToken", "Invalid Token: '" + next_token + "'");
    }
  }
  SW_ASSIGN_OR_RETURN(std::vector<storage::HistoryChunk> chunks,
                      store_->ReadHistory(arn, 1, 0));
  std::vector<HistoryEvent> all;
  for (const auto& c : chunks) {
    SW_ASSIGN_OR_RETURN(std::vector<HistoryEvent> evs, DecodeHistoryChunk(c.value));
    for (auto& e : evs) all.push_back(std::move(e));
  }
  if (reverse) std::reverse(all.begin(), all.end());
  HistoryPage page;
  size_t i = 0;
  if (after > 0) {
    while (i < all.size() && all[i].id != after) ++i;
    if (i == all.size()) {
      return ServiceError("InvalidToken", "Invalid Token: '" + next_token + "'");
    }
    ++i;
  }
  for (; i < all.size() && page.events.size() < limit; ++i) {
    json::object e = ToAwsJson(all[i]);
    if (!include_data) StripData(e);
    page.events.push_back(std::move(e));
  }
  if (i < all.size()) {
    page.next_token = absl::WebSafeBase64Escape(std::to_string(all[i - 1].id));
  }
  return page;
}

absl::StatusOr<std::vector<OpenTaskInfo>> EngineImpl::ListOpenTasks(const std::string& arn) {
  SW_RETURN_IF_ERROR(CheckExecutionArn(arn));
  SW_ASSIGN_OR_RETURN(std::optional<storage::VersionedValue> v, store_->GetExecution(arn));
  if (!v.has_value()) {
    return ServiceError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'");
  }
  auto lookup = [&](const std::string& machine_arn, int64_t revision)
      -> absl::StatusOr<std::shared_ptr<const asl::StateMachine>> {
    SW_ASSIGN_OR_RETURN(std::optional<json::object> rec,
                        catalog_.MachineRecord(ArnTail(machine_arn)));
    if (!rec.has_value()) {
      return absl::DataLossError("state machine of execution " + arn + " is missing");
    }
    return catalog_.ParsedRevision(*rec, revision);
  };
  SW_ASSIGN_OR_RETURN(ExecutionRecord record, DecodeExecutionRecord(v->value, arn, lookup));
  std::vector<OpenTaskInfo> out;
  if (record.state->status != ExecutionStatus::kRunning) return out;
  for (const auto& [id, t] : record.tasks) {
    if (t.queue.empty()) continue;  // no worker polls for it (e.g. a child execution)
    OpenTaskInfo info;
    info.task_id = t.task_id;
    if (std::optional<std::string> fn = FunctionOfQueue(t.queue)) {
      info.function_name = *fn;
    } else {
      info.activity_arn = t.queue;
    }
    info.started = t.started;
    info.callback = t.callback;
    info.submitted = t.submitted;
    info.pollers = tasks_.waiting_pollers(t.queue);
    out.push_back(std::move(info));
  }
  return out;
}

EngineStats EngineImpl::stats() const {
  EngineStats s;
  s.commits = committer_.commits();
  s.batches = committer_.batches();
  s.events = events_.load();
  s.timers_armed = timers_.size();
  s.timer_lag_ms = timer_lag_ms_.load();
  s.express_rows = routing_->express_rows();
  if (remote_children_) {
    RemoteChildren::Stats r = remote_children_->stats();
    s.remote_child_calls = r.remote_calls;
    s.remote_child_retries = r.retries;
    s.remote_child_closes = r.closes_seen;
  }
  for (const TaskQueue::Depth& d : tasks_.Depths()) {
    if (std::optional<std::string> fn = FunctionOfQueue(d.activity_arn)) {
      s.function_queues.push_back({*fn, d.pending, d.pollers});
    } else {
      s.activity_queues.push_back({d.activity_arn, d.pending, d.pollers});
    }
  }
  return s;
}

}  // namespace stepwise::engine
