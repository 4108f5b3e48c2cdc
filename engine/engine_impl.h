// EngineImpl: the engine behind the Engine façade (engine/engine.h), one
// class whose methods live in one file per room:
//   engine.cc      Init, Shutdown, Alive (the façade's side)
//   executions.cc  inputs on one execution: start, stop, task reports,
//                  heartbeats, the poll entry, fired timers, watches
//   queries.cc     read-only calls
//   shards.cc      shards, RunOrEnqueue/Post, loading and evicting executions
//   step.cc        Decision → storage::Transition + Effects, Release, task
//                  and timer bookkeeping, the hand-out riding on a commit
//   recovery.cc    rebuilding the timer and task queues at Open
//   ownership.cc   cluster mode: running only the cluster shards owned
//   express.cc     StartSyncExecution and the close of an Express execution
//   redrive_execution.cc  the redrive input on one execution
// The catalog (catalog.h) and the committer (committer.h) are classes of
// their own with their own locks.
// Threads: API calls come on any thread (gRPC, HTTP, pool); a step runs on
// the execution's shard thread "sw-shard-N", or in place on the calling
// thread when the shard is idle (RunOrEnqueue); "sw-commit" writes batches
// and posts outcomes back to the shard; the TimerQueue's thread fires timers
// (OnTimer) and the TaskQueue's answers expired polls. Each member below
// says who owns it. Nothing here blocks; only engine.cc waits.
#ifndef SW_ENGINE_ENGINE_IMPL_H_
#define SW_ENGINE_ENGINE_IMPL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <thread>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "asl/eval_context.h"
#include "common/clock.h"
#include "engine/api_types.h"
#include "engine/catalog.h"
#include "engine/committer.h"
#include "engine/dispatch/task_dispatcher.h"
#include "engine/interpreter.h"
#include "engine/map_run/map_run_record.h"
#include "engine/remote_children.h"
#include "engine/service_error.h"
#include "engine/shards.h"
#include "engine/task_queue.h"
#include "engine/task_token.h"
#include "engine/timer_queue.h"
#include "storage/express_routing_store.h"
#include "storage/store.h"
#include "storage/transition.h"

namespace stepwise::engine {

class MapRunDispatcher;  // engine/map_run/map_run_dispatcher.h

class EngineImpl : private TaskInputs, private CallbackTokens {
 public:
  using StatusFn = std::function<void(absl::Status)>;
  using PollDeadline = std::chrono::steady_clock::time_point;

  EngineImpl(storage::Store* store, EngineOptions options);
  ~EngineImpl();

  // ---- engine.cc ----
  absl::Status Init();
  void Shutdown();
  // kUnavailable once Shutdown began. Checked by the façade only.
  absl::Status Alive() const;

  Catalog& catalog() { return catalog_; }
  TaskQueue& task_queue() { return tasks_; }
  storage::Store* store() { return store_; }  // for engine/search/ (reads only)
  const EngineOptions& options() const { return opts_; }

