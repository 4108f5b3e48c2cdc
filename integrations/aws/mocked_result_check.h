// CheckMockedTaskResult: TestState's check of a Task's mocked result
// (mock.result with mock.fieldValidationMode STRICT or PRESENT) against
// the output shape of the AWS API call its Resource names: aws-sdk:
// SERVICE:ACTION, or an optimized integration (dynamodb:getItem, ...).
// Other resources (Lambda, HTTP, nested executions, activities) are not
// checked. server/main.cc hands it to TestState (engine/test_state/
// task_targets.h). Pure: any thread.
#ifndef SW_INTEGRATIONS_AWS_MOCKED_RESULT_CHECK_H_
#define SW_INTEGRATIONS_AWS_MOCKED_RESULT_CHECK_H_

#include <string_view>

#include "absl/status/status.h"
#include "common/json.h"

namespace stepwise::integrations {

// OK, or ValidationException in AWS's words (service_shapes.h).
absl::Status CheckMockedTaskResult(std::string_view resource,
                                   const json::value& result, bool strict);

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_MOCKED_RESULT_CHECK_H_
