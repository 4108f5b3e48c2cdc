// `stepwise batch stop|redrive [MACHINE] [--status S] [--where QUERY]
// [--error E --cause C] [--wait]`, `batch list`, `batch describe ID` and
// `batch cancel ID`: batch operations on stepwised (gRPC
// StartBatchOperation, ListBatchOperations, DescribeBatchOperation,
// CancelBatchOperation). Called from RunRemote on the main thread.
#ifndef SW_CLI_BATCH_CMD_H_
#define SW_CLI_BATCH_CMD_H_

#include "cli/cli_args.h"
#include "client/client.h"

namespace stepwise::client {

// Runs one `batch ...` command (RemoteArgs::command "batch stop", "batch
// redrive", "batch list", "batch describe", "batch cancel"). Returns
// kExitOk; kExitCallFailed when stepwised refuses, or when --wait saw the
// job end other than SUCCEEDED.
int BatchCommand(const RemoteArgs& a, Client& c);

}  // namespace stepwise::client

#endif  // SW_CLI_BATCH_CMD_H_