  // ---- executions.cc: inputs on one execution (callbacks, never block) ----
  // `on_closed` (StartSyncExecution; Express only): called once, on the
  // shard, when the execution closes (or with kUnavailable by Shutdown).
  using ClosedFn = std::function<void(absl::StatusOr<ExecutionDescription>)>;
  void StartExecutionAsync(const std::string& machine_arn, const std::string& name,
                           const std::string& input,
                           std::function<void(absl::StatusOr<StartExecutionResult>)> done,
                           ClosedFn on_closed = nullptr);
  // ---- express.cc ----
  void StartSyncExecutionAsync(const std::string& machine_arn, const std::string& name,
                               const std::string& input,
                               std::function<void(absl::StatusOr<SyncExecutionResult>)> done);
  // Rows the in-memory Express store holds (tests).
  size_t express_rows() { return routing_->express_rows(); }
  void StopExecutionAsync(const std::string& arn, const std::string& error,
                          const std::string& cause,
                          std::function<void(absl::StatusOr<TimeMs>)> done);
  // redrive_execution.cc
  void RedriveExecutionAsync(const std::string& arn, const std::string& client_token,
                             std::function<void(absl::StatusOr<TimeMs>)> done);
  // The same calls made by the engine itself (nested executions, Map Runs,
  // batch operations): here, or (cluster mode) on the node holding the
  // execution's shard (remote_children_).
  void StartExecutionAnywhere(const std::string& machine_arn, const std::string& name,
                              const std::string& input,
                              std::function<void(absl::StatusOr<StartExecutionResult>)> done) {
    if (remote_children_) return remote_children_->Start(machine_arn, name, input, std::move(done));
    StartExecutionAsync(machine_arn, name, input, std::move(done));
  }
  void StopExecutionAnywhere(const std::string& arn, const std::string& error,
                             const std::string& cause,
                             std::function<void(absl::StatusOr<TimeMs>)> done) {
    if (remote_children_) return remote_children_->Stop(arn, error, cause, std::move(done));
    StopExecutionAsync(arn, error, cause, std::move(done));
  }
  void RedriveExecutionAnywhere(const std::string& arn, const std::string& client_token,
                                std::function<void(absl::StatusOr<TimeMs>)> done) {
    if (remote_children_) return remote_children_->Redrive(arn, client_token, std::move(done));
    RedriveExecutionAsync(arn, client_token, std::move(done));
  }
  // restart_execution.cc: waits for the shards, so never on a shard thread.
  absl::StatusOr<StartExecutionResult> RestartExecution(const std::string& arn,
                                                        const std::string& state_name,
                                                        int64_t event_id,
                                                        const std::optional<std::string>& input,
                                                        const std::string& name);
  void GetActivityTaskAsync(const std::string& activity_arn, const std::string& worker,
                            int64_t timeout_ms,
                            std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                            std::function<bool()> is_cancelled);
  // A function queue's long poll (FunctionQueueKey(function_name)).
  void GetFunctionTaskAsync(const std::string& function_name, const std::string& worker,
                            int64_t timeout_ms,
                            std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                            std::function<bool()> is_cancelled);
  void SendTaskSuccessAsync(const std::string& token, const std::string& output, StatusFn done);
  void SendTaskFailureAsync(const std::string& token, const std::string& error,
                            const std::string& cause, StatusFn done);
  void SendTaskHeartbeatAsync(const std::string& token, StatusFn done);
  // The claims of a task token (InvalidToken when it does not verify).
  absl::StatusOr<TaskTokenClaims> DecodeTaskToken(const std::string& token) const {
    return DecodeToken(token);
  }
  // A watch is opened (id), attached on the execution's shard (`done` gets
  // true, or the error), and ended by EndWatch.
  int64_t OpenWatch(const std::string& arn);
  void AttachWatch(const std::string& arn, int64_t id, int64_t after, RawEventsFn fn,
                   std::function<void()> on_detached,
                   std::function<void(absl::StatusOr<bool>)> done);
  void EndWatch(int64_t id);
  // Tells the watchers still active of `ex`, which is leaving memory before
  // it closed, that their watch is over (Watcher::on_detached); shard thread.
  void DetachWatchers(LoadedExecution& ex);
  // history_tail.cc: Engine::ReadHistoryTail. Any thread (store reads).
  absl::StatusOr<HistoryTail> ReadHistoryTail(const std::string& arn, int64_t after);
  absl::Status CheckExecutionArn(const std::string& arn) const;

  // ---- queries.cc: read-only ----
  absl::StatusOr<ExecutionDescription> DescribeExecution(const std::string& arn) override;
  // `name_prefix` (non-empty): only executions whose name starts with it.
  absl::StatusOr<ExecutionList> ListExecutions(const std::string& machine_arn,
                                               const std::string& status_filter,
                                               int max_results, const std::string& next_token,
                                               const std::string& redrive_filter = "",
                                               const std::string& name_prefix = "");
  absl::StatusOr<HistoryPage> GetExecutionHistory(const std::string& arn, int max_results,
                                                  const std::string& next_token, bool reverse,
                                                  bool include_data);
  absl::StatusOr<StateMachineDescription> DescribeStateMachineForExecution(
      const std::string& execution_arn);
  absl::StatusOr<std::vector<OpenTaskInfo>> ListOpenTasks(const std::string& arn);
  EngineStats stats() const;

