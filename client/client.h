// stepwise::client::Client: a blocking C++ client for the Stepwise gRPC API
// (proto/stepwise/v1/service.proto), one method per RPC. Failed calls return
// an absl::Status whose code mirrors the gRPC code and whose payload carries
// the AWS error name (see AwsErrorName). Used by the `stepwise` CLI, the
// ActivityWorker and `stepwise bench`. A Client is thread-safe: many threads
// may call it at once; CallCanceller is thread-safe too.
#ifndef SW_CLIENT_CLIENT_H_
#define SW_CLIENT_CLIENT_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "stepwise/v1/service.grpc.pb.h"

namespace grpc {
class ClientContext;
}  // namespace grpc

namespace stepwise::client {

namespace v1 = ::stepwise::v1;

// The default daemon address.
inline constexpr char kDefaultEndpoint[] = "127.0.0.1:7700";
// The absl::Status payload key under which the AWS error name is stored.
inline constexpr char kAwsErrorPayloadUrl[] =
    "type.googleapis.com/stepwise.v1.ErrorInfo";

struct ClientOptions {
  std::string endpoint = kDefaultEndpoint;
  // Sent as "authorization: Bearer <token>" when not empty.
  std::string bearer_token;
  // TLS is used when any of these is set. PEM file paths: the CA that signed
  // the server certificate (system roots when empty), and a client
  // certificate and key for mTLS.
  std::optional<std::string> tls_ca_file;
  std::optional<std::string> tls_cert_file;
  std::optional<std::string> tls_key_file;
  // Deadline of each unary call (the long polls use poll_timeout).
  absl::Duration timeout = absl::Seconds(30);
  // Deadline of GetActivityTask and GetFunctionTask: longer than the server's 60 s long poll.
  absl::Duration poll_timeout = absl::Seconds(65);
};

// Returns the AWS error name carried by `status` (e.g. "ExecutionDoesNotExist"),
// or "" when it carries none.
std::string AwsErrorName(const absl::Status& status);

// Returns `status` with `aws_error` attached as its AWS error name.
absl::Status WithAwsErrorName(absl::Status status, absl::string_view aws_error);

// Converts a gRPC status (numeric code, message, binary details holding a
// serialized stepwise.v1.ErrorInfo or nothing) into an absl::Status with the
// AWS error name attached. Exposed for tests.
absl::Status StatusFromGrpc(int code, absl::string_view message,
                            absl::string_view details);

// Cancels one call in flight from another thread (used to stop long polls).
// Cancel() before the call starts makes the call fail at once as kCancelled.
class CallCanceller {
 public:
  void Cancel();
  bool cancelled() const;

 private:
  friend class Client;
  // Registers the context of the call starting; returns false when already
  // cancelled.
  bool Attach(grpc::ClientContext* context);
  void Detach();

  mutable std::mutex mu_;
  grpc::ClientContext* context_ = nullptr;
  bool cancelled_ = false;
};

class Client {
 public:
  // Creates a client for `options.endpoint`. Does not wait for the
  // connection (the first call does). Returns kInvalidArgument for an empty
  // endpoint and kNotFound for an unreadable TLS file.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(
      const ClientOptions& options);

  // Waits until the channel is connected, up to `timeout`. Returns
  // kUnavailable when it is not.
  absl::Status WaitForConnected(absl::Duration timeout);

  // State machines.
  absl::StatusOr<v1::CreateStateMachineResponse> CreateStateMachine(
      const v1::CreateStateMachineRequest& request);
  absl::StatusOr<v1::DescribeStateMachineResponse> DescribeStateMachine(
      const v1::DescribeStateMachineRequest& request);
  absl::StatusOr<v1::UpdateStateMachineResponse> UpdateStateMachine(
      const v1::UpdateStateMachineRequest& request);
  absl::Status DeleteStateMachine(const v1::DeleteStateMachineRequest& request);
  absl::StatusOr<v1::ListStateMachinesResponse> ListStateMachines(
      const v1::ListStateMachinesRequest& request);
  absl::StatusOr<v1::DescribeStateMachineResponse>
  DescribeStateMachineForExecution(
      const v1::DescribeStateMachineForExecutionRequest& request);
  absl::StatusOr<v1::ValidateStateMachineDefinitionResponse>
  ValidateStateMachineDefinition(
      const v1::ValidateStateMachineDefinitionRequest& request);
  // Runs one state once (AWS's TestState).
  absl::StatusOr<v1::TestStateResponse> TestState(const v1::TestStateRequest& request);

  // Executions.
  absl::StatusOr<v1::StartExecutionResponse> StartExecution(
      const v1::StartExecutionRequest& request);
  // EXPRESS machines only: answers when the execution has closed (deadline:
  // the longer of options.timeout and the Express limit, 5 minutes, + 10 s).
  absl::StatusOr<v1::StartSyncExecutionResponse> StartSyncExecution(
      const v1::StartSyncExecutionRequest& request);
  absl::StatusOr<v1::StopExecutionResponse> StopExecution(
      const v1::StopExecutionRequest& request);
  absl::StatusOr<v1::RedriveExecutionResponse> RedriveExecution(
      const v1::RedriveExecutionRequest& request);
  // Restart from any state (Stepwise extension).
  absl::StatusOr<v1::RestartExecutionResponse> RestartExecution(
      const v1::RestartExecutionRequest& request);
  absl::StatusOr<v1::DescribeExecutionResponse> DescribeExecution(
      const v1::DescribeExecutionRequest& request);
  absl::StatusOr<v1::ListExecutionsResponse> ListExecutions(
      const v1::ListExecutionsRequest& request);
  absl::StatusOr<v1::GetExecutionHistoryResponse> GetExecutionHistory(
      const v1::GetExecutionHistoryRequest& request);
  // Streams the execution's history events to `on_event` as they are
  // committed, blocking until the server ends the stream (the execution
  // closed), `on_event` returns false (then returns OK), or the call fails.
  // No deadline.
  absl::Status WatchExecution(
      const v1::WatchExecutionRequest& request,
      const std::function<bool(const v1::HistoryEvent&)>& on_event,
      CallCanceller* canceller = nullptr);

