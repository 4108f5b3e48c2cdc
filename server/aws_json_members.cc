// Shared pieces of the AWS JSON action files (see aws_json_members.h).
// Any thread.
#include "server/aws_json_members.h"

#include <cmath>
#include <cstdint>
#include <string>

namespace stepwise::server {

absl::Status AwsSerializationError(std::string_view message) {
  return engine::ServiceError("SerializationException", message);
}

json::value AwsSeconds(TimeMs ms) { return json::value(static_cast<double>(ms) / 1000.0); }

std::string AwsBody(const json::object& o) { return SerializeJson(json::value(o)); }

absl::Status AwsValidationError(std::string_view message) {
  return engine::ServiceError("ValidationException", message);
}

absl::Status AwsConstraintError(std::string_view value, std::string_view member,
                                std::string_view constraint) {
  return AwsValidationError(absl::StrCat("1 validation error detected: Value ", ToAbsl(value),
                                         " at '", ToAbsl(member),
                                         "' failed to satisfy constraint: ", ToAbsl(constraint)));
}

absl::Status AwsMissingMember(std::string_view member) {
  return AwsConstraintError("null", member, "Member must not be null");
}

std::string AwsEnumConstraint(const std::string_view* allowed, size_t n) {
  std::string out = "Member must satisfy enum value set: [";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += ", ";
    out += allowed[i];
  }
  return out + "]";
}

json::object AwsExecutionListItem(const engine::ExecutionDescription& d) {
  json::object o{{"executionArn", d.execution_arn},
                 {"stateMachineArn", d.state_machine_arn},
                 {"name", d.name},
                 {"status", d.status},
                 {"startDate", AwsSeconds(d.start_date)}};
  if (d.stop_date != 0) o["stopDate"] = AwsSeconds(d.stop_date);
  if (d.redrive_count > 0) o["redriveCount"] = d.redrive_count;
  if (!d.version_arn.empty()) o["stateMachineVersionArn"] = d.version_arn;
  if (!d.alias_arn.empty()) o["stateMachineAliasArn"] = d.alias_arn;
  if (!d.map_run_arn.empty()) o["mapRunArn"] = d.map_run_arn;
  if (d.item_count) o["itemCount"] = *d.item_count;  // ListExecutions(mapRunArn) only
  return o;
}

const json::value* Members::Get(std::string_view name) const {
  auto it = o_.find(name);
  if (it == o_.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

std::optional<std::string> Members::Str(std::string_view name) {
  const json::value* v = Get(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    Fail(AwsSerializationError(absl::StrCat("member '", ToAbsl(name), "' must be a string")));
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::string Members::Need(std::string_view name) {
  if (Get(name) == nullptr) {
    Fail(AwsMissingMember(name));
    return "";
  }
  return Str(name).value_or("");
}

std::optional<int64_t> Members::Int(std::string_view name) {
  const json::value* v = Get(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v->as_uint64());
  }
  if (v->is_double() && IsIntegral(*v) && std::abs(v->as_double()) < 9e15) {
    return static_cast<int64_t>(v->as_double());
  }
  Fail(AwsSerializationError(absl::StrCat("member '", ToAbsl(name), "' must be an integer")));
  return std::nullopt;
}

std::optional<bool> Members::Bool(std::string_view name) {
  const json::value* v = Get(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_bool()) {
    Fail(AwsSerializationError(absl::StrCat("member '", ToAbsl(name), "' must be a boolean")));
    return std::nullopt;
  }
  return v->as_bool();
}

std::optional<std::string> Members::NextToken(size_t max_length) {
  std::optional<std::string> token = Str("nextToken");
  if (token.has_value() && token->size() > max_length) {
    Fail(AwsConstraintError(absl::StrCat("'", *token, "'"), "nextToken",
                            absl::StrCat("Member must have length less than or equal to ",
                                         max_length)));
    return std::nullopt;
  }
  return token;
}

int Members::MaxResults(int64_t max) {
  std::optional<int64_t> n = Int("maxResults");
  if (!n.has_value()) return 0;
  if (*n < 0) {
    Fail(AwsConstraintError(absl::StrCat("'", *n, "'"), "maxResults",
                            "Member must have value greater than or equal to 0"));
    return 0;
  }
  if (*n > max) {
    Fail(AwsConstraintError(absl::StrCat("'", *n, "'"), "maxResults",
                            absl::StrCat("Member must have value less than or equal to ", max)));
    return 0;
  }
  return static_cast<int>(*n);
}

}  // namespace stepwise::server