  // ---- map_runs.cc: the Map Run APIs (engine/map_run/map_run_records.h) ----
  absl::StatusOr<MapRunDescription> DescribeMapRun(const std::string& map_run_arn);
  absl::StatusOr<std::vector<MapRunDescription>> ListMapRuns(const std::string& execution_arn);
  absl::Status UpdateMapRun(const std::string& map_run_arn, const MapRunSettings& settings);
  absl::StatusOr<ExecutionList> ListMapRunExecutions(const std::string& map_run_arn,
                                                     const std::string& status_filter,
                                                     int max_results,
                                                     const std::string& next_token,
                                                     const std::string& redrive_filter);
  // ---- map_run_children.cc: ListMapRunExecutions' parts ----
  // The children of a run whose children are EXPRESS: the running ones
  // from memory, then the closed ones' outcome rows (express_child_outcome.h).
  absl::StatusOr<ExecutionList> ListMapRunExpressChildren(const std::string& map_run_arn,
                                                          const MapRunArnParts& parts,
                                                          const std::string& status_filter,
                                                          size_t limit,
                                                          const std::string& next_token,
                                                          const std::string& redrive_filter);
  // Sets item_count on list rows (AWS's itemCount): 1 without an
  // ItemBatcher, else the size of the child's input's Items (read with
  // DescribeExecution where the row has no input).
  absl::Status FillItemCounts(std::vector<ExecutionDescription>& rows, bool item_batcher);

  // Whether a dispatcher runs a Task with this Resource (engine.cc).
  bool RunsTaskResource(std::string_view resource) const;
  // Whether the dispatcher taking this Resource knows AWS does not
  // recognize it (TaskDispatcher::Refuses; engine.cc).
  bool RefusesTaskResource(std::string_view resource) const;

 private:
  struct Effects;     // step.cc: what a commit releases once it is on disk
  class StepCommit;  // step.cc: the commit being built, as dispatchers see it

  // ---- executions.cc: TaskInputs, the dispatchers' way back in ----
  void ReportTaskResult(const std::string& execution, int64_t task_id,
                        TaskResult result) override;
  void IfTaskWaiting(const std::string& execution, int64_t task_id,
                     std::function<void(const OpenTask&)> fn) override;
  void IfTaskOpen(const std::string& execution, int64_t task_id,
                  std::function<void(const OpenTask&)> fn) override;
  void ReportTaskSubmitted(const std::string& execution, int64_t task_id,
                           json::value output) override;
  void StartExecution(const std::string& machine_arn, const std::string& name,
                      const std::string& input,
                      std::function<void(absl::StatusOr<StartExecutionResult>)> done) override {
    StartExecutionAnywhere(machine_arn, name, input, std::move(done));
  }
  void StopExecution(const std::string& arn, const std::string& error, const std::string& cause,
                     std::function<void(absl::StatusOr<TimeMs>)> done) override {
    StopExecutionAnywhere(arn, error, cause, std::move(done));
  }
  void RedriveExecution(const std::string& arn, const std::string& client_token,
                        std::function<void(absl::StatusOr<TimeMs>)> done) override {
    RedriveExecutionAnywhere(arn, client_token, std::move(done));
  }
  // CallbackTokens: $$.Task.Token of a .waitForTaskToken attempt.
  std::string Mint(const std::string& execution_arn, int64_t task_id,
                   int64_t attempt) const override {
    return tokens_->Encode({execution_arn, task_id, attempt, /*callback=*/true});
  }
  // The grant a worker gets for open task `t` of `ex` (its hand-out token).
  ActivityTaskGrant GrantFor(const LoadedExecution& ex, const OpenTask& t, TimeMs now) const;

  // ---- executions.cc ----
  // `oversize`: the size of a success answer over the payload limit, which
  // `result` stands for (a States.DataLimitExceeded failure) when the task's
  // dispatcher takes it so; 0 for any other answer.
  void SendTaskResultAsync(const std::string& token, TaskResult result, StatusFn done,
                           size_t oversize = 0);
  absl::StatusOr<TaskTokenClaims> DecodeToken(const std::string& token) const;
  void OnTimer(const TimerEntry& e);  // TimerQueue thread
  bool WatchActive(int64_t id);
  void Notify(LoadedExecution* ex, const std::vector<RawHistoryEvent>& events);

  // The rest of a start once its machine revision is chosen (StartExecution
  // resolved `target`; a restart pins the original's): `from` begins at a
  // top-level state (restart_execution.cc), and then a name in use is
  // always ExecutionAlreadyExists.
  void StartResolvedAsync(Catalog::StartTarget target, const std::string& name,
                          const std::string& input_text, json::value input_value,
                          const std::string& test_case,
                          std::function<void(absl::StatusOr<StartExecutionResult>)> done,
                          ClosedFn on_closed, std::optional<StartPoint> from = std::nullopt);

