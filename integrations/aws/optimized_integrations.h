// OptimizedIntegration: the ServiceIntegration (engine/dispatch/
// service_integration.h) for AWS's optimized service integrations Stepwise
// runs: arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem,
// sqs:sendMessage, sns:publish and events:putEvents (the last three also
// .waitForTaskToken). Each call is one AwsApi call (aws_api.h); the table,
// the request shaping and AWS's result and error shapes are in
// optimized_services.h. server/main.cc plugs it into a
// ServiceCallDispatcher.
// Threads: Takes and Call from any thread; `done` runs on the AwsApi's
// thread. Stop from any thread.
#ifndef SW_INTEGRATIONS_AWS_OPTIMIZED_INTEGRATIONS_H_
#define SW_INTEGRATIONS_AWS_OPTIMIZED_INTEGRATIONS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>

#include "common/clock.h"
#include "engine/dispatch/service_integration.h"
#include "integrations/aws/aws_api.h"

namespace stepwise::integrations {

class OptimizedIntegration final : public engine::ServiceIntegration {
 public:
  // `clock` dates the SDK metadata of answers without a Date header; it must
  // outlive the integration.
  explicit OptimizedIntegration(std::shared_ptr<AwsApi> api,
                                const Clock* clock = SystemClock::Get());

  // "aws": stored in task rows; never change it.
  std::string_view name() const override { return "aws"; }
  // An optimized API Stepwise runs, whose service `api` knows.
  bool Takes(const engine::TaskResource& resource) const override;
  void Call(const engine::ServiceCall& call, std::function<void(engine::TaskResult)> done) override;
  // Answers arriving after this are dropped. Leaves the AwsApi running (it
  // may be shared with other integrations).
  void Stop() override;

 private:
  std::shared_ptr<AwsApi> api_;
  const Clock* clock_;
  std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(false);
};

// The integration for server/main.cc.
std::shared_ptr<engine::ServiceIntegration> MakeOptimizedIntegration(std::shared_ptr<AwsApi> api);

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_OPTIMIZED_INTEGRATIONS_H_