  // Activities and task reports.
  absl::StatusOr<v1::CreateActivityResponse> CreateActivity(
      const v1::CreateActivityRequest& request);
  absl::StatusOr<v1::DescribeActivityResponse> DescribeActivity(
      const v1::DescribeActivityRequest& request);
  absl::Status DeleteActivity(const v1::DeleteActivityRequest& request);

  // ---- tags of state machines and activities ----
  absl::Status TagResource(const v1::TagResourceRequest& request);
  absl::Status UntagResource(const v1::UntagResourceRequest& request);
  absl::StatusOr<v1::ListTagsForResourceResponse> ListTagsForResource(
      const v1::ListTagsForResourceRequest& request);

  // ---- search (Stepwise extensions) ----
  absl::Status PutIndexedFields(const v1::PutIndexedFieldsRequest& request);
  absl::StatusOr<v1::GetIndexedFieldsResponse> GetIndexedFields(
      const v1::GetIndexedFieldsRequest& request);
  absl::StatusOr<v1::SearchExecutionsResponse> SearchExecutions(
      const v1::SearchExecutionsRequest& request);
  absl::StatusOr<v1::CountExecutionsResponse> CountExecutions(
      const v1::CountExecutionsRequest& request);
  // ---- batch operations (a Stepwise extension) ----
  absl::StatusOr<v1::StartBatchOperationResponse> StartBatchOperation(
      const v1::StartBatchOperationRequest& request);
  absl::StatusOr<v1::BatchOperation> DescribeBatchOperation(
      const v1::DescribeBatchOperationRequest& request);
  absl::StatusOr<v1::ListBatchOperationsResponse> ListBatchOperations(
      const v1::ListBatchOperationsRequest& request);
  absl::Status CancelBatchOperation(const v1::CancelBatchOperationRequest& request);

  // ---- versions and aliases of state machines ----
  absl::StatusOr<v1::PublishStateMachineVersionResponse> PublishStateMachineVersion(
      const v1::PublishStateMachineVersionRequest& request);
  absl::StatusOr<v1::ListStateMachineVersionsResponse> ListStateMachineVersions(
      const v1::ListStateMachineVersionsRequest& request);
  absl::Status DeleteStateMachineVersion(const v1::DeleteStateMachineVersionRequest& request);
  absl::StatusOr<v1::CreateStateMachineAliasResponse> CreateStateMachineAlias(
      const v1::CreateStateMachineAliasRequest& request);
  absl::StatusOr<v1::DescribeStateMachineAliasResponse> DescribeStateMachineAlias(
      const v1::DescribeStateMachineAliasRequest& request);
  absl::StatusOr<v1::UpdateStateMachineAliasResponse> UpdateStateMachineAlias(
      const v1::UpdateStateMachineAliasRequest& request);
  absl::Status DeleteStateMachineAlias(const v1::DeleteStateMachineAliasRequest& request);
  absl::StatusOr<v1::ListStateMachineAliasesResponse> ListStateMachineAliases(
      const v1::ListStateMachineAliasesRequest& request);
  absl::StatusOr<v1::DescribeMapRunResponse> DescribeMapRun(
      const v1::DescribeMapRunRequest& request);
  absl::StatusOr<v1::ListMapRunsResponse> ListMapRuns(const v1::ListMapRunsRequest& request);
  absl::StatusOr<v1::ListActivitiesResponse> ListActivities(
      const v1::ListActivitiesRequest& request);
  // Long-polls for a task (deadline: options.poll_timeout). An empty
  // task_token in the response means none arrived.
  absl::StatusOr<v1::GetActivityTaskResponse> GetActivityTask(
      const v1::GetActivityTaskRequest& request,
      CallCanceller* canceller = nullptr);
  // Long-polls a function queue (Lambda Tasks served by workers) for an
  // invocation (deadline: options.poll_timeout). An empty task_token in the
  // response means none arrived.
  absl::StatusOr<v1::GetFunctionTaskResponse> GetFunctionTask(
      const v1::GetFunctionTaskRequest& request,
      CallCanceller* canceller = nullptr);
  absl::Status SendTaskSuccess(const v1::SendTaskSuccessRequest& request);
  absl::Status SendTaskFailure(const v1::SendTaskFailureRequest& request);
  absl::Status SendTaskHeartbeat(const v1::SendTaskHeartbeatRequest& request);
  // Has the server checkpoint its data directory to `request.dir` (a path
  // on the server's filesystem that must not exist). Deadline: 10 minutes
  // (a copy across filesystems can take a while).
  absl::StatusOr<v1::BackupResponse> Backup(const v1::BackupRequest& request);
  // Cluster mode: the nodes and their shards (ValidationException when the
  // server is not in cluster mode).
  absl::StatusOr<v1::DescribeClusterResponse> DescribeCluster(
      const v1::DescribeClusterRequest& request);

  const ClientOptions& options() const { return options_; }

 private:
  Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel);

  // Prepares `context`: deadline and authorization metadata.
  void Prepare(grpc::ClientContext& context, absl::Duration timeout) const;

  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> Unary(Method method, const Request& request,
                                 absl::Duration timeout,
                                 CallCanceller* canceller = nullptr);

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::States::Stub> stub_;
};

}  // namespace stepwise::client

#endif  // SW_CLIENT_CLIENT_H_
