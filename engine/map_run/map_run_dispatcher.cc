// MapRunDispatcher (map_run_dispatcher.h): Map Run tasks scheduled,
// resumed at Open and closed.
#include "engine/map_run/map_run_dispatcher.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "engine/map_run/express_child_outcome.h"
#include "storage/keys.h"

namespace stepwise::engine {

MapRunDispatcher::MapRunDispatcher(TaskInputs& inputs, storage::Store& store,
                                   const Clock& clock,
                                   MapRunDriver::EnsureMachineFn ensure_machine,
                                   MapRunLimits limits, map_run::S3Objects* s3,
                                   integrations::AwsApi* aws, std::string region)
    : inputs_(inputs),
      records_(store, clock),
      driver_(inputs, records_, std::move(ensure_machine), limits, s3, aws,
              std::move(region)) {}

namespace {

// The run id named by a task's details ({"mapRunArn": ...}), "" if none.
std::string RunIdOfDetails(const std::string& details) {
  absl::StatusOr<json::value> v = ParseJson(details);
  if (!v.ok() || !v->is_object()) return "";
  const json::value* arn = v->get_object().if_contains("mapRunArn");
  return arn != nullptr && arn->is_string() ? MapRunIdOf(std::string(arn->get_string())) : "";
}

}  // namespace

bool MapRunDispatcher::Takes(const ScheduleTaskCommand& command) const {
  return command.resource == kMapRunResource;
}

std::shared_ptr<PollClaim> MapRunDispatcher::Schedule(const ScheduleTaskCommand& command,
                                                      OpenTask& task, PendingCommit& commit) {
  task.via = kVia;
  const std::string& parent = commit.execution_id();
  int64_t task_id = task.task_id;
  absl::StatusOr<MapRunSpec> spec = DecodeMapRunSpec(command.input);
  if (!spec.ok()) {
    commit.AfterCommit([this, parent, task_id, msg = std::string(spec.status().message())] {
      inputs_.ReportTaskResult(parent, task_id, TaskResult::Failed("States.Runtime", msg));
    });
    return nullptr;
  }
  json::object details;
  details["mapRunArn"] = json::string(spec->map_run_arn);
  task.details = SerializeJson(json::value(std::move(details)));
  // The row names the run for Recover; the spec itself is the task's input.
  commit.Write({storage::Table::kTasks, storage::TaskKey(kRowKey, parent, task_id),
                task.details});
  // The run's record, RUNNING from this same commit on; a redriven run's
  // record reopened (a run never recorded gets a first record).
  absl::StatusOr<storage::Write> reopened = absl::NotFoundError("not a redrive");
  if (spec->redrive_count > 0) {
    reopened = records_.RedriveRow(spec->RunId(), task_id, spec->redrive_count,
                                   spec->redrive_date);
  }
  if (reopened.ok()) {
    commit.Write(*std::move(reopened));
  } else {
    MapRunRecord record = spec->FirstRecord(parent, task_id);
    for (storage::Write& w : records_.FirstRows(record)) {
      commit.Write(std::move(w));
    }
  }
  commit.AfterCommit([this, parent, task_id, spec = *std::move(spec)]() mutable {
    driver_.Run(parent, task_id, std::move(spec));
  });
  return nullptr;
}

void MapRunDispatcher::Close(const OpenTask& task, PendingCommit& commit) {
  if (task.details.empty()) return;
  commit.Write({storage::Table::kTasks,
                storage::TaskKey(kRowKey, commit.execution_id(), task.task_id), std::nullopt});
  std::string run_id = RunIdOfDetails(task.details);
  if (!run_id.empty()) {
    // The final status, in the commit that closes the task.
    if (std::optional<storage::Write> w = records_.Close(run_id)) commit.Write(*std::move(w));
  }
  commit.AfterCommit([this, parent = commit.execution_id(), task_id = task.task_id, run_id] {
    driver_.Cancel(parent, task_id);
    if (!run_id.empty()) records_.Forget(run_id);
  });
}

absl::Status MapRunDispatcher::Update(const std::string& run_id, const MapRunSettings& s) {
  SW_ASSIGN_OR_RETURN(MapRunRecord r, records_.Update(run_id, s));
  driver_.Update(r);
  return absl::OkStatus();
}

absl::Status MapRunDispatcher::Recover(storage::Store& store, TaskInputs& inputs) {
  store_ = &store;
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                      store.Scan(storage::Table::kTasks, storage::ScanOptions{}));
  for (auto& kv : rows) {
    SW_ASSIGN_OR_RETURN(storage::TaskKeyParts p, storage::DecodeTaskKey(kv.key));
    if (p.activity != kRowKey) continue;
    std::string parent = p.execution_id;
    int64_t task_id = p.task_id;
    inputs.IfTaskOpen(parent, task_id, [this, parent, task_id](const OpenTask& t) {
      absl::StatusOr<json::value> in = ParseJson(t.input);
      absl::StatusOr<MapRunSpec> spec =
          in.ok() ? DecodeMapRunSpec(*in) : absl::StatusOr<MapRunSpec>(in.status());
      if (!spec.ok()) {
        inputs_.ReportTaskResult(parent, task_id,
                                 TaskResult::Failed("States.Runtime",
                                                    std::string(spec.status().message())));
        return;
      }
      driver_.Run(parent, task_id, *std::move(spec));
    });
  }
  return absl::OkStatus();
}

void MapRunDispatcher::ExecutionClosed(const ExecutionDescription& closed) {
  if (store_ != nullptr && IsMapRunExpressChildArn(closed.execution_arn)) {
    // Durable before the engine forgets the in-memory execution. A failed
    // write leaves no row: DescribeExecution cannot see the child, and a
    // resumed run starts it again.
    absl::Status s = store_->Put(storage::Table::kMeta,
                                 ExpressChildOutcomeKey(closed.execution_arn),
                                 EncodeExpressChildOutcome(closed));
    if (!s.ok()) {
      spdlog::warn("Map Run: the outcome of {} was not stored: {}", closed.execution_arn,
                   s.ToString());
    }
  }
  driver_.ChildClosed(closed);
}

}  // namespace stepwise::engine
