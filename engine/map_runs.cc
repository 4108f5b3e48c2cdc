// The Map Run APIs (DescribeMapRun, ListMapRuns, UpdateMapRun,
// ListExecutions by mapRunArn): Engine's façade and EngineImpl's answers
// from the Map Run records (engine/map_run/map_run_records.h). Reads go
// to the live record of a run going on here, else to the store; an update
// goes through the MapRunDispatcher to the running driver. A run's EXPRESS
// children and every child row's itemCount: map_run_children.cc. Any thread.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/map_run/map_run_dispatcher.h"
#include "engine/map_run/map_run_record.h"
#include "storage/keys.h"

namespace stepwise::engine {

namespace {

absl::Status MapRunNotFound(const std::string& arn) {
  return ServiceError("ResourceNotFound", absl::StrCat("Map Run Does Not Exist: '", arn, "'"));
}

MapRunDescription Describe(const MapRunRecord& r) {
  MapRunDescription d;
  d.map_run_arn = r.map_run_arn;
  d.execution_arn = r.execution_arn;
  // arn:aws:states:R:A:mapRun:MACHINE/LABEL:ID → …:stateMachine:MACHINE
  size_t at = r.map_run_arn.find(":mapRun:");
  if (at != std::string::npos) {
    std::string machine = r.map_run_arn.substr(at + 8);
    machine.resize(std::min(machine.find('/'), machine.size()));
    d.state_machine_arn = absl::StrCat(r.map_run_arn.substr(0, at), ":stateMachine:", machine);
  }
  d.status = r.status;
  d.start_date = r.start_date;
  d.stop_date = r.stop_date;
  d.max_concurrency = r.max_concurrency;
  d.tolerated_failure_percentage = r.tolerated_failure_percentage.value_or(0);
  d.tolerated_failure_count = r.tolerated_failure_count.value_or(0);
  d.items = r.items;
  d.executions = r.executions;
  d.redrive_count = r.redrive_count;
  d.redrive_date = r.redrive_date;
  return d;
}

}  // namespace

// ------------------------------------------------------------- EngineImpl

absl::StatusOr<MapRunDescription> EngineImpl::DescribeMapRun(const std::string& arn) {
  SW_ASSIGN_OR_RETURN(MapRunArnParts parts, ParseMapRunArn(opts_.region, opts_.account, arn));
  SW_ASSIGN_OR_RETURN(std::optional<MapRunRecord> r, map_runs_->records().Get(parts.run_id));
  if (!r.has_value() || r->map_run_arn != arn) return MapRunNotFound(arn);
  return Describe(*r);
}

absl::StatusOr<std::vector<MapRunDescription>> EngineImpl::ListMapRuns(
    const std::string& execution_arn) {
  SW_RETURN_IF_ERROR(CheckExecutionArn(execution_arn));
  SW_ASSIGN_OR_RETURN(std::optional<storage::VersionedValue> v,
                      store_->GetExecution(execution_arn));
  if (!v.has_value()) {
    return ServiceError("ExecutionDoesNotExist",
                        "Execution Does Not Exist: '" + execution_arn + "'");
  }
  storage::ScanOptions o;
  o.prefix = MapRunsOfPrefix(execution_arn);
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                      store_->Scan(storage::Table::kTasks, o));
  std::vector<MapRunDescription> out;
  out.reserve(rows.size());
  for (const storage::KeyValue& kv : rows) {
    SW_ASSIGN_OR_RETURN(std::optional<MapRunRecord> r, map_runs_->records().Get(kv.value));
    if (r.has_value()) out.push_back(Describe(*r));
  }
  return out;
}

