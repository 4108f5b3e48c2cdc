// Task resources as Step Functions recognizes them (task_integrations.h),
// and the validator's diagnostics for them in both query languages and both
// machine types: unrecognized resources, the integration patterns each
// optimized API allows, the Express refusals, the Credentials field, the
// HTTP Task's arguments, and the warnings about Tasks the server cannot run.
#include "asl/task_integrations.h"

#include <string>
#include <string_view>
#include <vector>

#include "asl/validator.h"
#include "gtest/gtest.h"

namespace stepwise::asl {
namespace {

std::optional<TaskResourceKind> Kind(std::string_view resource) {
  auto shape = RecognizeTaskResource(resource);
  if (!shape) return std::nullopt;
  return shape->kind;
}

TEST(TaskIntegrationsTest, ActivityAndLambdaFunctionArns) {
  EXPECT_EQ(Kind("arn:aws:states:us-east-1:123456789012:activity:jobs"),
            TaskResourceKind::kActivity);
  EXPECT_EQ(Kind("arn:aws-cn:states:cn-north-1:123456789012:activity:a-b_c"),
            TaskResourceKind::kActivity);
  EXPECT_FALSE(Kind("arn:aws:states:us-east-1:123456789012:activity:"));
  EXPECT_FALSE(Kind("arn:aws:states:us-east-1:123456789012:activity:a:b"));
  EXPECT_FALSE(Kind("arn:aws:states:us-east-1:123456789012:stateMachine:m"));

  EXPECT_EQ(Kind("arn:aws:lambda:us-east-1:123456789012:function:f"),
            TaskResourceKind::kLambdaFunction);
  EXPECT_EQ(Kind("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"),
            TaskResourceKind::kLambdaFunction);
  EXPECT_EQ(Kind("arn:aws:lambda:us-east-1:123456789012:function:f:7"),
            TaskResourceKind::kLambdaFunction);
  EXPECT_EQ(Kind("arn:aws:lambda:us-east-1:123456789012:function:f:prod-Alias_1"),
            TaskResourceKind::kLambdaFunction);
  EXPECT_FALSE(Kind("arn:aws:lambda:us-east-1:123456789012:function:"));
  EXPECT_FALSE(Kind("arn:aws:lambda:us-east-1:123456789012:function:f:"));
  EXPECT_FALSE(Kind("arn:aws:lambda:us-east-1:123456789012:function:f:1:2"));
  EXPECT_FALSE(Kind("arn:aws:lambda:us-east-1:123456789012:layer:l"));
  EXPECT_FALSE(Kind("arn:aws:lambda:us-east-1:123456789012:function:f.waitForTaskToken"));
}

TEST(TaskIntegrationsTest, OptimizedIntegrationsAllowTheirPatternsOnly) {
  struct Row {
    const char* resource;
    bool recognized;
  };
  const Row rows[] = {
      {"arn:aws:states:::lambda:invoke", true},
      {"arn:aws:states:::lambda:invoke.waitForTaskToken", true},
      {"arn:aws:states:::lambda:invoke.sync", false},
      {"arn:aws:states:::lambda:invoke.sync:2", false},
      {"arn:aws:states:::lambda:invokeAsync", false},
      {"arn:aws:states:::states:startExecution", true},
      {"arn:aws:states:::states:startExecution.sync", true},
      {"arn:aws:states:::states:startExecution.sync:2", true},
      {"arn:aws:states:::states:startExecution.waitForTaskToken", true},
      {"arn:aws:states:::states:startExecution.sync:3", false},
      {"arn:aws:states:::states:startExecution.waitForTaskToken:2", false},
      {"arn:aws:states:::states:startExecution.wait", false},
      {"arn:aws:states:::batch:submitJob", true},
      {"arn:aws:states:::batch:submitJob.sync", true},
      {"arn:aws:states:::batch:submitJob.sync:2", false},
      {"arn:aws:states:::batch:submitJob.waitForTaskToken", false},
      {"arn:aws:states:::dynamodb:putItem", true},
      {"arn:aws:states:::dynamodb:putItem.sync", false},
      {"arn:aws:states:::dynamodb:putItem.waitForTaskToken", false},
      {"arn:aws:states:::dynamodb:scan", false},
      {"arn:aws:states:::ecs:runTask.sync", true},
      {"arn:aws:states:::ecs:runTask.waitForTaskToken", true},
      {"arn:aws:states:::sns:publish.waitForTaskToken", true},
      {"arn:aws:states:::sns:publish.sync", false},
      {"arn:aws:states:::sqs:sendMessage.waitForTaskToken", true},
      {"arn:aws:states:::glue:startJobRun.sync", true},
      {"arn:aws:states:::events:putEvents.waitForTaskToken", true},
      {"arn:aws:states:::apigateway:invoke.waitForTaskToken", true},
      {"arn:aws:states:::sagemaker:createTrainingJob.sync", true},
      {"arn:aws:states:::sagemaker:createModel.sync", false},
      {"arn:aws:states:::elasticmapreduce:createCluster.sync", true},
      {"arn:aws:states:::bedrock:invokeModel", true},
      {"arn:aws:states:::nosuchservice:doIt", false},
      {"arn:aws:states:::lambda", false},
      {"arn:aws:states:::lambda:", false},
      {"arn:aws:states:::lambda:.sync", false},
      {"arn:aws:states:us-east-1::lambda:invoke", false},
      // HTTP task: request-response and callback, never .sync.
      {"arn:aws:states:::http:invoke", true},
      {"arn:aws:states:::http:invoke.waitForTaskToken", true},
      {"arn:aws:states:::http:invoke.sync", false},
      {"arn:aws:states:::http:get", false},
      // AWS SDK integrations: any service and action, never .sync.
      {"arn:aws:states:::aws-sdk:s3:getObject", true},
      {"arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken", true},
      {"arn:aws:states:::aws-sdk:s3:getObject.sync", false},
      {"arn:aws:states:::aws-sdk:sfn:startExecution.sync:2", false},
      {"arn:aws:states:::aws-sdk:s3", false},
      {"arn:aws:states:::aws-sdk::getObject", false},
      {"arn:aws:states:::aws-sdk:s3:", false},
      {"arn:aws:states:::aws-sdk:s3:a:b", false},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(RecognizeTaskResource(r.resource).has_value(), r.recognized) << r.resource;
  }
  EXPECT_EQ(RecognizeTaskResource("arn:aws:states:::states:startExecution.sync:2")->pattern,
            IntegrationPattern::kSync2);
  EXPECT_EQ(RecognizeTaskResource("arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken")
                ->kind,
            TaskResourceKind::kAwsSdk);
}

TEST(TaskIntegrationsTest, OtherServicesArnsAreLeftToRunTime) {
  EXPECT_EQ(Kind("arn:aws:swf:us-east-1:123456789012:task:X"), TaskResourceKind::kOtherArn);
}

// ---- through the validator -----------------------------------------------

std::string TaskMachine(std::string_view resource, std::string_view extra = "",
                        std::string_view top = "") {
  return std::string(R"({"StartAt":"A",)") + std::string(top) +
         R"("States":{"A":{"Type":"Task","Resource":")" + std::string(resource) + R"(",)" +
         std::string(extra) + R"("End":true}}})";
}

std::string Errors(const ValidationResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.severity != "ERROR") continue;
    out += d.code + ": " + d.message + " at " + d.location + "\n";
  }
  return out;
}

