// Stepwise's extensions on the AWS JSON endpoint: actions AWS does not
// have, sent as X-Amz-Target "Stepwise.<Action>" with the same JSON 1.0
// framing, authentication, errors and audit as AWS's actions (docs/
// aws-extensions.md lists them). AwsJsonApi sends such targets here; each
// room of extensions (restart, search, batch operations) has its own file
// and finder, asked in turn by FindStepwiseAwsAction. Handlers run on
// AwsJsonApi's pool, like AWS's.
#ifndef SW_SERVER_AWS_JSON_EXTENSIONS_H_
#define SW_SERVER_AWS_JSON_EXTENSIONS_H_

#include <string_view>

#include "server/aws_json_actions.h"

namespace stepwise::server {

// The target prefix of the extensions.
inline constexpr std::string_view kStepwiseTargetPrefix = "Stepwise.";

// True when `target` (the whole X-Amz-Target) names an extension.
bool IsStepwiseExtensionTarget(std::string_view target);

// The handler of the extension `target` ("Stepwise.<Action>"), null when
// there is none.
AwsAction FindStepwiseAwsAction(std::string_view target);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_EXTENSIONS_H_