absl::Status EngineImpl::UpdateMapRun(const std::string& arn, const MapRunSettings& s) {
  SW_ASSIGN_OR_RETURN(MapRunArnParts parts, ParseMapRunArn(opts_.region, opts_.account, arn));
  if (s.max_concurrency && *s.max_concurrency < 0) {
    return ServiceError("ValidationException", "maxConcurrency must be 0 or more");
  }
  if (s.tolerated_failure_percentage &&
      !(*s.tolerated_failure_percentage >= 0 && *s.tolerated_failure_percentage <= 100)) {
    return ServiceError("ValidationException",
                        "toleratedFailurePercentage must be between 0 and 100");
  }
  if (s.tolerated_failure_count && *s.tolerated_failure_count < 0) {
    return ServiceError("ValidationException", "toleratedFailureCount must be 0 or more");
  }
  if (!s.max_concurrency && !s.tolerated_failure_percentage && !s.tolerated_failure_count) {
    return ServiceError("ValidationException",
                        "at least one of maxConcurrency, toleratedFailurePercentage and "
                        "toleratedFailureCount must be given");
  }
  SW_ASSIGN_OR_RETURN(std::optional<MapRunRecord> r, map_runs_->records().Get(parts.run_id));
  if (!r.has_value() || r->map_run_arn != arn) return MapRunNotFound(arn);
  absl::Status st = map_runs_->Update(parts.run_id, s);
  if (absl::IsNotFound(st)) return MapRunNotFound(arn);
  if (absl::IsFailedPrecondition(st)) {
    // AWS: ValidationException, reason CANNOT_UPDATE_COMPLETED_MAP_RUN.
    return ServiceError("ValidationException",
                        absl::StrCat("Map Run is not running and cannot be updated: '", arn, "'"));
  }
  return st;
}

absl::StatusOr<ExecutionList> EngineImpl::ListMapRunExecutions(const std::string& arn,
                                                               const std::string& status_filter,
                                                               int max_results,
                                                               const std::string& next_token,
                                                               const std::string& redrive_filter) {
  SW_ASSIGN_OR_RETURN(MapRunArnParts parts, ParseMapRunArn(opts_.region, opts_.account, arn));
  SW_ASSIGN_OR_RETURN(std::optional<MapRunRecord> r, map_runs_->records().Get(parts.run_id));
  if (!r.has_value() || r->map_run_arn != arn) return MapRunNotFound(arn);
  if (max_results < 0 || max_results > 1000) {
    return ServiceError("ValidationException", "maxResults must be between 0 and 1000");
  }
  const std::string machine_arn =
      absl::StrCat(parts.prefix, ":stateMachine:", parts.child_machine);
  std::string type = r->execution_type;
  if (type.empty()) {
    // A record that does not say (written before it was kept, or an Express
    // parent's run): the hidden machine's type, that of its latest run.
    absl::StatusOr<json::object> machine =
        catalog_.LoadMachine(machine_arn, /*allow_deleting=*/true);
    type = machine.ok() ? std::string((*machine)["type"].as_string()) : "STANDARD";
  }
  ExecutionList l;
  if (type == "EXPRESS") {
    SW_ASSIGN_OR_RETURN(l, ListMapRunExpressChildren(
                               arn, parts, status_filter,
                               max_results == 0 ? 100 : static_cast<size_t>(max_results),
                               next_token, redrive_filter));
  } else {
    // The children: executions of the hidden MACHINE/LABEL machine named
    // RUN_ID-INDEX (other runs of the same Map state share the machine).
    absl::StatusOr<ExecutionList> standard =
        ListExecutions(machine_arn, status_filter, max_results, next_token, redrive_filter,
                       absl::StrCat(parts.run_id, "-"));
    // A run that failed before its first child has no machine yet.
    if (!standard.ok() && ServiceErrorName(standard.status()) == "StateMachineDoesNotExist") {
      return ExecutionList{};
    }
    if (!standard.ok()) return standard.status();
    l = *std::move(standard);
  }
  SW_RETURN_IF_ERROR(FillItemCounts(l.executions, r->item_batcher));
  return l;
}

// ------------------------------------------------------------- Engine

absl::StatusOr<MapRunDescription> Engine::DescribeMapRun(const std::string& arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->DescribeMapRun(arn);
}

absl::StatusOr<std::vector<MapRunDescription>> Engine::ListMapRuns(
    const std::string& execution_arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->ListMapRuns(execution_arn);
}

absl::Status Engine::UpdateMapRun(const std::string& arn, const MapRunSettings& settings) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->UpdateMapRun(arn, settings);
}

absl::StatusOr<ExecutionList> Engine::ListMapRunExecutions(const std::string& arn,
                                                           const std::string& status_filter,
                                                           int max_results,
                                                           const std::string& next_token,
                                                           const std::string& redrive_filter) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->ListMapRunExecutions(arn, status_filter, max_results, next_token,
                                     redrive_filter);
}

}  // namespace stepwise::engine
