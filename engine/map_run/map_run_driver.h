// MapRunDriver: runs the Map Runs of Distributed Maps (the Map Run room,
// engine/map_run/README.md) on its own thread "sw-maprun". A run's spec
// (map_run_spec.h: items, processor machine, MaxConcurrency, tolerances)
// comes from the MapRunDispatcher once the commit that scheduled it is on
// disk; the driver starts one child execution per item on the hidden
// machine MACHINE/LABEL with a deterministic name (a start that finds the
// name adopts the child: exactly one child per item per run), keeps at
// most MaxConcurrency of them open, counts their ends (ChildClosed), fails
// the run as soon as the tolerated failures are exceeded (stopping the
// children still open) and, when every child has ended, reports the
// parent's task result: the children's outputs in item order, read back
// from their records. After a restart the run reads its items again from
// the start; the start of a child that exists adopts it (ended ones are
// counted, running ones waited for), so none is started twice. EXPRESS
// children (ProcessorConfig.ExecutionType) run on an Express hidden
// machine with ARNs known before their start (MapRunExpressChildArn); their
// results are read from the outcome each leaves when it closes
// (express_child_outcome.h): after a restart an ended one is counted from
// it and one that was running is started again (at-least-once).
// A redrive of the run (MapRunSpec::redrive_count, its parent redriven)
// walks the items the same way: a child that succeeded is counted, one that
// ended unsuccessfully before the redrive is redriven (STANDARD:
// RedriveExecution of the child; EXPRESS: started again under its name),
// items never started are started; one the redrive refuses counts as a
// failure not redrivable.
// The run's counts go to its record (map_run_records.h): live at every
// change, durably at page boundaries (a page of items read, a page of
// children ended); its outcome before it reports the task's result.
// Server-wide, at most MapRunLimits::max_open_children children of all runs
// are open at once: a run that would pass it waits for a slot, and freed
// slots go to the waiting runs in turn, one child each (so a run of a
// million items does not starve the others).
//
// Threads: the public methods are called from any thread (ChildClosed from
// a shard: it only posts); all run state lives on the driver thread.
#ifndef SW_ENGINE_MAP_RUN_MAP_RUN_DRIVER_H_
#define SW_ENGINE_MAP_RUN_MAP_RUN_DRIVER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/api_types.h"
#include "engine/dispatch/task_dispatcher.h"
#include "engine/map_run/map_run_items.h"
#include "engine/map_run/map_run_records.h"
#include "integrations/aws/aws_api.h"
#include "engine/map_run/map_run_spec.h"
#include "engine/map_run/result_writer_config.h"
#include "engine/map_run/result_writer_files.h"

namespace stepwise::engine {

// The driver's bounds on open children.
struct MapRunLimits {
  // Children one run keeps open when its MaxConcurrency is 0.
  int default_max_concurrency = 1000;
  // Children of all runs open at once (EngineOptions::map_run_max_open_children).
  int max_open_children = 10000;
};

class MapRunDriver {
 public:
  // Makes (or updates) the hidden child machine `name` with `definition`;
  // returns its ARN.
  using EnsureMachineFn = std::function<absl::StatusOr<std::string>(
      const std::string& name, const std::string& definition, const std::string& type)>;

  // `inputs` and `records` outlive the driver. `limits` bound the open
  // children of one run (MaxConcurrency 0) and of all runs.
  // `s3` (null: none; an ItemReader fails) outlives the driver.
  MapRunDriver(TaskInputs& inputs, MapRunRecords& records, EnsureMachineFn ensure_machine,
               MapRunLimits limits,
               map_run::S3Objects* s3, integrations::AwsApi* aws, std::string region);
  ~MapRunDriver();

  // Runs (or, after a restart, resumes) the Map Run of `parent`'s task
  // `task_id`.
  void Run(const std::string& parent, int64_t task_id, MapRunSpec spec);
  // The parent's task closed (it ended, or the parent did): stops the run's
  // open children if it is still going, and forgets it.
  void Cancel(const std::string& parent, int64_t task_id);
  // An execution closed; a child of a run is counted.
  void ChildClosed(const ExecutionDescription& closed);
  // Appends the ARNs of the children started and not yet counted as ended
  // (asked on the driver's thread; waits up to 2 s for it, appending
  // nothing when it is busy longer or stopped).
  void OpenChildren(std::vector<std::string>& out);
  // Drops, without writing or stopping children, every run whose parent
  // `lost` names (cluster mode: the parent's shard went to another node,
  // whose Recover resumes the run). Any thread; done on the driver's.
  void ForgetRunsOf(std::function<bool(const std::string& parent)> lost);
  // UpdateMapRun stored `r`'s settings: the run of `r.execution_arn`'s task
  // `r.task_id` takes its MaxConcurrency (for the next starts) and
  // tolerances (checked at once).
  void Update(const MapRunRecord& r);

