// States-language runtime errors (States.Runtime, States.ParameterPathFailure,
// user errors from Fail states, ...) carried inside absl::Status so they flow
// through SW_RETURN_IF_ERROR. The AWS error name rides as a status payload;
// the message is AWS's cause text. Thread-safe (pure functions).
//
// A runtime error is not a server failure: the interpreter turns it into
// history events and hands it to Retry/Catch. Any Status without the payload
// is a genuine internal failure.
#ifndef SW_ENGINE_ASL_ERRORS_H_
#define SW_ENGINE_ASL_ERRORS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace stepwise::asl {

// Well-known error names.
inline constexpr std::string_view kStatesAll = "States.ALL";
inline constexpr std::string_view kStatesRuntime = "States.Runtime";
inline constexpr std::string_view kStatesTimeout = "States.Timeout";
inline constexpr std::string_view kStatesTaskFailed = "States.TaskFailed";
inline constexpr std::string_view kStatesParameterPathFailure =
    "States.ParameterPathFailure";
inline constexpr std::string_view kStatesResultPathMatchFailure =
    "States.ResultPathMatchFailure";
inline constexpr std::string_view kStatesIntrinsicFailure =
    "States.IntrinsicFailure";
inline constexpr std::string_view kStatesNoChoiceMatched =
    "States.NoChoiceMatched";
inline constexpr std::string_view kStatesBranchFailed = "States.BranchFailed";
inline constexpr std::string_view kStatesExceedToleratedFailureThreshold =
    "States.ExceedToleratedFailureThreshold";
inline constexpr std::string_view kStatesDataLimitExceeded =
    "States.DataLimitExceeded";
inline constexpr std::string_view kStatesHeartbeatTimeout =
    "States.HeartbeatTimeout";
inline constexpr std::string_view kStatesQueryEvaluationError =
    "States.QueryEvaluationError";

// Returns a Status that carries the runtime error `name` with `cause`.
absl::Status RuntimeError(std::string_view name, std::string_view cause);

// Returns the runtime error name carried by `s`, or "" when there is none.
std::string RuntimeErrorName(const absl::Status& s);

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_ERRORS_H_
