// The Stepwise.RestartExecution extension on the AWS JSON endpoint
// (restart from any state): {executionArn, stateName, eventId?, input?,
// name?} -> {executionArn, startDate}, over Engine::RestartExecution
// (engine/restart.h). FindStepwiseAwsAction (server/aws_json_extensions.cc)
// asks FindRestartAwsAction. Handlers run on AwsJsonApi's pool (a blocking
// engine call).
#ifndef SW_SERVER_AWS_JSON_RESTART_H_
#define SW_SERVER_AWS_JSON_RESTART_H_

#include <string_view>

#include "server/aws_json_actions.h"

namespace stepwise::server {

// The handler of a restart extension `action` (without "Stepwise."), null
// for any other name.
AwsAction FindRestartAwsAction(std::string_view action);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_RESTART_H_
