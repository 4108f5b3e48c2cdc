#include "engine/service_error.h"

#include "absl/strings/cord.h"
#include "common/strings.h"

namespace stepwise::engine {

namespace {
constexpr char kPayloadUrl[] = "stepwise/aws-error";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace

absl::Status ServiceError(std::string_view aws_name, std::string_view message) {
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  if (EndsWith(aws_name, "DoesNotExist") || aws_name == "ResourceNotFound") {
    code = absl::StatusCode::kNotFound;
  } else if (EndsWith(aws_name, "AlreadyExists")) {
    code = absl::StatusCode::kAlreadyExists;
  } else if (aws_name == "TaskTimedOut" || aws_name == "ExecutionNotRedrivable" ||
             aws_name == "ExecutionNotRestartable" ||
             aws_name == "StateMachineDeleting") {
    code = absl::StatusCode::kFailedPrecondition;
  } else if (EndsWith(aws_name, "LimitExceeded")) {
    code = absl::StatusCode::kResourceExhausted;
  }
  absl::Status s(code, ToAbsl(message));
  s.SetPayload(kPayloadUrl, absl::Cord(ToAbsl(aws_name)));
  return s;
}

std::string ServiceErrorName(const absl::Status& s) {
  if (s.ok()) return "";
  auto p = s.GetPayload(kPayloadUrl);
  return p.has_value() ? std::string(*p) : "";
}

}  // namespace stepwise::engine
