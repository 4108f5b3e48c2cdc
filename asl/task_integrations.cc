// The table of optimized integrations and the reader of Task resource ARNs
// (task_integrations.h). Pure: any thread.
//
// Source of the table: AWS's "Integrating optimized services with Step
// Functions" page (pattern support per service: request-response for all;
// .sync for Athena, Batch, Bedrock, CodeBuild, ECS, EKS, EMR, EMR on EKS,
// EMR Serverless, Glue, Glue DataBrew, MediaConvert, SageMaker and Step
// Functions; .waitForTaskToken for API Gateway, Bedrock, ECS, EKS,
// EventBridge, Lambda, SNS, SQS and Step Functions; DynamoDB and the HTTP
// task request-response only) and each service's page for its APIs and
// which of them run as jobs (.sync).
#include "asl/task_integrations.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace stepwise::asl {

namespace {

constexpr uint8_t kRr = static_cast<uint8_t>(IntegrationPattern::kRequestResponse);
constexpr uint8_t kSync = static_cast<uint8_t>(IntegrationPattern::kSync);
constexpr uint8_t kSync2 = static_cast<uint8_t>(IntegrationPattern::kSync2);
constexpr uint8_t kToken = static_cast<uint8_t>(IntegrationPattern::kWaitForTaskToken);

struct Integration {
  std::string_view service;
  std::string_view api;  // "*": any API of the service
  uint8_t patterns;
};

constexpr Integration kOptimized[] = {
    {"apigateway", "invoke", kRr | kToken},
    {"athena", "startQueryExecution", kRr | kSync},
    {"athena", "stopQueryExecution", kRr},
    {"athena", "getQueryExecution", kRr},
    {"athena", "getQueryResults", kRr},
    {"batch", "submitJob", kRr | kSync},
    {"bedrock", "invokeModel", kRr | kToken},
    {"bedrock", "createModelCustomizationJob", kRr | kSync},
    {"codebuild", "startBuild", kRr | kSync},
    {"codebuild", "stopBuild", kRr},
    {"codebuild", "batchDeleteBuilds", kRr},
    {"codebuild", "batchGetReports", kRr},
    {"codebuild", "startBuildBatch", kRr | kSync},
    {"codebuild", "stopBuildBatch", kRr},
    {"codebuild", "retryBuildBatch", kRr | kSync},
    {"codebuild", "deleteBuildBatch", kRr},
    {"databrew", "startJobRun", kRr | kSync},
    {"dynamodb", "getItem", kRr},
    {"dynamodb", "putItem", kRr},
    {"dynamodb", "deleteItem", kRr},
    {"dynamodb", "updateItem", kRr},
    {"ecs", "runTask", kRr | kSync | kToken},
    {"eks", "createCluster", kRr | kSync},
    {"eks", "deleteCluster", kRr | kSync},
    {"eks", "createFargateProfile", kRr | kSync},
    {"eks", "deleteFargateProfile", kRr | kSync},
    {"eks", "createNodegroup", kRr | kSync},
    {"eks", "deleteNodegroup", kRr | kSync},
    {"eks", "runJob", kRr | kSync | kToken},
    {"eks", "call", kRr},
    {"elasticmapreduce", "createCluster", kRr | kSync},
    {"elasticmapreduce", "terminateCluster", kRr | kSync},
    {"elasticmapreduce", "addStep", kRr | kSync},
    {"elasticmapreduce", "cancelStep", kRr},
    {"elasticmapreduce", "setClusterTerminationProtection", kRr},
    {"elasticmapreduce", "modifyInstanceFleetByName", kRr},
    {"elasticmapreduce", "modifyInstanceGroupByName", kRr},
    {"emr-containers", "createVirtualCluster", kRr},
    {"emr-containers", "deleteVirtualCluster", kRr | kSync},
    {"emr-containers", "startJobRun", kRr | kSync},
    {"emr-serverless", "createApplication", kRr | kSync},
    {"emr-serverless", "startApplication", kRr | kSync},
    {"emr-serverless", "stopApplication", kRr | kSync},
    {"emr-serverless", "deleteApplication", kRr | kSync},
    {"emr-serverless", "startJobRun", kRr | kSync},
    {"emr-serverless", "cancelJobRun", kRr | kSync},
    {"events", "putEvents", kRr | kToken},
    {"glue", "startJobRun", kRr | kSync},
    {"lambda", "invoke", kRr | kToken},
    {"mediaconvert", "createJob", kRr | kSync},
    {"sagemaker", "createEndpoint", kRr},
    {"sagemaker", "createEndpointConfig", kRr},
    {"sagemaker", "createHyperParameterTuningJob", kRr | kSync},
    {"sagemaker", "createLabelingJob", kRr | kSync},
    {"sagemaker", "createModel", kRr},
    {"sagemaker", "createProcessingJob", kRr | kSync},
    {"sagemaker", "createTrainingJob", kRr | kSync},
    {"sagemaker", "createTransformJob", kRr | kSync},
    {"sagemaker", "updateEndpoint", kRr},
    {"sns", "publish", kRr | kToken},
    {"sqs", "sendMessage", kRr | kToken},
    {"states", "startExecution", kRr | kSync | kSync2 | kToken},
    // Not AWS's: Stepwise's own namespace, for the Task kinds a deployment
    // adds through EngineOptions::extra_dispatchers.
    {"stepwise", "*", kRr},
};

std::vector<std::string_view> SplitColons(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ':') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_';
}

