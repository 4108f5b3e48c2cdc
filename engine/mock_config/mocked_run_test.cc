// Tests of mocked runs: the interpreter numbering a test case's schedules
// (ScheduleTaskCommand::mock_invocation) and storing them (execution_codec),
// the engine running `machineArn#TestCase` with MockedTaskDispatcher asked
// first (the rest goes to the real dispatchers), the invocation count
// surviving a restart, and the dispatcher answering an open mocked task
// again at Open. gtest's thread.
#include <memory>
#include <string>
#include <vector>

#include "asl/definition.h"
#include "common/json.h"
#include "engine/engine_test_fixture.h"
#include "engine/execution_codec.h"
#include "engine/interpreter.h"
#include "engine/mock_config/mock_config.h"
#include "engine/mock_config/mocked_task_dispatcher.h"
#include "engine/service_error.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/memory_store.h"

namespace stepwise::engine {
namespace {

constexpr char kActivity[] = "arn:aws:states:us-east-1:123456789012:activity:jobs";

constexpr char kMocks[] = R"({
  "StateMachines":{"flow":{"TestCases":{
    "Happy":{"Work":"WorkDone","Call":"CallOk"},
    "Retry":{"Work":"FailThenOk","Call":"CallOk"},
    "Hybrid":{"Call":"CallOk"},
    "Short":{"Work":"OnlyOnce","Call":"CallOk"}}}},
  "MockedResponses":{
    "WorkDone":{"0":{"Return":{"done":true}}},
    "CallOk":{"0-9":{"Return":"called"}},
    "FailThenOk":{"0":{"Throw":{"Error":"Flaky","Cause":"first"}},"1":{"Return":"second"}},
    "OnlyOnce":{"0":{"Throw":{"Error":"Flaky","Cause":"only"}}}}
})";

// An activity Task (retried on Flaky after 100 s) and a Lambda Task.
constexpr char kFlow[] = R"({"StartAt":"Work","States":{
  "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
          "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":100,"MaxAttempts":1}],
          "ResultPath":"$.work","Next":"Call"},
  "Call":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",
          "ResultPath":"$.call","End":true}}})";

std::shared_ptr<const MockConfig> Mocks() {
  auto c = MockConfig::Parse(kMocks);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

TEST(MockedInterpreterTest, SchedulesCarryTheTestCaseAndCountInvocations) {
  auto def = ParseJson(kFlow);
  auto machine = *asl::ParseStateMachine(*def);
  asl::SeededRandom random(3);
  Interpreter in(machine, &random);
  ExecutionState st;
  st.info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:flow:e";
  st.info.state_machine_name = "flow";
  // Without a test case: nothing of the mock in commands or the record.
  {
    ExecutionState plain;
    plain.info = st.info;
    Decision d;
    in.Start(plain, json::object(), 1000, d);
    ASSERT_EQ(d.schedule_tasks.size(), 1u);
    EXPECT_EQ(d.schedule_tasks[0].test_case, "");
    EXPECT_EQ(EncodeExecutionState(plain)["info"].as_object().if_contains("mock"), nullptr);
  }
  st.info.test_case = "Retry";
  Decision d;
  in.Start(st, json::object(), 1000, d);
  ASSERT_EQ(d.schedule_tasks.size(), 1u);
  EXPECT_EQ(d.schedule_tasks[0].test_case, "Retry");
  EXPECT_EQ(d.schedule_tasks[0].state_machine_name, "flow");
  EXPECT_EQ(d.schedule_tasks[0].mock_invocation, 0);
  // The record keeps the test case and the count, and reads them back.
  std::string text = SerializeJson(EncodeExecutionState(st));
  std::string direct;
  AppendExecutionStateJson(st, direct);
  EXPECT_EQ(direct, text);
  auto back = DecodeExecutionState(*ParseJson(text), *machine);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->info.test_case, "Retry");
  EXPECT_EQ(back->info.mock_invocations.at("Work"), 1);
  EXPECT_EQ(SerializeJson(EncodeExecutionState(*back)), text);
  st = *std::move(back);
  // A retry is the next invocation of the same state.
  Decision fail;
  ASSERT_TRUE(in.CompleteTask(st, d.schedule_tasks[0].task_id,
                              TaskResult::Failed("Flaky", "x"), 1000, fail)
                  .ok());
  ASSERT_EQ(fail.start_timers.size(), 1u);
  Decision retry;
  ASSERT_TRUE(in.FireTimer(st, fail.start_timers[0].timer_id, 200000, retry).ok());
  ASSERT_EQ(retry.schedule_tasks.size(), 1u);
  EXPECT_EQ(retry.schedule_tasks[0].state_name, "Work");
  EXPECT_EQ(retry.schedule_tasks[0].mock_invocation, 1);
  // A stored mock run without its fields is refused, not guessed.
  json::object bad = EncodeExecutionState(st);
  bad["info"].as_object()["mock"] = json::object{{"test_case", "Retry"}};
  EXPECT_FALSE(DecodeExecutionState(bad, *machine).ok());
}

