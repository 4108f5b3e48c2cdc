// `stepwise list [ARN] --where QUERY [--count]` and `stepwise machine
// index-fields ARN [NAME=SOURCE:PATH...] [--file FILE] [--clear]`: search
// across executions and the fields a machine indexes for it, on stepwised
// (gRPC SearchExecutions, CountExecutions, PutIndexedFields,
// GetIndexedFields; docs/search.md). Called from RunRemote on the main
// thread.
#ifndef SW_CLI_SEARCH_CMD_H_
#define SW_CLI_SEARCH_CMD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/cli_args.h"
#include "client/client.h"
#include "stepwise/v1/service.pb.h"

namespace stepwise::client {

// NAME=SOURCE:PATH operands as fields: SOURCE is input, output or variables
// (any case); PATH a JSONPath, or a JSONata expression written {% ... %}.
// kInvalidArgument naming the operand that is not of that shape.
absl::StatusOr<std::vector<v1::IndexedField>> ParseIndexFieldOperands(
    const std::vector<std::string>& operands);

// True for the commands SearchCommand runs: `machine index-fields`, and
// `list` with --where or --count or without a machine.
bool IsSearchCommand(const RemoteArgs& a);

// Runs one; kExitOk, kExitCallFailed when stepwised refuses, kExitUsage for
// bad operands or an unreadable --file.
int SearchCommand(const RemoteArgs& a, Client& c);

// `stepwise bench --workload search-load|search-query` (cli/bench_search.cc).
int RunSearchBench(const RemoteArgs& a, Client& c);

}  // namespace stepwise::client

#endif  // SW_CLI_SEARCH_CMD_H_
