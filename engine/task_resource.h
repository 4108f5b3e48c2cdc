// TaskResource: what a Task state's "Resource" string says, parsed into a
// small value: the kind of work (activity, Lambda function, service
// integration), the resourceType / resource pair history events show for
// service integrations, and whether the task waits for a task token. It is
// the one place in the interpreter that reads Task resource strings; the
// dispatch of Task work builds on it. Pure functions on values: any thread.
#ifndef SW_ENGINE_TASK_RESOURCE_H_
#define SW_ENGINE_TASK_RESOURCE_H_

#include <string_view>

namespace stepwise::engine {

// How a Task resource is reported in history.
enum class TaskKind { kActivity, kLambda, kService };

// A parsed Task resource. The views point into the string given to Parse,
// which must outlive the value (the interpreter parses the state machine's
// own string, which lives as long as the machine).
struct TaskResource {
  // Parses `resource` (never fails: anything that is neither an activity
  // nor a Lambda function ARN is a service integration):
  //   arn:aws:states:<region>:<account>:activity:<name>   → kActivity
  //   arn:aws:lambda:<region>:<account>:function:<name>   → kLambda
  //   arn:aws:states:::lambda:invoke                      → kService,
  //       resource_type "lambda", resource_name "invoke"
  //   arn:aws:states:::aws-sdk:s3:getObject               → kService,
  //       resource_type "aws-sdk:s3", resource_name "getObject"
  //   arn:aws:states:::states:startExecution.sync:2       → kService,
  //       resource_type "states", resource_name "startExecution.sync:2"
  static TaskResource Parse(std::string_view resource);

  // The history event name prefix of the kind: "Activity",
  // "LambdaFunction" or "Task" (ActivityScheduled, LambdaFunctionFailed,
  // TaskSucceeded, ...).
  std::string_view EventPrefix() const;

  TaskKind kind = TaskKind::kService;
  std::string_view arn;            // the whole resource string
  std::string_view resource_type;  // service integrations: "lambda", "aws-sdk:s3"
  std::string_view resource_name;  // service integrations: "invoke", "getObject"
  // The resource contains ".waitForTaskToken": the state's context object
  // carries $$.Task.Token.
  bool wait_for_task_token = false;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_TASK_RESOURCE_H_
