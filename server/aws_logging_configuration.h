// The loggingConfiguration member of the AWS JSON API (CreateStateMachine,
// UpdateStateMachine in; DescribeStateMachine out): botocore's
// LoggingConfiguration shape to engine::LoggingConfiguration and back.
// The rules on its values (level, destinations, ARN shape) are the
// engine's (engine/logging_configuration.h). Pure functions; any thread.
#ifndef SW_SERVER_AWS_LOGGING_CONFIGURATION_H_
#define SW_SERVER_AWS_LOGGING_CONFIGURATION_H_

#include "absl/status/statusor.h"
#include "common/json.h"
#include "engine/api_types.h"

namespace stepwise::server {

// Reads {"level", "includeExecutionData", "destinations":
// [{"cloudWatchLogsLogGroup": {"logGroupArn"}}]}: SerializationException
// naming the member when one has the wrong JSON type, ValidationException
// for a logGroupArn outside 1-256 characters. Absent members take AWS's
// defaults (level OFF, includeExecutionData false).
absl::StatusOr<engine::LoggingConfiguration> LoggingConfigurationFromAws(const json::value& v);

// AWS's shape: level and includeExecutionData always, destinations when
// there are any.
json::object LoggingConfigurationToAws(const engine::LoggingConfiguration& c);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_LOGGING_CONFIGURATION_H_
