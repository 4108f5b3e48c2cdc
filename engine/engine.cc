// The Engine façade (engine/engine.h): opening and shutting down the engine,
// liveness, and the blocking forms of the async calls. The only code in the
// engine that checks Alive() or waits for an answer: everything below it
// (engine_impl.h) takes callbacks. Public methods are called from any thread.
#include "engine/engine.h"

#include <algorithm>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "common/status_macros.h"
#include "common/thread_name.h"
#include "engine/batch/batch_engine.h"
#include "engine/dispatch/activity_dispatcher.h"
#include "engine/dispatch/child_execution_dispatcher.h"
#include "engine/map_run/express_child_outcome.h"
#include "engine/map_run/map_run_dispatcher.h"
#include "engine/dispatch/function_queue_dispatcher.h"
#include "engine/dispatch/lambda_function.h"
#include "engine/dispatch/unsupported_dispatcher.h"
#include "engine/definition_check.h"
#include "engine/engine_impl.h"
#include "engine/mock_config/mocked_task_dispatcher.h"
#include "engine/search/search_executions.h"
#include "engine/service_error.h"
#include "storage/express_routing_store.h"

namespace stepwise::engine {

namespace {

// Blocks on an async operation: `start(done)` must call done exactly once.
template <typename T, typename Start>
absl::StatusOr<T> Wait(Start start) {
  auto p = std::make_shared<std::promise<absl::StatusOr<T>>>();
  auto f = p->get_future();
  start([p](absl::StatusOr<T> r) { p->set_value(std::move(r)); });
  return f.get();
}

// Blocks on an async operation answering with a status.
template <typename Start>
absl::Status WaitStatus(Start start) {
  return Wait<bool>([&](auto done) {
    start([done](absl::Status s) {
      if (!s.ok()) return done(s);
      done(true);
    });
  }).status();
}

// AWS refuses Express executions to the calls that read or stop one
// (DescribeExecution, DescribeStateMachineForExecution,
// GetExecutionHistory, StopExecution): they keep no history there.
absl::Status RefuseExpress(const std::string& arn) {
  if (!storage::ExpressRoutingStore::IsExpress(arn)) return absl::OkStatus();
  return ServiceError("InvalidArn",
                      "Invalid Arn: 'Resource type not valid in this context: express'");
}

}  // namespace

// ------------------------------------------------------------- EngineImpl

EngineImpl::EngineImpl(storage::Store* store, EngineOptions options)
    : routing_(std::make_unique<storage::ExpressRoutingStore>(store)),
      store_(routing_.get()),
      opts_(std::move(options)),
      clock_(opts_.clock != nullptr ? opts_.clock : SystemClock::Get()),
      rng_(opts_.seed != 0 ? opts_.seed : std::random_device{}()),
      timers_(clock_, [this](const TimerEntry& e) { OnTimer(e); }),
      dispatch_(MakeDispatch()),
      catalog_(store_, &opts_, clock_,
               [this](std::string_view resource) { return RefusesTaskResource(resource); }),
      committer_(store_, &opts_) {
  if (opts_.on_task_parked) tasks_.SetParkedHook(opts_.on_task_parked);
}

EngineImpl::~EngineImpl() { Shutdown(); }

namespace {

// The command a Task with `resource` would schedule, as far as dispatchers
// look at it to say whether they take it.
ScheduleTaskCommand CommandFor(std::string_view resource) {
  ScheduleTaskCommand command;
  command.resource = std::string(resource);
  command.kind = TaskResource::Parse(command.resource).kind;
  command.input = json::object();
  return command;
}

}  // namespace

bool EngineImpl::RunsTaskResource(std::string_view resource) const {
  return dispatch_.Runs(CommandFor(resource));
}

bool EngineImpl::RefusesTaskResource(std::string_view resource) const {
  return dispatch_.Refuses(CommandFor(resource));
}

TaskDispatch EngineImpl::MakeDispatch() {
  TaskInputs& inputs = *this;
  std::vector<std::unique_ptr<TaskDispatcher>> dispatchers;
  if (opts_.mock_config) {
    dispatchers.push_back(std::make_unique<MockedTaskDispatcher>(inputs, opts_.mock_config));
  }
  if (opts_.extra_dispatchers) {
    for (auto& d : opts_.extra_dispatchers(inputs)) dispatchers.push_back(std::move(d));
  }
  dispatchers.push_back(std::make_unique<ActivityDispatcher>(tasks_));
  dispatchers.push_back(std::make_unique<FunctionQueueDispatcher>(tasks_, inputs, clock_,
                                                                  opts_.region, opts_.account));
  dispatchers.push_back(std::make_unique<ChildExecutionDispatcher>(inputs, *store_));
  auto map_runs = std::make_unique<MapRunDispatcher>(
      inputs, *store_, *clock_,
      [this](const std::string& name, const std::string& definition, const std::string& type) {
        return catalog_.EnsureMapRunMachine(name, definition, type);
      },
      MapRunLimits{opts_.map_run_default_max_concurrency, opts_.map_run_max_open_children},
      opts_.map_run_s3.get(), opts_.map_run_aws.get(),
      opts_.region);
  map_runs_ = map_runs.get();
  dispatchers.push_back(std::move(map_runs));
  return TaskDispatch(std::move(dispatchers), std::make_unique<UnsupportedDispatcher>(inputs));
}

absl::Status EngineImpl::Init() {
  // One key for every node sharing the store: the first to write it wins
  // and the others adopt it (nodes started at once on an empty database).
  SW_ASSIGN_OR_RETURN(std::optional<std::string> key,
                      store_->Get(storage::Table::kMeta, "token_key"));
  if (!key.has_value()) {
    SW_ASSIGN_OR_RETURN(key, store_->PutIfAbsent(storage::Table::kMeta, "token_key",
                                                 TaskTokenCodec::NewKey()));
  }
  tokens_ = std::make_unique<TaskTokenCodec>(*key);
  committer_.Start();
  for (int i = 0; i < std::max(1, opts_.shards); ++i) {
    // Each shard draws the interpreter's randomness from its own stream:
    // steps of different shards run on different threads at once.
    auto s = std::make_unique<Shard>(0x5eed + static_cast<uint64_t>(i));
    Shard* raw = s.get();
    s->thread = std::thread([this, raw, i] {
      SetThreadName("sw-shard-" + std::to_string(i));
      ShardLoop(*raw);
    });
    shards_.push_back(std::move(s));
  }
  return Recover();
}

void EngineImpl::Shutdown() {
  if (stopped_.exchange(true)) return;
  if (opts_.cluster) StopOwnership();
  dispatch_.Shutdown();  // dispatchers' own threads (the Map Run driver)
  tasks_.Stop();
  timers_.Stop();
  for (auto& s : shards_) {
    {
      std::lock_guard<std::mutex> l(s->mu);
      s->stop = true;
    }
    s->cv.notify_all();
  }
  for (auto& s : shards_) {
    if (s->thread.joinable()) s->thread.join();
  }
  committer_.Stop();
  // StartSyncExecution callers whose execution never closed get an answer.
  std::unordered_map<std::string, ClosedFn> unanswered;
  {
    std::lock_guard<std::mutex> l(sync_mu_);
    unanswered.swap(sync_waiters_);
  }
  for (auto& [arn, fn] : unanswered) fn(absl::UnavailableError("the engine is shutting down"));
}

absl::Status EngineImpl::Alive() const {
  return stopped_.load() ? absl::UnavailableError("the engine is shutting down")
                         : absl::OkStatus();
}

// ------------------------------------------------------------------ Engine

Engine::Engine(std::unique_ptr<EngineImpl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() {
  StopBatchJobs();
  impl_->Shutdown();
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(storage::Store* store,
                                                     EngineOptions options) {
  auto impl = std::make_unique<EngineImpl>(store, options);
  SW_RETURN_IF_ERROR(impl->Init());
  std::unique_ptr<Engine> engine(new Engine(std::move(impl)));
  SW_RETURN_IF_ERROR(engine->OpenBatchJobs(store, options));
  return engine;
}

void Engine::Shutdown() {
  StopBatchJobs();
  impl_->Shutdown();
}

absl::StatusOr<StateMachineDescription> Engine::CreateStateMachine(
    const std::string& name, const std::string& definition, const std::string& role_arn,
    const std::string& type, const std::vector<Tag>& tags, const LoggingConfiguration& logging,
    bool publish, const std::string& version_description) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().CreateStateMachine(name, definition, role_arn, type, tags, logging,
                                             publish, version_description);
}
absl::StatusOr<StateMachineDescription> Engine::DescribeStateMachine(const std::string& arn) {
  return impl_->catalog().DescribeStateMachine(arn);
}
absl::StatusOr<StateMachineDescription> Engine::UpdateStateMachine(
    const std::string& arn, const std::optional<std::string>& definition,
    const std::optional<std::string>& role_arn,
    const std::optional<LoggingConfiguration>& logging, bool publish,
    const std::string& version_description) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().UpdateStateMachine(arn, definition, role_arn, logging, publish,
                                             version_description);
}
absl::Status Engine::DeleteStateMachine(const std::string& arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().DeleteStateMachine(arn);
}
absl::StatusOr<std::vector<StateMachineDescription>> Engine::ListStateMachines() {
  return impl_->catalog().ListStateMachines();
}
absl::StatusOr<StateMachineDescription> Engine::DescribeStateMachineForExecution(
    const std::string& execution_arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  SW_RETURN_IF_ERROR(RefuseExpress(execution_arn));
  return impl_->DescribeStateMachineForExecution(execution_arn);
}
absl::StatusOr<StartExecutionResult> Engine::StartExecution(const std::string& machine_arn,
                                                            const std::string& name,
                                                            const std::string& input) {
  return Wait<StartExecutionResult>(
      [&](auto done) { StartExecutionAsync(machine_arn, name, input, done); });
}
void Engine::StartExecutionAsync(const std::string& machine_arn, const std::string& name,
                                 const std::string& input,
                                 std::function<void(absl::StatusOr<StartExecutionResult>)> done) {
  if (absl::Status s = impl_->Alive(); !s.ok()) return done(s);
  impl_->StartExecutionAsync(machine_arn, name, input, std::move(done));
}
void Engine::StartSyncExecutionAsync(const std::string& machine_arn, const std::string& name,
                                     const std::string& input, SyncExecutionFn done) {
  if (absl::Status s = impl_->Alive(); !s.ok()) return done(s);
  impl_->StartSyncExecutionAsync(machine_arn, name, input, std::move(done));
}
absl::StatusOr<SyncExecutionResult> Engine::StartSyncExecution(const std::string& machine_arn,
                                                              const std::string& name,
                                                              const std::string& input) {
  return Wait<SyncExecutionResult>(
      [&](auto done) { StartSyncExecutionAsync(machine_arn, name, input, done); });
}
absl::StatusOr<TimeMs> Engine::StopExecution(const std::string& arn, const std::string& error,
                                             const std::string& cause) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  SW_RETURN_IF_ERROR(impl_->CheckExecutionArn(arn));
  SW_RETURN_IF_ERROR(RefuseExpress(arn));
  return Wait<TimeMs>([&](auto done) { impl_->StopExecutionAsync(arn, error, cause, done); });
}
absl::StatusOr<ExecutionDescription> Engine::DescribeExecution(const std::string& arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  // AWS describes a Map Run's Express children (engine/map_run/README.md).
  if (!IsMapRunExpressChildArn(arn)) SW_RETURN_IF_ERROR(RefuseExpress(arn));
  return impl_->DescribeExecution(arn);
}
absl::StatusOr<std::vector<OpenTaskInfo>> Engine::ListOpenTasks(const std::string& arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->ListOpenTasks(arn);
}
absl::StatusOr<ExecutionList> Engine::ListExecutions(const std::string& machine_arn,
                                                     const std::string& status_filter,
                                                     int max_results,
                                                     const std::string& next_token,
                                                     const std::string& redrive_filter) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->ListExecutions(machine_arn, status_filter, max_results, next_token,
                               redrive_filter);
}
absl::Status Engine::PutIndexedFields(const std::string& state_machine_arn,
                                      const std::vector<IndexedField>& fields) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().PutIndexedFields(state_machine_arn, fields);
}
absl::StatusOr<std::vector<IndexedField>> Engine::GetIndexedFields(
    const std::string& state_machine_arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().GetIndexedFields(state_machine_arn);
}
absl::StatusOr<ExecutionList> Engine::SearchExecutions(const std::string& query,
                                                       const std::string& state_machine_arn,
                                                       int max_results,
                                                       const std::string& next_token) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return ExecutionSearch(impl_->store(), &impl_->catalog(), &impl_->options())
      .Search(query, state_machine_arn, max_results, next_token);
}
absl::StatusOr<int64_t> Engine::CountExecutions(const std::string& query,
                                                const std::string& state_machine_arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return ExecutionSearch(impl_->store(), &impl_->catalog(), &impl_->options())
      .Count(query, state_machine_arn);
}
absl::StatusOr<TimeMs> Engine::RedriveExecution(const std::string& arn,
                                                const std::string& client_token) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  SW_RETURN_IF_ERROR(impl_->CheckExecutionArn(arn));
  return Wait<TimeMs>(
      [&](auto done) { impl_->RedriveExecutionAsync(arn, client_token, done); });
}
absl::StatusOr<StartExecutionResult> Engine::RestartExecution(
    const std::string& arn, const std::string& state_name, int64_t event_id,
    const std::optional<std::string>& input, const std::string& name) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  SW_RETURN_IF_ERROR(impl_->CheckExecutionArn(arn));
  SW_RETURN_IF_ERROR(RefuseExpress(arn));
  return impl_->RestartExecution(arn, state_name, event_id, input, name);
}
absl::StatusOr<HistoryPage> Engine::GetExecutionHistory(const std::string& arn, int max_results,
                                                        const std::string& next_token,
                                                        bool reverse_order,
                                                        bool include_execution_data) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  SW_RETURN_IF_ERROR(RefuseExpress(arn));
  return impl_->GetExecutionHistory(arn, max_results, next_token, reverse_order,
                                    include_execution_data);
}
absl::StatusOr<ActivityDescription> Engine::CreateActivity(const std::string& name,
                                                           const std::vector<Tag>& tags) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().CreateActivity(name, tags);
}
absl::StatusOr<ActivityDescription> Engine::DescribeActivity(const std::string& arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().DescribeActivity(arn);
}
absl::Status Engine::DeleteActivity(const std::string& arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().DeleteActivity(arn);
}
absl::StatusOr<std::vector<ActivityDescription>> Engine::ListActivities() {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().ListActivities();
}
absl::Status Engine::TagResource(const std::string& resource_arn, const std::vector<Tag>& tags) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().TagResource(resource_arn, tags);
}
absl::Status Engine::UntagResource(const std::string& resource_arn,
                                   const std::vector<std::string>& tag_keys) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().UntagResource(resource_arn, tag_keys);
}
absl::StatusOr<std::vector<Tag>> Engine::ListTagsForResource(const std::string& resource_arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().ListTagsForResource(resource_arn);
}
absl::StatusOr<StateMachineVersionItem> Engine::PublishStateMachineVersion(
    const std::string& arn, const std::optional<std::string>& revision_id,
    const std::string& description) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().PublishStateMachineVersion(arn, revision_id, description);
}
absl::StatusOr<std::vector<StateMachineVersionItem>> Engine::ListStateMachineVersions(
    const std::string& arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().ListStateMachineVersions(arn);
}
absl::Status Engine::DeleteStateMachineVersion(const std::string& version_arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().DeleteStateMachineVersion(version_arn);
}
absl::StatusOr<StateMachineAliasDescription> Engine::CreateStateMachineAlias(
    const std::string& name, const std::string& description,
    const std::vector<AliasRoute>& routing) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().CreateStateMachineAlias(name, description, routing);
}
absl::StatusOr<StateMachineAliasDescription> Engine::DescribeStateMachineAlias(
    const std::string& alias_arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().DescribeStateMachineAlias(alias_arn);
}
absl::StatusOr<StateMachineAliasDescription> Engine::UpdateStateMachineAlias(
    const std::string& alias_arn, const std::optional<std::string>& description,
    const std::optional<std::vector<AliasRoute>>& routing) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().UpdateStateMachineAlias(alias_arn, description, routing);
}
absl::Status Engine::DeleteStateMachineAlias(const std::string& alias_arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().DeleteStateMachineAlias(alias_arn);
}
absl::StatusOr<std::vector<StateMachineAliasDescription>> Engine::ListStateMachineAliases(
    const std::string& arn) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->catalog().ListStateMachineAliases(arn);
}
void Engine::GetActivityTaskAsync(const std::string& activity_arn, const std::string& worker_name,
                                  int64_t timeout_ms,
                                  std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                                  std::function<bool()> is_cancelled) {
  if (absl::Status s = impl_->Alive(); !s.ok()) return done(s);
  impl_->GetActivityTaskAsync(activity_arn, worker_name, timeout_ms, std::move(done),
                              std::move(is_cancelled));
}
size_t Engine::WakeTaskPollers(const std::string& queue, size_t count) {
  return impl_->task_queue().Wake(queue, count);
}
absl::StatusOr<ActivityTaskGrant> Engine::GetActivityTask(const std::string& activity_arn,
                                                          const std::string& worker_name,
                                                          int64_t timeout_ms) {
  return Wait<ActivityTaskGrant>([&](auto done) {
    GetActivityTaskAsync(activity_arn, worker_name, timeout_ms, done, nullptr);
  });
}
void Engine::GetFunctionTaskAsync(const std::string& function_name, const std::string& worker_name,
                                  int64_t timeout_ms, FunctionGrantFn done,
                                  std::function<bool()> is_cancelled) {
  if (absl::Status s = impl_->Alive(); !s.ok()) return done(s);
  impl_->GetFunctionTaskAsync(
      function_name, worker_name, timeout_ms,
      [done = std::move(done)](absl::StatusOr<ActivityTaskGrant> g) {
        if (!g.ok()) return done(g.status());
        done(FunctionGrantOf(*g));
      },
      std::move(is_cancelled));
}
absl::StatusOr<FunctionTaskGrant> Engine::GetFunctionTask(const std::string& function_name,
                                                          const std::string& worker_name,
                                                          int64_t timeout_ms) {
  return Wait<FunctionTaskGrant>([&](auto done) {
    GetFunctionTaskAsync(function_name, worker_name, timeout_ms, done, nullptr);
  });
}
absl::Status Engine::SendTaskSuccess(const std::string& token, const std::string& output) {
  return WaitStatus([&](auto done) { SendTaskSuccessAsync(token, output, done); });
}
absl::Status Engine::SendTaskFailure(const std::string& token, const std::string& error,
                                     const std::string& cause) {
  return WaitStatus([&](auto done) { SendTaskFailureAsync(token, error, cause, done); });
}
absl::Status Engine::SendTaskHeartbeat(const std::string& token) {
  return WaitStatus([&](auto done) { SendTaskHeartbeatAsync(token, done); });
}
void Engine::SendTaskSuccessAsync(const std::string& token, const std::string& output,
                                  std::function<void(absl::Status)> done) {
  if (absl::Status s = impl_->Alive(); !s.ok()) return done(s);
  impl_->SendTaskSuccessAsync(token, output, std::move(done));
}
void Engine::SendTaskFailureAsync(const std::string& token, const std::string& error,
                                  const std::string& cause,
                                  std::function<void(absl::Status)> done) {
  if (absl::Status s = impl_->Alive(); !s.ok()) return done(s);
  impl_->SendTaskFailureAsync(token, error, cause, std::move(done));
}
void Engine::SendTaskHeartbeatAsync(const std::string& token,
                                    std::function<void(absl::Status)> done) {
  if (absl::Status s = impl_->Alive(); !s.ok()) return done(s);
  impl_->SendTaskHeartbeatAsync(token, std::move(done));
}
absl::StatusOr<std::string> Engine::ExecutionOfTaskToken(const std::string& token) const {
  absl::StatusOr<TaskTokenClaims> claims = impl_->DecodeTaskToken(token);
  if (!claims.ok()) return claims.status();
  return std::move(claims->execution_id);
}
absl::StatusOr<int64_t> Engine::WatchExecutionRaw(const std::string& arn,
                                                  int64_t after_event_id, RawWatchFn on_events) {
  return WatchExecutionRaw(arn, after_event_id, std::move(on_events), nullptr);
}
absl::StatusOr<int64_t> Engine::WatchExecutionRaw(const std::string& arn,
                                                  int64_t after_event_id, RawWatchFn on_events,
                                                  std::function<void()> on_detached) {
  return Wait<int64_t>([&](auto done) {
    WatchExecutionRawAsync(arn, after_event_id, std::move(on_events), std::move(on_detached),
                           done);
  });
}
void Engine::WatchExecutionRawAsync(const std::string& arn, int64_t after_event_id,
                                    RawWatchFn on_events, std::function<void()> on_detached,
                                    std::function<void(absl::StatusOr<int64_t>)> done) {
  if (absl::Status s = impl_->Alive(); !s.ok()) return done(s);
  if (absl::Status s = impl_->CheckExecutionArn(arn); !s.ok()) return done(s);
  int64_t id = impl_->OpenWatch(arn);
  impl_->AttachWatch(arn, id, after_event_id, std::move(on_events), std::move(on_detached),
                     [this, id, done = std::move(done)](absl::StatusOr<bool> r) {
                       if (!r.ok()) {
                         impl_->EndWatch(id);
                         return done(r.status());
                       }
                       done(id);
                     });
}

