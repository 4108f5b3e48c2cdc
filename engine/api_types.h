// The engine's API value types: options, descriptions, grants and
// counters, as Engine (engine/engine.h) takes and returns them. Plain
// structs; the engine's rooms below the façade include this header, never
// engine/engine.h. No thread-safety of their own (values).
#ifndef SW_ENGINE_API_TYPES_H_
#define SW_ENGINE_API_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "common/json.h"
#include "engine/cluster_ownership.h"

namespace stepwise::engine {

struct ExecutionDescription;

// One finding of ValidateStateMachineDefinition, in AWS's shape.
struct DefinitionDiagnostic {
  std::string severity;  // ERROR | WARNING
  std::string code;      // e.g. SCHEMA_VALIDATION_FAILED
  std::string message;
  std::string location;  // JSON pointer, e.g. /States/A/Next; may be empty
};

class TaskDispatcher;  // engine/dispatch/task_dispatcher.h
class TaskInputs;
class MockConfig;  // engine/mock_config/mock_config.h
class ExpressHistorySink;  // engine/express_history_sink.h
namespace map_run {
class S3Objects;  // engine/map_run/s3_objects.h
}  // namespace map_run
}  // namespace stepwise::engine
namespace stepwise::integrations {
class AwsApi;  // integrations/aws/aws_api.h
}  // namespace stepwise::integrations
namespace stepwise::engine {

struct EngineOptions {
  std::string region = "us-east-1";
  std::string account = "123456789012";
  int shards = 2;
  // Most state steps computed in memory and committed as one group.
  int max_steps_per_commit = 100;
  // Most transitions the committer writes in one synced batch.
  size_t max_batch = 512;
  // Time source; must outlive the engine. Null means the system clock.
  const Clock* clock = nullptr;
  int max_history_events = 25000;
  size_t max_payload_bytes = 262144;
  // Longest GetActivityTask long-poll.
  int64_t max_poll_ms = 60000;
  // Executions per shard whose parsed state stays in memory while parked
  // (each costs ~25 KB for a small machine with an 800-byte input; a
  // parked execution beyond these is reloaded from the store when it wakes).
  size_t max_cached_executions = 2000;
  // Seed of the interpreter's randomness (0: from the OS).
  uint64_t seed = 0;
  // Called once per execution that closes (SUCCEEDED, FAILED, TIMED_OUT,
  // ABORTED), after the commit that closes it is on disk, with its
  // description (input/output may be left empty). Called from an engine
  // thread: it must be thread-safe, must not block and must not call back
  // into the engine. Null: nothing is called. The server logs the close
  // and counts it in /metrics.
  std::function<void(const ExecutionDescription&)> on_execution_closed;
  // Called once, from the committer thread, when the store fails a whole
  // commit batch (an I/O error: full disk, failed fsync). From then on the
  // engine writes and acknowledges nothing: that batch and every later
  // commit answer kUnavailable ("ServiceUnavailable"). The server logs the
  // cause and exits (fail-stop); a restart recovers from what is on disk.
  std::function<void(const absl::Status&)> on_storage_failure;
  // Dispatchers asked, in order, before the built-in ones (and after the
  // mocked-task dispatcher when `mock_config` is set) (the activity
  // queue, then the fallback that fails the task): how further kinds of
  // Task work plug in (engine/dispatch/task_dispatcher.h). Called once, by
  // the engine's constructor, with the inputs they report through.
  std::function<std::vector<std::unique_ptr<TaskDispatcher>>(TaskInputs&)> extra_dispatchers;
  // Mock-config testing (engine/mock_config/): executions started as
  // `stateMachineArn#TestCase` run that test case, whose mocked Tasks a
  // MockedTaskDispatcher, asked before every other dispatcher, answers.
  // Null: no test cases (an ARN with '#' is refused as before).
  std::shared_ptr<const MockConfig> mock_config;
  // Where each closed Express execution's history goes, once, before the
  // engine forgets it (engine/express_history_sink.h); must outlive the
  // engine's shards. Null: the history is dropped.
  ExpressHistorySink* express_history_sink = nullptr;
  // Longest an Express execution runs (AWS: 5 minutes); one still running
  // then times out (TIMED_OUT, States.Timeout). A shorter TimeoutSeconds of
  // the definition still applies. Tests shorten it.
  int64_t express_max_ms = 300000;
  // AWS's quotas on published versions and aliases of one state machine
  // (ServiceQuotaExceededException past them).
  int max_versions_per_machine = 1000;
  int max_aliases_per_machine = 100;
  // How long the catalog trusts a cached state machine record (and compiled
  // indexed fields, known activities) before re-reading it from the store
  // (engine/catalog.h). 0: forever, right when this process makes every
  // write (RocksDB); stepwised on PostgreSQL sets 1000, so an update or
  // delete on another node is seen here within a second.
  int64_t catalog_cache_ttl_ms = 0;
  // Most child executions one Distributed Map's Map Run keeps open when
  // its MaxConcurrency is 0 (unlimited in AWS's words; AWS caps at 10,000).
  int map_run_default_max_concurrency = 1000;
  // Most child executions of all Map Runs open at once (server-wide): a run
  // past it waits for a slot, freed slots go to the waiting runs in turn.
  // stepwised's --map-run-max-open-children.
  int map_run_max_open_children = 10000;
  // Where a Distributed Map's ItemReader reads S3 (the server's AwsS3Objects
  // over its AWS client). Null: an ItemReader fails with States.ItemReaderFailed.
  std::shared_ptr<map_run::S3Objects> map_run_s3;
  // Where a Distributed Map's ResultWriter writes (PutObject). Null: a
  // ResultWriter to S3 fails with States.ResultWriterFailed.
  std::shared_ptr<integrations::AwsApi> map_run_aws;
  // Cluster mode (engine/cluster_ownership.h): the engine runs only the
  // executions of the cluster shards this node owns and answers calls on
  // the others with ShardNotOwnedError. Null: every execution is this node's.
  std::shared_ptr<const ClusterOwnership> cluster;
  // Cluster mode: called with the worker queue (activity ARN or function
  // queue key) of every task queued that no poll of this node took, on the
  // thread that queued it, after its commit; must not block (the server
  // announces it to the other nodes' pollers: server/task_announcer.h).
  // Null: nothing is called.
  std::function<void(const std::string& queue)> on_task_parked;
};

// A state machine's loggingConfiguration, in AWS's vocabulary: which
// history events of its executions are logged (level), whether their
// input/output go with them, and where (CloudWatch Logs log group ARNs; AWS
// allows one). Stepwise writes Express executions' events by it
// (server/express_log/); Standard executions keep their history in the
// store. engine/logging_configuration.h checks it.
struct LoggingConfiguration {
  std::string level = "OFF";  // ALL | ERROR | FATAL | OFF
  bool include_execution_data = false;
  std::vector<std::string> log_group_arns;