  // ---- shards.cc ----
  Shard& ShardOf(const std::string& id);
  void Enqueue(Shard& s, std::function<void()> fn);
  void RunOrEnqueue(Shard& s, std::function<void()> fn);
  void ShardLoop(Shard& s);
  void Post(const std::string& id, std::function<void(LoadedExecution*)> fn);
  void PostRunHereIfIdle(const std::string& id, std::function<void(LoadedExecution*)> fn);
  // Defined below (a template): Post for an execution that must exist.
  template <typename Missing>
  void PostExisting(const std::string& id, std::function<void(LoadedExecution*)> fn,
                    Missing missing, bool here = false);
  template <typename Missing>
  auto IfExists(const std::string& id, std::function<void(LoadedExecution*)> fn, Missing missing);
  void RunOnLoaded(Shard& s, const std::string& id, std::function<void(LoadedExecution*)> fn);
  absl::Status LoadExecution(LoadedExecution& ex);
  void DropLoaded(const std::string& id);
  void DrainWaiting(Shard& sh, const std::string& id);
  void EvictLoaded(Shard& sh,
                   std::unordered_map<std::string, std::unique_ptr<LoadedExecution>>::iterator it);
  bool KnownClosed(Shard& sh, const std::string& id);

  // ---- step.cc ----
  Interpreter Interp(const LoadedExecution& ex);
  void Commit(LoadedExecution* ex, Decision d, bool created, std::vector<storage::Write> extra,
              StatusFn done);
  void Release(const Effects& fx);
  static void AddTaskClockTimers(const OpenTask& t, TimeMs now, Decision& d);
  static bool TaskStillOpen(const ExecutionState& st, int64_t task_id);
  void CloseTask(LoadedExecution* ex, int64_t task_id, std::vector<storage::Write>& writes,
                 Effects& fx);
  void DisarmTimer(LoadedExecution* ex, int64_t timer_id, std::vector<storage::Write>& writes,
                   Effects& fx);
  void PollOnce(const std::string& activity, const std::string& worker, PollDeadline deadline,
                std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                std::function<bool()> is_cancelled);
  void HandOut(ActivityTask task, std::string worker, PollDeadline deadline,
               std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
               std::function<bool()> is_cancelled);

  TaskDispatch MakeDispatch();  // engine.cc, for the constructor

  // ---- express.cc ----
  // An Express execution has closed (its closing commit is applied): its
  // history goes to the sink, its StartSyncExecution caller is answered,
  // and every row of it is dropped. Shard thread.
  void CloseExpress(const ExecutionDescription& closed);

  // ---- recovery.cc ----
  absl::Status Recover();  // Init, before any API call
  // The recovery itself, over `store` (the engine's store, or a view of
  // some cluster shards' rows: ownership.cc).
  absl::Status RecoverFrom(storage::Store& store);

  // ---- ownership.cc: cluster mode (opts_.cluster set) ----
  // Whether this node runs `id`'s work now: always outside cluster mode
  // and for Express executions (they live in this node's memory only);
  // otherwise while it holds the lease of `id`'s cluster shard at the
  // range_id it recovered that shard at. Any thread.
  bool OwnsExecution(const std::string& id) const;
  // ShardNotOwnedError for `id`, naming the owner last read. Any thread.
  absl::Status NotOwnedError(const std::string& id) const;
  // Init: takes over the shards held now, then starts "sw-ownership",
  // which follows the leases every poll_interval.
  absl::Status StartOwnership();
  void StopOwnership();  // Shutdown, first
  void OwnershipLoop();  // "sw-ownership"
  // Recovers the shards of `gained` (shard -> range_id), as Recover does
  // at Open but only their rows; then they are this node's.
  absl::Status GainShards(const std::map<int, int64_t>& gained);
  // Forgets the shards of `lost` without writing: their timers, queued
  // tasks and loaded executions leave memory.
  void LoseShards(const std::vector<int>& lost);
  // On every engine shard: erases the loaded executions `drop` accepts,
  // except those whose commit is in flight (that commit's outcome drops
  // them, or the fence refuses it). Posts; returns at once.
  void DropLoadedIf(std::function<bool(const std::string& id)> drop);
  // The shards' owners' names re-read; true when every shard has one.
  bool RefreshOwners();  // "sw-ownership"

  // Immutable after construction; any thread. store_ is routing_: Express
  // executions in memory, the rest on the store the engine was opened on.
  const std::unique_ptr<storage::ExpressRoutingStore> routing_;  // thread-safe
  storage::Store* const store_;  // thread-safe
  const EngineOptions opts_;
  const Clock* const clock_;  // thread-safe

