// StatesService: the stepwise.v1.States gRPC service on the callback
// (reactor) API, one method per RPC, translating proto <-> engine. No gRPC
// thread waits on a commit: StartExecution and GetActivityTask use the
// engine's *Async forms; the other engine calls, which block until their
// commit is on disk, run on a small pool owned by the service, which then
// finishes the reactor. WatchExecution is a server-streaming reactor fed by
// Engine::WatchExecution and cancelled when the client goes away.
//
// Optional bearer-token authentication: when `tokens` is non-empty every
// RPC needs `authorization: Bearer <token>` metadata (else UNAUTHENTICATED),
// compared in constant time. With StatesServiceOptions::audit, mutating RPCs
// are recorded (server/audit_log.h). Limits, paging and messages are the
// engine's and server/paging.h's, shared with the AWS JSON endpoint.
//
// Thread-safe. Shutdown order (see server/main.cc): BeginShutdown(), then
// grpc::Server::Shutdown and Engine::Shutdown, then destroy the service.
#ifndef SW_SERVER_STATES_SERVICE_H_
#define SW_SERVER_STATES_SERVICE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "engine/engine.h"
#include "engine/test_state/task_targets.h"
#include "server/audit_log.h"
#include "server/blocking_pool.h"
#include "server/cluster_auth.h"
#include "server/cluster_forwarder.h"
#include "server/cluster_router.h"
#include "server/cluster_task_poller.h"
#include "server/delay_timer.h"
#include "stepwise/v1/service.grpc.pb.h"

namespace stepwise::storage {
class ShardLeases;
}  // namespace stepwise::storage

namespace stepwise::server {

struct StatesServiceOptions {
  // Threads running blocking engine calls.
  int pool_threads = 4;
  // Accepted bearer tokens; empty means no authentication.
  std::vector<std::string> tokens;
  // Writes a consistent copy of the data directory to a new directory
  // (server/main.cc: RocksStore::Checkpoint). Null: Backup is UNIMPLEMENTED.
  std::function<absl::Status(const std::string& dir)> backup;
  // Told of every successful StartExecution (for /metrics); may be null.
  std::function<void(const std::string& state_machine_arn)> on_execution_started;
  // When set (must outlive the service), every mutating RPC is recorded
  // there, refused callers included; GetActivityTask only when it hands
  // out a task or fails.
  AuditLog* audit = nullptr;
  // What TestState calls for a Task without a mock (server/main.cc: the
  // execution dispatchers' integrations); null: such a Task is refused.
  std::shared_ptr<const engine::TestStateTargets> test_state_targets;
  // Cluster mode (server/cluster_router.h): where calls naming an execution
  // run (StartExecution, StopExecution, RedriveExecution, SendTask*), how
  // they reach the owner, and the secret a call marked forwarded must be
  // signed with. Null router: everything runs here. Null auth: calls marked
  // forwarded are refused. All must outlive the service.
  ClusterRouter* router = nullptr;
  ClusterForwarder* forwarder = nullptr;
  const ClusterAuth* cluster_auth = nullptr;
  // This node's shard leases in cluster mode, read by DescribeCluster
  // (server/states_service_cluster.cc); null otherwise.
  storage::ShardLeases* shard_leases = nullptr;
  // Cluster mode with a cluster secret: GetActivityTask and GetFunctionTask
  // get tasks of every node (server/cluster_task_poller.h); needs
  // `forwarder`. Null: this node's tasks only. Must outlive the service.
  ClusterTaskPoller* task_poller = nullptr;
};

// `d` as a ListExecutions item (ListExecutions and SearchExecutions).
void FillExecutionListItem(const engine::ExecutionDescription& d, v1::ExecutionListItem* item);

class StatesService final : public v1::States::CallbackService {
 public:
  // `engine` must outlive the service.
  StatesService(engine::Engine* engine, StatesServiceOptions options);
  ~StatesService() override;

  // Rejects new calls with UNAVAILABLE and ends every open WatchExecution
  // stream with UNAVAILABLE. Then waits up to `timeout` for the calls
  // already running (long polls excepted: Engine::Shutdown wakes those)
  // to finish. Returns true if they did.
  bool BeginShutdown(std::chrono::milliseconds timeout);

