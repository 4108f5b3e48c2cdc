// RedriveExecution through the Engine: eligibility and AWS's errors, the
// ExecutionRedriven event, only the unsuccessful Map iterations and
// Parallel branches rerun, clientToken idempotency, the redrive filter of
// ListExecutions, and a restart while a redriven execution runs.
// Test-only; gtest's thread.
#include <algorithm>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_fixture.h"
#include "engine/service_error.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr char kJobs[] = "arn:aws:states:us-east-1:123456789012:activity:jobs";

// Prepares the input, then calls the activity.
constexpr char kPrepThenWork[] = R"({"StartAt":"Prep","States":{
  "Prep":{"Type":"Pass","Result":"ready","ResultPath":"$.prep","Next":"Work"},
  "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
          "ResultPath":"$.result","End":true}}})";

constexpr char kMapOfWork[] = R"({"StartAt":"Each","States":{
  "Each":{"Type":"Map","ItemsPath":"$.items","End":true,
    "ItemProcessor":{"StartAt":"Work","States":{
      "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
              "End":true}}}}}})";

constexpr char kParallelWork[] = R"({"StartAt":"Both","States":{
  "Both":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"Quick","States":{"Quick":{"Type":"Pass","Result":"q","End":true}}},
    {"StartAt":"Work","States":{
      "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
              "End":true}}}]}}})";

class RedriveTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  }

  ActivityTaskGrant Poll(int64_t ms = 2000) {
    auto t = engine_->GetActivityTask(kJobs, "w", ms);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : ActivityTaskGrant{};
  }

  int Count(const std::vector<std::string>& types, const std::string& type) {
    return static_cast<int>(std::count(types.begin(), types.end(), type));
  }
};

