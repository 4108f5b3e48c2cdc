#include "server/status_conversion.h"

#include "engine/service_error.h"
#include "engine/tags.h"
#include "stepwise/v1/service.pb.h"

namespace stepwise::server {

grpc::StatusCode ToGrpcCode(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return grpc::StatusCode::OK;
    case absl::StatusCode::kCancelled: return grpc::StatusCode::CANCELLED;
    case absl::StatusCode::kUnknown: return grpc::StatusCode::UNKNOWN;
    case absl::StatusCode::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case absl::StatusCode::kDeadlineExceeded: return grpc::StatusCode::DEADLINE_EXCEEDED;
    case absl::StatusCode::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case absl::StatusCode::kAlreadyExists: return grpc::StatusCode::ALREADY_EXISTS;
    case absl::StatusCode::kPermissionDenied: return grpc::StatusCode::PERMISSION_DENIED;
    case absl::StatusCode::kResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case absl::StatusCode::kFailedPrecondition: return grpc::StatusCode::FAILED_PRECONDITION;
    case absl::StatusCode::kAborted: return grpc::StatusCode::ABORTED;
    case absl::StatusCode::kOutOfRange: return grpc::StatusCode::OUT_OF_RANGE;
    case absl::StatusCode::kUnimplemented: return grpc::StatusCode::UNIMPLEMENTED;
    case absl::StatusCode::kInternal: return grpc::StatusCode::INTERNAL;
    case absl::StatusCode::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case absl::StatusCode::kDataLoss: return grpc::StatusCode::DATA_LOSS;
    case absl::StatusCode::kUnauthenticated: return grpc::StatusCode::UNAUTHENTICATED;
    default: return grpc::StatusCode::UNKNOWN;
  }
}

std::string AwsErrorName(const absl::Status& s) {
  if (s.ok()) return "";
  std::string name = engine::ServiceErrorName(s);
  if (!name.empty()) return name;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return "ValidationException";
    case absl::StatusCode::kNotFound: return "ResourceNotFound";
    case absl::StatusCode::kAlreadyExists: return "ConflictException";
    case absl::StatusCode::kResourceExhausted: return "ThrottlingException";
    case absl::StatusCode::kUnauthenticated: return "UnrecognizedClientException";
    case absl::StatusCode::kPermissionDenied: return "AccessDeniedException";
    case absl::StatusCode::kUnavailable: return "ServiceUnavailable";
    case absl::StatusCode::kDeadlineExceeded: return "RequestTimeout";
    case absl::StatusCode::kUnimplemented: return "UnknownOperationException";
    default: return "InternalFailure";
  }
}

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  v1::ErrorInfo info;
  info.set_error(AwsErrorName(s));
  info.set_message(std::string(s.message()));
  info.set_resource_name(engine::TaggedResourceName(s));
  return grpc::Status(ToGrpcCode(s.code()), std::string(s.message()),
                      info.SerializeAsString());
}

}  // namespace stepwise::server
