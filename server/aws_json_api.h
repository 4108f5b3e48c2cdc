// AwsJsonApi: the AWS Step Functions wire protocol (AWS JSON 1.0) over the
// engine, so the AWS CLI and AWS SDKs work against stepwised unchanged:
// `POST /` with `X-Amz-Target: AWSStepFunctions.<Action>` and a JSON body
// of AWS's (camelCase) request members; the reply carries AWS's response
// members (timestamps as fractional epoch seconds) or an AWS-shaped error:
// HTTP 400 (402/409 for ServiceQuotaExceededException/ConflictException,
// 5xx for server-side trouble) with `{"__type": "<Name>", "message": ...}`
// and the `x-amzn-ErrorType` header. Every reply has `x-amzn-RequestId`.
//
// Like StatesService (the gRPC front end) it only translates: the engine
// decides each action's behaviour, with the same limits and messages over
// both APIs. Threads: Handle, called on the HTTP listener's I/O thread,
// only hands the request to a pool owned by this object, which
// authenticates it, parses the body and runs the action
// (server/aws_json_actions.h): blocking engine calls there;
// StartExecution, GetActivityTask and SendTask* through the engine's *Async
// forms, so no thread waits out a 60 s long poll or a group commit.
//
// Requests: unknown members are ignored (newer SDKs send members an older
// server does not know; AWS's JSON services ignore them too); a member of
// the wrong JSON type or a body that is not a JSON object gives
// SerializationException; a missing required member gives
// ValidationException naming it. The Host header is not checked (SDKs send
// `sync-` prefixed hosts for StartSyncExecution and TestState). Actions
// Stepwise does not support yet answer UnknownOperationException saying so.
//
// Authentication: with no access keys and no tokens configured, any SigV4
// signature is accepted unchecked. Otherwise a request must carry either a
// valid SigV4 signature (service `states`, any region, ±15 min) by a
// configured access key or `Authorization: Bearer <token>` for a configured
// token; else MissingAuthenticationTokenException,
// UnrecognizedClientException, InvalidSignatureException or
// IncompleteSignatureException as AWS names them (see sigv4.h). A body over
// the listener's limit gets a ValidationException (HTTP 413).
//
// Audit: with AwsJsonApiOptions::audit, mutating actions are recorded
// (server/audit_log.h), with the caller as "token:<fingerprint>",
// "aws:<access key id>", "cert:<client certificate subject>" or "anonymous".
//
// Thread-safe. Handle may be called from any thread and never blocks: it
// only queues the request.
// Destroy after the HTTP server has stopped and before the engine.
#ifndef SW_SERVER_AWS_JSON_API_H_
#define SW_SERVER_AWS_JSON_API_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/test_state/task_targets.h"
#include "server/audit_log.h"
#include "server/blocking_pool.h"
#include "server/http_server.h"

namespace stepwise::storage {
class ShardLeases;
}  // namespace stepwise::storage

namespace stepwise::server {

class ClusterRouter;     // server/cluster_router.h
class ClusterForwarder;  // server/cluster_forwarder.h
class ClusterTaskPoller;  // server/cluster_task_poller.h

struct AwsJsonApiOptions {
  // Threads parsing requests and running blocking engine calls.
  int pool_threads = 4;
  // Access key id → secret access key; non-empty: SigV4 is verified.
  std::map<std::string, std::string> access_keys;
  // Bearer tokens accepted instead of a signature.
  std::vector<std::string> tokens;
  // Unix seconds for the signature's clock-skew check (null: system clock).
  std::function<int64_t()> now_seconds;
  // Called with the state machine ARN of each execution started.
  std::function<void(const std::string&)> on_execution_started;
  // When set (must outlive this object), every mutating action is recorded
  // there, refused callers included; GetActivityTask only when it hands out
  // a task or fails.
  AuditLog* audit = nullptr;
  // What TestState calls for a Task without a mock (server/main.cc: the
  // execution dispatchers' integrations); null: such a Task is refused.
  std::shared_ptr<const engine::TestStateTargets> test_state_targets;
  // Cluster mode: this node's shard leases (must outlive this object), for
  // Stepwise.DescribeCluster; null: the action says the node is not in
  // cluster mode.
  storage::ShardLeases* shard_leases = nullptr;
  // Cluster mode with a cluster secret: the actions acting on one execution
  // run on the owner of its shard (server/aws_json_forward.h). Null: here.
  // Both must outlive this object.
  ClusterRouter* router = nullptr;
  ClusterForwarder* forwarder = nullptr;
  // Cluster mode with a cluster secret: GetActivityTask gets tasks of every
  // node (server/aws_json_cluster_poll.h); needs `forwarder`. Null: this
  // node's only. Must outlive this object.
  ClusterTaskPoller* task_poller = nullptr;
};

class AwsJsonApi {
 public:
  // `engine` must outlive this object.
  AwsJsonApi(engine::Engine* engine, AwsJsonApiOptions options = {});
  // Runs the queued calls (the engine answers them, kUnavailable once shut
  // down), then joins the pool.
  ~AwsJsonApi();

  AwsJsonApi(const AwsJsonApi&) = delete;
  AwsJsonApi& operator=(const AwsJsonApi&) = delete;

  // Registers `POST /` on `http` (before it starts); `http` must not
  // outlive this object's use, i.e. stop it before destroying this.
  void Register(HttpServer* http);

  // Answers one AWS JSON request: `reply` is called exactly once, later
  // and from another thread. Only queues the request for the pool.
  void Handle(HttpRequest request, HttpReplyFn reply);

 private:
  // Handle's work, on a pool thread: authenticate, parse, dispatch.
  void Process(const HttpRequest& request, HttpReplyFn reply);
  std::string NewRequestId();
  // OK, or the AWS error for a request that is not authenticated. Sets
  // `caller` to the identity the audit log records.
  absl::Status Authenticate(const HttpRequest& request, std::string* caller) const;

  engine::Engine* const engine_;
  const AwsJsonApiOptions options_;
  std::atomic<uint64_t> request_counter_{0};
  const uint64_t request_seed_;
  // Last member: destroyed (joined) first.
  BlockingPool pool_;
};

// Returns the HTTP status AWS uses for error `aws_name` (400, 402, 409, or
// 5xx for InternalFailure/ServiceUnavailable).
int AwsErrorHttpStatus(const std::string& aws_name);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_API_H_
