// Engine: the durable execution engine. It owns state machines, activities
// and executions; every input (an API call, a worker's report, a fired
// timer) takes one path: load → interpret → commit → notify. Executions are
// hashed to shards, each run by one thread, one step at a time per
// execution; a committer thread writes the transitions of all shards as one
// synced batch (group commit) and only then are their effects released: a
// task handed to a worker, a timer armed, a reply sent. The committer posts
// each outcome back to the execution's shard, which releases it there: one
// writer per execution, always. At Open the task and timer queues are
// rebuilt from the store and RUNNING executions continue.
//
// All public methods are thread-safe. Methods returning a value block the
// calling thread until the commit that makes the answer true is on disk;
// the *Async forms call `done` instead (from an engine thread; `done` must
// not block). Errors carry AWS's error names (engine/service_error.h).
#ifndef SW_ENGINE_ENGINE_H_
#define SW_ENGINE_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "asl/validator.h"
#include "common/clock.h"
#include "common/json.h"
#include "engine/api_types.h"
#include "engine/batch/batch_operation.h"
#include "engine/history_event.h"
#include "storage/store.h"

namespace stepwise::engine {

class EngineImpl;  // engine/engine_impl.h
class BatchJobs;   // engine/batch/batch_engine.cc


class Engine {
 public:
  // Opens the engine on `store` (which must outlive it): loads or creates
  // the task-token key, re-arms timers, re-queues open activity tasks and
  // lets RUNNING executions continue. kFailedPrecondition / kDataLoss when
  // the store cannot be used.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(storage::Store* store,
                                                      EngineOptions options);
  ~Engine();

  // Stops accepting work, finishes in-flight commits and joins the threads.
  // Later calls fail with kUnavailable.
  void Shutdown();

  // ---- state machines ----
  // `tags` are checked as AWS does (engine/tags.h: ValidationException,
  // TooManyTags); a repeat that is idempotent keeps the tags the machine has.
  absl::StatusOr<StateMachineDescription> CreateStateMachine(
      const std::string& name, const std::string& definition, const std::string& role_arn,
      const std::string& type, const std::vector<Tag>& tags = {},
      const LoggingConfiguration& logging = {}, bool publish = false,
      const std::string& version_description = "");
  // A version ARN (MACHINE:N) describes that version, with its description.
  absl::StatusOr<StateMachineDescription> DescribeStateMachine(const std::string& arn);
  // Adds a revision (definition, role and/or loggingConfiguration; `logging`
  // absent leaves it as it is); running executions keep theirs. `publish`
  // (here and on create) publishes it as a version: version_arn.
  absl::StatusOr<StateMachineDescription> UpdateStateMachine(
      const std::string& arn, const std::optional<std::string>& definition,
      const std::optional<std::string>& role_arn,
      const std::optional<LoggingConfiguration>& logging = std::nullopt, bool publish = false,
      const std::string& version_description = "");
  absl::Status DeleteStateMachine(const std::string& arn);
  absl::StatusOr<std::vector<StateMachineDescription>> ListStateMachines();
  absl::StatusOr<StateMachineDescription> DescribeStateMachineForExecution(
      const std::string& execution_arn);
  // The one definition rule (engine/definition_check.cc), also applied by
  // CreateStateMachine and UpdateStateMachine: ValidationException in AWS's
  // words when `definition` is over AWS's 1,048,576-byte limit, else every
  // finding (ERRORs and WARNINGs) for `type` (STANDARD | EXPRESS); no ERROR
  // means valid. With `options` from validation_options(), also a WARNING
  // for each Task no dispatcher of this engine runs, and an ERROR for each
  // Task Resource its dispatcher knows AWS does not recognize
  // (TaskDispatcher::Refuses; Create and Update refuse those too). Pure CPU (no store, no
  // engine state): any thread.
  static absl::StatusOr<std::vector<DefinitionDiagnostic>> ValidateStateMachineDefinition(
      const std::string& definition, const std::string& type,
      const asl::ValidationOptions& options = {});
  // Whether a dispatcher of this engine runs a Task with this Resource
  // (else the Task fails with States.TaskFailed). Any thread.
  bool RunsTaskResource(std::string_view resource) const;
  // Validation options that warn about Tasks this engine cannot run and
  // refuse the Resources its dispatchers know AWS does not recognize; they
  // refer to this engine, which must outlive them.
  asl::ValidationOptions validation_options() const;

