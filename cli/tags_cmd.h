// `stepwise tag ARN KEY=VALUE...`, `stepwise untag ARN KEY...` and
// `stepwise tags ARN [--json]`: the tags of a state machine or an activity
// on stepwised (gRPC TagResource, UntagResource, ListTagsForResource).
// Called from RunRemote on the main thread.
#ifndef SW_CLI_TAGS_CMD_H_
#define SW_CLI_TAGS_CMD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/cli_args.h"
#include "client/client.h"
#include "stepwise/v1/service.pb.h"

namespace stepwise::client {

// KEY=VALUE operands as tags (split at the first '='; "k=" is an empty
// value). kInvalidArgument naming the operand without '='.
absl::StatusOr<std::vector<v1::Tag>> ParseTagOperands(const std::vector<std::string>& operands);

// Runs one of the three commands (RemoteArgs::command "tag", "untag" or
// "tags"; the resource is an ARN, or the name of a state machine or else of
// an activity). Returns kExitOk, kExitCallFailed when stepwised refuses, or
// kExitUsage for an operand that is not KEY=VALUE.
int TagsCommand(const RemoteArgs& a, Client& c);

}  // namespace stepwise::client

#endif  // SW_CLI_TAGS_CMD_H_
