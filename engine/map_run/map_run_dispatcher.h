// MapRunDispatcher: the Task dispatch seam's side of the Map Run room
// (engine/map_run/README.md). It takes the internal kMapRunResource task a
// DISTRIBUTED Map schedules (engine/interpreter/map_run_request.cc): the
// scheduling commit writes the run's row (its spec) in the task table, and
// once it is on disk the MapRunDriver (map_run_driver.h) runs the children
// and reports the task's result. At Open every row whose task is still open
// is resumed (children already started are adopted, none started twice);
// the step that closes the task deletes the row and the driver stops the
// children still open. The run's record (map_run_record.h: what
// DescribeMapRun answers) is written in the scheduling commit and, with its
// final status, in the closing one (map_run_records.h). An Express child's
// close also writes its outcome row (express_child_outcome.h) before the
// engine forgets the execution.
// Threads: Schedule/Close on the parent's shard, ExecutionClosed on the
// child's (it posts to the driver; for an Express child it first writes the
// outcome row, one synced write), Recover at Open; records() and Update
// from any thread.
#ifndef SW_ENGINE_MAP_RUN_MAP_RUN_DISPATCHER_H_
#define SW_ENGINE_MAP_RUN_MAP_RUN_DISPATCHER_H_

#include <memory>
#include <string>

#include "engine/dispatch/task_dispatcher.h"
#include "engine/map_run/map_run_driver.h"
#include "engine/map_run/map_run_records.h"

namespace stepwise::engine {

class MapRunDispatcher : public TaskDispatcher {
 public:
  static constexpr const char* kVia = "mapRun";
  // The task table's queue key of Map Run rows.
  static constexpr const char* kRowKey = "stepwise:mapRun";

  // `inputs`, `store` (where the Map Run records go) and `clock` outlive
  // the dispatcher. `s3` (null: none) reads ItemReader items; it outlives
  // the dispatcher.
  MapRunDispatcher(TaskInputs& inputs, storage::Store& store, const Clock& clock,
                   MapRunDriver::EnsureMachineFn ensure_machine,
                   MapRunLimits limits, map_run::S3Objects* s3,
                   integrations::AwsApi* aws, std::string region);

  bool Takes(const ScheduleTaskCommand& command) const override;
  bool Owns(const OpenTask& task) const override { return task.via == kVia; }
  std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& command, OpenTask& task,
                                      PendingCommit& commit) override;
  void Requeue(const OpenTask& task, PendingCommit& commit) override { (void)task, (void)commit; }
  void Close(const OpenTask& task, PendingCommit& commit) override;
  absl::Status Recover(storage::Store& store, TaskInputs& inputs) override;
  void ExecutionClosed(const ExecutionDescription& closed) override;
  void AwaitedExecutions(std::vector<std::string>& out) override {
    driver_.OpenChildren(out);
  }
  void ExecutionsLost(std::function<bool(const std::string& execution)> lost) override {
    driver_.ForgetRunsOf(std::move(lost));
  }
  void Shutdown() override { driver_.Stop(); }

  MapRunDriver& driver() { return driver_; }
  // The Map Run records (DescribeMapRun, ListMapRuns). Any thread.
  MapRunRecords& records() { return records_; }
  // UpdateMapRun: stores `s` in the RUNNING run `run_id`'s record and
  // applies it to the running driver (a lowered MaxConcurrency holds back
  // the next starts). NotFound / kFailedPrecondition as
  // MapRunRecords::Update. Any thread; durable on return.
  absl::Status Update(const std::string& run_id, const MapRunSettings& s);

 private:
  TaskInputs& inputs_;
  storage::Store* store_ = nullptr;  // from Recover (at Open, before any call)
  MapRunRecords records_;
  MapRunDriver driver_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_MAP_RUN_MAP_RUN_DISPATCHER_H_
