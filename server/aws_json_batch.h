// Stepwise's batch operation actions on the AWS JSON endpoint
// (X-Amz-Target Stepwise.StartBatchOperation, DescribeBatchOperation,
// ListBatchOperations, CancelBatchOperation; docs/aws-extensions.md): the
// request members in AWS's vocabulary, the engine's job (engine/batch/) out
// in the same camelCase shape. FindStepwiseAwsAction (aws_json_extensions.cc)
// asks FindBatchAwsAction. Handlers run on AwsJsonApi's pool (blocking
// engine calls).
#ifndef SW_SERVER_AWS_JSON_BATCH_H_
#define SW_SERVER_AWS_JSON_BATCH_H_

#include <string_view>

#include "server/aws_json_actions.h"

namespace stepwise::server {

// The handler of a batch operation action (the name after "Stepwise."),
// null for any other name.
AwsAction FindBatchAwsAction(std::string_view action);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_BATCH_H_
