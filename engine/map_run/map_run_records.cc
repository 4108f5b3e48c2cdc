// MapRunRecords (map_run_records.h): live Map Run records and their rows.
// Any thread, under mu_.
#include "engine/map_run/map_run_records.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace stepwise::engine {

std::vector<storage::Write> MapRunRecords::FirstRows(MapRunRecord& r) const {
  r.start_date = clock_.NowMs();
  std::string run_id = MapRunIdOf(r.map_run_arn);
  return {{storage::Table::kTasks, MapRunRecordKey(run_id), EncodeMapRunRecord(r)},
          {storage::Table::kTasks, MapRunOfKey(r.execution_arn, r.task_id), run_id}};
}

absl::StatusOr<storage::Write> MapRunRecords::RedriveRow(const std::string& run_id,
                                                         int64_t task_id,
                                                         int64_t redrive_count,
                                                         TimeMs redrive_date) {
  std::lock_guard<std::mutex> l(mu_);
  SW_ASSIGN_OR_RETURN(std::optional<MapRunRecord> stored, Load(run_id));
  if (!stored.has_value()) return absl::NotFoundError("no such Map Run");
  MapRunRecord& r = *stored;
  r.task_id = task_id;
  r.status = "RUNNING";
  r.stop_date = 0;
  r.redrive_count = redrive_count;
  r.redrive_date = redrive_date;
  for (MapRunCounts* c : {&r.items, &r.executions}) {
    c->pending_redrive = c->failed + c->timed_out + c->aborted + c->running;
    c->failed = c->timed_out = c->aborted = c->running = 0;
    c->failures_not_redrivable = 0;
    c->results_written = 0;
  }
  // The closed live copy (if the close has not been forgotten yet) must not
  // answer for the reopened run.
  live_.erase(run_id);
  return storage::Write{storage::Table::kTasks, MapRunRecordKey(run_id), EncodeMapRunRecord(r)};
}

absl::Status MapRunRecords::Put(const MapRunRecord& r) {
  return store_.Put(storage::Table::kTasks, MapRunRecordKey(MapRunIdOf(r.map_run_arn)),
                    EncodeMapRunRecord(r));
}

absl::StatusOr<std::optional<MapRunRecord>> MapRunRecords::Load(const std::string& run_id) {
  SW_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                      store_.Get(storage::Table::kTasks, MapRunRecordKey(run_id)));
  if (!raw.has_value()) return std::optional<MapRunRecord>();
  SW_ASSIGN_OR_RETURN(MapRunRecord r, DecodeMapRunRecord(*raw));
  return std::optional<MapRunRecord>(std::move(r));
}

absl::StatusOr<MapRunRecord> MapRunRecords::Track(const MapRunRecord& r) {
  std::string run_id = MapRunIdOf(r.map_run_arn);
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = live_.find(run_id); it != live_.end()) {
    if (it->second.closed) return absl::FailedPreconditionError("the Map Run is closed");
    return it->second.record;
  }
  SW_ASSIGN_OR_RETURN(std::optional<MapRunRecord> stored, Load(run_id));
  if (stored.has_value() && stored->status != "RUNNING") {
    return absl::FailedPreconditionError("the Map Run is closed");
  }
  Live& live = live_[run_id];
  live.record = stored.has_value() ? *std::move(stored) : r;
  return live.record;
}

void MapRunRecords::SetCounts(const std::string& run_id, const MapRunCounts& items,
                              const MapRunCounts& executions, bool durable) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = live_.find(run_id);
  if (it == live_.end() || it->second.closed) return;
  it->second.record.items = items;
  it->second.record.executions = executions;
  if (!durable) return;
  // A lost count update is made good by the next one (or the closing
  // write); the run goes on.
  if (absl::Status s = Put(it->second.record); !s.ok()) {
    spdlog::warn("Map Run {}: counts not saved: {}", run_id, s.ToString());
  }
}

void MapRunRecords::SetOutcome(const std::string& run_id, const std::string& status) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = live_.find(run_id);
  if (it != live_.end() && !it->second.closed) it->second.outcome = status;
}

std::optional<storage::Write> MapRunRecords::Close(const std::string& run_id) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = live_.find(run_id);
  if (it == live_.end()) {
    absl::StatusOr<std::optional<MapRunRecord>> stored = Load(run_id);
    if (!stored.ok() || !stored->has_value()) {
      if (!stored.ok()) {
        spdlog::warn("Map Run {}: record not read at close: {}", run_id,
                     stored.status().ToString());
      }
      return std::nullopt;
    }
    it = live_.emplace(run_id, Live{**std::move(stored), "", false}).first;
  }
  Live& live = it->second;
  if (!live.closed) {
    live.closed = true;
    MapRunRecord& r = live.record;
    if (r.status == "RUNNING") {
      r.status = live.outcome.empty() ? "ABORTED" : live.outcome;
      r.stop_date = clock_.NowMs();
      if (r.status != "SUCCEEDED") {
        // The children still open are being stopped with the run.
        for (MapRunCounts* c : {&r.items, &r.executions}) {
          c->aborted += c->running;
          c->running = 0;
        }
      }
    }
  }
  return storage::Write{storage::Table::kTasks, MapRunRecordKey(run_id),
                        EncodeMapRunRecord(live.record)};
}

void MapRunRecords::Forget(const std::string& run_id) {
  std::lock_guard<std::mutex> l(mu_);
  live_.erase(run_id);
}

absl::StatusOr<std::optional<MapRunRecord>> MapRunRecords::Get(const std::string& run_id) {
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = live_.find(run_id); it != live_.end()) {
    return std::optional<MapRunRecord>(it->second.record);
  }
  return Load(run_id);
}

absl::StatusOr<MapRunRecord> MapRunRecords::Update(const std::string& run_id,
                                                   const MapRunSettings& s) {
  std::lock_guard<std::mutex> l(mu_);
  MapRunRecord r;
  auto it = live_.find(run_id);
  if (it != live_.end()) {
    if (it->second.closed) return absl::FailedPreconditionError("the Map Run is closed");
    r = it->second.record;
  } else {
    SW_ASSIGN_OR_RETURN(std::optional<MapRunRecord> stored, Load(run_id));
    if (!stored.has_value()) return absl::NotFoundError("no such Map Run");
    r = *std::move(stored);
  }
  if (r.status != "RUNNING") return absl::FailedPreconditionError("the Map Run is closed");
  if (s.max_concurrency) r.max_concurrency = *s.max_concurrency;
  if (s.tolerated_failure_percentage) r.tolerated_failure_percentage = s.tolerated_failure_percentage;
  if (s.tolerated_failure_count) r.tolerated_failure_count = s.tolerated_failure_count;
  SW_RETURN_IF_ERROR(Put(r));
  if (it != live_.end()) it->second.record = r;
  return r;
}

}  // namespace stepwise::engine