constexpr std::string_view kJsonata = R"("QueryLanguage":"JSONata",)";

TEST(TaskIntegrationsTest, UnrecognizedResourceIsRefusedInAwsWords) {
  for (std::string_view top : {std::string_view(), kJsonata}) {
    ValidationResult r =
        ValidateDefinition(TaskMachine("arn:aws:states:::lambda:invoke.sync", "", top));
    EXPECT_EQ(Errors(r),
              "SCHEMA_VALIDATION_FAILED: The resource provided "
              "arn:aws:states:::lambda:invoke.sync is not recognized. The value is not a "
              "valid resource ARN, or the resource is not available in this region. at "
              "/States/A/Resource\n");
    EXPECT_FALSE(
        ValidateDefinition(TaskMachine("arn:aws:states:::aws-sdk:s3:getObject.sync", "", top))
            .ok());
    EXPECT_TRUE(
        ValidateDefinition(TaskMachine("arn:aws:states:::lambda:invoke.waitForTaskToken", "", top))
            .ok())
        << top;
  }
  // Not an ARN at all keeps its own diagnostic.
  EXPECT_EQ(Errors(ValidateDefinition(TaskMachine("my-function"))),
            "INVALID_RESOURCE: Value is not a valid resource ARN at /States/A/Resource\n");
}

