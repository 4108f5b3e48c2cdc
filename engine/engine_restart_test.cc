// The engine over a RocksStore that is closed and reopened: what was
// committed survives a restart (timers re-armed, tasks re-queued).
#include <filesystem>
#include <string>

#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_test_fixture.h"
#include "gtest/gtest.h"
#include "storage/rocks_store.h"

namespace stepwise::engine {
namespace {

using EngineRestartTest = RocksEngineTest;


TEST_F(EngineRestartTest, WaitsAndActivityTasksSurviveARestart) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string waits = Machine("waits", R"({"StartAt":"W","States":{
    "W":{"Type":"Wait","Seconds":30,"Next":"P"},"P":{"Type":"Pass","End":true}}})");
  std::string act = Machine("act", kActivityMachine);
  auto w = engine_->StartExecution(waits, "w", "{}");
  auto a = engine_->StartExecution(act, "a", R"({"v":2})");
  ASSERT_TRUE(w.ok() && a.ok());
  Reopen();
  // The Wait fell due while the server was down: it fires at once.
  clock_.Advance(60000);
  EXPECT_EQ(AwaitEnd(w->execution_arn).status, "SUCCEEDED");
  // The activity task was re-queued from the store.
  auto task = engine_->GetActivityTask("arn:aws:states:us-east-1:123456789012:activity:jobs",
                                       "w", 2000);
  ASSERT_TRUE(task.ok());
  ASSERT_FALSE(task->task_token.empty());
  EXPECT_EQ(task->input, R"({"v":2})");
  // A task already handed out is not handed out again after a restart.
  Reopen();
  auto again = engine_->GetActivityTask("arn:aws:states:us-east-1:123456789012:activity:jobs",
                                        "w2", 100);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->task_token.empty());
  ASSERT_TRUE(engine_->SendTaskSuccess(task->task_token, "7").ok());
  ExecutionDescription d = AwaitEnd(a->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"v":2,"result":7})");
  auto desc = engine_->DescribeStateMachineForExecution(a->execution_arn);
  ASSERT_TRUE(desc.ok());
  EXPECT_EQ(desc->revision, 1);
}


}  // namespace
}  // namespace stepwise::engine
