#include "client/client.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/cord.h"
#include "common/strings.h"
#include "grpcpp/grpcpp.h"

namespace stepwise::client {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read TLS file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::chrono::system_clock::time_point DeadlineAfter(absl::Duration d) {
  return std::chrono::system_clock::now() + absl::ToChronoMicroseconds(d);
}

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return StatusFromGrpc(static_cast<int>(s.error_code()), s.error_message(),
                        s.error_details());
}

}  // namespace

std::string AwsErrorName(const absl::Status& status) {
  auto payload = status.GetPayload(kAwsErrorPayloadUrl);
  if (!payload) return "";
  return std::string(*payload);
}

absl::Status WithAwsErrorName(absl::Status status, absl::string_view aws_error) {
  if (!status.ok() && !aws_error.empty()) {
    status.SetPayload(kAwsErrorPayloadUrl, absl::Cord(aws_error));
  }
  return status;
}

absl::Status StatusFromGrpc(int code, absl::string_view message,
                            absl::string_view details) {
  if (code == 0) return absl::OkStatus();
  if (code < 0 || code > 16) code = static_cast<int>(absl::StatusCode::kUnknown);
  std::string text(message);
  std::string aws_error;
  if (!details.empty()) {
    v1::ErrorInfo info;
    if (info.ParseFromArray(details.data(), static_cast<int>(details.size()))) {
      aws_error = info.error();
      if (text.empty()) text = info.message();
    }
  }
  absl::Status status(static_cast<absl::StatusCode>(code), text);
  return WithAwsErrorName(std::move(status), aws_error);
}

void CallCanceller::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

bool CallCanceller::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

bool CallCanceller::Attach(grpc::ClientContext* context) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cancelled_) return false;
  context_ = context;
  return true;
}

void CallCanceller::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  context_ = nullptr;
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(
    const ClientOptions& options) {
  if (options.endpoint.empty()) {
    return absl::InvalidArgumentError("endpoint must not be empty");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (options.tls_ca_file || options.tls_cert_file || options.tls_key_file) {
    grpc::SslCredentialsOptions ssl;
    if (options.tls_ca_file) {
      auto pem = ReadPem(*options.tls_ca_file);
      if (!pem.ok()) return pem.status();
      ssl.pem_root_certs = *pem;
    }
    if (options.tls_cert_file) {
      auto pem = ReadPem(*options.tls_cert_file);
      if (!pem.ok()) return pem.status();
      ssl.pem_cert_chain = *pem;
    }
    if (options.tls_key_file) {
      auto pem = ReadPem(*options.tls_key_file);
      if (!pem.ok()) return pem.status();
      ssl.pem_private_key = *pem;
    }
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  // Reconnect within a second of the server coming back (gRPC's default
  // backoff grows to 120 s; workers and lambda-runtime outlive restarts).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // gRPC reads the "min reconnect backoff" as the least time one connection
  // attempt is given. At 100 ms a busy server (a loaded box, a sanitizer
  // build) that had accepted the connection but not yet sent its HTTP/2
  // SETTINGS failed the call with UNAVAILABLE ("connection attempt timed
  // out before receiving SETTINGS frame"). One second, as long as the
  // longest backoff; a refused connection still fails at once and is
  // retried on the backoff above.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);
  auto channel = grpc::CreateCustomChannel(options.endpoint, creds, args);
  if (channel == nullptr) {
    return absl::InvalidArgumentError("cannot create a channel to " +
                                      options.endpoint);
  }
  return std::unique_ptr<Client>(new Client(options, std::move(channel)));
}

Client::Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      stub_(v1::States::NewStub(channel_)) {}

absl::Status Client::WaitForConnected(absl::Duration timeout) {
  if (channel_->WaitForConnected(DeadlineAfter(timeout))) {
    return absl::OkStatus();
  }
  return absl::UnavailableError("cannot connect to " + options_.endpoint);
}

void Client::Prepare(grpc::ClientContext& context,
                     absl::Duration timeout) const {
  if (timeout != absl::InfiniteDuration()) {
    context.set_deadline(DeadlineAfter(timeout));
  }
  if (!options_.bearer_token.empty()) {
    context.AddMetadata("authorization", "Bearer " + options_.bearer_token);
  }
}

template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> Client::Unary(Method method, const Request& request,
                                       absl::Duration timeout,
                                       CallCanceller* canceller) {
  grpc::ClientContext context;
  Prepare(context, timeout);
  if (canceller != nullptr && !canceller->Attach(&context)) {
    return absl::CancelledError("call cancelled");
  }
  Response response;
  grpc::Status status;
  try {
    status = ((*stub_).*method)(&context, request, &response);
  } catch (...) {
    status = grpc::Status(grpc::StatusCode::INTERNAL, "exception in gRPC call");
  }
  if (canceller != nullptr) canceller->Detach();
  if (!status.ok()) return FromGrpc(status);
  return response;
}

#define SW_UNARY(Name, Resp)                                               \
  absl::StatusOr<v1::Resp> Client::Name(const v1::Name##Request& request) { \
    return Unary<v1::Name##Request, v1::Resp>(&v1::States::Stub::Name,     \
                                              request, options_.timeout);  \
  }
#define SW_UNARY_STATUS(Name)                                              \
  absl::Status Client::Name(const v1::Name##Request& request) {            \
    return Unary<v1::Name##Request, v1::Name##Response>(                   \
               &v1::States::Stub::Name, request, options_.timeout)         \
        .status();                                                         \
  }

