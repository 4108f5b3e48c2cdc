// Undecodable gRPC requests get an AWS-shaped error. gRPC decodes each
// request before any handler runs; when the bytes are not a valid message of
// the method's request type (malformed or truncated, an invalid field
// tag, a string that is not UTF-8, no message at all), gRPC 1.51's callback server
// answers UNIMPLEMENTED with no message. This server interceptor, installed
// by server/main.cc on the stepwise.v1.States methods, notices that the
// decoded request is missing and rewrites the final status to
// INVALID_ARGUMENT carrying `SerializationException` (as the AWS JSON
// endpoint names a body that does not parse) and a message naming the
// request type. The call never reaches StatesService, so nothing runs and
// nothing is stored. Calls that decode are left untouched: the interceptor
// only records one flag on the way in and reads it on the way out.
// Thread-safe (one interceptor per call).
#ifndef SW_SERVER_DECODE_ERRORS_H_
#define SW_SERVER_DECODE_ERRORS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_interceptor.h"

namespace stepwise::server {

// Returns the status an undecodable request to `method` (the full gRPC
// name, "/stepwise.v1.States/StartExecution") gets: SerializationException
// naming the request message type.
absl::Status UndecodableRequestError(absl::string_view method);

// Returns the interceptor factory for grpc::ServerBuilder::experimental()
// .SetInterceptorCreators. `admit` (may be null) is asked first about a call
// whose request did not decode: when it refuses (unauthenticated caller,
// server shutting down), the caller gets that error instead, so an
// unauthenticated client learns nothing more from garbage than from a valid
// request. `admit` must outlive the server's calls.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeDecodeErrorInterceptorFactory(
    std::function<absl::Status(grpc::ServerContextBase* ctx)> admit);

}  // namespace stepwise::server

#endif  // SW_SERVER_DECODE_ERRORS_H_
