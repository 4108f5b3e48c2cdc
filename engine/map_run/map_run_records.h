// MapRunRecords: the Map Run records (map_run_record.h) of the runs going
// on in this process, kept live in memory beside their stored rows, and the
// one place that writes those rows after the scheduling commit. The
// MapRunDispatcher owns it:
//  - Schedule (parent's shard) puts the first rows in the scheduling commit;
//  - the driver (thread sw-maprun) tracks a run when it begins, reports its
//    counts (live at every change, durably at page boundaries) and its
//    outcome before it reports the task's result;
//  - Close (parent's shard) writes the final record (status, stopDate,
//    counts) into the commit that closes the task; after that nothing else
//    writes the run's record;
//  - DescribeMapRun / UpdateMapRun (API threads) read and change it.
// Thread-safe: one mutex, held across the few synced Puts (page
// boundaries, UpdateMapRun) so a late count update never overwrites the
// closing write.
#ifndef SW_ENGINE_MAP_RUN_MAP_RUN_RECORDS_H_
#define SW_ENGINE_MAP_RUN_MAP_RUN_RECORDS_H_

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "engine/map_run/map_run_record.h"
#include "storage/store.h"

namespace stepwise::engine {

class MapRunRecords {
 public:
  // `store` and `clock` outlive it.
  MapRunRecords(storage::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // The rows the scheduling commit writes for a new run (the record, then
  // its ListMapRuns row); sets `r.start_date` to now.
  std::vector<storage::Write> FirstRows(MapRunRecord& r) const;
  // The row the scheduling commit of a redrive writes (the parent was
  // redriven): the stored, closed record RUNNING again under the parent's
  // new task `task_id`, with its redrive count and date, no stopDate, and
  // its unsuccessful children counted as pendingRedrive until the driver
  // has walked past them. No ListMapRuns row: the run has one. NotFound
  // when there is no stored record.
  absl::StatusOr<storage::Write> RedriveRow(const std::string& run_id, int64_t task_id,
                                            int64_t redrive_count, TimeMs redrive_date);

  // The driver begins (or, after a restart, resumes) `r`'s run: returns the
  // record to run by, the stored one when there is one (settings changed
  // by UpdateMapRun, counts saved before a restart), else `r`.
  // kFailedPrecondition when the run was closed already (do not run it).
  absl::StatusOr<MapRunRecord> Track(const MapRunRecord& r);
  // The run's counts now; stored too when `durable`. Ignored once closed.
  void SetCounts(const std::string& run_id, const MapRunCounts& items,
                 const MapRunCounts& executions, bool durable);
  // The status (SUCCEEDED | FAILED) the driver is about to report.
  void SetOutcome(const std::string& run_id, const std::string& status);
  // The write of the run's final record into the commit that closes the
  // parent's task: the driver's outcome, else ABORTED; running children
  // count as aborted unless it SUCCEEDED. nullopt when there is no record.
  std::optional<storage::Write> Close(const std::string& run_id);
  // Drops the live copy (the closing commit is on disk).
  void Forget(const std::string& run_id);

  // The record, live or stored; nullopt when there is none.
  absl::StatusOr<std::optional<MapRunRecord>> Get(const std::string& run_id);
  // Applies `s` to a RUNNING run's record, durably. NotFound when there is
  // no record, kFailedPrecondition when it is closed.
  absl::StatusOr<MapRunRecord> Update(const std::string& run_id, const MapRunSettings& s);

 private:
  struct Live {
    MapRunRecord record;
    std::string outcome;  // set by SetOutcome
    bool closed = false;
  };
  // Under mu_.
  absl::Status Put(const MapRunRecord& r);
  absl::StatusOr<std::optional<MapRunRecord>> Load(const std::string& run_id);

  storage::Store& store_;
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Live> live_;  // by run id, under mu_
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_MAP_RUN_MAP_RUN_RECORDS_H_
