// Tests of a mock-config test case's time scale (StepwiseTestCaseOptions,
// time_scale.h): the file's extension and its errors, the scale stored on
// the execution only when set, a Wait and a retry back-off of an hour each
// passing in a second of the engine's clock while an unscaled test case
// beside it waits, heartbeats kept on the scaled clock, and the scale
// surviving a restart. gtest's thread.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "asl/definition.h"
#include "common/json.h"
#include "engine/engine_test_fixture.h"
#include "engine/execution_codec.h"
#include "engine/interpreter.h"
#include "engine/mock_config/mock_config.h"
#include "engine/mock_config/time_scale.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr char kActivity[] = "arn:aws:states:us-east-1:123456789012:activity:jobs";

// "Fast" and "Slow" mock the same Task; only "Fast" runs 3600 times faster.
// "Beat" mocks nothing (its activity runs for real) and is scaled too.
constexpr char kMocks[] = R"({
  "StateMachines":{
    "clocks":{"TestCases":{"Fast":{"Work":"FailThenOk"},"Slow":{"Work":"FailThenOk"}}},
    "beat":{"TestCases":{"Beat":{}}}},
  "MockedResponses":{
    "FailThenOk":{"0":{"Throw":{"Error":"Flaky","Cause":"first"}},"1":{"Return":"second"}}},
  "StepwiseTestCaseOptions":{
    "clocks":{"Fast":{"TimeScale":3600},"Slow":{}},
    "beat":{"Beat":{"TimeScale":3600}}}
})";

// A Wait of an hour, then a Task whose retry backs off an hour.
constexpr char kClocks[] = R"({"StartAt":"Nap","States":{
  "Nap":{"Type":"Wait","Seconds":3600,"Next":"Work"},
  "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
          "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":3600,"MaxAttempts":1}],
          "End":true}}})";

// An activity Task with an hour's heartbeat and two hours' timeout.
constexpr char kBeat[] = R"({"StartAt":"Work","States":{
  "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
          "HeartbeatSeconds":3600,"TimeoutSeconds":7200,"End":true}}})";

std::shared_ptr<const MockConfig> Mocks() {
  auto c = MockConfig::Parse(kMocks);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

std::string ErrorOf(const std::string& options) {
  std::string text = R"({"StateMachines":{"m":{"TestCases":{"T":{}}}},"MockedResponses":{},
    "StepwiseTestCaseOptions":)" + options + "}";
  auto c = MockConfig::Parse(text);
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

TEST(TestCaseTimeScaleTest, TheFileGivesEachTestCaseItsScale) {
  auto c = Mocks();
  EXPECT_EQ(c->TimeScaleFor("clocks", "Fast"), 3600.0);
  EXPECT_EQ(c->TimeScaleFor("clocks", "Slow"), 1.0);  // options without TimeScale
  EXPECT_EQ(c->TimeScaleFor("beat", "Beat"), 3600.0);
  EXPECT_EQ(c->TimeScaleFor("clocks", "Nope"), 1.0);
  EXPECT_EQ(c->TimeScaleFor("other", "Fast"), 1.0);
  EXPECT_EQ(ErrorOf(R"({"m":{"T":{"TimeScale":0.5}}})"), "");
}

TEST(TestCaseTimeScaleTest, RefusesBadOptionsNamingTheJsonPath) {
  EXPECT_EQ(ErrorOf("[]"), "mock config: $.StepwiseTestCaseOptions: expected an object of "
                           "state machine name → test cases");
  EXPECT_EQ(ErrorOf(R"({"m":3})"), "mock config: $.StepwiseTestCaseOptions.m: expected an "
                                   "object of test case name → options");
  EXPECT_EQ(ErrorOf(R"({"m":{"T":7}})"),
            "mock config: $.StepwiseTestCaseOptions.m.T: expected an object with TimeScale");
  EXPECT_EQ(ErrorOf(R"({"m":{"T":{"TimeScale":"fast"}}})"),
            "mock config: $.StepwiseTestCaseOptions.m.T.TimeScale: expected a number");
  for (const char* bad : {"0", "-2", "1e7"}) {
    EXPECT_EQ(ErrorOf(absl::StrCat(R"({"m":{"T":{"TimeScale":)", bad, "}}}")),
              "mock config: $.StepwiseTestCaseOptions.m.T.TimeScale: expected a number "
              "greater than 0 and at most 1000000")
        << bad;
  }
  EXPECT_EQ(ErrorOf(R"({"m":{"T":{"Timescale":2}}})"),
            "mock config: $.StepwiseTestCaseOptions.m.T.Timescale: unknown field (expected "
            "TimeScale)");
  EXPECT_EQ(ErrorOf(R"({"m":{"U":{"TimeScale":2}}})"),
            "mock config: $.StepwiseTestCaseOptions.m.U: no test case 'U' of state machine "
            "'m' in $.StateMachines");
  EXPECT_EQ(ErrorOf(R"({"n":{"T":{"TimeScale":2}}})"),
            "mock config: $.StepwiseTestCaseOptions.n.T: no test case 'T' of state machine "
            "'n' in $.StateMachines");
}

TEST(TestCaseTimeScaleTest, ScalesDelaysNotTheirStart) {
  EXPECT_EQ(ScaledDue(1000 + 3600000, 1000, 3600), 2000);
  EXPECT_EQ(ScaledDue(1000 + 3600000, 1000, 1), 1000 + 3600000);
  EXPECT_EQ(ScaledDue(1001, 1000, 1e6), 1001);  // a positive delay stays positive
  EXPECT_EQ(ScaledDue(900, 1000, 10), 900);     // already due
  EXPECT_EQ(ScaledDelayMs(5000, 0.5), 10000);   // a scale below 1 slows time down
}

