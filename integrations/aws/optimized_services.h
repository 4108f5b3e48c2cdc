// The optimized AWS service integrations Stepwise runs, as data and pure
// functions: which Resource names which API call (DynamoDB getItem, putItem,
// updateItem, deleteItem; SQS sendMessage; SNS publish; EventBridge
// putEvents, the last three also .waitForTaskToken), how the Task's
// parameters become the API's request (message bodies and event details
// given as JSON serialized to text, as AWS does), and how the API's answer
// becomes what the state sees: the output with SdkHttpMetadata /
// SdkResponseMetadata where AWS adds them, or the failure under AWS's names
// for optimized integrations ("DynamoDB.ConditionalCheckFailedException",
// "SQS.AmazonSQSException", "SNS.NotFoundException",
// "EventBridge.FailedEntry", "<Service>.SdkClientException" when no answer
// came) with the cause text AWS's Java client writes.
// Source: the execution histories AWS recorded in LocalStack's
// stepfunctions test snapshots (services/test_{dynamodb,sqs,sns,events}_
// task_service and error_handling/test_task_service_{dynamodb,sqs}).
// Pure: any thread.
#ifndef SW_INTEGRATIONS_AWS_OPTIMIZED_SERVICES_H_
#define SW_INTEGRATIONS_AWS_OPTIMIZED_SERVICES_H_

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/json.h"
#include "engine/interpreter.h"
#include "integrations/aws/aws_api.h"

namespace stepwise::integrations {

// What one optimized service is called, by AWS and by its Java client.
struct OptimizedService {
  std::string_view resource_type;  // in the Resource: "dynamodb", "sqs", "sns", "events"
  std::string_view api_service;    // AwsApi's name: "dynamodb", "sqs", "sns", "eventbridge"
  std::string_view error_prefix;   // "DynamoDB", "SQS", "SNS", "EventBridge"
  std::string_view sdk_name;       // in causes: "AmazonDynamoDBv2", "AmazonSQS", ...
  // The Java client's exception for service errors it does not model:
  // "AmazonDynamoDBException", "AmazonSQSException", ...
  std::string_view client_exception;
  // The result carries SdkHttpMetadata / SdkResponseMetadata (all but
  // EventBridge).
  bool adds_metadata;
};

// One optimized API Stepwise runs.
struct OptimizedApi {
  const OptimizedService* service;
  std::string_view api;        // in the Resource, without suffix: "getItem"
  std::string_view operation;  // the API operation: "GetItem"
  bool allows_callback;        // ".waitForTaskToken" allowed
};

// The API `resource_type`:`resource_name` names ("dynamodb", "getItem";
// "sqs", "sendMessage.waitForTaskToken"), or nullptr when Stepwise does not
// run it (another API, another service, or a suffix the API does not take).
const OptimizedApi* FindOptimizedApi(std::string_view resource_type,
                                     std::string_view resource_name);

// The request for `api` from the Task's effective `parameters` (an object):
// the API's members as given, except SQS MessageBody, SNS Message and each
// EventBridge entry's Detail, which AWS sends as JSON text when they are not
// strings (a null is left out, so the service reports the missing member).
AwsApiRequest BuildOptimizedRequest(const OptimizedApi& api, const json::object& parameters,
                                    std::string region, int64_t timeout_ms);

// What the state sees of `response`: succeeded with the API's output (plus
// the SDK metadata where AWS adds it, dated `now` unless the answer has a
// Date header), or failed under AWS's names.
engine::TaskResult OptimizedOutcome(const OptimizedApi& api, const AwsApiResponse& response,
                                    TimeMs now);

// The error name AWS's optimized integration reports for the service error
// `error_code` of `service`: "<prefix>.<Java exception class>", e.g.
// "DynamoDB.ConditionalCheckFailedException", "SNS.NotFoundException"
// (code "NotFound"); codes the Java client does not model become
// "<prefix>.<client exception>" ("DynamoDB.AmazonDynamoDBException" for
// ValidationException).
std::string OptimizedErrorName(const OptimizedService& service, std::string_view error_code);

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_OPTIMIZED_SERVICES_H_