// Lambda function names and qualifiers ($LATEST, versions, aliases).
bool IsLambdaName(std::string_view s, bool qualifier) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!IsNameChar(c) && !(qualifier && c == '$')) return false;
  }
  return true;
}

// "api.suffix", split: the API and the pattern its suffix names.
struct ApiAndPattern {
  std::string_view api;
  IntegrationPattern pattern;
};

// Splits "api.suffix"; nullopt for an empty API or an unknown suffix.
// `sync2` says the ARN ended in ":2" (only ".sync" may precede it).
std::optional<ApiAndPattern> SplitSuffix(std::string_view action, bool sync2) {
  size_t dot = action.find('.');
  std::string_view api = action.substr(0, dot);
  if (api.empty()) return std::nullopt;
  std::string_view suffix = dot == std::string_view::npos ? "" : action.substr(dot);
  if (sync2) {
    if (suffix == ".sync") return ApiAndPattern{api, IntegrationPattern::kSync2};
    return std::nullopt;
  }
  if (suffix.empty()) return ApiAndPattern{api, IntegrationPattern::kRequestResponse};
  if (suffix == ".sync") return ApiAndPattern{api, IntegrationPattern::kSync};
  if (suffix == ".waitForTaskToken") {
    return ApiAndPattern{api, IntegrationPattern::kWaitForTaskToken};
  }
  return std::nullopt;
}

// The part after "arn:P:states:::".
std::optional<TaskResourceShape> RecognizeStatesIntegration(
    const std::vector<std::string_view>& parts) {
  // parts[5] is the service; the rest is the API (and ":2").
  std::string_view service = parts[5];
  if (service == "aws-sdk") {
    // aws-sdk:SERVICE:ACTION[.waitForTaskToken]; never .sync.
    if (parts.size() != 8 || parts[6].empty()) return std::nullopt;
    auto action = SplitSuffix(parts[7], false);
    if (!action || (action->pattern != IntegrationPattern::kRequestResponse &&
                    action->pattern != IntegrationPattern::kWaitForTaskToken)) {
      return std::nullopt;
    }
    return TaskResourceShape{TaskResourceKind::kAwsSdk, action->pattern};
  }
  if (parts.size() < 7 || parts.size() > 8) return std::nullopt;
  bool sync2 = parts.size() == 8;
  if (sync2 && parts[7] != "2") return std::nullopt;
  auto call = SplitSuffix(parts[6], sync2);
  if (!call) return std::nullopt;
  if (service == "http") {
    if (call->api != "invoke" || call->pattern != IntegrationPattern::kRequestResponse) {
      return std::nullopt;
    }
    return TaskResourceShape{TaskResourceKind::kHttp, call->pattern};
  }
  uint8_t allowed = OptimizedIntegrationPatterns(service, call->api);
  if ((allowed & static_cast<uint8_t>(call->pattern)) == 0) return std::nullopt;
  return TaskResourceShape{TaskResourceKind::kOptimized, call->pattern};
}

}  // namespace

uint8_t OptimizedIntegrationPatterns(std::string_view service, std::string_view api) {
  for (const Integration& i : kOptimized) {
    if (i.service == service && (i.api == api || i.api == "*")) return i.patterns;
  }
  return 0;
}

std::optional<TaskResourceShape> RecognizeTaskResource(std::string_view resource) {
  std::vector<std::string_view> parts = SplitColons(resource);
  // arn : partition : service : region : account : resource...
  if (parts.size() < 6 || parts[0] != "arn" || parts[1].empty()) return std::nullopt;
  std::string_view service = parts[2];
  bool regional = !parts[3].empty() || !parts[4].empty();
  if (service == "states") {
    if (!regional) return RecognizeStatesIntegration(parts);
    if (parts[5] == "activity" && parts.size() == 7 && !parts[3].empty() &&
        !parts[4].empty() && !parts[6].empty()) {
      return TaskResourceShape{TaskResourceKind::kActivity,
                               IntegrationPattern::kRequestResponse};
    }
    return std::nullopt;
  }
  if (service == "lambda") {
    if (parts[5] != "function" || parts.size() < 7 || parts.size() > 8 ||
        !IsLambdaName(parts[6], false) ||
        (parts.size() == 8 && !IsLambdaName(parts[7], true))) {
      return std::nullopt;
    }
    return TaskResourceShape{TaskResourceKind::kLambdaFunction,
                             IntegrationPattern::kRequestResponse};
  }
  return TaskResourceShape{TaskResourceKind::kOtherArn, IntegrationPattern::kRequestResponse};
}

}  // namespace stepwise::asl
