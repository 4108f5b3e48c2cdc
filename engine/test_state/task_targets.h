// TestStateTargets: what TestState may call when a Task state is tested
// without a mock, as AWS calls the real resource: the server's service
// integrations (HTTP Task, aws-sdk, optimized AWS integrations) and its
// Lambda Invoke endpoint, the same objects the execution dispatchers use
// (server/main.cc builds them once). A TestState call is not part of any
// execution: no task row, no history, called once. Built once at start-up,
// then read-only: any thread.
#ifndef SW_ENGINE_TEST_STATE_TASK_TARGETS_H_
#define SW_ENGINE_TEST_STATE_TASK_TARGETS_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/json.h"
#include "engine/dispatch/lambda_invoker.h"
#include "engine/dispatch/service_integration.h"

namespace stepwise::engine {

struct TestStateTargets {
  // Asked in this order; the first that Takes a resource calls it.
  std::vector<std::shared_ptr<ServiceIntegration>> integrations;
  // Lambda functions behind an Invoke endpoint; null when none is set up
  // (functions on Stepwise function queues need a worker, so an execution).
  std::shared_ptr<LambdaInvoker> lambda;
  // Checks a Task's mocked result against the output shape of the API
  // its Resource calls (mock.fieldValidationMode: `strict` for STRICT, else
  // PRESENT); ValidationException in AWS's words. Null: not checked.
  std::function<absl::Status(std::string_view resource,
                             const json::value& result, bool strict)>
      check_mocked_result;
  // The server's region and account: for resources that name none.
  std::string region = "us-east-1";
  std::string account = "123456789012";
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_TEST_STATE_TASK_TARGETS_H_
