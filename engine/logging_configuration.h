// A state machine's loggingConfiguration: the rules AWS applies to it
// (InvalidLoggingConfiguration in AWS's words) and its form in the machine's
// catalog record. Pure functions; any thread.
#ifndef SW_ENGINE_LOGGING_CONFIGURATION_H_
#define SW_ENGINE_LOGGING_CONFIGURATION_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/json.h"
#include "engine/api_types.h"

namespace stepwise::engine {

// OK when AWS would accept `c`: a known level, at most one destination,
// one destination whenever the level is not OFF, and each log group ARN
// of the shape arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME:*.
// Otherwise InvalidLoggingConfiguration (ValidationException for an
// unknown level).
absl::Status CheckLoggingConfiguration(const LoggingConfiguration& c);

// The log group name of a well-formed log group ARN ("" when it is not one).
std::string LogGroupName(std::string_view log_group_arn);

// The catalog record's form: {"level", "include_execution_data",
// "log_group_arns": [...]}. FromRecord gives AWS's default for a record
// that has none (machines created before the field existed).
json::object LoggingConfigurationRecord(const LoggingConfiguration& c);
LoggingConfiguration LoggingConfigurationFromRecord(const json::object& machine_record);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_LOGGING_CONFIGURATION_H_
