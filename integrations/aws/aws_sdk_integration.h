// AwsSdkIntegration: the ServiceIntegration (engine/dispatch/
// service_integration.h) of arn:aws:states:::aws-sdk:SERVICE:ACTION and
// its .waitForTaskToken form. The Task's parameters are the operation's
// input by the API's member names; its result is the operation's output.
// Failures take the names Step Functions gives them (AWS SDK for Java v2's):
//   - a service error → "<Service>.<Exception>" (Sfn.InvalidTokenException,
//     S3.NoSuchKeyException, DynamoDb.DynamoDbException for an unmodeled
//     code), cause "MESSAGE (Service: Sfn, Status Code: 400, Request ID:
//     ID[, Extended Request ID: ID2]) (SDK Attempt Count: 1)";
//   - no answer (connect, TLS, timeout, credentials, a request that cannot
//     be built) → "<Service>.SdkClientException", cause "Unable to execute
//     HTTP request: ..." and the like;
//   - a service or operation Stepwise cannot call → States.TaskFailed
//     naming the resource and what would make it run.
// An action the service's model lacks is refused at validation (Refuses),
// as AWS refuses it.
// Threads: Takes and Call from any thread; `done` runs on the AwsApi's
// thread (or the caller's for failures found before sending).
#ifndef SW_INTEGRATIONS_AWS_AWS_SDK_INTEGRATION_H_
#define SW_INTEGRATIONS_AWS_AWS_SDK_INTEGRATION_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>

#include "engine/dispatch/service_integration.h"
#include "integrations/aws/aws_api.h"
#include "integrations/aws/service_table.h"

namespace stepwise::integrations {

class AwsSdkIntegration : public engine::ServiceIntegration {
 public:
  explicit AwsSdkIntegration(std::shared_ptr<AwsApi> api);

  std::string_view name() const override { return "aws-sdk"; }
  bool Takes(const engine::TaskResource& resource) const override;
  // An ACTION the model of a SERVICE in the table does not have (AWS's
  // SDK lacks it); a service outside the table is not refused.
  bool Refuses(const engine::TaskResource& resource) const override;
  void Call(const engine::ServiceCall& call,
            std::function<void(engine::TaskResult)> done) override;
  // Stops the AwsApi too (shared with the optimized integrations, which
  // stop at the same shutdown).
  void Stop() override;

  // What the state sees of `response` to a call of `service`.
  static engine::TaskResult Outcome(const AwsServiceInfo& service,
                                    const AwsApiResponse& response);
  // The request members of `parameters` as the service's API names them:
  // Step Functions takes PascalCase names for APIs written in camelCase
  // ("TaskToken" → "taskToken" for sfn); Step Functions' own Input and
  // Output given as JSON are sent as their text.
  static json::value ApiParameters(const AwsServiceInfo& service, const json::value& parameters);
  // An answer as Step Functions shows it: camelCase member names in
  // PascalCase, timestamps (epoch seconds on the wire) as ISO-8601
  // ("2026-12-06T09:30:00.123Z").
  static json::value StepFunctionsOutput(const AwsServiceInfo& service, const json::value& output);
  // A service error's cause, as AWS SDK for Java v2 words it.
  static std::string ErrorCause(const AwsServiceInfo& service, const AwsApiResponse& response);

 private:
  const std::shared_ptr<AwsApi> api_;
  std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_AWS_SDK_INTEGRATION_H_
