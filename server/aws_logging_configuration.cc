// loggingConfiguration in and out of the AWS JSON API (see
// aws_logging_configuration.h). Pure; any thread.
#include "server/aws_logging_configuration.h"

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/service_error.h"
#include "server/aws_json_actions.h"

namespace stepwise::server {

namespace {

absl::Status WrongType(std::string_view member, std::string_view what) {
  return AwsSerializationError(absl::StrCat("member '", ToAbsl(member), "' must be ", ToAbsl(what)));
}

// The member `name` of `o`, null when absent or JSON null (as AWS's
// deserializers treat null).
const json::value* Member(const json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

}  // namespace

absl::StatusOr<engine::LoggingConfiguration> LoggingConfigurationFromAws(const json::value& v) {
  constexpr std::string_view kMember = "loggingConfiguration";
  if (!v.is_object()) return WrongType(kMember, "an object");
  const json::object& o = v.get_object();
  engine::LoggingConfiguration c;
  if (const json::value* level = Member(o, "level"); level != nullptr) {
    if (!level->is_string()) return WrongType("loggingConfiguration.level", "a string");
    c.level = std::string(level->get_string());
  }
  if (const json::value* inc = Member(o, "includeExecutionData"); inc != nullptr) {
    if (!inc->is_bool()) {
      return WrongType("loggingConfiguration.includeExecutionData", "a boolean");
    }
    c.include_execution_data = inc->get_bool();
  }
  const json::value* dests = Member(o, "destinations");
  if (dests == nullptr) return c;
  if (!dests->is_array()) return WrongType("loggingConfiguration.destinations", "a list");
  size_t index = 0;
  for (const json::value& d : dests->get_array()) {
    ++index;
    std::string at = absl::StrCat("loggingConfiguration.destinations.", index, ".member");
    if (d.is_null()) continue;
    if (!d.is_object()) return WrongType(at, "an object");
    const json::value* group = Member(d.get_object(), "cloudWatchLogsLogGroup");
    // A destination without a log group names no destination: the engine
    // answers as for a missing one.
    if (group == nullptr) continue;
    if (!group->is_object()) return WrongType(at + ".cloudWatchLogsLogGroup", "an object");
    const json::value* arn = Member(group->get_object(), "logGroupArn");
    if (arn == nullptr) continue;
    std::string arn_at = at + ".cloudWatchLogsLogGroup.logGroupArn";
    if (!arn->is_string()) return WrongType(arn_at, "a string");
    std::string_view text = arn->get_string();
    if (text.empty() || text.size() > 256) {
      return engine::ServiceError(
          "ValidationException",
          absl::StrCat("1 validation error detected: Value '", ToAbsl(text), "' at '", arn_at,
                       "' failed to satisfy constraint: Member must have length ",
                       text.empty() ? "greater than or equal to 1"
                                    : "less than or equal to 256"));
    }
    c.log_group_arns.emplace_back(text);
  }
  return c;
}

json::object LoggingConfigurationToAws(const engine::LoggingConfiguration& c) {
  json::object o{{"level", c.level}, {"includeExecutionData", c.include_execution_data}};
  if (!c.log_group_arns.empty()) {
    json::array dests;
    for (const std::string& arn : c.log_group_arns) {
      dests.emplace_back(
          json::object{{"cloudWatchLogsLogGroup", json::object{{"logGroupArn", arn}}}});
    }
    o["destinations"] = std::move(dests);
  }
  return o;
}

}  // namespace stepwise::server
