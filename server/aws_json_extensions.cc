// Finds Stepwise's extension actions (see aws_json_extensions.h): one
// finder per room, asked in turn. Any thread.
#include "server/aws_json_extensions.h"

#include "server/aws_json_search.h"
#include "server/aws_json_batch.h"
#include "server/aws_json_restart.h"
#include "server/aws_json_cluster.h"

namespace stepwise::server {

bool IsStepwiseExtensionTarget(std::string_view target) {
  return target.size() > kStepwiseTargetPrefix.size() &&
         target.substr(0, kStepwiseTargetPrefix.size()) == kStepwiseTargetPrefix;
}

AwsAction FindStepwiseAwsAction(std::string_view target) {
  if (!IsStepwiseExtensionTarget(target)) return nullptr;
  std::string_view action = target.substr(kStepwiseTargetPrefix.size());
  // One line per room of extensions, each `if (AwsAction fn = FindXAwsAction(action)) return fn;`
  // (its finder declared in its own header, e.g. server/aws_json_restart.h).
  if (AwsAction fn = FindSearchAwsAction(action)) return fn;
  if (AwsAction fn = FindBatchAwsAction(action)) return fn;
  if (AwsAction fn = FindRestartAwsAction(action)) return fn;
  if (AwsAction fn = FindClusterAwsAction(action)) return fn;
  return nullptr;
}

}  // namespace stepwise::server
