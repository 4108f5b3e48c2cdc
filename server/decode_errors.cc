#include "server/decode_errors.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "engine/service_error.h"
#include "google/protobuf/descriptor.h"
#include "server/status_conversion.h"

namespace stepwise::server {

namespace {

constexpr absl::string_view kServicePrefix = "/stepwise.v1.States/";

using grpc::experimental::InterceptionHookPoints;

class DecodeErrorInterceptor final : public grpc::experimental::Interceptor {
 public:
  DecodeErrorInterceptor(grpc::experimental::ServerRpcInfo* info,
                         const std::function<absl::Status(grpc::ServerContextBase*)>* admit)
      : info_(info), admit_(admit) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // For unary and server-streaming methods gRPC decodes the one request
    // before the handler runs and hands the interceptors a null message
    // exactly when that failed.
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      undecodable_ = true;
    }
    if (undecodable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      absl::Status refusal = *admit_ ? (*admit_)(info_->server_context()) : absl::OkStatus();
      methods->ModifySendStatus(
          ToGrpcStatus(refusal.ok() ? UndecodableRequestError(info_->method()) : refusal));
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* const info_;
  const std::function<absl::Status(grpc::ServerContextBase*)>* const admit_;
  bool undecodable_ = false;
};

class DecodeErrorInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit DecodeErrorInterceptorFactory(
      std::function<absl::Status(grpc::ServerContextBase*)> admit)
      : admit_(std::move(admit)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // Only our service, and only methods with exactly one request message
    // (on streams from the client, a null message means end of stream).
    using Type = grpc::experimental::ServerRpcInfo::Type;
    if (info->type() != Type::UNARY && info->type() != Type::SERVER_STREAMING) return nullptr;
    if (info->method() == nullptr || !absl::StartsWith(info->method(), kServicePrefix)) {
      return nullptr;
    }
    return new DecodeErrorInterceptor(info, &admit_);
  }

 private:
  const std::function<absl::Status(grpc::ServerContextBase*)> admit_;
};

}  // namespace

absl::Status UndecodableRequestError(absl::string_view method) {
  // "/stepwise.v1.States/StartExecution" -> "stepwise.v1.States.StartExecution".
  std::string full = absl::StrReplaceAll(absl::StripPrefix(method, "/"), {{"/", "."}});
  std::string type = "request";
  if (const google::protobuf::MethodDescriptor* m =
          google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full)) {
    type = m->input_type()->full_name();
  }
  return engine::ServiceError(
      "SerializationException",
      absl::StrCat("the request body does not decode as a ", type,
                   " protocol buffer message (malformed or truncated bytes, an invalid "
                   "field tag, or a string field that is not UTF-8)"));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeDecodeErrorInterceptorFactory(
    std::function<absl::Status(grpc::ServerContextBase* ctx)> admit) {
  return std::make_unique<DecodeErrorInterceptorFactory>(std::move(admit));
}

}  // namespace stepwise::server