  // ---- executions ----
  absl::StatusOr<StartExecutionResult> StartExecution(const std::string& state_machine_arn,
                                                      const std::string& name,
                                                      const std::string& input);
  void StartExecutionAsync(const std::string& state_machine_arn, const std::string& name,
                           const std::string& input,
                           std::function<void(absl::StatusOr<StartExecutionResult>)> done);
  // StartSyncExecution: starts an execution of an EXPRESS machine and
  // answers once it has closed (SUCCEEDED, FAILED or TIMED_OUT), with what
  // AWS bills for it. StateMachineTypeNotSupported for a STANDARD machine.
  // `done` is called from an engine thread; no thread waits meanwhile.
  using SyncExecutionFn = std::function<void(absl::StatusOr<SyncExecutionResult>)>;
  void StartSyncExecutionAsync(const std::string& state_machine_arn, const std::string& name,
                               const std::string& input, SyncExecutionFn done);
  absl::StatusOr<SyncExecutionResult> StartSyncExecution(const std::string& state_machine_arn,
                                                         const std::string& name,
                                                         const std::string& input);
  // Returns the stop date.
  absl::StatusOr<TimeMs> StopExecution(const std::string& execution_arn,
                                       const std::string& error, const std::string& cause);
  absl::StatusOr<ExecutionDescription> DescribeExecution(const std::string& execution_arn);
  // Newest first; `status_filter` "" for all; `max_results` 1..1000 (0: 100);
  // `redrive_filter` "" for all, REDRIVEN or NOT_REDRIVEN.
  absl::StatusOr<ExecutionList> ListExecutions(const std::string& state_machine_arn,
                                               const std::string& status_filter,
                                               int max_results, const std::string& next_token,
                                               const std::string& redrive_filter = "");
  // Restarts a closed, unsuccessful Standard execution from the state that
  // did not succeed (engine/redrive.h); returns the redrive date. A repeat
  // with the same non-empty `client_token` returns the first one's date.
  // ExecutionDoesNotExist, InvalidArn, ExecutionNotRedrivable (AWS's reasons).
  absl::StatusOr<TimeMs> RedriveExecution(const std::string& execution_arn,
                                          const std::string& client_token);
  // Restart from any state (Stepwise extension; engine/restart.h): a new
  // execution of a closed Standard execution's revision (its version and
  // alias ARNs kept) beginning at top-level state `state_name`, with the
  // input of its entry `event_id` (the StateEntered event; 0: its last
  // entry) or `input` when given. `name` "" names it NAME-restart-N. The
  // new ExecutionStarted names the original (stepwiseRestartedFrom), the
  // original gets ExecutionRestarted. A retry with the same arguments
  // after a failure returns the execution it started. ExecutionDoesNotExist,
  // InvalidArn (malformed, Express), ExecutionNotRestartable (running),
  // ValidationException (stateName, eventId, input), InvalidName,
  // ExecutionAlreadyExists, StateMachineDoesNotExist (machine deleted).
  absl::StatusOr<StartExecutionResult> RestartExecution(const std::string& execution_arn,
                                                        const std::string& state_name,
                                                        int64_t event_id,
                                                        const std::optional<std::string>& input,
                                                        const std::string& name);
  absl::StatusOr<HistoryPage> GetExecutionHistory(const std::string& execution_arn,
                                                  int max_results, const std::string& next_token,
                                                  bool reverse_order,
                                                  bool include_execution_data);
  // The execution's open tasks that wait in a worker queue (activity or
  // function), by task id, with the polls waiting on that queue now; empty
  // once it has closed. Read from the store: as of the last commit.
  absl::StatusOr<std::vector<OpenTaskInfo>> ListOpenTasks(const std::string& execution_arn);

