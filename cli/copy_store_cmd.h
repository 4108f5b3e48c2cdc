// `stepwise admin copy-store`: the offline copy of a whole store between a
// RocksDB data directory and PostgreSQL (either way, or alike to alike),
// with a row-by-row verification (storage/store_copy.h does the work; this
// opens the stores and reports). Runs on the main thread only.
#ifndef SW_CLI_COPY_STORE_CMD_H_
#define SW_CLI_COPY_STORE_CMD_H_

#include "cli/cli_args.h"

namespace stepwise::client {

// Runs `admin copy-store` with the parsed flags (--from, --to, --verify,
// --verify-only, --allow-non-empty, --batch-rows). Progress goes to stderr,
// the summary to stdout. Returns 0 when copied (and verified equal), 1 when
// a store fails or the stores differ, 2 for an unusable --from/--to.
int CopyStoreCommand(const RemoteArgs& args);

}  // namespace stepwise::client

#endif  // SW_CLI_COPY_STORE_CMD_H_
