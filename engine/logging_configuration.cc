// loggingConfiguration rules and record form (see logging_configuration.h).
// Pure; any thread.
#include "engine/logging_configuration.h"

#include <cctype>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/service_error.h"

namespace stepwise::engine {

namespace {

constexpr std::string_view kMustHaveOneDestination =
    "Invalid Logging Configuration: Must specify exactly one Log Destination.";

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

// CloudWatch Logs' rule for log group names: 1-512 of [.-_/#A-Za-z0-9].
bool ValidLogGroupName(std::string_view name) {
  if (name.empty() || name.size() > 512) return false;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
              c == '_' || c == '/' || c == '#';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string LogGroupName(std::string_view arn) {
  // arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME:*
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t colon = arn.find(':', start);
    parts.push_back(arn.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() != 8 || parts[0] != "arn" || parts[1].empty() || parts[2] != "logs" ||
      parts[3].empty() || !AllDigits(parts[4]) || parts[4].size() != 12 ||
      parts[5] != "log-group" || !ValidLogGroupName(parts[6]) || parts[7] != "*") {
    return "";
  }
  return std::string(parts[6]);
}

absl::Status CheckLoggingConfiguration(const LoggingConfiguration& c) {
  if (c.level != "ALL" && c.level != "ERROR" && c.level != "FATAL" && c.level != "OFF") {
    return ServiceError("ValidationException",
                        absl::StrCat("1 validation error detected: Value '", c.level,
                                     "' at 'loggingConfiguration.level' failed to satisfy "
                                     "constraint: Member must satisfy enum value set: "
                                     "[ALL, ERROR, FATAL, OFF]"));
  }
  if (c.log_group_arns.size() > 1) {
    return ServiceError("InvalidLoggingConfiguration", kMustHaveOneDestination);
  }
  if (c.level != "OFF" && c.log_group_arns.empty()) {
    return ServiceError("InvalidLoggingConfiguration", kMustHaveOneDestination);
  }
  for (const std::string& arn : c.log_group_arns) {
    if (LogGroupName(arn).empty()) {
      return ServiceError(
          "InvalidLoggingConfiguration",
          absl::StrCat("Invalid Logging Configuration: Invalid logGroupArn '", arn,
                       "': must be arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*"));
    }
  }
  return absl::OkStatus();
}

json::object LoggingConfigurationRecord(const LoggingConfiguration& c) {
  json::array arns;
  for (const std::string& a : c.log_group_arns) arns.emplace_back(json::string(a));
  json::object o;
  o["level"] = json::string(c.level);
  o["include_execution_data"] = c.include_execution_data;
  o["log_group_arns"] = std::move(arns);
  return o;
}

LoggingConfiguration LoggingConfigurationFromRecord(const json::object& machine_record) {
  LoggingConfiguration c;
  auto it = machine_record.find("logging_configuration");
  if (it == machine_record.end() || !it->value().is_object()) return c;
  const json::object& o = it->value().get_object();
  if (auto l = o.find("level"); l != o.end() && l->value().is_string()) {
    c.level = std::string(l->value().get_string());
  }
  if (auto i = o.find("include_execution_data"); i != o.end() && i->value().is_bool()) {
    c.include_execution_data = i->value().get_bool();
  }
  if (auto a = o.find("log_group_arns"); a != o.end() && a->value().is_array()) {
    for (const json::value& v : a->value().get_array()) {
      if (v.is_string()) c.log_group_arns.emplace_back(v.get_string());
    }
  }
  return c;
}

}  // namespace stepwise::engine