TEST_F(RedriveTest, AFailedTaskRunsAgainFromTheFailedStateAndSucceeds) {
  std::string sm = Machine("m", kPrepThenWork);
  auto ex = engine_->StartExecution(sm, "e1", R"({"order":7})");
  ASSERT_TRUE(ex.ok());
  std::string arn = ex->execution_arn;
  // Not redrivable while it runs.
  EXPECT_EQ(ServiceErrorName(engine_->RedriveExecution(arn, "").status()),
            "ExecutionNotRedrivable");
  ASSERT_TRUE(engine_->SendTaskFailure(Poll().task_token, "Broken", "worker bug").ok());
  ExecutionDescription failed = AwaitEnd(arn);
  ASSERT_EQ(failed.status, "FAILED");
  EXPECT_EQ(failed.redrive_status, "REDRIVABLE");
  EXPECT_EQ(failed.redrive_count, 0);

  clock_.Advance(1000);
  auto date = engine_->RedriveExecution(arn, "token-1");
  ASSERT_TRUE(date.ok()) << date.status();
  EXPECT_EQ(*date, clock_.NowMs());
  ExecutionDescription running = *engine_->DescribeExecution(arn);
  EXPECT_EQ(running.status, "RUNNING");
  EXPECT_EQ(running.stop_date, 0);
  EXPECT_EQ(running.redrive_count, 1);
  EXPECT_EQ(running.redrive_date, *date);
  EXPECT_EQ(running.redrive_status, "NOT_REDRIVABLE");
  // The same clientToken again: the same redrive, not a second one.
  clock_.Advance(1000);
  auto again = engine_->RedriveExecution(arn, "token-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *date);

  // The Task gets the input it had: the Pass state before it did not rerun.
  ActivityTaskGrant t = Poll();
  EXPECT_EQ(t.input, R"({"order":7,"prep":"ready"})");
  ASSERT_TRUE(engine_->SendTaskSuccess(t.task_token, R"({"ok":true})").ok());
  ExecutionDescription done = AwaitEnd(arn);
  EXPECT_EQ(done.status, "SUCCEEDED");
  EXPECT_EQ(*done.output, R"({"order":7,"prep":"ready","result":{"ok":true}})");
  EXPECT_EQ(done.redrive_count, 1);
  EXPECT_EQ(done.redrive_status, "NOT_REDRIVABLE");
  EXPECT_EQ(done.redrive_status_reason, "Execution is SUCCEEDED and cannot be redriven.");
  std::vector<std::string> types = Types(arn);
  EXPECT_EQ(Count(types, "PassStateEntered"), 1);
  EXPECT_EQ(Count(types, "ExecutionRedriven"), 1);
  auto it = std::find(types.begin(), types.end(), "ExecutionFailed");
  ASSERT_NE(it, types.end());
  EXPECT_EQ(std::vector<std::string>(it, types.end()),
            (std::vector<std::string>{"ExecutionFailed", "ExecutionRedriven", "TaskStateEntered",
                                      "ActivityScheduled", "ActivityStarted",
                                      "ActivitySucceeded", "TaskStateExited",
                                      "ExecutionSucceeded"}));
  auto h = engine_->GetExecutionHistory(arn, 1000, "", false, true);
  ASSERT_TRUE(h.ok());
  for (auto& e : h->events) {
    if (e["type"].as_string() != "ExecutionRedriven") continue;
    EXPECT_EQ(SerializeJson(e["executionRedrivenEventDetails"]), R"({"redriveCount":1})");
    EXPECT_EQ(e["previousEventId"].as_int64(), e["id"].as_int64() - 1);
  }
  EXPECT_EQ(ServiceErrorName(engine_->RedriveExecution(arn, "token-2").status()),
            "ExecutionNotRedrivable");
}

// AWS: "idempotent responses for the last 10 client tokens used to
// successfully redrive the execution ... valid for up to 15 minutes after
// they are first used".
TEST_F(RedriveTest, TheLastTenClientTokensAreIdempotentForFifteenMinutes) {
  std::string sm = Machine("m", kPrepThenWork);
  auto ex = engine_->StartExecution(sm, "tokens", "{}");
  ASSERT_TRUE(ex.ok());
  std::string arn = ex->execution_arn;
  ASSERT_TRUE(engine_->SendTaskFailure(Poll().task_token, "Broken", "").ok());
  ASSERT_EQ(AwaitEnd(arn).status, "FAILED");
  std::vector<TimeMs> dates;
  for (int i = 1; i <= 11; ++i) {  // eleven redrives, each failing again
    clock_.Advance(1000);
    auto date = engine_->RedriveExecution(arn, "token-" + std::to_string(i));
    ASSERT_TRUE(date.ok()) << i << ": " << date.status();
    dates.push_back(*date);
    ASSERT_TRUE(engine_->SendTaskFailure(Poll().task_token, "Broken", "").ok());
    ASSERT_EQ(AwaitEnd(arn).status, "FAILED");
  }
  clock_.Advance(1000);
  // An earlier token among the last 10, sent again on the FAILED execution:
  // that redrive's answer, not a 12th redrive.
  for (int i : {2, 5, 11}) {
    auto again = engine_->RedriveExecution(arn, "token-" + std::to_string(i));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, dates[static_cast<size_t>(i - 1)]);
  }
  ExecutionDescription d = *engine_->DescribeExecution(arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.redrive_count, 11);
  // token-1 is the 11th from the end: forgotten, so it redrives.
  auto first = engine_->RedriveExecution(arn, "token-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, clock_.NowMs());
  EXPECT_EQ(engine_->DescribeExecution(arn)->redrive_count, 12);
  ASSERT_TRUE(engine_->SendTaskFailure(Poll().task_token, "Broken", "").ok());
  ASSERT_EQ(AwaitEnd(arn).status, "FAILED");
  // 15 minutes after its use a token no longer answers for its redrive.
  clock_.Advance(15LL * 60 * 1000 + 1);
  auto late = engine_->RedriveExecution(arn, "token-11");
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(*late, clock_.NowMs());
  EXPECT_EQ(engine_->DescribeExecution(arn)->redrive_count, 13);
  EXPECT_EQ(Count(Types(arn), "ExecutionRedriven"), 13);
}

TEST_F(RedriveTest, RefusalsNameAwsErrors) {
  EXPECT_EQ(ServiceErrorName(engine_->RedriveExecution(
                "arn:aws:states:us-east-1:123456789012:execution:m:none", "").status()),
            "ExecutionDoesNotExist");
  EXPECT_EQ(ServiceErrorName(engine_->RedriveExecution("not-an-arn", "").status()),
            "InvalidArn");
  std::string sm = Machine("m", kPrepThenWork);
  auto ex = engine_->StartExecution(sm, "old", "{}");
  ASSERT_TRUE(ex.ok());
  ASSERT_TRUE(engine_->SendTaskFailure(Poll().task_token, "Broken", "").ok());
  ASSERT_EQ(AwaitEnd(ex->execution_arn).status, "FAILED");
  clock_.Advance(15LL * 24 * 3600 * 1000);  // closed more than 14 days ago
  ExecutionDescription d = *engine_->DescribeExecution(ex->execution_arn);
  EXPECT_EQ(d.redrive_status, "NOT_REDRIVABLE");
  EXPECT_EQ(d.redrive_status_reason, "Execution redrivable period exceeded.");
  EXPECT_EQ(ServiceErrorName(engine_->RedriveExecution(ex->execution_arn, "").status()),
            "ExecutionNotRedrivable");
}

TEST_F(RedriveTest, AStoppedExecutionRedrivesAndTheListFilterSeesIt) {
  std::string sm = Machine("m", kPrepThenWork);
  auto a = engine_->StartExecution(sm, "a", "{}");
  auto b = engine_->StartExecution(sm, "b", "{}");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(engine_->StopExecution(a->execution_arn, "Ops", "paused").ok());
  ASSERT_EQ(AwaitEnd(a->execution_arn).status, "ABORTED");
  ASSERT_TRUE(engine_->RedriveExecution(a->execution_arn, "").ok());
  auto redriven = engine_->ListExecutions(sm, "", 0, "", "REDRIVEN");
  ASSERT_TRUE(redriven.ok());
  ASSERT_EQ(redriven->executions.size(), 1u);
  EXPECT_EQ(redriven->executions[0].name, "a");
  EXPECT_EQ(redriven->executions[0].status, "RUNNING");
  EXPECT_EQ(redriven->executions[0].redrive_count, 1);
  auto not_redriven = engine_->ListExecutions(sm, "", 0, "", "NOT_REDRIVEN");
  ASSERT_TRUE(not_redriven.ok());
  ASSERT_EQ(not_redriven->executions.size(), 1u);
  EXPECT_EQ(not_redriven->executions[0].name, "b");
}

TEST_F(RedriveTest, OnlyTheFailedMapIterationsRunAgain) {
  std::string sm = Machine("map", kMapOfWork);
  std::string items;
  for (int i = 0; i < 12; ++i) items += (i ? "," : "") + std::to_string(i);
  auto ex = engine_->StartExecution(sm, "m1", R"({"items":[)" + items + "]}");
  ASSERT_TRUE(ex.ok());
  const std::vector<std::string> bad = {"3", "7", "10"};
  // Every iteration waits for a worker; the good ones succeed first, then
  // the bad ones fail (the first failure fails the Map and aborts the rest).
  std::vector<ActivityTaskGrant> failing;
  for (int i = 0; i < 12; ++i) {
    ActivityTaskGrant t = Poll();
    ASSERT_FALSE(t.task_token.empty());
    if (std::find(bad.begin(), bad.end(), t.input) != bad.end()) {
      failing.push_back(t);
      continue;
    }
    ASSERT_TRUE(engine_->SendTaskSuccess(t.task_token, "\"done-" + t.input + "\"").ok());
  }
  ASSERT_EQ(failing.size(), 3u);
  ASSERT_TRUE(engine_->SendTaskFailure(failing[0].task_token, "Bad", "item").ok());
  ASSERT_EQ(AwaitEnd(ex->execution_arn).status, "FAILED");
  ASSERT_TRUE(engine_->RedriveExecution(ex->execution_arn, "").ok());
  std::vector<std::string> rerun;
  for (int i = 0; i < 3; ++i) {
    ActivityTaskGrant t = Poll();
    ASSERT_FALSE(t.task_token.empty());
    rerun.push_back(t.input);
    ASSERT_TRUE(engine_->SendTaskSuccess(t.task_token, "\"fixed-" + t.input + "\"").ok());
  }
  std::sort(rerun.begin(), rerun.end());
  EXPECT_EQ(rerun, (std::vector<std::string>{"10", "3", "7"}));
  EXPECT_TRUE(Poll(100).task_token.empty());  // nothing else reran
  ExecutionDescription d = AwaitEnd(ex->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output,
            R"(["done-0","done-1","done-2","fixed-3","done-4","done-5","done-6","fixed-7",)"
            R"("done-8","done-9","fixed-10","done-11"])");
  std::vector<std::string> types = Types(ex->execution_arn);
  auto it = std::find(types.begin(), types.end(), "ExecutionRedriven");
  ASSERT_NE(it, types.end());
  std::vector<std::string> after(it, types.end());
  EXPECT_EQ(Count(after, "MapIterationStarted"), 3);
  EXPECT_EQ(Count(after, "MapIterationSucceeded"), 3);
}

TEST_F(RedriveTest, OnlyTheFailedParallelBranchRunsAgain) {
  std::string sm = Machine("par", kParallelWork);
  auto ex = engine_->StartExecution(sm, "p1", R"({"x":1})");
  ASSERT_TRUE(ex.ok());
  ASSERT_TRUE(engine_->SendTaskFailure(Poll().task_token, "Bad", "").ok());
  ASSERT_EQ(AwaitEnd(ex->execution_arn).status, "FAILED");
  ASSERT_TRUE(engine_->RedriveExecution(ex->execution_arn, "").ok());
  ASSERT_TRUE(engine_->SendTaskSuccess(Poll().task_token, R"("w")").ok());
  ExecutionDescription d = AwaitEnd(ex->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"(["q","w"])");
  std::vector<std::string> types = Types(ex->execution_arn);
  EXPECT_EQ(Count(types, "PassStateEntered"), 1);  // the Quick branch ran once
  EXPECT_EQ(Count(types, "ParallelStateEntered"), 2);
}

TEST_F(RedriveTest, TheContextObjectShowsTheRedrive) {
  std::string sm = Machine("ctx", R"({"StartAt":"Work","States":{
    "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
            "ResultPath":null,"Next":"Show"},
    "Show":{"Type":"Pass","End":true,"Parameters":{
      "count.$":"$$.Execution.RedriveCount","time.$":"$$.Execution.RedriveTime"}}}})");
  auto ex = engine_->StartExecution(sm, "c1", "{}");
  ASSERT_TRUE(ex.ok());
  ASSERT_TRUE(engine_->SendTaskFailure(Poll().task_token, "Bad", "").ok());
  ASSERT_EQ(AwaitEnd(ex->execution_arn).status, "FAILED");
  clock_.Set(1700000123456);
  ASSERT_TRUE(engine_->RedriveExecution(ex->execution_arn, "").ok());
  ASSERT_TRUE(engine_->SendTaskSuccess(Poll().task_token, "{}").ok());
  ExecutionDescription d = AwaitEnd(ex->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"count":1,"time":"2023-11-14T22:15:23.456Z"})");
}

