// The AWS JSON 1.0 actions on state machine versions and aliases
// (PublishStateMachineVersion, ListStateMachineVersions,
// DeleteStateMachineVersion, Create/Describe/Update/Delete/
// ListStateMachineAliases): AWS's request members in, the engine's answer
// (engine/catalog_versions.cc, catalog_aliases.cc) out in AWS's shape.
// FindAwsAction (server/aws_json_actions.cc) asks FindVersionAwsAction for
// these names. Handlers run on AwsJsonApi's pool (blocking engine calls).
#ifndef SW_SERVER_AWS_JSON_VERSIONS_H_
#define SW_SERVER_AWS_JSON_VERSIONS_H_

#include <string_view>

#include "server/aws_json_actions.h"

namespace stepwise::server {

// The handler of a version or alias action, null for any other name.
AwsAction FindVersionAwsAction(std::string_view action);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_VERSIONS_H_