TEST(TaskIntegrationsTest, ExpressRefusesSyncCallbacksAndActivitiesInAwsWords) {
  struct Row {
    const char* resource;
    const char* error;  // "" when EXPRESS accepts it
  };
  const Row rows[] = {
      {"arn:aws:states:::states:startExecution.sync",
       "Express state machine does not support '.sync' service integration"},
      {"arn:aws:states:::states:startExecution.sync:2",
       "Express state machine does not support '.sync' service integration"},
      {"arn:aws:states:::batch:submitJob.sync",
       "Express state machine does not support '.sync' service integration"},
      {"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
       "Express state machine does not support '.waitForTaskToken' service integration "},
      {"arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken",
       "Express state machine does not support '.waitForTaskToken' service integration "},
      {"arn:aws:states:us-east-1:123456789012:activity:a",
       "Express state machine does not support Activity ARN"},
      {"arn:aws:states:::lambda:invoke", ""},
      {"arn:aws:states:::aws-sdk:s3:listBuckets", ""},
      {"arn:aws:states:::http:invoke", ""},
      {"arn:aws:lambda:us-east-1:123456789012:function:f:1", ""},
  };
  for (std::string_view top : {std::string_view(), kJsonata}) {
    for (const Row& row : rows) {
      // The HTTP Task needs its ApiEndpoint and Method.
      std::string http = std::string(top.empty() ? R"("Parameters")" : R"("Arguments")") +
                         R"(:{"ApiEndpoint":"https://example.com","Method":"GET"},)";
      std::string def = TaskMachine(
          row.resource, std::string_view(row.resource).find(":http:") != std::string_view::npos
                            ? std::string_view(http)
                            : std::string_view(),
          top);
      EXPECT_TRUE(ValidateDefinition(def, "STANDARD").ok()) << def;
      ValidationResult r = ValidateDefinition(def, "EXPRESS");
      std::string want = std::string(row.error).empty()
                             ? ""
                             : "SCHEMA_VALIDATION_FAILED: " + std::string(row.error) +
                                   " at /States/A/Resource\n";
      EXPECT_EQ(Errors(r), want) << def;
    }
  }
}

TEST(TaskIntegrationsTest, ExpressChildWorkflowsOfADistributedMapRefuseCallbacks) {
  auto map = [](std::string_view execution_type, std::string_view resource) {
    return std::string(R"({"StartAt":"M","States":{"M":{"Type":"Map",)") +
           R"("ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":")" +
           std::string(execution_type) + R"("},"StartAt":"T","States":{"T":{"Type":"Task",)" +
           R"("Resource":")" + std::string(resource) + R"(","End":true}}},"End":true}}})";
  };
  const std::string token = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
  EXPECT_TRUE(ValidateDefinition(map("STANDARD", token)).ok());
  EXPECT_EQ(Errors(ValidateDefinition(map("EXPRESS", token))),
            "SCHEMA_VALIDATION_FAILED: Express state machine does not support "
            "'.waitForTaskToken' service integration  at /States/M/ItemProcessor/States/T/"
            "Resource\n");
  EXPECT_FALSE(
      ValidateDefinition(map("EXPRESS", "arn:aws:states:::states:startExecution.sync")).ok());
  EXPECT_TRUE(ValidateDefinition(map("EXPRESS", "arn:aws:states:::lambda:invoke")).ok());
}

