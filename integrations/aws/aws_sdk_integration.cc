// AwsSdkIntegration (aws_sdk_integration.h).
#include "integrations/aws/aws_sdk_integration.h"

#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/strings.h"
#include "engine/task_resource.h"

namespace stepwise::integrations {

namespace {

constexpr std::string_view kPrefix = "aws-sdk:";
constexpr std::string_view kWaitForTaskToken = ".waitForTaskToken";

engine::TaskResult CannotCall(std::string_view resource, std::string_view why) {
  return engine::TaskResult::Failed(
      "States.TaskFailed", absl::StrCat("Stepwise cannot call ", ToAbsl(resource), ": ", ToAbsl(why)));
}

// A Resource's ACTION without .waitForTaskToken ("getItem"; another suffix
// stays: ".sync").
std::string_view ActionOf(const engine::TaskResource& resource) {
  std::string_view action = resource.resource_name;
  if (absl::EndsWith(ToAbsl(action), ToAbsl(kWaitForTaskToken))) {
    action.remove_suffix(kWaitForTaskToken.size());
  }
  return action;
}

std::string HeaderOf(const AwsApiResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (absl::EqualsIgnoreCase(k, ToAbsl(name))) return v;
  }
  return std::string();
}

std::string WithFirst(std::string_view name, bool upper) {
  std::string s(name);
  if (!s.empty()) {
    auto c = static_cast<unsigned char>(s[0]);
    s[0] = upper ? absl::ascii_toupper(c) : absl::ascii_tolower(c);
  }
  return s;
}

// Epoch seconds as Java's Instant.toString writes them.
std::string IsoFromEpochSeconds(double seconds) {
  int64_t ms = std::llround(seconds * 1000.0);
  absl::Time t = absl::FromUnixMillis(ms);
  return absl::FormatTime(ms % 1000 == 0 ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%E3SZ", t,
                          absl::UTCTimeZone());
}

json::value ToApi(const AwsServiceInfo& service, const json::value& v, int depth) {
  if (depth > 64 || (!v.is_object() && !v.is_array())) return v;
  if (v.is_array()) {
    json::array a;
    for (const json::value& item : v.get_array()) a.push_back(ToApi(service, item, depth + 1));
    return a;
  }
  json::object o;
  for (const auto& [key, item] : v.get_object()) {
    std::string lower = WithFirst(std::string_view(key), false);
    std::string name = service.IsCamelMember(lower) ? lower : std::string(std::string_view(key));
    json::value value = ToApi(service, item, depth + 1);
    // Step Functions' own JSON payloads (StartExecution's input,
    // SendTaskSuccess's output) may be given as JSON: sent as their text.
    if (depth == 0 && service.name == "sfn" && (name == "input" || name == "output") &&
        !value.is_string() && !value.is_null()) {
      value = SerializeJson(value);
    }
    o[name] = std::move(value);
  }
  return o;
}

json::value FromApi(const AwsServiceInfo& service, const json::value& v, int depth) {
  if (depth > 64 || (!v.is_object() && !v.is_array())) return v;
  if (v.is_array()) {
    json::array a;
    for (const json::value& item : v.get_array()) a.push_back(FromApi(service, item, depth + 1));
    return a;
  }
  json::object o;
  for (const auto& [key, item] : v.get_object()) {
    std::string_view wire(key);
    std::string name = service.IsCamelMember(wire) ? WithFirst(wire, true) : std::string(wire);
    if (service.IsTimestampMember(wire) && item.is_number()) {
      o[name] = IsoFromEpochSeconds(item.to_number<double>());
    } else {
      o[name] = FromApi(service, item, depth + 1);
    }
  }
  return o;
}

}  // namespace

json::value AwsSdkIntegration::ApiParameters(const AwsServiceInfo& service,
                                             const json::value& parameters) {
  if (service.protocol != AwsProtocol::kJson) return parameters;
  return ToApi(service, parameters, 0);
}

json::value AwsSdkIntegration::StepFunctionsOutput(const AwsServiceInfo& service,
                                                   const json::value& output) {
  if (service.protocol != AwsProtocol::kJson) return output;
  return FromApi(service, output, 0);
}

AwsSdkIntegration::AwsSdkIntegration(std::shared_ptr<AwsApi> api) : api_(std::move(api)) {}

namespace {

bool IsAwsSdk(const engine::TaskResource& resource) {
  return resource.kind == engine::TaskKind::kService &&
         absl::StartsWith(ToAbsl(resource.resource_type), ToAbsl(kPrefix));
}

}  // namespace

