// The optimized service integrations' table, request building and outcome
// shaping (optimized_services.h). Pure: any thread.
//
// Error names: AWS's optimized integrations run on AWS's Java SDK (v1) and
// report "<prefix>.<exception class>" with the client's message text
// "<message> (Service: <sdk name>; Status Code: <status>; Error Code:
// <code>; Request ID: <id>; Proxy: null)". The class is the one the
// service model gives the error code; codes it does not model surface as the
// client's base exception (DynamoDB's ValidationException as
// "DynamoDB.AmazonDynamoDBException", SQS's MissingParameter as
// "SQS.AmazonSQSException"); no answer at all is "<prefix>.SdkClientException"
// with the AwsApi's words ("Unable to execute HTTP request: <why>").
#include "integrations/aws/optimized_services.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "common/strings.h"
#include "engine/dispatch/sdk_metadata.h"

namespace stepwise::integrations {

namespace {

constexpr OptimizedService kDynamoDb{"dynamodb", "dynamodb", "DynamoDB", "AmazonDynamoDBv2",
                                     "AmazonDynamoDBException", true};
constexpr OptimizedService kSqs{"sqs", "sqs", "SQS", "AmazonSQS", "AmazonSQSException", true};
constexpr OptimizedService kSns{"sns", "sns", "SNS", "AmazonSNS", "AmazonSNSException", true};
constexpr OptimizedService kEvents{"events", "eventbridge", "EventBridge", "AmazonEventBridge",
                                   "AmazonEventBridgeException", false};

constexpr OptimizedApi kApis[] = {
    {&kDynamoDb, "getItem", "GetItem", false},
    {&kDynamoDb, "putItem", "PutItem", false},
    {&kDynamoDb, "updateItem", "UpdateItem", false},
    {&kDynamoDb, "deleteItem", "DeleteItem", false},
    {&kSqs, "sendMessage", "SendMessage", true},
    {&kSns, "publish", "Publish", true},
    {&kEvents, "putEvents", "PutEvents", true},
};

// A service error the Java client models: the code as the JSON protocol
// names it, the code the (query-protocol) Java client saw, and its class.
struct ModeledError {
  std::string_view code;
  std::string_view query_code;
  std::string_view exception;
};

constexpr ModeledError kDynamoDbErrors[] = {
    {"ConditionalCheckFailedException", "ConditionalCheckFailedException",
     "ConditionalCheckFailedException"},
    {"ProvisionedThroughputExceededException", "ProvisionedThroughputExceededException",
     "ProvisionedThroughputExceededException"},
    {"ResourceNotFoundException", "ResourceNotFoundException", "ResourceNotFoundException"},
    {"ItemCollectionSizeLimitExceededException", "ItemCollectionSizeLimitExceededException",
     "ItemCollectionSizeLimitExceededException"},
    {"TransactionConflictException", "TransactionConflictException",
     "TransactionConflictException"},
    {"RequestLimitExceeded", "RequestLimitExceeded", "RequestLimitExceededException"},
    {"InternalServerError", "InternalServerError", "InternalServerErrorException"},
    {"ResourceInUseException", "ResourceInUseException", "ResourceInUseException"},
    {"LimitExceededException", "LimitExceededException", "LimitExceededException"},
    {"TransactionCanceledException", "TransactionCanceledException",
     "TransactionCanceledException"},
    {"TransactionInProgressException", "TransactionInProgressException",
     "TransactionInProgressException"},
    {"IdempotentParameterMismatchException", "IdempotentParameterMismatchException",
     "IdempotentParameterMismatchException"},
    {"ReplicatedWriteConflictException", "ReplicatedWriteConflictException",
     "ReplicatedWriteConflictException"},
};

// SQS answers in JSON today ("QueueDoesNotExist", with the query code in
// the x-amzn-query-error header); the Java client that AWS's integration
// records spoke the query protocol.
constexpr ModeledError kSqsErrors[] = {
    {"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
     "QueueDoesNotExistException"},
    {"InvalidMessageContents", "InvalidMessageContents", "InvalidMessageContentsException"},
    {"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation",
     "UnsupportedOperationException"},
    {"RequestThrottled", "RequestThrottled", "RequestThrottledException"},
    {"InvalidAddress", "InvalidAddress", "InvalidAddressException"},
    {"InvalidSecurity", "InvalidSecurity", "InvalidSecurityException"},
    {"KmsAccessDenied", "KMS.AccessDeniedException", "KmsAccessDeniedException"},
    {"KmsDisabled", "KMS.DisabledException", "KmsDisabledException"},
    {"KmsInvalidKeyUsage", "KMS.InvalidKeyUsageException", "KmsInvalidKeyUsageException"},
    {"KmsInvalidState", "KMS.InvalidStateException", "KmsInvalidStateException"},
    {"KmsNotFound", "KMS.NotFoundException", "KmsNotFoundException"},
    {"KmsOptInRequired", "KMS.OptInRequired", "KmsOptInRequiredException"},
    {"KmsThrottled", "KMS.ThrottlingException", "KmsThrottledException"},
};

constexpr ModeledError kSnsErrors[] = {
    {"AuthorizationError", "AuthorizationError", "AuthorizationErrorException"},
    {"EndpointDisabled", "EndpointDisabled", "EndpointDisabledException"},
    {"InternalError", "InternalError", "InternalErrorException"},
    {"InvalidParameter", "InvalidParameter", "InvalidParameterException"},
    {"ParameterValueInvalid", "ParameterValueInvalid", "InvalidParameterValueException"},
    {"InvalidSecurity", "InvalidSecurity", "InvalidSecurityException"},
    {"KMSAccessDenied", "KMSAccessDenied", "KMSAccessDeniedException"},
    {"KMSDisabled", "KMSDisabled", "KMSDisabledException"},
    {"KMSInvalidState", "KMSInvalidState", "KMSInvalidStateException"},
    {"KMSNotFound", "KMSNotFound", "KMSNotFoundException"},
    {"KMSOptInRequired", "KMSOptInRequired", "KMSOptInRequiredException"},
    {"KMSThrottling", "KMSThrottling", "KMSThrottlingException"},
    {"NotFound", "NotFound", "NotFoundException"},
    {"PlatformApplicationDisabled", "PlatformApplicationDisabled",
     "PlatformApplicationDisabledException"},
    {"Throttled", "Throttled", "ThrottledException"},
    {"ValidationException", "ValidationException", "ValidationException"},
    {"BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinct",
     "BatchEntryIdsNotDistinctException"},
};

constexpr ModeledError kEventsErrors[] = {
    {"ConcurrentModificationException", "ConcurrentModificationException",
     "ConcurrentModificationException"},
    {"InternalException", "InternalException", "InternalException"},
    {"InvalidEventPatternException", "InvalidEventPatternException",
     "InvalidEventPatternException"},
    {"InvalidStateException", "InvalidStateException", "InvalidStateException"},
    {"LimitExceededException", "LimitExceededException", "LimitExceededException"},
    {"ManagedRuleException", "ManagedRuleException", "ManagedRuleException"},
    {"OperationDisabledException", "OperationDisabledException", "OperationDisabledException"},
    {"ResourceNotFoundException", "ResourceNotFoundException", "ResourceNotFoundException"},
    {"AccessDeniedException", "AccessDeniedException", "AccessDeniedException"},
    {"ThrottlingException", "ThrottlingException", "ThrottlingException"},
};

template <size_t N>
const ModeledError* FindIn(const ModeledError (&table)[N], std::string_view code) {
  for (const ModeledError& e : table) {
    if (e.code == code || e.query_code == code) return &e;
  }
  return nullptr;
}

const ModeledError* FindModeled(const OptimizedService& service, std::string_view code) {
  if (&service == &kDynamoDb) return FindIn(kDynamoDbErrors, code);
  if (&service == &kSqs) return FindIn(kSqsErrors, code);
  if (&service == &kSns) return FindIn(kSnsErrors, code);
  if (&service == &kEvents) return FindIn(kEventsErrors, code);
  return nullptr;
}

// The bare code: JSON protocols may send "namespace#Code" or
// "Code:http://..." in __type.
std::string_view BareCode(std::string_view code) {
  if (size_t hash = code.rfind('#'); hash != std::string_view::npos) code = code.substr(hash + 1);
  if (size_t colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  return code;
}

bool SameName(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(ToAbsl(a), ToAbsl(b));
}

std::string_view HeaderValue(const AwsApiResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (SameName(n, name)) return v;
  }
  return {};
}

// Serializes `v` in place when it is neither a string nor null; drops a
// null member (AWS sends none, and the service names it missing).
void TextOrDrop(json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return;
  if (it->value().is_null()) {
    o.erase(it);
  } else if (!it->value().is_string()) {
    it->value() = json::string(SerializeJson(it->value()));
  }
}

json::object WithMetadata(json::object output, const AwsApiResponse& r, TimeMs now) {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view date;
  for (const auto& [name, value] : r.headers) {
    // AddSdkMetadata writes these three itself.
    if (SameName(name, "x-amzn-RequestId") || SameName(name, "Content-Length")) continue;
    if (SameName(name, "Date")) {
      date = value;
      continue;
    }
    headers.emplace_back(name, value);
  }
  engine::AddSdkMetadata(output, headers, r.request_id, r.content_length, now, r.status);
  if (!date.empty()) {
    json::object& http = output["SdkHttpMetadata"].as_object();
    json::array one;
    one.emplace_back(json::string(date));
    http["AllHttpHeaders"].as_object()["Date"] = std::move(one);
    http["HttpHeaders"].as_object()["Date"] = json::string(date);
  }
  return output;
}

}  // namespace

const OptimizedApi* FindOptimizedApi(std::string_view resource_type,
                                     std::string_view resource_name) {
  std::string_view api = resource_name;
  bool callback = false;
  if (size_t dot = resource_name.find('.'); dot != std::string_view::npos) {
    if (resource_name.substr(dot) != ".waitForTaskToken") return nullptr;
    api = resource_name.substr(0, dot);
    callback = true;
  }
  for (const OptimizedApi& a : kApis) {
    if (a.service->resource_type == resource_type && a.api == api) {
      return callback && !a.allows_callback ? nullptr : &a;
    }
  }
  return nullptr;
}

AwsApiRequest BuildOptimizedRequest(const OptimizedApi& api, const json::object& parameters,
                                    std::string region, int64_t timeout_ms) {
  AwsApiRequest request;
  request.service = std::string(api.service->api_service);
  request.operation = std::string(api.operation);
  request.region = std::move(region);
  if (timeout_ms > 0) request.timeout_ms = timeout_ms;
  json::object members = parameters;
  if (api.service == &kSqs) {
    TextOrDrop(members, "MessageBody");
  } else if (api.service == &kSns) {
    TextOrDrop(members, "Message");
  } else if (api.service == &kEvents) {
    if (json::value* entries = members.if_contains("Entries")) {
      if (json::array* list = entries->if_array()) {
        for (json::value& entry : *list) {
          if (json::object* e = entry.if_object()) TextOrDrop(*e, "Detail");
        }
      }
    }
  }
  request.parameters = std::move(members);
  return request;
}

std::string OptimizedErrorName(const OptimizedService& service, std::string_view error_code) {
  const ModeledError* modeled = FindModeled(service, BareCode(error_code));
  std::string name(service.error_prefix);
  name += '.';
  name += modeled != nullptr ? modeled->exception : service.client_exception;
  return name;
}

engine::TaskResult OptimizedOutcome(const OptimizedApi& api, const AwsApiResponse& response,
                                    TimeMs now) {
  const OptimizedService& service = *api.service;
  if (response.transport_failed) {
    return engine::TaskResult::Failed(
        std::string(service.error_prefix) + ".SdkClientException", response.transport_error);
  }
  if (!response.ok()) {
    std::string_view code = BareCode(response.error_code);
    // The code the Java client saw: SQS's query code where the answer
    // carries it, else the table's, else the code as sent.
    std::string cause_code(code);
    if (std::string_view query = HeaderValue(response, "x-amzn-query-error"); !query.empty()) {
      cause_code = std::string(query.substr(0, query.find(';')));
    } else if (const ModeledError* m = FindModeled(service, code)) {
      cause_code = std::string(m->query_code);
    }
    return engine::TaskResult::Failed(
        OptimizedErrorName(service, cause_code),
        response.error_message + " (Service: " + std::string(service.sdk_name) +
            "; Status Code: " + std::to_string(response.status) + "; Error Code: " +
            cause_code + "; Request ID: " + response.request_id + "; Proxy: null)");
  }
  json::object output;
  if (const json::object* o = response.output.if_object()) output = *o;
  if (&service == &kEvents) {
    // PutEvents answers 200 with the entries it refused counted: the task
    // fails with the whole answer as its cause.
    const json::value* failed = output.if_contains("FailedEntryCount");
    if (failed != nullptr && IsNumber(*failed) && ToDouble(*failed) > 0) {
      return engine::TaskResult::Failed("EventBridge.FailedEntry", SerializeJson(output));
    }
  }
  engine::TaskResult result;
  result.kind = engine::TaskResult::Kind::kSucceeded;
  result.output = service.adds_metadata ? WithMetadata(std::move(output), response, now)
                                        : json::value(std::move(output));
  return result;
}

}  // namespace stepwise::integrations
