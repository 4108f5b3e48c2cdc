// `stepwise map-run describe MAP_RUN_ARN` and `stepwise map-run list
// EXECUTION_ARN`: the Map Runs of Distributed Maps on stepwised (gRPC
// DescribeMapRun, ListMapRuns). Called from RunRemote on the main thread.
#ifndef SW_CLI_MAP_RUN_CMD_H_
#define SW_CLI_MAP_RUN_CMD_H_

#include "cli/cli_args.h"
#include "client/client.h"

namespace stepwise::client {

// Runs "map-run describe" or "map-run list" (RemoteArgs::command). Returns
// kExitOk, or kExitCallFailed when stepwised refuses.
int MapRunCommand(const RemoteArgs& a, Client& c);

}  // namespace stepwise::client

#endif  // SW_CLI_MAP_RUN_CMD_H_
