// Tests of AwsSdkIntegration over a fake AwsApi: the resources it takes,
// the request it makes (operation, member names, region, deadline), and
// what the state sees: the output, service errors named and worded as the
// recorded AWS cases show them, transport failures, and the clear
// States.TaskFailed of a call Stepwise cannot make.
#include <optional>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "integrations/aws/aws_sdk_integration.h"

namespace stepwise::integrations {
namespace {

json::value J(const char* text) { return *ParseJson(text); }

class FakeAwsApi : public AwsApi {
 public:
  bool Knows(std::string_view service) const override { return FindAwsService(service) != nullptr; }
  void Call(AwsApiRequest request, std::function<void(AwsApiResponse)> done) override {
    last = std::move(request);
    ++calls;
    done(answer);
  }
  void Stop() override { stopped = true; }

  std::optional<AwsApiRequest> last;
  int calls = 0;
  AwsApiResponse answer;
  bool stopped = false;
};

engine::ServiceCall MakeCall(std::string resource, const char* parameters) {
  engine::ServiceCall c;
  c.resource = std::move(resource);
  c.parameters = J(parameters);
  c.region = "eu-west-1";
  c.timeout_ms = 12000;
  return c;
}

engine::TaskResult CallNow(AwsSdkIntegration& integration, const engine::ServiceCall& call) {
  engine::TaskResult got;
  got.error = "<not called>";
  integration.Call(call, [&](engine::TaskResult r) { got = std::move(r); });
  return got;
}

TEST(AwsSdkIntegrationTest, TakesAwsSdkResourcesOnly) {
  AwsSdkIntegration sdk(std::make_shared<FakeAwsApi>());
  EXPECT_EQ(sdk.name(), "aws-sdk");
  EXPECT_TRUE(sdk.Takes(engine::TaskResource::Parse("arn:aws:states:::aws-sdk:s3:getObject")));
  EXPECT_TRUE(sdk.Takes(
      engine::TaskResource::Parse("arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken")));
  EXPECT_FALSE(sdk.Takes(engine::TaskResource::Parse("arn:aws:states:::dynamodb:putItem")));
  EXPECT_FALSE(sdk.Takes(engine::TaskResource::Parse("arn:aws:states:::http:invoke")));
  EXPECT_FALSE(sdk.Takes(
      engine::TaskResource::Parse("arn:aws:lambda:us-east-1:123456789012:function:f")));
}

TEST(AwsSdkIntegrationTest, RefusesActionsTheServiceModelLacks) {
  AwsSdkIntegration sdk(std::make_shared<FakeAwsApi>());
  auto refuses = [&sdk](std::string_view r) { return sdk.Refuses(engine::TaskResource::Parse(r)); };
  // Actions the models have, whether or not Stepwise makes them.
  for (std::string_view r : {"arn:aws:states:::aws-sdk:dynamodb:getItem",
                             "arn:aws:states:::aws-sdk:dynamodb:batchWriteItem",
                             "arn:aws:states:::aws-sdk:s3:listObjectsV2",
                             "arn:aws:states:::aws-sdk:s3:createBucket",
                             "arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken",
                             "arn:aws:states:::aws-sdk:sns:publish",
                             "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
                             "arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken"}) {
    EXPECT_FALSE(refuses(r)) << r;
  }
  // Actions they lack (the model's PascalCase name is not the action's).
  for (std::string_view r : {"arn:aws:states:::aws-sdk:dynamodb:nosuch",
                             "arn:aws:states:::aws-sdk:dynamodb:noSuchAction",
                             "arn:aws:states:::aws-sdk:dynamodb:GetItem",
                             "arn:aws:states:::aws-sdk:dynamodb:getItemz",
                             "arn:aws:states:::aws-sdk:dynamodb:getitem",
                             "arn:aws:states:::aws-sdk:s3:publish",
                             "arn:aws:states:::aws-sdk:sqs:getItem.waitForTaskToken"}) {
    EXPECT_TRUE(refuses(r)) << r;
  }
  // A service outside the table, another suffix, another integration: not
  // this integration's to refuse.
  EXPECT_FALSE(refuses("arn:aws:states:::aws-sdk:ec2:describeInstances"));
  EXPECT_FALSE(refuses("arn:aws:states:::aws-sdk:nosuch:doIt"));
  EXPECT_FALSE(refuses("arn:aws:states:::aws-sdk:sfn:startExecution.sync"));
  EXPECT_FALSE(refuses("arn:aws:states:::dynamodb:nosuch"));
}

TEST(AwsSdkIntegrationTest, CallsTheOperationAndReturnsItsOutput) {
  auto api = std::make_shared<FakeAwsApi>();
  api->answer.status = 200;
  api->answer.output = J(R"({"Item":{"id":{"S":"id1"},"data":{"S":"HelloWorld"}}})");
  AwsSdkIntegration sdk(api);
  engine::TaskResult r = CallNow(sdk, MakeCall("arn:aws:states:::aws-sdk:dynamodb:getItem",
                                       R"({"TableName":"t","Key":{"id":{"S":"id1"}}})"));
  ASSERT_EQ(r.kind, engine::TaskResult::Kind::kSucceeded) << r.error << r.cause;
  EXPECT_EQ(SerializeJson(r.output), R"({"Item":{"id":{"S":"id1"},"data":{"S":"HelloWorld"}}})");
  ASSERT_TRUE(api->last.has_value());
  EXPECT_EQ(api->last->service, "dynamodb");
  EXPECT_EQ(api->last->operation, "GetItem");
  EXPECT_EQ(api->last->region, "eu-west-1");
  EXPECT_EQ(api->last->timeout_ms, 12000);
  EXPECT_EQ(SerializeJson(api->last->parameters), R"({"TableName":"t","Key":{"id":{"S":"id1"}}})");

  // .waitForTaskToken: the same call (the dispatcher makes it TaskSubmitted).
  api->answer.output = J("{}");
  r = CallNow(sdk, MakeCall("arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken",
                    R"({"QueueUrl":"q","MessageBody":"m"})"));
  EXPECT_EQ(r.kind, engine::TaskResult::Kind::kSucceeded);
  EXPECT_EQ(api->last->operation, "SendMessage");
}

// Step Functions takes PascalCase for camelCase APIs and shows their
// answers in PascalCase (test_sfn_start_execution: ExecutionArn,
// StartDate); its own Input given as JSON is sent as text
// (test_sfn_start_execution_implicit_json_serialisation).
TEST(AwsSdkIntegrationTest, MemberNamesOfCamelCaseApisAndTimestamps) {
  auto api = std::make_shared<FakeAwsApi>();
  api->answer.status = 200;
  api->answer.output = J(R"({"executionArn":"arn:x","startDate":1796559819.25})");
  AwsSdkIntegration sdk(api);
  engine::TaskResult r =
      CallNow(sdk, MakeCall("arn:aws:states:::aws-sdk:sfn:startExecution",
                    R"({"StateMachineArn":"arn:sm","Name":"n","Input":{"key":"value"}})"));
  ASSERT_EQ(r.kind, engine::TaskResult::Kind::kSucceeded);
  EXPECT_EQ(SerializeJson(api->last->parameters),
            R"({"stateMachineArn":"arn:sm","name":"n","input":"{\"key\":\"value\"}"})");
  EXPECT_EQ(SerializeJson(r.output),
            R"({"ExecutionArn":"arn:x","StartDate":"2026-12-06T12:23:39.250Z"})");
  // PascalCase APIs keep their names, and data keys are never renamed.
  api->answer.output = J(R"({"Item":{"reason":{"S":"x"}}})");
  r = CallNow(sdk, MakeCall("arn:aws:states:::aws-sdk:dynamodb:getItem",
                    R"({"TableName":"t","Key":{"resource":{"S":"k"}}})"));
  EXPECT_EQ(SerializeJson(api->last->parameters), R"({"TableName":"t","Key":{"resource":{"S":"k"}}})");
  EXPECT_EQ(SerializeJson(r.output), R"({"Item":{"reason":{"S":"x"}}})");
}

// test_sfn_send_task_outcome_with_no_such_token (recorded 2025-11-06).
TEST(AwsSdkIntegrationTest, ServiceErrorAsRecorded) {
  auto api = std::make_shared<FakeAwsApi>();
  api->answer.status = 400;
  api->answer.request_id = "<request_id>";
  api->answer.error_code = "InvalidToken";
  api->answer.error_message = "Invalid Token: 'Invalid token'";
  AwsSdkIntegration sdk(api);
  engine::TaskResult r = CallNow(sdk, MakeCall("arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
                                       R"({"Output":"ParameterOutput","TaskToken":"NoSuchTaskToken"})"));
  EXPECT_EQ(r.kind, engine::TaskResult::Kind::kFailed);
  EXPECT_EQ(r.error, "Sfn.InvalidTokenException");
  EXPECT_EQ(r.cause,
            "Invalid Token: 'Invalid token' (Service: Sfn, Status Code: 400, Request ID: "
            "<request_id>) (SDK Attempt Count: 1)");
  EXPECT_EQ(SerializeJson(api->last->parameters),
            R"({"output":"ParameterOutput","taskToken":"NoSuchTaskToken"})");

  // S3 adds the extended request id (test_no_such_bucket).
  api->answer.status = 404;
  api->answer.error_code = "NoSuchBucket";
  api->answer.error_message = "The specified bucket does not exist";
  api->answer.headers = {{"x-amz-request-id", "<request_id>"},
                         {"x-amz-id-2", "<extended_request_id>"}};
  r = CallNow(sdk, MakeCall("arn:aws:states:::aws-sdk:s3:listObjectsV2", R"({"Bucket":"none"})"));
  EXPECT_EQ(r.error, "S3.NoSuchBucketException");
  EXPECT_EQ(r.cause,
            "The specified bucket does not exist (Service: S3, Status Code: 404, Request ID: "
            "<request_id>, Extended Request ID: <extended_request_id>) (SDK Attempt Count: 1)");

  // An error the model does not name: the service's base exception
  // (test_dynamodb_invalid_param).
  api->answer = {};
  api->answer.status = 400;
  api->answer.error_code = "ValidationException";
  api->answer.error_message =
      "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member "
      "must not be null";
  r = CallNow(sdk, MakeCall("arn:aws:states:::aws-sdk:dynamodb:putItem", R"({"TableName":"t"})"));
  EXPECT_EQ(r.error, "DynamoDb.DynamoDbException");
}

TEST(AwsSdkIntegrationTest, NoAnswerIsSdkClientException) {
  auto api = std::make_shared<FakeAwsApi>();
  api->answer.transport_failed = true;
  api->answer.transport_error = "Unable to execute HTTP request: cannot connect";
  AwsSdkIntegration sdk(api);
  engine::TaskResult r = CallNow(sdk, MakeCall("arn:aws:states:::aws-sdk:secretsmanager:listSecrets", "{}"));
  EXPECT_EQ(r.error, "SecretsManager.SdkClientException");
  EXPECT_EQ(r.cause, "Unable to execute HTTP request: cannot connect");
}

TEST(AwsSdkIntegrationTest, WhatStepwiseCannotCallFailsClearly) {
  auto api = std::make_shared<FakeAwsApi>();
  AwsSdkIntegration sdk(api);
  engine::TaskResult r = CallNow(sdk, MakeCall("arn:aws:states:::aws-sdk:nosuch:doIt", "{}"));
  EXPECT_EQ(r.error, "States.TaskFailed");
  EXPECT_NE(r.cause.find("arn:aws:states:::aws-sdk:nosuch:doIt"), std::string::npos) << r.cause;
  EXPECT_NE(r.cause.find("'nosuch' is not an AWS service"), std::string::npos) << r.cause;
  r = CallNow(sdk, MakeCall("arn:aws:states:::aws-sdk:s3:createBucket", R"({"Bucket":"b"})"));
  EXPECT_EQ(r.error, "States.TaskFailed");
  EXPECT_NE(r.cause.find("getObject, putObject, listObjectsV2 and headObject"), std::string::npos)
      << r.cause;
  r = CallNow(sdk, MakeCall("arn:aws:states:::aws-sdk:sfn:startExecution.sync", "{}"));
  EXPECT_EQ(r.error, "States.TaskFailed");
  EXPECT_NE(r.cause.find(".sync"), std::string::npos) << r.cause;
  EXPECT_EQ(api->calls, 0);
}

TEST(AwsSdkIntegrationTest, StopDropsAnswersAndStopsTheApi) {
  auto api = std::make_shared<FakeAwsApi>();
  api->answer.status = 200;
  AwsSdkIntegration sdk(api);
  sdk.Stop();
  EXPECT_TRUE(api->stopped);
  bool called = false;
  sdk.Call(MakeCall("arn:aws:states:::aws-sdk:sqs:listQueues", "{}"),
           [&](engine::TaskResult) { called = true; });
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace stepwise::integrations