  // ---- Map Runs of Distributed Maps (engine/map_runs.cc; records in
  // engine/map_run/map_run_record.h) ----
  // InvalidArn for a malformed Map Run ARN (or one of another region or
  // account), ResourceNotFound for one that does not exist.
  absl::StatusOr<MapRunDescription> DescribeMapRun(const std::string& map_run_arn);
  // The Map Runs `execution_arn` started, in the order it started them.
  // InvalidArn, ExecutionDoesNotExist.
  absl::StatusOr<std::vector<MapRunDescription>> ListMapRuns(const std::string& execution_arn);
  // Changes a RUNNING Map Run's MaxConcurrency (the next child starts obey
  // it) and tolerated failures (checked at once); durable on return.
  // InvalidArn, ResourceNotFound, ValidationException naming the field
  // (negative maxConcurrency or toleratedFailureCount, a percentage
  // outside 0..100, nothing to change, a run no longer RUNNING).
  absl::Status UpdateMapRun(const std::string& map_run_arn, const MapRunSettings& settings);
  // ListExecutions(mapRunArn=...): the run's child executions, newest
  // first, filtered and paged as ListExecutions. InvalidArn, ResourceNotFound.
  absl::StatusOr<ExecutionList> ListMapRunExecutions(const std::string& map_run_arn,
                                                     const std::string& status_filter,
                                                     int max_results,
                                                     const std::string& next_token,
                                                     const std::string& redrive_filter = "");

  // ---- activities ----
  // Idempotent on the name: a repeat keeps the tags the activity has.
  absl::StatusOr<ActivityDescription> CreateActivity(const std::string& name,
                                                     const std::vector<Tag>& tags = {});
  absl::StatusOr<ActivityDescription> DescribeActivity(const std::string& arn);
  absl::Status DeleteActivity(const std::string& arn);
  absl::StatusOr<std::vector<ActivityDescription>> ListActivities();

  // ---- tags of state machines and activities ----
  // Adds or replaces tags (at most 50 per resource: TooManyTags), removes
  // them (absent keys are fine), lists them in the order they were first
  // added. InvalidArn for a malformed ARN or one naming an execution;
  // ResourceNotFound for a machine or activity that does not exist (also a
  // version or alias ARN). Durable on return; a deleted resource's tags go.
  absl::Status TagResource(const std::string& resource_arn, const std::vector<Tag>& tags);
  absl::Status UntagResource(const std::string& resource_arn,
                             const std::vector<std::string>& tag_keys);
  absl::StatusOr<std::vector<Tag>> ListTagsForResource(const std::string& resource_arn);

  // ---- versions and aliases of state machines (engine/catalog_versions.cc,
  // catalog_aliases.cc; AWS's errors and quotas, EngineOptions) ----
  // A version (MACHINE:N) is a published revision, numbered from 1, never
  // reused; an alias (MACHINE:NAME) routes StartExecution to one or two
  // versions by weight. StartExecution, DescribeStateMachine and
  // ListExecutions take version and alias ARNs; executions started through
  // them name them (ExecutionDescription::version_arn, alias_arn). Durable
  // on return; DeleteStateMachine deletes them.
  absl::StatusOr<StateMachineVersionItem> PublishStateMachineVersion(
      const std::string& arn, const std::optional<std::string>& revision_id,
      const std::string& description);
  absl::StatusOr<std::vector<StateMachineVersionItem>> ListStateMachineVersions(
      const std::string& arn);  // newest first
  absl::Status DeleteStateMachineVersion(const std::string& version_arn);
  absl::StatusOr<StateMachineAliasDescription> CreateStateMachineAlias(
      const std::string& name, const std::string& description,
      const std::vector<AliasRoute>& routing);
  absl::StatusOr<StateMachineAliasDescription> DescribeStateMachineAlias(
      const std::string& alias_arn);
  absl::StatusOr<StateMachineAliasDescription> UpdateStateMachineAlias(
      const std::string& alias_arn, const std::optional<std::string>& description,
      const std::optional<std::vector<AliasRoute>>& routing);
  absl::Status DeleteStateMachineAlias(const std::string& alias_arn);
  absl::StatusOr<std::vector<StateMachineAliasDescription>> ListStateMachineAliases(
      const std::string& arn);