  // Any thread, under rng_mu_: execution names (UUIDs) when none is given.
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
  // Any thread: set once by Shutdown.
  std::atomic<bool> stopped_{false};

  // Set by Init before any other thread starts, then read-only; the codec
  // is thread-safe.
  std::unique_ptr<TaskTokenCodec> tokens_;
  // Thread-safe (own locks and thread). Effects reach them only in Release,
  // after their commit is on disk.
  TaskQueue tasks_;
  TimerQueue timers_;

  // The Map Run dispatcher inside dispatch_ (set by MakeDispatch, declared
  // before dispatch_ so its initialiser runs first); thread-safe where the
  // Map Run APIs use it.
  MapRunDispatcher* map_runs_ = nullptr;
  // Where Task work goes (engine/dispatch/): the extra dispatchers of the
  // options, the activity queue over tasks_, then the fallback. Built by the
  // constructor, const after; Schedule/Close run on shard threads.
  TaskDispatch dispatch_;

  // Thread-safe: its own locks (catalog.h).
  Catalog catalog_;

  // The vector is filled by Init and fixed after; each Shard's fields are
  // owned as shards.h says.
  std::vector<std::unique_ptr<Shard>> shards_;

  // Thread-safe: its own lock and thread (committer.h).
  Committer committer_;

  // Any thread, under watch_mu_: the open watches (id → execution ARN).
  // A watcher's callback itself lives in its LoadedExecution (shard thread).
  std::mutex watch_mu_;
  std::unordered_map<int64_t, std::string> watch_exec_;
  std::atomic<int64_t> next_watch_id_{1};  // any thread

  // Any thread, under sync_mu_: StartSyncExecution callers waiting for
  // their Express execution to close, by execution ARN.
  std::mutex sync_mu_;
  std::unordered_map<std::string, ClosedFn> sync_waiters_;

  // Cluster mode (ownership.cc). By cluster shard: the range_id this node
  // recovered the shard at, 0 when it does not run it. Written by the
  // ownership thread (and Init), read by any thread.
  std::unique_ptr<std::atomic<int64_t>[]> recovered_range_;
  mutable std::mutex owners_mu_;
  std::map<int, std::string> owners_;  // guarded by owners_mu_: shard -> owner address
  std::mutex ownership_mu_;
  std::condition_variable ownership_cv_;
  bool ownership_stop_ = false;  // guarded by ownership_mu_
  std::thread ownership_thread_;  // started by StartOwnership, joined by StopOwnership
  // The dispatchers' calls on other nodes' executions, and the closes of
  // those children (remote_children.h). Built by StartOwnership, shut down
  // by StopOwnership; null outside cluster mode.
  std::unique_ptr<RemoteChildren> remote_children_;

  // Counters, any thread (stats()).
  std::atomic<int64_t> timer_lag_ms_{0};  // written by the TimerQueue thread
  std::atomic<uint64_t> events_{0};       // written by shard threads after commits
};

// `fn` for an execution that exists; `missing` gets ExecutionDoesNotExist
// (or the load error) otherwise. What PostExisting posts.
template <typename Missing>
auto EngineImpl::IfExists(const std::string& id, std::function<void(LoadedExecution*)> fn,
                          Missing missing) {
  return [this, id, fn = std::move(fn), missing](LoadedExecution* ex) mutable {
    if (!ex->load_error.ok()) {
      absl::Status e = ex->load_error;
      DropLoaded(id);
      return missing(e);
    }
    if (!ex->exists) {
      DropLoaded(id);
      return missing(ServiceError("ExecutionDoesNotExist",
                                  "Execution Does Not Exist: '" + id + "'"));
    }
    fn(ex);
  };
}

// Like Post, for an execution that must exist (IfExists).
// `here`: run on the calling thread when the shard is idle
// (PostRunHereIfIdle). A template so that `missing` is not wrapped in one
// more std::function on the task-report path.
template <typename Missing>
void EngineImpl::PostExisting(const std::string& id, std::function<void(LoadedExecution*)> fn,
                              Missing missing, bool here) {
  auto run = IfExists(id, std::move(fn), std::move(missing));
  if (here) {
    PostRunHereIfIdle(id, std::move(run));
  } else {
    Post(id, std::move(run));
  }
}

}  // namespace stepwise::engine

#endif  // SW_ENGINE_ENGINE_IMPL_H_