bool AwsSdkIntegration::Takes(const engine::TaskResource& resource) const {
  // Only what Stepwise can call: the rest goes to the fallback, so that
  // validation warns about it (INTEGRATION_NOT_RUNNABLE) and it fails with
  // States.TaskFailed saying what runs.
  if (!IsAwsSdk(resource)) return false;
  std::string_view service_name = resource.resource_type.substr(kPrefix.size());
  const AwsServiceInfo* service = FindAwsService(service_name);
  std::string_view action = ActionOf(resource);
  return service != nullptr && api_->Knows(service_name) && !action.empty() &&
         action.find('.') == std::string_view::npos && service->Supports(OperationName(action));
}

bool AwsSdkIntegration::Refuses(const engine::TaskResource& resource) const {
  if (!IsAwsSdk(resource)) return false;
  const AwsServiceInfo* service = FindAwsService(resource.resource_type.substr(kPrefix.size()));
  std::string_view action = ActionOf(resource);
  // Another suffix (.sync) is the validator's to judge, as it is AWS's.
  return service != nullptr && action.find('.') == std::string_view::npos &&
         !service->HasAction(action);
}

void AwsSdkIntegration::Stop() {
  stopped_->store(true);
  api_->Stop();
}

std::string AwsSdkIntegration::ErrorCause(const AwsServiceInfo& service,
                                          const AwsApiResponse& response) {
  std::string cause = absl::StrCat(response.error_message, " (Service: ", ToAbsl(service.sdk_name),
                                   ", Status Code: ", response.status,
                                   ", Request ID: ", response.request_id);
  if (std::string extended = HeaderOf(response, "x-amz-id-2"); !extended.empty()) {
    absl::StrAppend(&cause, ", Extended Request ID: ", extended);
  }
  absl::StrAppend(&cause, ") (SDK Attempt Count: 1)");
  return cause;
}

engine::TaskResult AwsSdkIntegration::Outcome(const AwsServiceInfo& service,
                                              const AwsApiResponse& response) {
  if (response.transport_failed) {
    return engine::TaskResult::Failed(absl::StrCat(ToAbsl(service.sdk_name), ".SdkClientException"),
                                      response.transport_error);
  }
  if (!response.ok()) {
    return engine::TaskResult::Failed(service.ErrorName(response.error_code),
                                      ErrorCause(service, response));
  }
  engine::TaskResult r;
  r.output = response.output.is_null() ? json::value(json::object())
                                        : StepFunctionsOutput(service, response.output);
  return r;
}

void AwsSdkIntegration::Call(const engine::ServiceCall& call,
                             std::function<void(engine::TaskResult)> done) {
  engine::TaskResource resource = engine::TaskResource::Parse(call.resource);
  std::string_view service_name = resource.resource_type.substr(kPrefix.size());
  std::string_view action = ActionOf(resource);
  if (size_t dot = action.find('.'); dot != std::string_view::npos) {
    return done(CannotCall(call.resource,
                           absl::StrCat("aws-sdk integrations support request-response and "
                                        ".waitForTaskToken only, not ",
                                        ToAbsl(action.substr(dot)))));
  }
  const AwsServiceInfo* service = FindAwsService(service_name);
  if (service == nullptr || !api_->Knows(service_name)) {
    return done(CannotCall(
        call.resource,
        absl::StrCat("'", ToAbsl(service_name),
                     "' is not an AWS service it knows (it calls the services speaking AWS "
                     "JSON 1.0/1.1, such as dynamodb, sqs, sfn, secretsmanager, ssm, "
                     "eventbridge, kinesis, kms, plus s3 and sns)")));
  }
  std::string operation = OperationName(action);
  if (action.empty() || !service->Supports(operation)) {
    return done(CannotCall(
        call.resource, absl::StrCat("Stepwise makes ", ToAbsl(SupportedOperationsText(*service)),
                                    " of ", ToAbsl(service_name), ", not '", ToAbsl(action),
                                    "'; run this step as an activity or a Lambda function "
                                    "instead")));
  }
  if (!call.parameters.is_null() && !call.parameters.is_object()) {
    return done(CannotCall(call.resource, "its Parameters must be a JSON object"));
  }
  AwsApiRequest request;
  request.service = std::string(service_name);
  request.operation = std::move(operation);
  request.parameters = call.parameters.is_null() ? json::value(json::object())
                                                 : ApiParameters(*service, call.parameters);
  request.region = call.region;
  if (call.timeout_ms > 0) request.timeout_ms = call.timeout_ms;
  api_->Call(std::move(request), [service, stopped = stopped_,
                                  done = std::move(done)](AwsApiResponse response) {
    if (stopped->load()) return;
    done(Outcome(*service, response));
  });
}

}  // namespace stepwise::integrations