TEST(TaskIntegrationsTest, CredentialsNeedARoleArn) {
  const char* lambda = "arn:aws:states:::lambda:invoke";
  // JSONPath: a literal, a path, a context path, a variable or an intrinsic.
  for (const char* ok : {R"({"RoleArn":"arn:aws:iam::123456789012:role/r"})",
                         R"({"RoleArn.$":"$.role"})",
                         R"({"RoleArn.$":"$$.Execution.Input.role"})",
                         R"({"RoleArn.$":"$role"})",
                         R"j({"RoleArn.$":"States.Format('{}', $.role)"})j"}) {
    std::string def = TaskMachine(lambda, std::string(R"("Credentials":)") + ok + ",");
    EXPECT_TRUE(ValidateDefinition(def).ok()) << Errors(ValidateDefinition(def));
  }
  // JSONata: the literal field, holding a string or an expression.
  for (const char* ok : {R"({"RoleArn":"arn:aws:iam::123456789012:role/r"})",
                         R"({"RoleArn":"{% $states.input.role %}"})"}) {
    std::string def =
        TaskMachine(lambda, std::string(R"("Credentials":)") + ok + ",", kJsonata);
    EXPECT_TRUE(ValidateDefinition(def).ok()) << Errors(ValidateDefinition(def));
  }
  // AWS's answer to {} and to {"InvalidField":"invalid"}.
  const std::string missing =
      "SCHEMA_VALIDATION_FAILED: The field 'RoleArn' is required but was missing at "
      "/States/A/Credentials\n";
  for (std::string_view top : {std::string_view(), kJsonata}) {
    EXPECT_EQ(Errors(ValidateDefinition(TaskMachine(lambda, R"("Credentials":{},)", top))),
              missing);
    EXPECT_EQ(Errors(ValidateDefinition(
                  TaskMachine(lambda, R"("Credentials":{"InvalidField":"invalid"},)", top))),
              missing);
  }
  // RoleArn.$ is JSONPath's form only.
  EXPECT_EQ(Errors(ValidateDefinition(
                TaskMachine(lambda, R"("Credentials":{"RoleArn.$":"$.role"},)", kJsonata))),
            missing);
  EXPECT_EQ(Errors(ValidateDefinition(TaskMachine(lambda, R"("Credentials":{"RoleArn":5},)"))),
            "SCHEMA_VALIDATION_FAILED: The value for the field 'RoleArn' must be a STRING at "
            "/States/A/Credentials/RoleArn\n");
  EXPECT_FALSE(ValidateDefinition(TaskMachine(lambda, R"("Credentials":{"RoleArn.$":"role"},)"))
                   .ok());
  EXPECT_FALSE(ValidateDefinition(TaskMachine(lambda, R"("Credentials":"r",)")).ok());
}


std::string Warnings(const ValidationResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.severity != "WARNING") continue;
    out += d.code + " at " + d.location + "\n";
  }
  return out;
}

TEST(TaskIntegrationsTest, UnknownOptimizedActionsAreRefusedInAwsWords) {
  for (std::string_view r : {"arn:aws:states:::dynamodb:getItemz", "arn:aws:states:::dynamodb:query",
                             "arn:aws:states:::sqs:sendMessages"}) {
    EXPECT_EQ(Errors(ValidateDefinition(TaskMachine(r))),
              "SCHEMA_VALIDATION_FAILED: The resource provided " + std::string(r) +
                  " is not recognized. The value is not a valid resource ARN, or the resource "
                  "is not available in this region. at /States/A/Resource\n");
  }
}

