// `stepwise test-state`: runs one state once on stepwised (gRPC TestState)
// and prints AWS's TestStateOutput as JSON. Called from RunRemote on the
// main thread.
#ifndef SW_CLI_TEST_STATE_CMD_H_
#define SW_CLI_TEST_STATE_CMD_H_

#include "cli/cli_args.h"
#include "client/client.h"

namespace stepwise::client {

// Builds the TestState request from the flags (JSON flags take JSON text or
// @FILE), calls stepwised and prints {"status", "nextState", "output",
// "error", "cause", "inspectionData"} as AWS answers them. Returns
// kExitOk, kExitCallFailed when stepwised refuses, or 2 on a bad flag.
int TestStateCommand(const RemoteArgs& a, Client& c);

}  // namespace stepwise::client

#endif  // SW_CLI_TEST_STATE_CMD_H_
