// Nested executions (states:startExecution and its .sync, .sync:2 and
// .waitForTaskToken patterns) through the whole engine: result shapes,
// child failure and stop, and exactly one child across a restart.
#include <filesystem>
#include <string>

#include <unistd.h>

#include "common/json.h"
#include "engine/engine_test_fixture.h"
#include "gtest/gtest.h"
#include "storage/rocks_store.h"

namespace stepwise::engine {
namespace {

std::string Parent(const std::string& suffix, const std::string& child_arn,
                   const std::string& extra = "") {
  return R"({"StartAt":"Run","States":{"Run":{"Type":"Task",
    "Resource":"arn:aws:states:::states:startExecution)" + suffix + R"(",
    "Parameters":{"StateMachineArn":")" + child_arn + R"(","Input.$":"$")" + extra + R"(},
    "End":true}}})";
}

json::object Obj(const std::string& text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.ok() && v->is_object()) << text;
  return v.ok() && v->is_object() ? v->get_object() : json::object();
}

constexpr char kChildActivity[] = "arn:aws:states:us-east-1:123456789012:activity:child-work";
constexpr char kWaitingChild[] = R"({"StartAt":"Work","States":{"Work":{"Type":"Task",
  "Resource":"arn:aws:states:us-east-1:123456789012:activity:child-work","End":true}}})";

class ChildExecutionTest : public EngineTest {
 protected:
  size_t Executions(const std::string& machine) {
    auto l = engine_->ListExecutions(machine, "", 100, "");
    EXPECT_TRUE(l.ok());
    return l.ok() ? l->executions.size() : 0;
  }
};

TEST_F(ChildExecutionTest, FireAndForgetAnswersWithTheChildsArnAndStartDate) {
  std::string child = Machine("child", R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})");
  std::string parent = Machine("parent", Parent("", child));
  auto e = engine_->StartExecution(parent, "p1", R"({"k":1})");
  ASSERT_TRUE(e.ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED");
  json::object out = Obj(*d.output);
  std::string child_arn(out.at("ExecutionArn").as_string());
  EXPECT_TRUE(child_arn.starts_with("arn:aws:states:us-east-1:123456789012:execution:child:"));
  EXPECT_TRUE(out.at("StartDate").is_int64());
  EXPECT_EQ(out.at("SdkHttpMetadata").at("HttpStatusCode").as_int64(), 200);
  EXPECT_FALSE(out.at("SdkResponseMetadata").at("RequestId").as_string().empty());
  ExecutionDescription c = AwaitEnd(child_arn);
  EXPECT_EQ(c.status, "SUCCEEDED");
  EXPECT_EQ(c.input, R"({"k":1})");
  EXPECT_EQ(Types(e->execution_arn),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                      "TaskStarted", "TaskSucceeded", "TaskStateExited",
                                      "ExecutionSucceeded"}));
}

TEST_F(ChildExecutionTest, SyncWaitsForAChildThatEndsAtOnceAndReturnsItsDescription) {
  std::string child = Machine("quick", R"({"StartAt":"P","States":{"P":{"Type":"Pass",
    "Result":{"done":true},"End":true}}})");
  std::string parent = Machine("parent", Parent(".sync", child));
  auto e = engine_->StartExecution(parent, "p1", R"({"k":1})");
  ASSERT_TRUE(e.ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.error.value_or("") << d.cause.value_or("");
  json::object out = Obj(*d.output);
  EXPECT_EQ(out.at("Status").as_string(), "SUCCEEDED");
  EXPECT_EQ(out.at("Output").as_string(), R"({"done":true})");  // JSON text (.sync)
  EXPECT_EQ(out.at("Input").as_string(), R"({"k":1})");
  EXPECT_EQ(out.at("StateMachineArn").as_string(), child);
  EXPECT_EQ(Types(e->execution_arn),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                      "TaskStarted", "TaskSubmitted", "TaskSucceeded",
                                      "TaskStateExited", "ExecutionSucceeded"}));
}

TEST_F(ChildExecutionTest, Sync2WaitsForARunningChildAndReturnsItsOutputAsJson) {
  ASSERT_TRUE(engine_->CreateActivity("child-work").ok());
  std::string child = Machine("slow", kWaitingChild);
  std::string parent = Machine("parent", Parent(".sync:2", child));
  auto e = engine_->StartExecution(parent, "p1", R"({"k":2})");
  ASSERT_TRUE(e.ok());
  auto t = engine_->GetActivityTask(kChildActivity, "w", 2000);
  ASSERT_TRUE(t.ok() && !t->task_token.empty());
  EXPECT_EQ(engine_->DescribeExecution(e->execution_arn)->status, "RUNNING");
  ASSERT_TRUE(engine_->SendTaskSuccess(t->task_token, R"({"r":3})").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED");
  json::object out = Obj(*d.output);
  EXPECT_EQ(SerializeJson(out.at("Output")), R"({"r":3})");
  EXPECT_EQ(SerializeJson(out.at("Input")), R"({"k":2})");
}

TEST_F(ChildExecutionTest, AChildsFailureFailsTheSyncTaskWithItsDescriptionAsCause) {
  std::string child = Machine("fails", R"({"StartAt":"F","States":{"F":{"Type":"Fail",
    "Error":"Nope","Cause":"because"}}})");
  std::string parent = Machine("parent", Parent(".sync", child));
  auto e = engine_->StartExecution(parent, "p1", "{}");
  ASSERT_TRUE(e.ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "FAILED");
  EXPECT_EQ(*d.error, "States.TaskFailed");
  json::object cause = Obj(*d.cause);
  EXPECT_EQ(cause.at("Status").as_string(), "FAILED");
  EXPECT_EQ(cause.at("Error").as_string(), "Nope");
  EXPECT_EQ(cause.at("Cause").as_string(), "because");
}