  // Long-polls for a task of `activity_arn` for up to `timeout_ms` (capped
  // at EngineOptions::max_poll_ms). The hand-out (ActivityStarted with
  // `worker_name`) is committed before `done` sees the task.
  // `is_cancelled`, when given, is asked before a task is committed as
  // handed out: a caller that went away gets no task (it goes back to the
  // front of the queue) and `done` gets an empty grant.
  void GetActivityTaskAsync(const std::string& activity_arn, const std::string& worker_name,
                            int64_t timeout_ms,
                            std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                            std::function<bool()> is_cancelled = nullptr);
  absl::StatusOr<ActivityTaskGrant> GetActivityTask(const std::string& activity_arn,
                                                    const std::string& worker_name,
                                                    int64_t timeout_ms);
  // A `timeout_ms` of 0 never waits: `done` gets the first pending task
  // (its hand-out committed) or an empty grant at once; a cluster node
  // answers another node's take this way (server/cluster_task_poller.h).
  //
  // The same for a function queue (Lambda Tasks served by Stepwise
  // workers). "InvalidArn" for a name Lambda would not accept.
  using FunctionGrantFn = std::function<void(absl::StatusOr<FunctionTaskGrant>)>;
  void GetFunctionTaskAsync(const std::string& function_name, const std::string& worker_name,
                            int64_t timeout_ms, FunctionGrantFn done,
                            std::function<bool()> is_cancelled = nullptr);
  absl::StatusOr<FunctionTaskGrant> GetFunctionTask(const std::string& function_name,
                                                    const std::string& worker_name,
                                                    int64_t timeout_ms);

  // Ends up to `count` polls waiting on the worker queue `queue` (an
  // activity ARN, or lambda_function.h's FunctionQueueKey) with an empty
  // grant; returns how many. Cluster mode: a task queued on another node
  // wakes this node's pollers so they ask that node (EngineOptions::
  // on_task_parked there).
  size_t WakeTaskPollers(const std::string& queue, size_t count);

  absl::Status SendTaskSuccess(const std::string& task_token, const std::string& output);
  absl::Status SendTaskFailure(const std::string& task_token, const std::string& error,
                               const std::string& cause);
  absl::Status SendTaskHeartbeat(const std::string& task_token);
  // The same, calling `done` (from an engine thread, or at once on a
  // rejected call) instead of blocking.
  void SendTaskSuccessAsync(const std::string& task_token, const std::string& output,
                            std::function<void(absl::Status)> done);
  void SendTaskFailureAsync(const std::string& task_token, const std::string& error,
                            const std::string& cause, std::function<void(absl::Status)> done);
  void SendTaskHeartbeatAsync(const std::string& task_token,
                              std::function<void(absl::Status)> done);
  // The execution ARN a task token names (verified under the task-token
  // key, nothing loaded), or InvalidToken: lets a cluster node route a
  // report to the node that runs its execution (server/cluster_router.h).
  absl::StatusOr<std::string> ExecutionOfTaskToken(const std::string& task_token) const;

