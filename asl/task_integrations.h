// The Task resources AWS Step Functions recognizes: the one table of
// optimized integrations (service, API, and the integration patterns each
// allows: request-response, .sync, .sync:2, .waitForTaskToken), and the
// shapes of activity, Lambda function, AWS SDK and HTTP resources. The
// validator reads it to judge a Task's "Resource" as CreateStateMachine
// does. Pure data and pure functions: any thread.
#ifndef SW_ASL_TASK_INTEGRATIONS_H_
#define SW_ASL_TASK_INTEGRATIONS_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace stepwise::asl {

// How a Task waits for its work (the Resource's suffix). Values are bits so
// that one table row can allow several.
enum class IntegrationPattern : uint8_t {
  kRequestResponse = 1,   // no suffix
  kSync = 2,              // ".sync"
  kSync2 = 4,             // ".sync:2"
  kWaitForTaskToken = 8,  // ".waitForTaskToken"
};

enum class TaskResourceKind {
  kActivity,        // arn:P:states:REGION:ACCOUNT:activity:NAME
  kLambdaFunction,  // arn:P:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
  kOptimized,       // arn:P:states:::SERVICE:API[.sync|.sync:2|.waitForTaskToken]
  kAwsSdk,          // arn:P:states:::aws-sdk:SERVICE:ACTION[.waitForTaskToken]
  kHttp,            // arn:P:states:::http:invoke
  kOtherArn,        // any other service's ARN (judged at run time, as before)
};

struct TaskResourceShape {
  TaskResourceKind kind;
  IntegrationPattern pattern;  // kRequestResponse for activities and ARNs
};

// The patterns (a mask of IntegrationPattern bits) the optimized
// integration SERVICE:API allows, or 0 when Step Functions has no such
// optimized integration. `api` is without its suffix ("invoke").
uint8_t OptimizedIntegrationPatterns(std::string_view service, std::string_view api);

// What `resource` is, or nullopt when Step Functions does not recognize it:
// an unknown optimized service or API, a pattern its API does not allow
// (lambda:invoke.sync; .sync on any aws-sdk action), or a malformed
// activity, Lambda function, AWS SDK or HTTP resource. Expects
// "arn:" followed by at least five colon-separated fields (the caller
// reports anything else as not an ARN).
std::optional<TaskResourceShape> RecognizeTaskResource(std::string_view resource);

}  // namespace stepwise::asl

#endif  // SW_ASL_TASK_INTEGRATIONS_H_