absl::StatusOr<int64_t> Engine::WatchExecution(const std::string& arn, int64_t after_event_id,
                                               WatchFn on_events) {
  return WatchExecutionRaw(
      arn, after_event_id,
      [fn = std::move(on_events)](std::vector<RawHistoryEvent> raw, bool closed) {
        std::vector<json::object> events;
        events.reserve(raw.size());
        for (const RawHistoryEvent& e : raw) events.push_back(ToAwsJson(e));
        return fn(std::move(events), closed);
      });
}
void Engine::CancelWatch(int64_t watch_id) { impl_->EndWatch(watch_id); }
absl::StatusOr<HistoryTail> Engine::ReadHistoryTail(const std::string& arn,
                                                            int64_t after_event_id) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return impl_->ReadHistoryTail(arn, after_event_id);
}
Engine::Stats Engine::stats() const {
  Stats s = impl_->stats();
  s.batch_operations_running = running_batch_operations();
  return s;
}

absl::StatusOr<std::vector<DefinitionDiagnostic>> Engine::ValidateStateMachineDefinition(
    const std::string& definition, const std::string& type,
    const asl::ValidationOptions& options) {
  return CheckDefinition(definition, type, options);
}

bool Engine::RunsTaskResource(std::string_view resource) const {
  return impl_->RunsTaskResource(resource);
}

asl::ValidationOptions Engine::validation_options() const {
  asl::ValidationOptions options;
  options.why_not_runnable = [this](std::string_view resource) {
    return RunsTaskResource(resource) ? std::string() : UnsupportedTaskCause(resource);
  };
  options.unrecognized_resource = [this](std::string_view resource) {
    return impl_->RefusesTaskResource(resource);
  };
  return options;
}

}  // namespace stepwise::engine