  // Most children open at once in any run so far (tests).
  int64_t PeakOpen() const;
  // Most children open at once in all runs together so far (tests).
  int64_t PeakOpenTotal() const;
  // Stops the driver thread (what is queued is dropped; a restart resumes
  // the runs) and joins it. Idempotent; not from the driver thread.
  void Stop();

 private:
  enum class ChildStatus : uint8_t { kPending, kStarting, kRunning, kSucceeded, kFailed };
  struct RunState;

  void Post(std::function<void()> fn);
  void Loop();
  // On the driver thread.
  void Begin(const std::string& key, const std::string& parent, int64_t task_id,
             MapRunSpec spec);
  // Starts children of `r` while it has items, room under its own cap and
  // a server-wide slot; with `granted`, its first start may take a slot
  // before the runs waiting for one (LaunchWaiting's turn).
  void Launch(RunState& r, bool granted = false);
  // Gives free server-wide slots to the runs waiting for one, one child per
  // run in turn. After every event on the driver thread.
  void LaunchWaiting();
  // A child of `r` opened / ended (or was given up): the run's and the
  // server's open counts.
  void ChildOpened(RunState& r);
  void ChildEnded(RunState& r);
  void OnStart(const std::string& key, size_t index, absl::StatusOr<StartExecutionResult> s);
  void OnEnd(RunState& r, size_t index, const ExecutionDescription& d);
  // Whether child `d` of a redriven run ended unsuccessfully before the
  // redrive (so this redrive reruns it).
  static bool EndedBeforeRedrive(const RunState& r, const ExecutionDescription& d);
  // RedriveExecution of STANDARD child `index`; its end comes by ChildClosed.
  void RedriveChild(RunState& r, size_t index, const ExecutionDescription& d);
  void OnRedriven(const std::string& key, size_t index, const ExecutionDescription& before,
                  absl::StatusOr<TimeMs> s);
  // Counts child `index`'s end (once); false when the run need not go on
  // (counted before, finished, or failed by this end).
  bool Count(RunState& r, size_t index, const ExecutionDescription& d);
  bool WithinTolerance(const RunState& r) const;
  // Fails the run when its failures are beyond its tolerance; true if so.
  bool FailIfBeyondTolerance(RunState& r);
  // The run's counts to its record (stored when `durable`), unless it is
  // still catching up with the counts stored before a restart.
  void SaveCounts(RunState& r, bool durable);
  void FailRun(RunState& r, const std::string& error, const std::string& cause);
  void SucceedRun(RunState& r);
  absl::StatusOr<map_run::ResultWriterConfig> WriterConfig(const RunState& r) const;
  // The children's results to S3 (ResultWriter): the Map's output; null
  // when `wc` does not export (the results stay inline).
  absl::StatusOr<json::value> WriteResults(RunState& r, const map_run::ResultWriterConfig& wc);
  // Child `index` as the result files describe it (PENDING: no record).
  absl::StatusOr<map_run::MapRunChildResult> ChildResult(const RunState& r, size_t index);
  void StopOpenChildren(RunState& r, const std::string& cause);
  void Forget(const std::string& key);

  // Child inputs read ahead of the starts, at most.
  static constexpr size_t kPageItems = 100;

  TaskInputs& inputs_;
  MapRunRecords& records_;
  map_run::S3Objects* const s3_;
  integrations::AwsApi* const aws_;  // ResultWriter's PutObject; null: none
  const std::string region_;
  EnsureMachineFn ensure_machine_;
  const int default_max_concurrency_;
  const int64_t max_open_children_;

  std::mutex join_mu_;  // one Stop joins the thread
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // under mu_
  bool stop_ = false;                        // under mu_
  int64_t peak_open_ = 0;                    // under mu_
  int64_t peak_open_total_ = 0;              // under mu_

  // Driver thread only.
  std::map<std::string, std::unique_ptr<RunState>> runs_;  // by "parent#task"
  std::unordered_map<std::string, std::pair<std::string, size_t>> children_;  // arn → run, index
  int64_t open_total_ = 0;  // children open in all runs
  std::deque<std::string> waiting_;  // runs waiting for a server-wide slot, by key, in turn
  std::unordered_set<std::string> waiting_keys_;  // the same, to queue each run once

  std::thread thread_;  // last: starts after the members above
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_MAP_RUN_MAP_RUN_DRIVER_H_