  // Streams an execution's history: `on_events` first gets the stored events
  // after `after_event_id`, then each commit's events once they are on
  // disk, with `closed` true on the last call (the execution has closed).
  // Returning false from `on_events` ends the watch. Calls come from an
  // engine thread, in event order, one at a time, and must not block.
  // Returns a watch id for CancelWatch, or ExecutionDoesNotExist / InvalidArn.
  using WatchFn = std::function<bool(std::vector<json::object> events, bool closed)>;
  absl::StatusOr<int64_t> WatchExecution(const std::string& execution_arn,
                                         int64_t after_event_id, WatchFn on_events);
  // The same with each event's details left as JSON text, as stored: no
  // JSON tree is built per event (what the gRPC stream sends).
  using RawWatchFn = std::function<bool(std::vector<RawHistoryEvent> events, bool closed)>;
  absl::StatusOr<int64_t> WatchExecutionRaw(const std::string& execution_arn,
                                            int64_t after_event_id, RawWatchFn on_events);
  // The same, with `on_detached` called once (from an engine thread, no
  // further `on_events` after it) if the execution leaves this node's memory
  // before it closed: in cluster mode its shard went to another node, or a
  // commit of it failed. The watch is then over; the caller may follow the
  // rest of the history from the store (ReadHistoryTail). Null: not told.
  absl::StatusOr<int64_t> WatchExecutionRaw(const std::string& execution_arn,
                                            int64_t after_event_id, RawWatchFn on_events,
                                            std::function<void()> on_detached);
  // The same without blocking the caller (a gRPC thread may call it): `done`
  // gets the watch id or the error, from this thread or an engine thread,
  // before the first `on_events` call. A watch from the tail of an execution
  // known to have finished is answered on the calling thread.
  void WatchExecutionRawAsync(const std::string& execution_arn, int64_t after_event_id,
                              RawWatchFn on_events, std::function<void()> on_detached,
                              std::function<void(absl::StatusOr<int64_t>)> done);
  // Ends a watch; `on_events` is not called after this returns... except for
  // a call already running on an engine thread.
  void CancelWatch(int64_t watch_id);

  // One read of an execution's history from the store, on any node (cluster
  // mode: the owner need not be this one), for a watch served from the
  // database (server/watch_reactor.h): the events after `after_event_id` up
  // to the stored record's last event id, with their details as stored text,
  // and whether the execution had closed as of that record (read before the
  // history, so a closed record's events are all there). `after_event_id` =
  // INT64_MAX reads no history (a watch waiting only for the close).
  // ExecutionDoesNotExist, InvalidArn, or the store's error. Blocks on the
  // store: never from a gRPC callback or engine thread.
  absl::StatusOr<HistoryTail> ReadHistoryTail(const std::string& execution_arn,
                                              int64_t after_event_id);

  // ---- search (Stepwise extensions; engine/search/) ----
  // The fields a state machine indexes for search (engine/catalog.h:
  // PutIndexedFields); applies to executions whose visibility row is
  // written after it (start, close, redrive).
  absl::Status PutIndexedFields(const std::string& state_machine_arn,
                                const std::vector<IndexedField>& fields);
  absl::StatusOr<std::vector<IndexedField>> GetIndexedFields(
      const std::string& state_machine_arn);
  // Executions matching `query` (engine/search/query.h), newest first, of
  // one machine (a version or alias ARN: the executions it ran) or of all
  // (`state_machine_arn` ""); rows carry indexed_fields.
  absl::StatusOr<ExecutionList> SearchExecutions(const std::string& query,
                                                 const std::string& state_machine_arn,
                                                 int max_results, const std::string& next_token);
  absl::StatusOr<int64_t> CountExecutions(const std::string& query,
                                          const std::string& state_machine_arn);

  // Counters for benchmarks and metrics (engine/api_types.h).
  using Stats = EngineStats;
  Stats stats() const;

  // ---- batch operations (engine/batch/): stop or redrive every execution
  // a filter selects, as a durable job with progress that a restart
  // resumes. Start is durable on return; a repeated non-empty clientToken
  // returns the job it created. ValidationException naming the field,
  // BatchOperationLimitExceeded (10 RUNNING jobs), BatchOperationDoesNotExist.
  absl::StatusOr<BatchOperation> StartBatchOperation(const BatchOperationRequest& request);
  absl::StatusOr<BatchOperation> DescribeBatchOperation(const std::string& id);
  absl::StatusOr<std::vector<BatchOperation>> ListBatchOperations();  // newest first
  absl::Status CancelBatchOperation(const std::string& id);
  // RUNNING batch operations (a metrics gauge).
  int running_batch_operations() const;

 private:
  explicit Engine(std::unique_ptr<EngineImpl> impl);
  // Starts the batch operations' runner after recovery (batch_engine.cc).
  absl::Status OpenBatchJobs(storage::Store* store, const EngineOptions& options);
  void StopBatchJobs();
  std::unique_ptr<EngineImpl> impl_;
  std::unique_ptr<BatchJobs> batch_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_ENGINE_H_
