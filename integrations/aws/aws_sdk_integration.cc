// AwsSdkIntegration (aws_sdk_integration.h).
#include "integrations/aws/aws_sdk_integration.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

std::string HeaderOf(const AwsApiResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (absl::EqualsIgnoreCase(k, ToAbsl(name))) return v;
  }
  return std::string();
}

}  // namespace

AwsSdkIntegration::AwsSdkIntegration(std::shared_ptr<AwsApi> api) : api_(std::move(api)) {}

bool AwsSdkIntegration::Takes(const engine::TaskResource& resource) const {
  return resource.kind == engine::TaskKind::kService &&
         absl::StartsWith(ToAbsl(resource.resource_type), ToAbsl(kPrefix));
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
  r.output = response.output.is_null() ? json::value(json::object()) : response.output;
  return r;
}

void AwsSdkIntegration::Call(const engine::ServiceCall& call,
                             std::function<void(engine::TaskResult)> done) {
  engine::TaskResource resource = engine::TaskResource::Parse(call.resource);
  std::string_view service_name = resource.resource_type.substr(kPrefix.size());
  std::string_view action = resource.resource_name;
  if (absl::EndsWith(ToAbsl(action), ToAbsl(kWaitForTaskToken))) {
    action.remove_suffix(kWaitForTaskToken.size());
  }
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
  request.parameters = call.parameters.is_null() ? json::value(json::object()) : call.parameters;
  request.region = call.region;
  if (call.timeout_ms > 0) request.timeout_ms = call.timeout_ms;
  api_->Call(std::move(request), [service, stopped = stopped_,
                                  done = std::move(done)](AwsApiResponse response) {
    if (stopped->load()) return;
    done(Outcome(*service, response));
  });
}

}  // namespace stepwise::integrations
