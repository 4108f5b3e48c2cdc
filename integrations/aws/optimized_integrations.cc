// OptimizedIntegration (optimized_integrations.h): one AwsApi call per task
// attempt, its answer shaped by optimized_services.h.
#include "integrations/aws/optimized_integrations.h"

#include <string>
#include <utility>

#include "engine/task_resource.h"
#include "integrations/aws/optimized_services.h"

namespace stepwise::integrations {

OptimizedIntegration::OptimizedIntegration(std::shared_ptr<AwsApi> api, const Clock* clock)
    : api_(std::move(api)), clock_(clock) {}

bool OptimizedIntegration::Takes(const engine::TaskResource& resource) const {
  if (resource.kind != engine::TaskKind::kService) return false;
  const OptimizedApi* api = FindOptimizedApi(resource.resource_type, resource.resource_name);
  return api != nullptr && api_ != nullptr && api_->Knows(api->service->api_service);
}

void OptimizedIntegration::Call(const engine::ServiceCall& call,
                                std::function<void(engine::TaskResult)> done) {
  if (stopped_->load()) return;
  engine::TaskResource resource = engine::TaskResource::Parse(call.resource);
  const OptimizedApi* api = FindOptimizedApi(resource.resource_type, resource.resource_name);
  if (api == nullptr || api_ == nullptr) {
    done(engine::TaskResult::Failed(
        "States.TaskFailed",
        "Stepwise does not run the optimized integration " + call.resource));
    return;
  }
  const json::object* parameters = call.parameters.if_object();
  if (parameters == nullptr) {
    done(engine::TaskResult::Failed(
        "States.Runtime",
        "The parameters of " + call.resource + " must be a JSON object of the " +
            std::string(api->operation) + " API's members"));
    return;
  }
  AwsApiRequest request =
      BuildOptimizedRequest(*api, *parameters, call.region, call.timeout_ms);
  api_->Call(std::move(request), [api, clock = clock_, stopped = stopped_,
                                  done = std::move(done)](AwsApiResponse response) {
    if (stopped->load()) return;
    done(OptimizedOutcome(*api, response, clock->NowMs()));
  });
}

void OptimizedIntegration::Stop() { stopped_->store(true); }

std::shared_ptr<engine::ServiceIntegration> MakeOptimizedIntegration(std::shared_ptr<AwsApi> api) {
  return std::make_shared<OptimizedIntegration>(std::move(api));
}

}  // namespace stepwise::integrations