TEST(TaskIntegrationsTest, ResourcesTheServerKnowsAwsLacksAreRefusedInAwsWords) {
  ValidationOptions options;
  options.unrecognized_resource = [](std::string_view resource) {
    return resource == "arn:aws:states:::aws-sdk:dynamodb:nosuch";
  };
  options.why_not_runnable = [](std::string_view) { return std::string("not here"); };
  const std::string r = "arn:aws:states:::aws-sdk:dynamodb:nosuch";
  for (std::string_view type : {"STANDARD", "EXPRESS"}) {
    EXPECT_EQ(Errors(ValidateDefinition(TaskMachine(r), type, options)),
              "SCHEMA_VALIDATION_FAILED: The resource provided " + r +
                  " is not recognized. The value is not a valid resource ARN, or the resource "
                  "is not available in this region. at /States/A/Resource\n")
        << type;
  }
  ValidationResult ok = ValidateDefinition(
      TaskMachine("arn:aws:states:::aws-sdk:dynamodb:getItem"), "STANDARD", options);
  EXPECT_TRUE(ok.ok()) << Errors(ok);
  // Without the server's answer, accepted.
  EXPECT_TRUE(ValidateDefinition(TaskMachine(r)).ok());
}

// An HTTP Task with `args` as its Parameters (JSONPath) or Arguments
// (JSONata).
std::string HttpTask(std::string_view args, bool jsonata = false) {
  return TaskMachine("arn:aws:states:::http:invoke",
                     std::string(jsonata ? R"("Arguments":)" : R"("Parameters":)") +
                         std::string(args) + ",",
                     jsonata ? kJsonata : std::string_view());
}

constexpr std::string_view kConnection =
    R"("Authentication":{"ConnectionArn":"arn:aws:events:us-east-2:123456789012:connection/Stripe/81210c42-8af1-456b-9c4a-6ff02fc664ac"})";

