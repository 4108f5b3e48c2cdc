// Status conversion: the only place an absl::Status becomes a grpc::Status.
// The gRPC code follows the absl code (NOT_FOUND, ALREADY_EXISTS, ...) and
// the status details carry a serialized stepwise.v1.ErrorInfo whose `error`
// is the AWS error name (engine/service_error.h), or a generic AWS name
// derived from the code when the status carries none. Used by the gRPC
// service; pure functions, thread-safe.
#ifndef SW_SERVER_STATUS_CONVERSION_H_
#define SW_SERVER_STATUS_CONVERSION_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace stepwise::server {

// Returns the gRPC code that matches `code`.
grpc::StatusCode ToGrpcCode(absl::StatusCode code);

// Returns the AWS error name for `s`: the one it carries, else a generic
// name by code ("ValidationException", "ResourceNotFound",
// "ServiceUnavailable", "InternalFailure", ...). "" for OK.
std::string AwsErrorName(const absl::Status& s);

// Converts `s` to a grpc::Status with the matching code, the message, and a
// serialized stepwise.v1.ErrorInfo{error, message} as the details.
grpc::Status ToGrpcStatus(const absl::Status& s);

}  // namespace stepwise::server

#endif  // SW_SERVER_STATUS_CONVERSION_H_