TEST(TestCaseTimeScaleTest, TheScaleIsStoredOnlyWhenSet) {
  auto def = ParseJson(kClocks);
  auto machine = *asl::ParseStateMachine(*def);
  ExecutionState st;
  st.info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:clocks:e";
  st.info.test_case = "Slow";
  json::object mock = EncodeExecutionState(st)["info"].as_object()["mock"].as_object();
  EXPECT_EQ(mock.if_contains("time_scale"), nullptr);
  st.info.test_case = "Fast";
  st.info.time_scale = 3600;
  std::string text = SerializeJson(EncodeExecutionState(st));
  std::string direct;
  AppendExecutionStateJson(st, direct);
  EXPECT_EQ(direct, text);
  auto back = DecodeExecutionState(*ParseJson(text), *machine);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->info.time_scale, 3600.0);
  EXPECT_EQ(SerializeJson(EncodeExecutionState(*back)), text);
  json::object bad = EncodeExecutionState(st);
  bad["info"].as_object()["mock"].as_object()["time_scale"] = 0;
  EXPECT_FALSE(DecodeExecutionState(bad, *machine).ok());
}

using TimeScaleRunTest = EngineTest;

// The status of `arn` once the engine had a moment to fire what is due.
std::string StatusAfterAMoment(Engine& engine, const std::string& arn) {
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto d = engine.DescribeExecution(arn);
  return d.ok() ? d->status : d.status().ToString();
}

TEST_F(TimeScaleRunTest, AnHoursWaitAndBackOffPassInASecondEachBesideAnUnscaledRun) {
  mock_config_ = Mocks();
  Open();
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string arn = Machine("clocks", kClocks);
  auto fast = engine_->StartExecution(arn + "#Fast", "fast", "{}");
  auto slow = engine_->StartExecution(arn + "#Slow", "slow", "{}");
  ASSERT_TRUE(fast.ok()) << fast.status();
  ASSERT_TRUE(slow.ok()) << slow.status();
  EXPECT_EQ(StatusAfterAMoment(*engine_, fast->execution_arn), "RUNNING");
  clock_.Advance(1000);  // the Wait's hour, scaled
  EXPECT_EQ(StatusAfterAMoment(*engine_, fast->execution_arn), "RUNNING");  // backing off
  clock_.Advance(1000);  // the back-off's hour, scaled
  ExecutionDescription d = AwaitEnd(fast->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(d.output.value_or(""), R"("second")");
  // History keeps the engine's real time: the Wait ended a second in.
  auto h = engine_->GetExecutionHistory(fast->execution_arn, 1000, "", false, true);
  ASSERT_TRUE(h.ok()) << h.status();
  bool saw_wait_exit = false;
  for (auto& e : h->events) {
    if (e["type"].as_string() == "WaitStateExited") {
      saw_wait_exit = true;
      EXPECT_EQ(ToDouble(e["timestamp"]), 1700000001.0) << SerializeJson(e);
    }
  }
  EXPECT_TRUE(saw_wait_exit);
  // The unscaled test case still waits out its hour.
  EXPECT_EQ(StatusAfterAMoment(*engine_, slow->execution_arn), "RUNNING");
  clock_.Advance(3600000);
  EXPECT_EQ(StatusAfterAMoment(*engine_, slow->execution_arn), "RUNNING");  // backing off
  clock_.Advance(3600000);
  EXPECT_EQ(AwaitEnd(slow->execution_arn).status, "SUCCEEDED");
}

TEST_F(TimeScaleRunTest, HeartbeatsMoveTheScaledDeadline) {
  mock_config_ = Mocks();
  Open();
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string arn = Machine("beat", kBeat);
  auto ex = engine_->StartExecution(arn + "#Beat", "beat", "{}");
  ASSERT_TRUE(ex.ok()) << ex.status();
  auto task = engine_->GetActivityTask(kActivity, "w", 2000);
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_FALSE(task->task_token.empty());
  // Started at t0: heartbeat due t0+1 s, timeout t0+2 s (scaled).
  EXPECT_EQ(task->deadline_ms, 1700000000000 + 2000);
  clock_.Advance(500);
  ASSERT_TRUE(engine_->SendTaskHeartbeat(task->task_token).ok());  // now due t0+1.5 s
  clock_.Advance(600);
  EXPECT_EQ(StatusAfterAMoment(*engine_, ex->execution_arn), "RUNNING");
  clock_.Advance(500);  // t0+1.6 s: past the heartbeat, before the task's timeout
  ExecutionDescription d = AwaitEnd(ex->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "States.Timeout");  // AWS's name for both timeouts
  EXPECT_EQ(d.stop_date, 1700000000000 + 1600);
}

using TimeScaleRestartTest = RocksEngineTest;

TEST_F(TimeScaleRestartTest, TheScaleSurvivesARestart) {
  mock_config_ = Mocks();
  Reopen();
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string arn = Machine("clocks", kClocks);
  auto ex = engine_->StartExecution(arn + "#Fast", "fast", "{}");
  ASSERT_TRUE(ex.ok()) << ex.status();
  EXPECT_EQ(StatusAfterAMoment(*engine_, ex->execution_arn), "RUNNING");
  Reopen();
  clock_.Advance(1000);
  EXPECT_EQ(StatusAfterAMoment(*engine_, ex->execution_arn), "RUNNING");  // backing off
  Reopen();  // the back-off was armed after the first restart: scaled from the record
  clock_.Advance(1000);
  ExecutionDescription d = AwaitEnd(ex->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
}

}  // namespace
}  // namespace stepwise::engine