  bool operator==(const LoggingConfiguration&) const = default;
};

struct StateMachineDescription {
  std::string arn;
  std::string name;
  std::string type;  // STANDARD | EXPRESS
  std::string definition;
  std::string role_arn;
  std::string status;  // ACTIVE
  TimeMs creation_date = 0;
  TimeMs update_date = 0;
  int64_t revision = 0;
  std::string revision_id;
  LoggingConfiguration logging_configuration;  // AWS's default when never set
  // Of a version (DescribeStateMachine on a version ARN): its description.
  std::string description;
  // The version Create/UpdateStateMachine published (publish=true), else "".
  std::string version_arn;
};

// One published version of a state machine (ListStateMachineVersions) or
// the one PublishStateMachineVersion made or found.
struct StateMachineVersionItem {
  std::string arn;  // MACHINE_ARN:N
  TimeMs creation_date = 0;
};

// One entry of an alias's routingConfiguration.
struct AliasRoute {
  std::string version_arn;
  int64_t weight = 0;  // 0..100; the entries' weights sum to 100
  bool operator==(const AliasRoute&) const = default;
};

struct StateMachineAliasDescription {
  std::string arn;  // MACHINE_ARN:NAME
  std::string name;
  std::string description;
  std::vector<AliasRoute> routing;  // one or two entries
  TimeMs creation_date = 0;
  TimeMs update_date = 0;
};

struct ExecutionDescription {
  std::string execution_arn;
  std::string state_machine_arn;
  std::string name;
  std::string status;  // RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
  TimeMs start_date = 0;
  TimeMs stop_date = 0;  // 0 while running
  std::string input;
  std::optional<std::string> output;
  std::optional<std::string> error;
  std::optional<std::string> cause;
  int64_t revision = 0;
  // Redrive (engine/redrive.h). redrive_status is "" for EXPRESS
  // executions (AWS shows no redrive fields for them) and in list rows.
  int64_t redrive_count = 0;
  TimeMs redrive_date = 0;  // 0: never redriven
  std::string redrive_status;  // REDRIVABLE | NOT_REDRIVABLE
  std::string redrive_status_reason;
  // Set when started through a version ARN, or an alias ARN (then both).
  std::string version_arn;
  std::string alias_arn;
  // The values of the machine's indexed fields this execution has (field
  // name → the value's JSON text); set in search results (engine/search/).
  std::map<std::string, std::string> indexed_fields;
  // Of a Distributed Map's child execution: its Map Run's ARN, else "".
  std::string map_run_arn;
  // In ListExecutions(mapRunArn) rows only: the items the child processes
  // (AWS's itemCount: the batch's size with an ItemBatcher, else 1).
  std::optional<int64_t> item_count;
};

// What StartSyncExecution answers: the closed Express execution and what
// AWS would bill for it (billingDetails).
struct SyncExecutionResult {
  ExecutionDescription execution;
  // AWS bills Express in 100 ms units (rounded up, at least one) and
  // 64 MB units of memory; Stepwise reports the duration so rounded and
  // the 64 MB minimum.
  int64_t billed_duration_ms = 0;
  int64_t billed_memory_mb = 0;
};

struct ExecutionList {
  std::vector<ExecutionDescription> executions;  // without input/output
  std::string next_token;
};

// A field a state machine indexes for SearchExecutions (engine/search/):
// a JSONPath `path` or a JSONata `expression` over the execution's input,
// output or variables. Exactly one of path and expression is set.
struct IndexedField {
  std::string name;    // [A-Za-z_][A-Za-z0-9_]{0,63}
  std::string source;  // INPUT | OUTPUT | VARIABLES
  std::string path;
  std::string expression;
  bool operator==(const IndexedField&) const = default;
};

struct HistoryPage {
  std::vector<json::object> events;  // AWS GetExecutionHistory shape
  std::string next_token;
};

// A tag of a state machine or an activity, as AWS's Tag shape has it.
struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

struct ActivityDescription {
  std::string arn;
  std::string name;
  TimeMs creation_date = 0;
};

// AWS's MapRunItemCounts / MapRunExecutionCounts (DescribeMapRun).
struct MapRunCounts {
  int64_t pending = 0;
  int64_t running = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t timed_out = 0;
  int64_t aborted = 0;
  int64_t total = 0;
  int64_t results_written = 0;
  int64_t failures_not_redrivable = 0;
  int64_t pending_redrive = 0;
  bool operator==(const MapRunCounts&) const = default;
};

// A Distributed Map's Map Run (DescribeMapRun; ListMapRuns rows use the
// ARNs and dates).
struct MapRunDescription {
  std::string map_run_arn;
  std::string execution_arn;      // the parent execution
  std::string state_machine_arn;  // the parent's state machine
  std::string status;             // RUNNING | SUCCEEDED | FAILED | ABORTED
  TimeMs start_date = 0;
  TimeMs stop_date = 0;  // 0 while RUNNING
  int64_t max_concurrency = 0;
  double tolerated_failure_percentage = 0;
  int64_t tolerated_failure_count = 0;
  MapRunCounts items;
  MapRunCounts executions;
  int64_t redrive_count = 0;  // times the run was redriven (with its parent)
  TimeMs redrive_date = 0;    // of the last redrive; 0: never redriven
};

// What UpdateMapRun changes (absent: unchanged).
struct MapRunSettings {
  std::optional<int64_t> max_concurrency;
  std::optional<double> tolerated_failure_percentage;
  std::optional<int64_t> tolerated_failure_count;
};

// What GetActivityTask hands a worker; an empty token means none arrived
// before the poll timed out (AWS answers the same way).
struct ActivityTaskGrant {
  std::string task_token;
  std::string input;
  // What the task's dispatcher keeps about it (OpenTask::details, JSON
  // text; e.g. the function invoked), "" for activities.
  std::string details;
  std::string execution_arn;
  TimeMs deadline_ms = 0;  // when the attempt times out; 0: no timeout
};

// A function queue's task (Engine::GetFunctionTaskAsync): one attempt of a
// Lambda Task served by a Stepwise worker. Empty `task_token`: none came.
struct FunctionTaskGrant {
  std::string task_token;
  std::string payload;       // the invocation event, JSON text
  std::string request_id;    // fresh for every attempt
  std::string function_arn;  // with its qualifier when one was given
  std::string qualifier;     // "$LATEST" when none
  std::string client_context;  // base64, as the Task gave it
  std::string execution_arn;
  std::string state_name;
  TimeMs deadline_ms = 0;  // when the attempt times out; 0: no timeout
};

// An open task of an execution and the worker queue it waits in
// (Engine::ListOpenTasks): what the CLI and console turn into "waiting for
// a worker of function NAME" (or "of activity ARN").
struct OpenTaskInfo {
  int64_t task_id = 0;
  std::string activity_arn;   // set when it waits in an activity's queue
  std::string function_name;  // set when it waits in a function queue
  bool started = false;       // a worker has it (the hand-out is committed)
  bool callback = false;      // .waitForTaskToken
  bool submitted = false;     // TaskSubmitted written: waits for the token
  size_t pollers = 0;         // polls waiting on its queue now
};

struct StartExecutionResult {
  std::string execution_arn;
  TimeMs start_date = 0;
};

// Counters for benchmarks and metrics.
struct EngineStats {
  uint64_t commits = 0;        // transitions written
  uint64_t batches = 0;        // synced writes
  uint64_t events = 0;         // history events written
  size_t timers_armed = 0;     // timers waiting to fire
  int batch_operations_running = 0;  // RUNNING batch operations (engine/batch/)
  int64_t timer_lag_ms = 0;    // how late the last timer fired
  size_t express_rows = 0;     // rows of running Express executions, in memory
  // Cluster mode (engine/remote_children.h): the dispatchers' calls sent to
  // the node holding the execution's shard, their retries, and closes of
  // children on other nodes learnt from the store.
  uint64_t remote_child_calls = 0;
  uint64_t remote_child_retries = 0;
  uint64_t remote_child_closes = 0;
  struct ActivityQueue {
    std::string activity_arn;
    size_t pending = 0;        // tasks waiting for a worker
    size_t pollers = 0;        // GetActivityTask calls waiting
  };
  std::vector<ActivityQueue> activity_queues;  // activities only
  struct FunctionQueue {
    std::string function_name;
    size_t pending = 0;        // Lambda tasks waiting for a worker
    size_t pollers = 0;        // GetFunctionTask calls waiting
  };
  std::vector<FunctionQueue> function_queues;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_API_TYPES_H_
