// The ARN a name on the command line stands for: an ARN as given, else the
// state machine or activity of that name, found by listing them over the
// client (StateMachineDoesNotExist / ActivityDoesNotExist / ResourceNotFound,
// as AWS names them, when there is none). Main thread (any thread that owns
// the Client call).
#ifndef SW_CLI_RESOLVE_NAMES_H_
#define SW_CLI_RESOLVE_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "client/client.h"

namespace stepwise::client {

absl::StatusOr<std::string> ResolveStateMachine(Client& c, const std::string& name);
absl::StatusOr<std::string> ResolveActivity(Client& c, const std::string& name);
// A state machine of that name, else an activity (tags take either).
absl::StatusOr<std::string> ResolveMachineOrActivity(Client& c, const std::string& name);

}  // namespace stepwise::client

#endif  // SW_CLI_RESOLVE_NAMES_H_
