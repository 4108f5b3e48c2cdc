// The console's view of a state machine's versions and aliases (the
// `machine` endpoint's "versions" and "aliases"): each version with its
// number, description and date, each alias with its routing (versions and
// weights). Reads the engine's catalog; console pool threads.
#ifndef SW_SERVER_CONSOLE_VERSIONS_JSON_H_
#define SW_SERVER_CONSOLE_VERSIONS_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "engine/engine.h"

namespace stepwise::server::console {

// {"versions": [{stateMachineVersionArn, version (N of MACHINE:N),
// description, creationDate (epoch ms)}] newest first, the first
// `max_versions` with "versionsCapped" true when there are more;
// "aliases": [{stateMachineAliasArn, name, description, creationDate,
// updateDate, routingConfiguration: [{stateMachineVersionArn, version,
// weight}]}]} for the unqualified machine `machine_arn`. Errors as
// ListStateMachineVersions / ListStateMachineAliases give them.
absl::StatusOr<json::object> VersionsJson(engine::Engine* engine, const std::string& machine_arn,
                                          int max_versions = 100);

}  // namespace stepwise::server::console

#endif  // SW_SERVER_CONSOLE_VERSIONS_JSON_H_
