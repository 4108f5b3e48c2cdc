// ClusterExecutionCalls: the server's side of engine::RemoteExecutions
// (engine/remote_executions.h). When the engine starts, stops or redrives
// an execution whose shard another node holds (a parent's child execution,
// a Map Run's child), the call goes to that node as the public
// StartExecution / StopExecution / RedriveExecution, through the cluster
// router (server/cluster_router.h: the owner looked up in the database,
// the call signed with the cluster secret by server/cluster_forwarder.h,
// sent again once if the shard moved meanwhile). The owner answers as it
// answers any client; its AWS error names come back as engine service
// errors, so ExecutionAlreadyExists still means "adopt it".
//
// It is built before the engine (the engine's ClusterOwnership holds it)
// and bound to the router once that exists; unbound, and when the router
// finds that this node holds the shard after all, calls answer kUnavailable,
// which the engine retries (here first).
//
// Threads: any thread; never blocks; `done` runs on a gRPC callback thread
// or the router's pool. Bind/Unbind from main only: Unbind waits for calls
// in flight, so the router and forwarder may be destroyed after it.
#ifndef SW_SERVER_CLUSTER_EXECUTION_CALLS_H_
#define SW_SERVER_CLUSTER_EXECUTION_CALLS_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "engine/remote_executions.h"
#include "server/cluster_forwarder.h"
#include "server/cluster_router.h"

namespace stepwise::server {

class ClusterExecutionCalls final : public engine::RemoteExecutions {
 public:
  // `node_id` names this node as the caller in the owner's audit log.
  void Bind(ClusterRouter* router, ClusterForwarder* forwarder, std::string node_id);
  void Unbind();

  void Start(const std::string& machine_arn, const std::string& name, const std::string& input,
             std::function<void(absl::StatusOr<engine::StartExecutionResult>)> done) override;
  void Stop(const std::string& arn, const std::string& error, const std::string& cause,
            std::function<void(absl::StatusOr<TimeMs>)> done) override;
  void Redrive(const std::string& arn, const std::string& client_token,
               std::function<void(absl::StatusOr<TimeMs>)> done) override;

 private:
  // Routes `method` on `arn` with `request`; `done` gets the status with
  // `response` filled. Answers kUnavailable when unbound.
  void Call(const char* method, std::string arn,
            std::shared_ptr<const google::protobuf::Message> request,
            std::shared_ptr<google::protobuf::Message> response,
            std::function<void(absl::Status)> done);

  std::mutex mu_;
  std::condition_variable idle_;
  ClusterRouter* router_ = nullptr;        // guarded by mu_
  ClusterForwarder* forwarder_ = nullptr;  // guarded by mu_
  std::string caller_;                     // guarded by mu_
  int in_flight_ = 0;                      // guarded by mu_
};

}  // namespace stepwise::server

#endif  // SW_SERVER_CLUSTER_EXECUTION_CALLS_H_
