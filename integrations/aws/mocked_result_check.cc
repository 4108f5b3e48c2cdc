// CheckMockedTaskResult (mocked_result_check.h): the Resource's API call,
// then its output shape's check (service_shapes.h).
#include "integrations/aws/mocked_result_check.h"

#include <string>

#include "engine/task_resource.h"
#include "integrations/aws/optimized_services.h"
#include "integrations/aws/service_shapes.h"

namespace stepwise::integrations {

absl::Status CheckMockedTaskResult(std::string_view resource,
                                   const json::value& result, bool strict) {
  engine::TaskResource r = engine::TaskResource::Parse(resource);
  if (r.kind != engine::TaskKind::kService) return absl::OkStatus();
  std::string_view action = r.resource_name;
  if (size_t dot = action.find('.'); dot != std::string_view::npos)
    action = action.substr(0, dot);
  if (r.resource_type.starts_with("aws-sdk:")) {
    return CheckOutputShape(r.resource_type.substr(8), action, result, strict);
  }
  if (const OptimizedApi* api =
          FindOptimizedApi(r.resource_type, r.resource_name)) {
    return CheckOutputShape(api->service->api_service, api->api, result,
                            strict);
  }
  return absl::OkStatus();
}

}  // namespace stepwise::integrations