SW_UNARY(CreateStateMachine, CreateStateMachineResponse)
SW_UNARY(DescribeStateMachine, DescribeStateMachineResponse)
SW_UNARY(UpdateStateMachine, UpdateStateMachineResponse)
SW_UNARY_STATUS(DeleteStateMachine)
SW_UNARY(ListStateMachines, ListStateMachinesResponse)
SW_UNARY(DescribeStateMachineForExecution, DescribeStateMachineResponse)
SW_UNARY(ValidateStateMachineDefinition, ValidateStateMachineDefinitionResponse)
SW_UNARY(TestState, TestStateResponse)
SW_UNARY(StartExecution, StartExecutionResponse)
SW_UNARY(StopExecution, StopExecutionResponse)

absl::StatusOr<v1::StartSyncExecutionResponse> Client::StartSyncExecution(
    const v1::StartSyncExecutionRequest& request) {
  return Unary<v1::StartSyncExecutionRequest, v1::StartSyncExecutionResponse>(
      &v1::States::Stub::StartSyncExecution, request,
      std::max(options_.timeout, absl::Minutes(5) + absl::Seconds(10)));
}
SW_UNARY(RedriveExecution, RedriveExecutionResponse)
SW_UNARY(RestartExecution, RestartExecutionResponse)
SW_UNARY(DescribeExecution, DescribeExecutionResponse)
SW_UNARY(ListExecutions, ListExecutionsResponse)
SW_UNARY(GetExecutionHistory, GetExecutionHistoryResponse)
SW_UNARY(CreateActivity, CreateActivityResponse)
SW_UNARY(DescribeActivity, DescribeActivityResponse)
SW_UNARY_STATUS(DeleteActivity)
SW_UNARY(ListActivities, ListActivitiesResponse)
SW_UNARY_STATUS(SendTaskSuccess)
SW_UNARY_STATUS(SendTaskFailure)
SW_UNARY_STATUS(SendTaskHeartbeat)
SW_UNARY_STATUS(TagResource)
SW_UNARY_STATUS(UntagResource)
SW_UNARY(ListTagsForResource, ListTagsForResourceResponse)
SW_UNARY(StartBatchOperation, StartBatchOperationResponse)
SW_UNARY(DescribeBatchOperation, BatchOperation)
SW_UNARY(ListBatchOperations, ListBatchOperationsResponse)
SW_UNARY_STATUS(CancelBatchOperation)
SW_UNARY(PublishStateMachineVersion, PublishStateMachineVersionResponse)
SW_UNARY(ListStateMachineVersions, ListStateMachineVersionsResponse)
SW_UNARY_STATUS(DeleteStateMachineVersion)
SW_UNARY(CreateStateMachineAlias, CreateStateMachineAliasResponse)
SW_UNARY(DescribeStateMachineAlias, DescribeStateMachineAliasResponse)
SW_UNARY(UpdateStateMachineAlias, UpdateStateMachineAliasResponse)
SW_UNARY_STATUS(DeleteStateMachineAlias)
SW_UNARY(ListStateMachineAliases, ListStateMachineAliasesResponse)
SW_UNARY(DescribeMapRun, DescribeMapRunResponse)
SW_UNARY(ListMapRuns, ListMapRunsResponse)
SW_UNARY_STATUS(PutIndexedFields)
SW_UNARY(GetIndexedFields, GetIndexedFieldsResponse)
SW_UNARY(SearchExecutions, SearchExecutionsResponse)
SW_UNARY(CountExecutions, CountExecutionsResponse)
SW_UNARY(DescribeCluster, DescribeClusterResponse)

#undef SW_UNARY
#undef SW_UNARY_STATUS

absl::StatusOr<v1::BackupResponse> Client::Backup(const v1::BackupRequest& request) {
  return Unary<v1::BackupRequest, v1::BackupResponse>(&v1::States::Stub::Backup, request,
                                                      absl::Minutes(10));
}

absl::StatusOr<v1::GetActivityTaskResponse> Client::GetActivityTask(
    const v1::GetActivityTaskRequest& request, CallCanceller* canceller) {
  return Unary<v1::GetActivityTaskRequest, v1::GetActivityTaskResponse>(
      &v1::States::Stub::GetActivityTask, request, options_.poll_timeout,
      canceller);
}

absl::StatusOr<v1::GetFunctionTaskResponse> Client::GetFunctionTask(
    const v1::GetFunctionTaskRequest& request, CallCanceller* canceller) {
  return Unary<v1::GetFunctionTaskRequest, v1::GetFunctionTaskResponse>(
      &v1::States::Stub::GetFunctionTask, request, options_.poll_timeout,
      canceller);
}

absl::Status Client::WatchExecution(
    const v1::WatchExecutionRequest& request,
    const std::function<bool(const v1::HistoryEvent&)>& on_event,
    CallCanceller* canceller) {
  grpc::ClientContext context;
  Prepare(context, absl::InfiniteDuration());
  if (canceller != nullptr && !canceller->Attach(&context)) {
    return absl::CancelledError("call cancelled");
  }
  grpc::Status status;
  bool stopped_by_caller = false;
  try {
    std::unique_ptr<grpc::ClientReader<v1::HistoryEvent>> reader =
        stub_->WatchExecution(&context, request);
    v1::HistoryEvent event;
    while (reader->Read(&event)) {
      if (!on_event(event)) {
        stopped_by_caller = true;
        context.TryCancel();
        break;
      }
    }
    status = reader->Finish();
  } catch (...) {
    status = grpc::Status(grpc::StatusCode::INTERNAL, "exception in gRPC call");
  }
  if (canceller != nullptr) canceller->Detach();
  if (stopped_by_caller) return absl::OkStatus();
  return FromGrpc(status);
}

}  // namespace stepwise::client
