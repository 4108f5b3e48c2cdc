// `stepwise jsonata`: evaluates a JSONata expression from the command line.
// Used by cli_main.cc; thread-compatible.
#ifndef SW_CLIENT_JSONATA_CMD_H_
#define SW_CLIENT_JSONATA_CMD_H_

#include <string>
#include <vector>

namespace stepwise::client {

// Runs `stepwise jsonata --expr EXPR [--input FILE | --no-input]
// [--bindings JSON]` (args exclude "jsonata"). Prints {"result": …},
// {"undefined": true} or {"error": {"code", "message"}} and returns 0 in all
// three cases; returns 2 for bad arguments or an unreadable input.
int JsonataCommand(const std::vector<std::string>& args);

}  // namespace stepwise::client

#endif  // SW_CLIENT_JSONATA_CMD_H_
