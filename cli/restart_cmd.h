// `stepwise restart EXEC_ARN --from STATE [--event-id N] [--input JSON|@FILE]
// [--name N] [--json]`: restart from any state (gRPC RestartExecution, a
// Stepwise extension): a new execution of a closed execution's revision
// beginning at top-level state STATE with the input that state's entry was
// recorded with (or --input). Called from RunRemote on the main thread.
#ifndef SW_CLI_RESTART_CMD_H_
#define SW_CLI_RESTART_CMD_H_

#include "cli/cli_args.h"
#include "client/client.h"

namespace stepwise::client {

// Runs `stepwise restart`. Prints the new execution's ARN (with --json
// {"executionArn", "startDate"}). Returns kExitOk, kExitCallFailed when
// stepwised refuses, or kExitUsage for an --input that is not JSON.
int RestartCommand(const RemoteArgs& a, Client& c);

}  // namespace stepwise::client

#endif  // SW_CLI_RESTART_CMD_H_