using MockedRunTest = EngineTest;

TEST_F(MockedRunTest, HappyPathMocksEveryTaskOfTheTestCase) {
  mock_config_ = Mocks();
  Open();
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string arn = Machine("flow", kFlow);
  auto ex = engine_->StartExecution(arn + "#Happy", "happy", R"({"in":1})");
  ASSERT_TRUE(ex.ok()) << ex.status();
  EXPECT_EQ(ex->execution_arn, "arn:aws:states:us-east-1:123456789012:execution:flow:happy");
  ExecutionDescription d = AwaitEnd(ex->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(d.output.value_or(""), R"({"in":1,"work":{"done":true},"call":"called"})");
  EXPECT_EQ(d.state_machine_arn, arn);
  EXPECT_EQ(Types(ex->execution_arn),
            (std::vector<std::string>{
                "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
                "ActivitySucceeded", "TaskStateExited", "TaskStateEntered",
                "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded",
                "TaskStateExited", "ExecutionSucceeded"}));
  // Nothing went to the activity's queue.
  auto task = engine_->GetActivityTask(kActivity, "w", 50);
  ASSERT_TRUE(task.ok());
  EXPECT_TRUE(task->task_token.empty());
}

TEST_F(MockedRunTest, StatesTheTestCaseLeavesOutRunForReal) {
  mock_config_ = Mocks();
  Open();
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string arn = Machine("flow", kFlow);
  auto ex = engine_->StartExecution(arn + "#Hybrid", "hybrid", "{}");
  ASSERT_TRUE(ex.ok()) << ex.status();
  // Work is not mocked in Hybrid: it waits for a worker of the activity.
  auto task = engine_->GetActivityTask(kActivity, "w", 2000);
  ASSERT_TRUE(task.ok());
  ASSERT_FALSE(task->task_token.empty());
  ASSERT_TRUE(engine_->SendTaskSuccess(task->task_token, "7").ok());
  ExecutionDescription d = AwaitEnd(ex->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(d.output.value_or(""), R"({"work":7,"call":"called"})");
}

TEST_F(MockedRunTest, RefusesUnknownAndEmptyTestCases) {
  mock_config_ = Mocks();
  Open();
  std::string arn = Machine("flow", kFlow);
  std::string other = Machine("other", kFlow);
  auto unknown = engine_->StartExecution(arn + "#Sad", "a", "{}");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(ServiceErrorName(unknown.status()), "InvalidArn");
  EXPECT_NE(std::string(unknown.status().message()).find("'Sad'"), std::string::npos);
  auto empty = engine_->StartExecution(arn + "#", "b", "{}");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(ServiceErrorName(empty.status()), "InvalidArn");
  auto elsewhere = engine_->StartExecution(other + "#Happy", "c", "{}");
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(ServiceErrorName(elsewhere.status()), "InvalidArn");
  auto missing = engine_->StartExecution(
      "arn:aws:states:us-east-1:123456789012:stateMachine:nope#Happy", "d", "{}");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(ServiceErrorName(missing.status()), "StateMachineDoesNotExist");
  // Nothing was started.
  auto list = engine_->ListExecutions(arn, "", 100, "");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->executions.empty());
}

TEST_F(MockedRunTest, WithoutAMockConfigTheSuffixIsNoTestCase) {
  std::string arn = Machine("flow", kFlow);
  auto r = engine_->StartExecution(arn + "#Happy", "a", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(ServiceErrorName(r.status()), "");
}

TEST_F(MockedRunTest, AnInvocationTheMockDoesNotGiveIsStatesRuntime) {
  mock_config_ = Mocks();
  Open();
  std::string arn = Machine("flow", kFlow);
  auto ex = engine_->StartExecution(arn + "#Short", "short", "{}");
  ASSERT_TRUE(ex.ok()) << ex.status();
  // Invocation 0 throws Flaky; the retry (invocation 1) has no answer.
  for (int i = 0; i < 50 && engine_->DescribeExecution(ex->execution_arn)->status == "RUNNING";
       ++i) {
    clock_.Advance(100000);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ExecutionDescription d = AwaitEnd(ex->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "States.Runtime");
  EXPECT_NE(d.cause.value_or("").find("'OnlyOnce' gives no answer for invocation 1"),
            std::string::npos)
      << d.cause.value_or("");
}

using MockedRestartTest = RocksEngineTest;

TEST_F(MockedRestartTest, TheInvocationCountSurvivesARestart) {
  mock_config_ = Mocks();
  Reopen();
  std::string arn = Machine("flow", kFlow);
  auto ex = engine_->StartExecution(arn + "#Retry", "retry", "{}");
  ASSERT_TRUE(ex.ok()) << ex.status();
  // Invocation 0 threw; the retry waits 100 s. Restart meanwhile.
  for (int i = 0; i < 200; ++i) {
    auto h = engine_->GetExecutionHistory(ex->execution_arn, 1000, "", false, true);
    ASSERT_TRUE(h.ok());
    if (h->events.size() >= 5) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Reopen();
  clock_.Advance(200000);
  ExecutionDescription d = AwaitEnd(ex->execution_arn);
  // Had the count restarted at 0, the retry would have thrown again.
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(d.output.value_or(""), R"({"work":"second","call":"called"})");
}

// The engine's inputs as the dispatcher reports through them.
class FakeInputs : public TaskInputs {
 public:
  void ReportTaskResult(const std::string& execution, int64_t task_id,
                        TaskResult result) override {
    results.push_back({execution, task_id, std::move(result)});
  }
  void IfTaskWaiting(const std::string&, int64_t, std::function<void(const OpenTask&)>) override {}
  void IfTaskOpen(const std::string& execution, int64_t task_id,
                  std::function<void(const OpenTask&)> fn) override {
    if (execution == open_execution && task_id == open_task.task_id) fn(open_task);
  }
  void ReportTaskSubmitted(const std::string&, int64_t, json::value) override { ++submitted; }
  void StartExecution(const std::string&, const std::string&, const std::string&,
                      std::function<void(absl::StatusOr<StartExecutionResult>)>) override {}
  void StopExecution(const std::string&, const std::string&, const std::string&,
                     std::function<void(absl::StatusOr<TimeMs>)>) override {}
  void RedriveExecution(const std::string&, const std::string&,
                        std::function<void(absl::StatusOr<TimeMs>)>) override {}
  absl::StatusOr<ExecutionDescription> DescribeExecution(const std::string&) override {
    return absl::UnimplementedError("fake");
  }

  struct Result {
    std::string execution;
    int64_t task_id;
    TaskResult result;
  };
  std::vector<Result> results;
  int submitted = 0;
  std::string open_execution;
  OpenTask open_task;
};

// The commit a step builds, as the dispatcher sees it.
class FakeCommit : public PendingCommit {
 public:
  const std::string& execution_id() const override { return id_; }
  bool execution_running() const override { return true; }
  void Write(storage::Write w) override { writes.push_back(std::move(w)); }
  void AfterCommit(std::function<void()> fn) override { after.push_back(std::move(fn)); }
  std::string id_ = "arn:aws:states:us-east-1:123456789012:execution:flow:e";
  std::vector<storage::Write> writes;
  std::vector<std::function<void()>> after;
};

TEST(MockedTaskDispatcherTest, AnswersAfterTheCommitAndAgainAtOpen) {
  FakeInputs inputs;
  MockedTaskDispatcher mocked(inputs, Mocks());
  ScheduleTaskCommand c;
  c.task_id = 4;
  c.state_name = "Call";
  c.resource = "arn:aws:states:::lambda:invoke.waitForTaskToken";
  c.test_case = "Retry";
  c.state_machine_name = "flow";
  c.mock_invocation = 0;
  EXPECT_TRUE(mocked.Takes(c));
  ScheduleTaskCommand other = c;
  other.test_case = "";
  EXPECT_FALSE(mocked.Takes(other));
  other.test_case = "Hybrid";
  other.state_name = "Work";
  EXPECT_FALSE(mocked.Takes(other));
  other.state_machine_name = "elsewhere";
  other.state_name = "Call";
  EXPECT_FALSE(mocked.Takes(other));

  OpenTask task;
  task.task_id = 4;
  FakeCommit commit;
  std::shared_ptr<PollClaim> claim = mocked.Schedule(c, task, commit);
  ASSERT_NE(claim, nullptr);  // started in the scheduling commit
  EXPECT_TRUE(mocked.Owns(task));
  EXPECT_TRUE(task.callback);
  ASSERT_EQ(commit.writes.size(), 1u);  // the row that makes it durable
  EXPECT_EQ(commit.writes[0].key, storage::TaskKey("mock", commit.id_, 4));
  EXPECT_TRUE(inputs.results.empty());  // nothing before the commit is on disk
  ActivityTaskGrant grant;
  grant.task_token = "t";
  claim->done(grant);
  ASSERT_EQ(inputs.results.size(), 1u);
  EXPECT_EQ(inputs.results[0].task_id, 4);
  // A .waitForTaskToken mock completes the task: its Return is the answer.
  EXPECT_EQ(inputs.results[0].result.kind, TaskResult::Kind::kSucceeded);
  EXPECT_EQ(SerializeJson(inputs.results[0].result.output), R"("called")");
  EXPECT_EQ(inputs.submitted, 0);

  // At Open, the row of a task still open answers again.
  storage::MemoryStore store;
  ASSERT_TRUE(store.Put(commit.writes[0].table, commit.writes[0].key, task.details).ok());
  inputs.open_execution = commit.id_;
  inputs.open_task = task;
  ASSERT_TRUE(mocked.Recover(store, inputs).ok());
  ASSERT_EQ(inputs.results.size(), 2u);
  EXPECT_EQ(SerializeJson(inputs.results[1].result.output), R"("called")");
  // Closing it deletes the row.
  FakeCommit closing;
  mocked.Close(task, closing);
  ASSERT_EQ(closing.writes.size(), 1u);
  EXPECT_FALSE(closing.writes[0].value.has_value());

  // A Throw is the task's failure.
  c.state_name = "Work";
  c.resource = kActivity;
  OpenTask work;
  work.task_id = 5;
  FakeCommit second;
  claim = mocked.Schedule(c, work, second);
  ASSERT_NE(claim, nullptr);
  claim->done(grant);
  ASSERT_EQ(inputs.results.size(), 3u);
  EXPECT_EQ(inputs.results[2].result.kind, TaskResult::Kind::kFailed);
  EXPECT_EQ(inputs.results[2].result.error, "Flaky");
  EXPECT_EQ(inputs.results[2].result.cause, "first");
}

}  // namespace
}  // namespace stepwise::engine
