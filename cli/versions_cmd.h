// `stepwise machine publish MACHINE`, `machine versions MACHINE` and
// `stepwise alias create|update|describe|delete|list`: versions and aliases
// of a state machine on stepwised (gRPC PublishStateMachineVersion,
// ListStateMachineVersions, *StateMachineAlias*). Called from RunRemote on
// the main thread.
#ifndef SW_CLI_VERSIONS_CMD_H_
#define SW_CLI_VERSIONS_CMD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/cli_args.h"
#include "client/client.h"
#include "stepwise/v1/service.pb.h"

namespace stepwise::client {

// VERSION=WEIGHT operands as routing entries of the machine `machine_arn`
// (VERSION a number, or a version ARN). kInvalidArgument naming the operand.
absl::StatusOr<std::vector<v1::RoutingConfigurationListItem>> ParseRouteOperands(
    const std::string& machine_arn, const std::vector<std::string>& operands);

// True for the commands VersionsCommand runs.
bool IsVersionsCommand(const std::string& command);

// Runs one of them. Returns kExitOk, kExitCallFailed when stepwised refuses,
// or kExitUsage for a routing operand that is not VERSION=WEIGHT.
int VersionsCommand(const RemoteArgs& a, Client& c);

}  // namespace stepwise::client

#endif  // SW_CLI_VERSIONS_CMD_H_