using RedriveRestartTest = RocksEngineTest;

TEST_F(RedriveRestartTest, ARedrivenExecutionContinuesAfterARestart) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string sm = Machine("m", kPrepThenWork);
  auto ex = engine_->StartExecution(sm, "r1", "{}");
  ASSERT_TRUE(ex.ok());
  auto t = engine_->GetActivityTask(kJobs, "w", 2000);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(engine_->SendTaskFailure(t->task_token, "Bad", "").ok());
  ASSERT_EQ(AwaitEnd(ex->execution_arn).status, "FAILED");
  Reopen();  // the redrive point is stored with the closed record
  ASSERT_TRUE(engine_->RedriveExecution(ex->execution_arn, "tok").ok());
  Reopen();  // while the redriven execution waits for its worker
  EXPECT_EQ(engine_->DescribeExecution(ex->execution_arn)->status, "RUNNING");
  auto again = engine_->RedriveExecution(ex->execution_arn, "tok");
  EXPECT_TRUE(again.ok()) << again.status();
  auto t2 = engine_->GetActivityTask(kJobs, "w", 2000);
  ASSERT_TRUE(t2.ok());
  ASSERT_FALSE(t2->task_token.empty());
  ASSERT_TRUE(engine_->SendTaskFailure(t2->task_token, "Bad", "").ok());
  ASSERT_EQ(AwaitEnd(ex->execution_arn).status, "FAILED");
  ASSERT_TRUE(engine_->RedriveExecution(ex->execution_arn, "tok-2").ok());
  Reopen();  // both tokens are kept with the record
  auto repeat = engine_->RedriveExecution(ex->execution_arn, "tok");
  EXPECT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_EQ(engine_->DescribeExecution(ex->execution_arn)->redrive_count, 2);
  auto t3 = engine_->GetActivityTask(kJobs, "w", 2000);
  ASSERT_TRUE(t3.ok());
  ASSERT_FALSE(t3->task_token.empty());
  ASSERT_TRUE(engine_->SendTaskSuccess(t3->task_token, "1").ok());
  ExecutionDescription d = AwaitEnd(ex->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(d.redrive_count, 2);
}

}  // namespace
}  // namespace stepwise::engine
