// The `stepwise` commands that talk to stepwised (everything but run-local
// and validate): RunRemote dispatches on RemoteArgs::command. RunBench is
// the load generator (bench.cc). Called once from main; not thread-safe.
#ifndef SW_CLIENT_CLI_REMOTE_H_
#define SW_CLIENT_CLI_REMOTE_H_

#include "cli/cli_args.h"
#include "client/client.h"

namespace stepwise::client {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCallFailed = 1;
inline constexpr int kExitUsage = 2;

// Runs one remote command; returns the process exit code.
int RunRemote(const RemoteArgs& args);

// Prints "error: NAME: message" on stderr and returns kExitCallFailed.
int CallFailed(const absl::Status& status);

// Runs `stepwise bench`; prints one JSON object on stdout.
int RunBench(const RemoteArgs& args, Client& client);

}  // namespace stepwise::client

#endif  // SW_CLIENT_CLI_REMOTE_H_