TEST(TaskIntegrationsTest, HttpTaskArgumentsAreCheckedAsAwsDoes) {
  const std::string ok = std::string(R"({"ApiEndpoint":"https://api.stripe.com/v1/customers",)") +
                         R"("Method":"GET",)" + std::string(kConnection) + "}";
  for (bool jsonata : {false, true}) {
    ValidationResult r = ValidateDefinition(HttpTask(ok, jsonata));
    EXPECT_TRUE(r.ok()) << Errors(r);
    EXPECT_EQ(Warnings(r), "");
  }
  const std::string at = " at /States/A/Parameters\n";
  auto errors = [](std::string_view args, bool jsonata = false) {
    return Errors(ValidateDefinition(HttpTask(args, jsonata)));
  };
  EXPECT_EQ(errors(R"({"Method":"GET"})"),
            "SCHEMA_VALIDATION_FAILED: The field 'ApiEndpoint' is required but was missing" + at);
  EXPECT_EQ(errors(R"({"ApiEndpoint":"https://h/p"})"),
            "SCHEMA_VALIDATION_FAILED: The field 'Method' is required but was missing" + at);
  for (std::string_view bad : {R"("ftp://h/p")", R"("$.url")", R"("https://")", R"(5)",
                               R"("https://h/a b")"}) {
    EXPECT_EQ(errors(std::string(R"({"Method":"GET","ApiEndpoint":)") + std::string(bad) + "}"),
              "SCHEMA_VALIDATION_FAILED: The value for the 'ApiEndpoint' field is not valid" + at)
        << bad;
  }
  EXPECT_EQ(errors(R"({"ApiEndpoint":"http://127.0.0.1:8080/x","Method":"FETCH"})"),
            "SCHEMA_VALIDATION_FAILED: The value for the 'Method' field is not valid" + at);
  EXPECT_EQ(errors(R"({"ApiEndpoint":"https://h","Method":"get"})"),
            "SCHEMA_VALIDATION_FAILED: The value for the 'Method' field is not valid" + at);
  for (std::string_view bad :
       {R"("${ApiConnectionArn}")", R"("arn:aws:events:us-east-2:123456789012:connection/Stripe")",
        R"("arn:aws:events:us-east-2:1234:connection/a/b")",
        R"("arn:aws:sqs:us-east-2:123456789012:connection/a/b")"}) {
    EXPECT_EQ(errors(std::string(R"({"ApiEndpoint":"https://h","Method":"GET",)") +
                     R"("Authentication":{"ConnectionArn":)" + std::string(bad) + "}}"),
              "SCHEMA_VALIDATION_FAILED: The value for the 'ConnectionArn' field is not valid" +
                  at)
        << bad;
  }
  EXPECT_EQ(errors(R"({"ApiEndpoint":"https://h","Method":"GET","Authentication":{}})"),
            "SCHEMA_VALIDATION_FAILED: The field 'ConnectionArn' is required but was missing at "
            "/States/A/Parameters/Authentication\n");
  EXPECT_EQ(errors(R"({"ApiEndpoint":"https://h","Method":"GET","Authentication":"a"})"),
            "SCHEMA_VALIDATION_FAILED: The value for the 'Authentication' field is not valid" +
                at);
  EXPECT_EQ(errors(R"({"ApiEndpoint":"https://h","Method":"GET","Headers":[1]})"),
            "SCHEMA_VALIDATION_FAILED: The value for the 'Headers' field is not valid" + at);
  EXPECT_EQ(errors(R"({"ApiEndpoint":"https://h","Method":"POST","Transform":)"
                   R"({"RequestBodyEncoding":"JSON"}})"),
            "SCHEMA_VALIDATION_FAILED: The value for the 'RequestBodyEncoding' field is not "
            "valid" + at);
  EXPECT_EQ(errors(R"({"ApiEndpoint":"https://h","Method":"POST","Transform":)"
                   R"({"RequestBodyEncoding":"URL_ENCODED",)"
                   R"("RequestEncodingOptions":{"ArrayFormat":"SPACES"}}})"),
            "SCHEMA_VALIDATION_FAILED: The value for the 'ArrayFormat' field is not valid" + at);
  EXPECT_EQ(errors(R"({"ApiEndpoint":"https://h","Method":"POST","Transform":)"
                   R"({"RequestBodyEncoding":"URL_ENCODED",)"
                   R"("RequestEncodingOptions":{"ArrayFormat":"INDICES"}}})"),
            "");
  // No Parameters at all.
  EXPECT_EQ(Errors(ValidateDefinition(TaskMachine("arn:aws:states:::http:invoke"))),
            "SCHEMA_VALIDATION_FAILED: The field 'Parameters' is required but was missing at "
            "/States/A\n");
  EXPECT_EQ(Errors(ValidateDefinition(TaskMachine("arn:aws:states:::http:invoke", "", kJsonata))),
            "SCHEMA_VALIDATION_FAILED: The field 'Arguments' is required but was missing at "
            "/States/A\n");
  // JSONata reports at Arguments.
  EXPECT_EQ(errors(R"({"ApiEndpoint":"https://h","Method":"BREW"})", true),
            "SCHEMA_VALIDATION_FAILED: The value for the 'Method' field is not valid at "
            "/States/A/Arguments\n");
}

TEST(TaskIntegrationsTest, HttpTaskValuesFromPathsAndExpressionsWaitForRunTime) {
  EXPECT_EQ(Errors(ValidateDefinition(HttpTask(
                R"({"ApiEndpoint.$":"$.url","Method.$":"$.method",)"
                R"("Authentication":{"ConnectionArn.$":"$.connection"}})"))),
            "");
  EXPECT_EQ(Errors(ValidateDefinition(HttpTask(
                R"({"ApiEndpoint":"{% $states.input.url %}","Method":"{% $states.input.m %}",)"
                R"("Authentication":{"ConnectionArn":"{% $states.input.c %}"}})",
                true))),
            "");
  EXPECT_EQ(Errors(ValidateDefinition(HttpTask(R"("{% $states.input %}")", true))), "");
}

TEST(TaskIntegrationsTest, HttpTaskWithoutAConnectionIsOnlyWarnedAbout) {
  ValidationResult r =
      ValidateDefinition(HttpTask(R"({"ApiEndpoint":"http://127.0.0.1:9/x","Method":"POST"})"));
  EXPECT_TRUE(r.ok()) << Errors(r);
  EXPECT_EQ(Warnings(r), "HTTP_TASK_WITHOUT_CONNECTION at /States/A/Parameters\n");
}

TEST(TaskIntegrationsTest, WarnsAboutTasksTheServerCannotRun) {
  ValidationOptions options;
  std::vector<std::string> asked;
  options.why_not_runnable = [&asked](std::string_view resource) -> std::string {
    asked.emplace_back(resource);
    if (resource == "arn:aws:states:::dynamodb:getItem" ||
        resource == "arn:aws:states:::aws-sdk:dynamodb:query") {
      return "";
    }
    return "no dispatcher takes " + std::string(resource);
  };
  const std::string warn = "INTEGRATION_NOT_RUNNABLE at /States/A/Resource\n";
  for (std::string_view top : {std::string_view(), kJsonata}) {
    for (std::string_view r : {"arn:aws:states:::ecs:runTask.sync",
                               "arn:aws:states:::glue:startJobRun.sync",
                               "arn:aws:states:::batch:submitJob",
                               "arn:aws:states:::aws-sdk:ec2:describeInstances",
                               "arn:aws:swf:us-east-1:123456789012:task:X"}) {
      ValidationResult v = ValidateDefinition(TaskMachine(r, "", top), "STANDARD", options);
      EXPECT_TRUE(v.ok()) << Errors(v);
      EXPECT_EQ(Warnings(v), warn) << r;
      ASSERT_FALSE(v.diagnostics.empty());
      EXPECT_EQ(v.diagnostics[0].message,
                "no dispatcher takes " + std::string(r) +
                    "; the Task fails with States.TaskFailed when it runs");
    }
    for (std::string_view r : {"arn:aws:states:::dynamodb:getItem",
                               "arn:aws:states:::aws-sdk:dynamodb:query"}) {
      EXPECT_EQ(Warnings(ValidateDefinition(TaskMachine(r, "", top), "STANDARD", options)), "")
          << r;
    }
  }
  // Activities and Lambda function ARNs always run (worker queues); an
  // unrecognized resource is an error, not a warning.
  asked.clear();
  for (std::string_view r : {"arn:aws:states:us-east-1:123456789012:activity:a",
                             "arn:aws:lambda:us-east-1:123456789012:function:f"}) {
    EXPECT_EQ(Warnings(ValidateDefinition(TaskMachine(r), "STANDARD", options)), "");
  }
  ValidationResult bad =
      ValidateDefinition(TaskMachine("arn:aws:states:::dynamodb:getItemz"), "STANDARD", options);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(Warnings(bad), "");
  EXPECT_TRUE(asked.empty());
  // A resource refused by the machine type is only refused.
  ValidationResult express = ValidateDefinition(
      TaskMachine("arn:aws:states:::ecs:runTask.sync"), "EXPRESS", options);
  EXPECT_FALSE(express.ok());
  EXPECT_EQ(Warnings(express), "");
  // Without the server's answer, no warning.
  EXPECT_EQ(Warnings(ValidateDefinition(TaskMachine("arn:aws:states:::ecs:runTask.sync"))), "");
}

}  // namespace
}  // namespace stepwise::asl