  // OK, or UNAVAILABLE while shutting down, or UNAUTHENTICATED: asked
  // before every RPC (and by server/decode_errors.h for an undecodable one).
  // A call marked forwarded (x-stepwise-forwarded) is admitted by its
  // cluster signature instead of a bearer token, and refused with
  // PERMISSION_DENIED (AccessDeniedException) when the signature is wrong
  // or this node has no cluster secret; each refusal is counted.
  absl::Status Admit(grpc::ServerContextBase* ctx) const;

  // Calls marked forwarded that Admit refused.
  uint64_t forwarded_calls_refused() const { return forwarded_refused_.load(); }

  class WatchReactor;

  // ---- state machines ----
  grpc::ServerUnaryReactor* CreateStateMachine(grpc::CallbackServerContext* ctx,
                                               const v1::CreateStateMachineRequest* req,
                                               v1::CreateStateMachineResponse* resp) override;
  grpc::ServerUnaryReactor* DescribeStateMachine(grpc::CallbackServerContext* ctx,
                                                 const v1::DescribeStateMachineRequest* req,
                                                 v1::DescribeStateMachineResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateStateMachine(grpc::CallbackServerContext* ctx,
                                               const v1::UpdateStateMachineRequest* req,
                                               v1::UpdateStateMachineResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteStateMachine(grpc::CallbackServerContext* ctx,
                                               const v1::DeleteStateMachineRequest* req,
                                               v1::DeleteStateMachineResponse* resp) override;
  grpc::ServerUnaryReactor* ListStateMachines(grpc::CallbackServerContext* ctx,
                                              const v1::ListStateMachinesRequest* req,
                                              v1::ListStateMachinesResponse* resp) override;
  grpc::ServerUnaryReactor* DescribeStateMachineForExecution(
      grpc::CallbackServerContext* ctx, const v1::DescribeStateMachineForExecutionRequest* req,
      v1::DescribeStateMachineResponse* resp) override;
  grpc::ServerUnaryReactor* ValidateStateMachineDefinition(
      grpc::CallbackServerContext* ctx, const v1::ValidateStateMachineDefinitionRequest* req,
      v1::ValidateStateMachineDefinitionResponse* resp) override;
  grpc::ServerUnaryReactor* TestState(grpc::CallbackServerContext* ctx,
                                      const v1::TestStateRequest* req,
                                      v1::TestStateResponse* resp) override;

  // ---- executions ----
  grpc::ServerUnaryReactor* StartExecution(grpc::CallbackServerContext* ctx,
                                           const v1::StartExecutionRequest* req,
                                           v1::StartExecutionResponse* resp) override;
  grpc::ServerUnaryReactor* StartSyncExecution(grpc::CallbackServerContext* ctx,
                                               const v1::StartSyncExecutionRequest* req,
                                               v1::StartSyncExecutionResponse* resp) override;
  grpc::ServerUnaryReactor* StopExecution(grpc::CallbackServerContext* ctx,
                                          const v1::StopExecutionRequest* req,
                                          v1::StopExecutionResponse* resp) override;
  grpc::ServerUnaryReactor* RedriveExecution(grpc::CallbackServerContext* ctx,
                                             const v1::RedriveExecutionRequest* req,
                                             v1::RedriveExecutionResponse* resp) override;
  grpc::ServerUnaryReactor* DescribeExecution(grpc::CallbackServerContext* ctx,
                                              const v1::DescribeExecutionRequest* req,
                                              v1::DescribeExecutionResponse* resp) override;
  grpc::ServerUnaryReactor* ListExecutions(grpc::CallbackServerContext* ctx,
                                           const v1::ListExecutionsRequest* req,
                                           v1::ListExecutionsResponse* resp) override;
  grpc::ServerUnaryReactor* GetExecutionHistory(grpc::CallbackServerContext* ctx,
                                                const v1::GetExecutionHistoryRequest* req,
                                                v1::GetExecutionHistoryResponse* resp) override;
  grpc::ServerWriteReactor<v1::HistoryEvent>* WatchExecution(
      grpc::CallbackServerContext* ctx, const v1::WatchExecutionRequest* req) override;

  // ---- activities ----
  grpc::ServerUnaryReactor* CreateActivity(grpc::CallbackServerContext* ctx,
                                           const v1::CreateActivityRequest* req,
                                           v1::CreateActivityResponse* resp) override;
  grpc::ServerUnaryReactor* DescribeActivity(grpc::CallbackServerContext* ctx,
                                             const v1::DescribeActivityRequest* req,
                                             v1::DescribeActivityResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteActivity(grpc::CallbackServerContext* ctx,
                                           const v1::DeleteActivityRequest* req,
                                           v1::DeleteActivityResponse* resp) override;
  grpc::ServerUnaryReactor* ListActivities(grpc::CallbackServerContext* ctx,
                                           const v1::ListActivitiesRequest* req,
                                           v1::ListActivitiesResponse* resp) override;
  grpc::ServerUnaryReactor* GetActivityTask(grpc::CallbackServerContext* ctx,
                                            const v1::GetActivityTaskRequest* req,
                                            v1::GetActivityTaskResponse* resp) override;

  // ---- tags (server/states_service_tags.cc) ----
  grpc::ServerUnaryReactor* TagResource(grpc::CallbackServerContext* ctx,
                                        const v1::TagResourceRequest* req,
                                        v1::TagResourceResponse* resp) override;
  grpc::ServerUnaryReactor* UntagResource(grpc::CallbackServerContext* ctx,
                                          const v1::UntagResourceRequest* req,
                                          v1::UntagResourceResponse* resp) override;
  grpc::ServerUnaryReactor* ListTagsForResource(grpc::CallbackServerContext* ctx,
                                                const v1::ListTagsForResourceRequest* req,
                                                v1::ListTagsForResourceResponse* resp) override;

  // ---- versions and aliases (server/states_service_versions.cc) ----
  grpc::ServerUnaryReactor* PublishStateMachineVersion(
      grpc::CallbackServerContext* ctx, const v1::PublishStateMachineVersionRequest* req,
      v1::PublishStateMachineVersionResponse* resp) override;
  grpc::ServerUnaryReactor* ListStateMachineVersions(
      grpc::CallbackServerContext* ctx, const v1::ListStateMachineVersionsRequest* req,
      v1::ListStateMachineVersionsResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteStateMachineVersion(
      grpc::CallbackServerContext* ctx, const v1::DeleteStateMachineVersionRequest* req,
      v1::DeleteStateMachineVersionResponse* resp) override;
  grpc::ServerUnaryReactor* CreateStateMachineAlias(
      grpc::CallbackServerContext* ctx, const v1::CreateStateMachineAliasRequest* req,
      v1::CreateStateMachineAliasResponse* resp) override;
  grpc::ServerUnaryReactor* DescribeStateMachineAlias(
      grpc::CallbackServerContext* ctx, const v1::DescribeStateMachineAliasRequest* req,
      v1::DescribeStateMachineAliasResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateStateMachineAlias(
      grpc::CallbackServerContext* ctx, const v1::UpdateStateMachineAliasRequest* req,
      v1::UpdateStateMachineAliasResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteStateMachineAlias(
      grpc::CallbackServerContext* ctx, const v1::DeleteStateMachineAliasRequest* req,
      v1::DeleteStateMachineAliasResponse* resp) override;
  grpc::ServerUnaryReactor* ListStateMachineAliases(
      grpc::CallbackServerContext* ctx, const v1::ListStateMachineAliasesRequest* req,
      v1::ListStateMachineAliasesResponse* resp) override;

  // ---- Map Runs (states_service_map_runs.cc) ----
  grpc::ServerUnaryReactor* DescribeMapRun(grpc::CallbackServerContext* ctx,
                                           const v1::DescribeMapRunRequest* req,
                                           v1::DescribeMapRunResponse* resp) override;
  grpc::ServerUnaryReactor* ListMapRuns(grpc::CallbackServerContext* ctx,
                                        const v1::ListMapRunsRequest* req,
                                        v1::ListMapRunsResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateMapRun(grpc::CallbackServerContext* ctx,
                                         const v1::UpdateMapRunRequest* req,
                                         v1::UpdateMapRunResponse* resp) override;
  grpc::ServerUnaryReactor* GetFunctionTask(grpc::CallbackServerContext* ctx,
                                            const v1::GetFunctionTaskRequest* req,
                                            v1::GetFunctionTaskResponse* resp) override;
  grpc::ServerUnaryReactor* SendTaskSuccess(grpc::CallbackServerContext* ctx,
                                            const v1::SendTaskSuccessRequest* req,
                                            v1::SendTaskSuccessResponse* resp) override;
  grpc::ServerUnaryReactor* SendTaskFailure(grpc::CallbackServerContext* ctx,
                                            const v1::SendTaskFailureRequest* req,
                                            v1::SendTaskFailureResponse* resp) override;
  grpc::ServerUnaryReactor* SendTaskHeartbeat(grpc::CallbackServerContext* ctx,
                                              const v1::SendTaskHeartbeatRequest* req,
                                              v1::SendTaskHeartbeatResponse* resp) override;

  // ---- administration ----
  // Runs StatesServiceOptions::backup on `dir`, which must be an absolute
  // path that does not exist (INVALID_ARGUMENT / ALREADY_EXISTS otherwise).
  grpc::ServerUnaryReactor* Backup(grpc::CallbackServerContext* ctx, const v1::BackupRequest* req,
                                   v1::BackupResponse* resp) override;

  // ---- search (server/states_service_search.cc) ----
  grpc::ServerUnaryReactor* PutIndexedFields(grpc::CallbackServerContext* ctx,
                                             const v1::PutIndexedFieldsRequest* req,
                                             v1::PutIndexedFieldsResponse* resp) override;
  grpc::ServerUnaryReactor* GetIndexedFields(grpc::CallbackServerContext* ctx,
                                             const v1::GetIndexedFieldsRequest* req,
                                             v1::GetIndexedFieldsResponse* resp) override;
  grpc::ServerUnaryReactor* SearchExecutions(grpc::CallbackServerContext* ctx,
                                             const v1::SearchExecutionsRequest* req,
                                             v1::SearchExecutionsResponse* resp) override;
  grpc::ServerUnaryReactor* CountExecutions(grpc::CallbackServerContext* ctx,
                                            const v1::CountExecutionsRequest* req,
                                            v1::CountExecutionsResponse* resp) override;
  // ---- batch operations (server/states_service_batch.cc) ----
  grpc::ServerUnaryReactor* StartBatchOperation(grpc::CallbackServerContext* ctx,
                                                const v1::StartBatchOperationRequest* req,
                                                v1::StartBatchOperationResponse* resp) override;
  grpc::ServerUnaryReactor* DescribeBatchOperation(grpc::CallbackServerContext* ctx,
                                                   const v1::DescribeBatchOperationRequest* req,
                                                   v1::BatchOperation* resp) override;
  grpc::ServerUnaryReactor* ListBatchOperations(grpc::CallbackServerContext* ctx,
                                                const v1::ListBatchOperationsRequest* req,
                                                v1::ListBatchOperationsResponse* resp) override;
  grpc::ServerUnaryReactor* CancelBatchOperation(grpc::CallbackServerContext* ctx,
                                                 const v1::CancelBatchOperationRequest* req,
                                                 v1::CancelBatchOperationResponse* resp) override;
  // ---- restart from any state (states_service_restart.cc) ----
  grpc::ServerUnaryReactor* RestartExecution(grpc::CallbackServerContext* ctx,
                                             const v1::RestartExecutionRequest* req,
                                             v1::RestartExecutionResponse* resp) override;
  // ---- cluster (states_service_cluster.cc) ----
  grpc::ServerUnaryReactor* DescribeCluster(grpc::CallbackServerContext* ctx,
                                            const v1::DescribeClusterRequest* req,
                                            v1::DescribeClusterResponse* resp) override;

 private:
  // What the audit log records about one RPC: its name, the resource the
  // request names and, when set, a function giving the resource the call
  // made (read after success, e.g. the new ARN).
  // (No member initializers: `{}` must work as a default argument inside
  // the class; value-initialised, `action` is null.)
  struct AuditSpec {
    const char* action;
    std::string resource;
    std::function<std::string()> made;
  };
  // Runs `fn` (a blocking engine call filling the response) on the pool and
  // finishes the reactor with its status; audited when `audit.action` is set.
  grpc::ServerUnaryReactor* RunBlocking(grpc::CallbackServerContext* ctx,
                                        std::function<absl::Status()> fn,
                                        AuditSpec audit = {});
  // Starts an asynchronous engine call (`start` gets the callback that
  // finishes the reactor with the call's status) on the calling gRPC thread:
  // no pool thread waits for it. Audited as RunBlocking.
  using StatusDone = std::function<void(absl::Status)>;
  grpc::ServerUnaryReactor* RunAsync(grpc::CallbackServerContext* ctx,
                                     std::function<void(StatusDone)> start, AuditSpec audit);
  // `fn` (a blocking engine call) as a start function for RunAsync: it runs
  // on the pool.
  std::function<void(StatusDone)> OnPool(std::function<absl::Status()> fn);
  // `here` (a start function for RunAsync) routed in cluster mode
  // (server/cluster_router.h): run here when this node holds
  // `execution_arn`'s shard, else forwarded to its owner as `method` with
  // `request`, the owner's answer filling `response`. Without a router,
  // `here` itself.
  std::function<void(StatusDone)> Routed(grpc::CallbackServerContext* ctx, const char* method,
                                         std::string execution_arn,
                                         std::shared_ptr<const google::protobuf::Message> request,
                                         google::protobuf::Message* response,
                                         std::function<void(StatusDone)> here);
  // A worker queue's long poll (GetActivityTask, GetFunctionTask): `poll`
  // starts the engine's poll for at most `timeout_ms`, fills the response
  // and calls `done` with the status and whether a task was handed out
  // (audited only then).
  grpc::ServerUnaryReactor* LongPoll(
      grpc::CallbackServerContext* ctx, AuditSpec audit,
      std::function<void(int64_t timeout_ms, std::function<void(absl::Status, bool)> done,
                         std::function<bool()> is_cancelled)>
          poll);
  // A worker queue's poll (server/states_service_polls.cc): `here` (this
  // node's engine poll for a given time) as the whole poll without a
  // cluster task poller; as a take for another node (a call marked
  // forwarded, already admitted) `here` without waiting; otherwise the
  // ClusterTaskPoller's rounds over every node, a take sent to a peer as
  // `method` with `request`, its answer filling `response` (`handed_out`
  // then says whether it holds a task).
  void PollAnyNode(grpc::CallbackServerContext* ctx, const char* method, std::string queue,
                   const google::protobuf::Message& request, google::protobuf::Message* response,
                   std::function<bool()> handed_out, int64_t timeout_ms,
                   std::function<bool()> is_cancelled,
                   std::function<void(int64_t timeout_ms, PollDone done)> here,
                   std::function<void(absl::Status, bool)> done);
  // The audit log's caller for `ctx`: bearer-token fingerprint, client
  // certificate subject or "anonymous".
  std::string CallerOf(grpc::CallbackServerContext* ctx) const;
  // The execution a task token names, for routing ("" without a router or
  // for a token that does not decode: the engine answers that one).
  std::string TaskExecution(const std::string& token) const;
  // "taskToken:<fingerprint>", the audit log's resource for a task report;
  // "" without an audit log (the fingerprint is a SHA-256 not worth taking).
  std::string TaskTokenResource(const std::string& token) const;
  // Records one audited call (no-op without an audit log).
  void Audit(const std::string& caller, const std::string& peer, const AuditSpec& spec,
             const absl::Status& status) const;
  // Call accounting for BeginShutdown.
  void Enter();
  void Leave();

  friend class WatchReactor;
  void RemoveWatch(WatchReactor* w);

  engine::Engine* const engine_;
  const StatesServiceOptions options_;

  std::atomic<bool> draining_{false};
  std::mutex mu_;
  std::condition_variable idle_cv_;
  int in_flight_ = 0;                // guarded by mu_
  std::set<WatchReactor*> watches_;  // guarded by mu_
  mutable std::atomic<uint64_t> forwarded_refused_{0};

  // The waits between two reads of a watch served from the database
  // (watch_reactor.h); stopped first thing in the destructor, so the pool's
  // last work cannot schedule more.
  DelayTimer watch_timer_;
  // Last member: destroyed (joined) first.
  BlockingPool pool_;
};

}  // namespace stepwise::server

#endif  // SW_SERVER_STATES_SERVICE_H_
