// The search extensions on the AWS JSON endpoint (X-Amz-Target
// "Stepwise.<Action>", docs/aws-extensions.md): PutIndexedFields,
// GetIndexedFields, SearchExecutions and CountExecutions, request members in
// AWS's camelCase, the engine's answer (engine/search/) out.
// FindStepwiseAwsAction (server/aws_json_extensions.cc) asks
// FindSearchAwsAction. Handlers run on AwsJsonApi's pool (blocking engine
// calls that only read the store or write one machine record).
#ifndef SW_SERVER_AWS_JSON_SEARCH_H_
#define SW_SERVER_AWS_JSON_SEARCH_H_

#include <string_view>

#include "server/aws_json_actions.h"

namespace stepwise::server {

// The handler of a search action ("SearchExecutions", without the
// prefix), null for any other name.
AwsAction FindSearchAwsAction(std::string_view action);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_SEARCH_H_