TEST_F(ChildExecutionTest, StoppingTheParentStopsItsSyncChild) {
  ASSERT_TRUE(engine_->CreateActivity("child-work").ok());
  std::string child = Machine("slow", kWaitingChild);
  std::string parent = Machine("parent", Parent(".sync", child, R"(,"Name":"the-child")"));
  auto e = engine_->StartExecution(parent, "p1", "{}");
  ASSERT_TRUE(e.ok());
  std::string child_arn = "arn:aws:states:us-east-1:123456789012:execution:slow:the-child";
  for (int i = 0; i < 200 && !engine_->DescribeExecution(child_arn).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(engine_->StopExecution(e->execution_arn, "E", "C").ok());
  EXPECT_EQ(AwaitEnd(child_arn).status, "ABORTED");
}

TEST_F(ChildExecutionTest, CallbackChildSendsTheTokenItWasGiven) {
  std::string child = Machine("replier", R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})");
  std::string parent = Machine("parent", R"({"StartAt":"Run","States":{"Run":{"Type":"Task",
    "Resource":"arn:aws:states:::states:startExecution.waitForTaskToken",
    "Parameters":{"StateMachineArn":")" + child + R"(","Input":{"token.$":"$$.Task.Token",
      "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$":"$$.Execution.Id"}},"End":true}}})");
  auto e = engine_->StartExecution(parent, "p1", "{}");
  ASSERT_TRUE(e.ok());
  std::string child_arn;
  for (int i = 0; i < 200 && child_arn.empty(); ++i) {
    auto l = engine_->ListExecutions(child, "", 10, "");
    if (l.ok() && !l->executions.empty()) child_arn = l->executions[0].execution_arn;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(child_arn.empty());
  ExecutionDescription c = AwaitEnd(child_arn);
  json::object in = Obj(c.input);
  EXPECT_EQ(in.at("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID").as_string(), e->execution_arn);
  ASSERT_TRUE(engine_->SendTaskSuccess(std::string(in.at("token").as_string()), R"({"ok":1})").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"ok":1})");
}

TEST_F(ChildExecutionTest, AStartFailureFailsTheTaskWithAwsNames) {
  std::string parent = Machine("parent", Parent(".sync",
      "arn:aws:states:us-east-1:123456789012:stateMachine:missing"));
  auto e = engine_->StartExecution(parent, "p1", "{}");
  ASSERT_TRUE(e.ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "FAILED");
  EXPECT_EQ(*d.error, "StepFunctions.StateMachineDoesNotExistException");
}


class ChildRestartTest : public RocksEngineTest {
 protected:
  size_t Executions(const std::string& machine) {
    auto l = engine_->ListExecutions(machine, "", 100, "");
    EXPECT_TRUE(l.ok());
    return l.ok() ? l->executions.size() : 0;
  }
};

TEST_F(ChildRestartTest, ASyncChildIsStartedOnceAndStillAwaitedAfterARestart) {
  ASSERT_TRUE(engine_->CreateActivity("child-work").ok());
  std::string child = Machine("slow", kWaitingChild);
  std::string parent = Machine("parent", Parent(".sync:2", child));
  auto e = engine_->StartExecution(parent, "p1", R"({"k":1})");
  ASSERT_TRUE(e.ok());
  for (int i = 0; i < 200 && Executions(child) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Reopen();
  Reopen();
  EXPECT_EQ(Executions(child), 1u);
  auto t = engine_->GetActivityTask(kChildActivity, "w", 2000);
  ASSERT_TRUE(t.ok() && !t->task_token.empty());
  ASSERT_TRUE(engine_->SendTaskSuccess(t->task_token, "5").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(SerializeJson(Obj(*d.output).at("Output")), "5");
  EXPECT_EQ(Executions(child), 1u);
}

TEST_F(ChildRestartTest, AfterARestartTheParentStillHearsOfItsChildsEnd) {
  ASSERT_TRUE(engine_->CreateActivity("child-work").ok());
  std::string child = Machine("slow", kWaitingChild);
  std::string parent = Machine("parent", Parent(".sync", child));
  auto e = engine_->StartExecution(parent, "p1", "{}");
  ASSERT_TRUE(e.ok());
  auto t = engine_->GetActivityTask(kChildActivity, "w", 2000);
  ASSERT_TRUE(t.ok() && !t->task_token.empty());
  // Once the parent saw the start (TaskSubmitted), restart: the
  // dispatcher's table of awaited children is rebuilt from the task rows.
  for (int i = 0; i < 200; ++i) {
    auto types = Types(e->execution_arn);
    if (std::find(types.begin(), types.end(), "TaskSubmitted") != types.end()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Reopen();
  ASSERT_TRUE(engine_->SendTaskSuccess(t->task_token, "1").ok());
  EXPECT_EQ(AwaitEnd(e->execution_arn).status, "SUCCEEDED");
}

}  // namespace
}  // namespace stepwise::engine
