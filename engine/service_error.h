// Service errors: a failed API call carries AWS's error name (e.g.
// "ExecutionDoesNotExist") as a status payload next to a canonical code, so
// every front end (gRPC, AWS JSON over HTTP, the CLI) reports the same name.
// Pure functions; thread-safe.
#ifndef SW_ENGINE_SERVICE_ERROR_H_
#define SW_ENGINE_SERVICE_ERROR_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace stepwise::engine {

// Returns a status with the canonical code that fits `aws_name` (kNotFound
// for *DoesNotExist, kAlreadyExists for *AlreadyExists, kInvalidArgument for
// Invalid*/ValidationException, kFailedPrecondition for TaskTimedOut,
// ExecutionNotRedrivable and ExecutionNotRestartable, kResourceExhausted for
// *LimitExceeded) carrying the name.
absl::Status ServiceError(std::string_view aws_name, std::string_view message);

// The AWS error name carried by `s`, or "" when it carries none.
std::string ServiceErrorName(const absl::Status& s);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_SERVICE_ERROR_H_
