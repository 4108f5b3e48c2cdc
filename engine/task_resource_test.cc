// Tests of TaskResource::Parse: kinds, service resourceType/resource splits
// and the .waitForTaskToken flag.
#include "engine/task_resource.h"

#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

TEST(TaskResourceTest, ActivityArnIsAnActivity) {
  TaskResource r =
      TaskResource::Parse("arn:aws:states:us-east-1:123456789012:activity:work");
  EXPECT_EQ(r.kind, TaskKind::kActivity);
  EXPECT_EQ(r.arn, "arn:aws:states:us-east-1:123456789012:activity:work");
  EXPECT_EQ(r.EventPrefix(), "Activity");
  EXPECT_FALSE(r.wait_for_task_token);
}

TEST(TaskResourceTest, LambdaFunctionArnIsALambda) {
  TaskResource r =
      TaskResource::Parse("arn:aws:lambda:us-east-1:123456789012:function:fn");
  EXPECT_EQ(r.kind, TaskKind::kLambda);
  EXPECT_EQ(r.EventPrefix(), "LambdaFunction");
}

TEST(TaskResourceTest, ActivityOrFunctionWordsOutsideAnArnAreAService) {
  EXPECT_EQ(TaskResource::Parse("x:states:activity:work").kind, TaskKind::kService);
  EXPECT_EQ(TaskResource::Parse("arn:aws:states:us-east-1:1:function:f").kind,
            TaskKind::kService);
}

TEST(TaskResourceTest, OptimizedIntegrationSplitsAtTheLastColon) {
  TaskResource r = TaskResource::Parse("arn:aws:states:::lambda:invoke");
  EXPECT_EQ(r.kind, TaskKind::kService);
  EXPECT_EQ(r.resource_type, "lambda");
  EXPECT_EQ(r.resource_name, "invoke");
  EXPECT_EQ(r.EventPrefix(), "Task");
}

TEST(TaskResourceTest, SdkIntegrationKeepsTheServiceInTheType) {
  TaskResource r = TaskResource::Parse("arn:aws:states:::aws-sdk:s3:getObject");
  EXPECT_EQ(r.resource_type, "aws-sdk:s3");
  EXPECT_EQ(r.resource_name, "getObject");
}

TEST(TaskResourceTest, SyncTwoSuffixStaysWithTheResourceName) {
  TaskResource r = TaskResource::Parse("arn:aws:states:::states:startExecution.sync:2");
  EXPECT_EQ(r.resource_type, "states");
  EXPECT_EQ(r.resource_name, "startExecution.sync:2");
}

TEST(TaskResourceTest, WaitForTaskTokenIsDetected) {
  TaskResource r = TaskResource::Parse("arn:aws:states:::sqs:sendMessage.waitForTaskToken");
  EXPECT_TRUE(r.wait_for_task_token);
  EXPECT_EQ(r.resource_type, "sqs");
  EXPECT_EQ(r.resource_name, "sendMessage.waitForTaskToken");
}

TEST(TaskResourceTest, ResourceWithoutColonIsAllType) {
  TaskResource r = TaskResource::Parse("custom");
  EXPECT_EQ(r.kind, TaskKind::kService);
  EXPECT_EQ(r.resource_type, "custom");
  EXPECT_EQ(r.resource_name, "");
}

}  // namespace
}  // namespace stepwise::engine
