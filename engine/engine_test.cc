// The Engine end to end over a MemoryStore (engine_test_fixture.h): runs,
// activity hand-out, heartbeats, timers, stops, paging, watches, limits.
#include "engine/engine.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "common/json.h"
#include "engine/engine_test_fixture.h"
#include "engine/service_error.h"
#include "gtest/gtest.h"
#include "storage/memory_store.h"

namespace stepwise::engine {
namespace {

TEST_F(EngineTest, RunsAPassChainToCompletionAndRecordsHistory) {
  std::string sm = Machine("chain", R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},
    "B":{"Type":"Pass","End":true}}})");
  auto started = engine_->StartExecution(sm, "run-1", R"({"x":0})");
  ASSERT_TRUE(started.ok()) << started.status();
  ExecutionDescription d = AwaitEnd(started->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"x":0,"a":1})");
  EXPECT_EQ(Types(started->execution_arn),
            (std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "PassStateExited",
                                      "PassStateEntered", "PassStateExited",
                                      "ExecutionSucceeded"}));
  auto list = engine_->ListExecutions(sm, "", 0, "");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->executions.size(), 1u);
  EXPECT_EQ(list->executions[0].status, "SUCCEEDED");
  std::lock_guard<std::mutex> l(closed_mu_);
  EXPECT_EQ(closed_, std::vector<std::string>{"run-1:SUCCEEDED"});
}

TEST_F(EngineTest, StartIsIdempotentWhileRunningAndNamesStayTaken) {
  std::string sm = Machine("waits", R"({"StartAt":"W","States":{
    "W":{"Type":"Wait","Seconds":60,"End":true}}})");
  auto a = engine_->StartExecution(sm, "same", R"({"k":1})");
  ASSERT_TRUE(a.ok());
  auto b = engine_->StartExecution(sm, "same", R"({"k":1})");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->execution_arn, b->execution_arn);
  EXPECT_EQ(a->start_date, b->start_date);
  auto c = engine_->StartExecution(sm, "same", R"({"k":2})");
  EXPECT_EQ(ServiceErrorName(c.status()), "ExecutionAlreadyExists");
  ASSERT_TRUE(engine_->StopExecution(a->execution_arn, "", "").ok());
  auto d = engine_->StartExecution(sm, "same", R"({"k":1})");
  EXPECT_EQ(ServiceErrorName(d.status()), "ExecutionAlreadyExists");
}

TEST_F(EngineTest, RejectsBadInputWithAwsErrors) {
  std::string sm = Machine("m", R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})");
  EXPECT_EQ(ServiceErrorName(engine_->StartExecution(sm, "bad name", "{}").status()),
            "InvalidName");
  EXPECT_EQ(ServiceErrorName(engine_->StartExecution(sm, "x", "{nope").status()),
            "InvalidExecutionInput");
  EXPECT_EQ(ServiceErrorName(engine_->StartExecution(sm + "zz", "x", "{}").status()),
            "StateMachineDoesNotExist");
  EXPECT_EQ(ServiceErrorName(engine_->StartExecution("not-an-arn", "x", "{}").status()),
            "InvalidArn");
  EXPECT_EQ(ServiceErrorName(engine_->DescribeExecution("arn:nope").status()), "InvalidArn");
  EXPECT_EQ(ServiceErrorName(engine_->StopExecution("bad", "", "").status()), "InvalidArn");
  EXPECT_EQ(ServiceErrorName(engine_->GetExecutionHistory("x", 0, "", false, true).status()),
            "InvalidArn");
  EXPECT_EQ(ServiceErrorName(engine_->DescribeExecution(
                                        "arn:aws:states:us-east-1:123456789012:execution:m:nope")
                                 .status()),
            "ExecutionDoesNotExist");
  auto bad = engine_->CreateStateMachine("broken", R"({"StartAt":"X","States":{}})", "r", "");
  EXPECT_EQ(ServiceErrorName(bad.status()), "InvalidDefinition");
}

// AWS: CreateStateMachine's idempotency check is on name, definition, type
// and logging; a repeat with another roleArn or tags is the same machine,
// neither updated. Another definition is StateMachineAlreadyExists.
TEST_F(EngineTest, CreateIsIdempotentIgnoringRoleArnAndTags) {
  const std::string def = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
  auto first = engine_->CreateStateMachine("idem", def, "arn:aws:iam::1:role/a", "STANDARD",
                                           {{"team", "a"}});
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = engine_->CreateStateMachine("idem", def, "arn:aws:iam::1:role/b", "STANDARD",
                                           {{"team", "b"}});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->arn, first->arn);
  EXPECT_EQ(again->creation_date, first->creation_date);
  auto d = engine_->DescribeStateMachine(first->arn);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->role_arn, "arn:aws:iam::1:role/a");
  auto tags = engine_->ListTagsForResource(first->arn);
  ASSERT_TRUE(tags.ok());
  ASSERT_EQ(tags->size(), 1u);
  EXPECT_EQ((*tags)[0].value, "a");
  auto other = engine_->CreateStateMachine(
      "idem", R"({"StartAt":"Q","States":{"Q":{"Type":"Pass","End":true}}})",
      "arn:aws:iam::1:role/a", "STANDARD");
  EXPECT_EQ(ServiceErrorName(other.status()), "StateMachineAlreadyExists");
}

TEST_F(EngineTest, PayloadLimitMessagesNameTheConfiguredLimit) {
  std::string sm = Machine("m", R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})");
  std::string big = "\"" + std::string(262144, 'a') + "\"";
  absl::Status s = engine_->StartExecution(sm, "big", big).status();
  EXPECT_EQ(ServiceErrorName(s), "InvalidExecutionInput");
  EXPECT_EQ(s.message(), "Input exceeds the maximum size of 262144 bytes");

  storage::MemoryStore store;
  EngineOptions o;
  o.clock = &clock_;
  o.max_payload_bytes = 16;
  auto small = Engine::Open(&store, o);
  ASSERT_TRUE(small.ok()) << small.status();
  ASSERT_TRUE((*small)->CreateActivity("jobs").ok());
  auto m = (*small)->CreateStateMachine("act", kActivityMachine, "r", "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  s = (*small)->StartExecution(m->arn, "long", R"({"k":"0123456789abcdef"})").status();
  EXPECT_EQ(s.message(), "Input exceeds the maximum size of 16 bytes");
  ASSERT_TRUE((*small)->StartExecution(m->arn, "short", "{}").ok());
  auto task = (*small)->GetActivityTask("arn:aws:states:us-east-1:123456789012:activity:jobs",
                                        "w", 2000);
  ASSERT_TRUE(task.ok() && !task->task_token.empty());
  s = (*small)->SendTaskSuccess(task->task_token, R"({"r":"0123456789abcdef"})");
  EXPECT_EQ(ServiceErrorName(s), "InvalidOutput");
  EXPECT_EQ(s.message(), "Output exceeds the maximum size of 16 bytes");
}

TEST_F(EngineTest, ExpressExecutionArnsCarryAUuidAfterTheName) {
  auto m = engine_->CreateStateMachine(
      "fast", R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})", "r", "EXPRESS");
  ASSERT_TRUE(m.ok()) << m.status();
  auto a = engine_->StartExecution(m->arn, "quick", "{}");
  auto b = engine_->StartExecution(m->arn, "quick", "{}");
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string prefix = "arn:aws:states:us-east-1:123456789012:express:fast:quick:";
  ASSERT_EQ(a->execution_arn.rfind(prefix, 0), 0u) << a->execution_arn;
  EXPECT_EQ(a->execution_arn.size(), prefix.size() + 36);  // a UUID
  EXPECT_NE(a->execution_arn, b->execution_arn);  // names of Express runs need not be unique
  // Both ran (Express executions are not described: on_execution_closed
  // tells, with the name given).
  std::vector<std::string> closed;
  for (int i = 0; i < 500 && closed.size() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::lock_guard<std::mutex> l(closed_mu_);
    closed = closed_;
  }
  EXPECT_EQ(closed, (std::vector<std::string>{"quick:SUCCEEDED", "quick:SUCCEEDED"}));
}

TEST_F(EngineTest, ActivityTaskIsHandedOutOnceAndCompletedByToken) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string sm = Machine("act", kActivityMachine);
  auto started = engine_->StartExecution(sm, "a1", R"({"n":1})");
  ASSERT_TRUE(started.ok());
  std::string activity = "arn:aws:states:us-east-1:123456789012:activity:jobs";
  auto task = engine_->GetActivityTask(activity, "worker-1", 1000);
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_FALSE(task->task_token.empty());
  EXPECT_EQ(task->input, R"({"n":1})");
  // Nothing else is waiting: a second poll times out with an empty token.
  auto none = engine_->GetActivityTask(activity, "worker-2", 50);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->task_token.empty());

  EXPECT_EQ(ServiceErrorName(engine_->SendTaskSuccess(task->task_token, "{bad")), "InvalidOutput");
  std::string forged = task->task_token;
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ServiceErrorName(engine_->SendTaskSuccess(forged, "{}")), "InvalidToken");
  ASSERT_TRUE(engine_->SendTaskHeartbeat(task->task_token).ok());
  ASSERT_TRUE(engine_->SendTaskSuccess(task->task_token, R"({"done":true})").ok());
  EXPECT_EQ(ServiceErrorName(engine_->SendTaskSuccess(task->task_token, "{}")), "TaskTimedOut");
  ExecutionDescription d = AwaitEnd(started->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"n":1,"result":{"done":true}})");
  EXPECT_EQ(Types(started->execution_arn),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                                      "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                                      "PassStateEntered", "PassStateExited",
                                      "ExecutionSucceeded"}));
}

TEST_F(EngineTest, AWaitingWorkerGetsTheTaskInTheCommitThatSchedulesIt) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string sm = Machine("act", kActivityMachine);
  std::string activity = "arn:aws:states:us-east-1:123456789012:activity:jobs";
  std::promise<absl::StatusOr<ActivityTaskGrant>> p;
  engine_->GetActivityTaskAsync(activity, "waiting", 10000,
                                [&p](absl::StatusOr<ActivityTaskGrant> r) {
                                  p.set_value(std::move(r));
                                });
  for (int i = 0; i < 500 && engine_->stats().activity_queues.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  Engine::Stats before = engine_->stats();
  auto started = engine_->StartExecution(sm, "w1", R"({"n":2})");
  ASSERT_TRUE(started.ok());
  auto task = p.get_future().get();
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_FALSE(task->task_token.empty());
  EXPECT_EQ(task->input, R"({"n":2})");
  // One transition: started, scheduled and handed out together.
  EXPECT_EQ(engine_->stats().commits - before.commits, 1u);
  auto h = engine_->GetExecutionHistory(started->execution_arn, 10, "", false, true);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->events.size(), 4u);
  EXPECT_EQ(h->events[3]["type"].as_string(), "ActivityStarted");
  EXPECT_EQ(h->events[3]["previousEventId"].as_int64(), 3);
  EXPECT_EQ(h->events[3]["activityStartedEventDetails"].at("workerName").as_string(), "waiting");
  // The task's clocks started at the hand-out: the heartbeat (5 s) times it out.
  clock_.Advance(6000);
  ExecutionDescription d = AwaitEnd(started->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "States.Timeout");
  EXPECT_EQ(ServiceErrorName(engine_->SendTaskSuccess(task->task_token, "{}")), "TaskTimedOut");
}

// A poll of timeout 0 (another cluster node's take) never waits: the
// pending task with its hand-out committed, or nothing at once.
TEST_F(EngineTest, APollOfTimeoutZeroTakesAPendingTaskOrNothingAtOnce) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string sm = Machine("act", kActivityMachine);
  std::string activity = "arn:aws:states:us-east-1:123456789012:activity:jobs";
  auto none = engine_->GetActivityTask(activity, "taker", 0);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->task_token.empty());
  EXPECT_EQ(engine_->stats().activity_queues.size(), 0u);  // it did not wait
  auto started = engine_->StartExecution(sm, "z1", R"({"n":7})");
  ASSERT_TRUE(started.ok());
  // Queued once its commit's effects are released.
  for (int i = 0; i < 500 && engine_->stats().activity_queues.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  auto task = engine_->GetActivityTask(activity, "taker", 0);
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_FALSE(task->task_token.empty());
  EXPECT_EQ(task->input, R"({"n":7})");
  auto h = engine_->GetExecutionHistory(started->execution_arn, 10, "", false, true);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->events.size(), 4u);
  EXPECT_EQ(h->events[3]["type"].as_string(), "ActivityStarted");
  EXPECT_EQ(h->events[3]["activityStartedEventDetails"].at("workerName").as_string(), "taker");
}

TEST_F(EngineTest, AWorkerThatWentAwayIsNotHandedTheTask) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string sm = Machine("act", kActivityMachine);
  ASSERT_TRUE(engine_->StartExecution(sm, "c1", R"({"n":5})").ok());
  std::string activity = "arn:aws:states:us-east-1:123456789012:activity:jobs";
  std::promise<absl::StatusOr<ActivityTaskGrant>> p;
  engine_->GetActivityTaskAsync(
      activity, "gone", 1000,
      [&p](absl::StatusOr<ActivityTaskGrant> r) { p.set_value(std::move(r)); },
      [] { return true; });
  auto gone = p.get_future().get();
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->task_token.empty());
  auto next = engine_->GetActivityTask(activity, "here", 1000);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->input, R"({"n":5})");
}

TEST_F(EngineTest, MissedHeartbeatTimesTheTaskOutWithStatesTimeout) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string sm = Machine("act", kActivityMachine);
  auto started = engine_->StartExecution(sm, "hb", "{}");
  ASSERT_TRUE(started.ok());
  auto task = engine_->GetActivityTask("arn:aws:states:us-east-1:123456789012:activity:jobs",
                                       "w", 1000);
  ASSERT_TRUE(task.ok());
  clock_.Advance(6000);
  ExecutionDescription d = AwaitEnd(started->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "States.Timeout");
  EXPECT_EQ(ServiceErrorName(engine_->SendTaskHeartbeat(task->task_token)), "TaskTimedOut");
  EXPECT_EQ(Types(started->execution_arn).back(), "ExecutionFailed");
}

TEST_F(EngineTest, StopAbortsAndClosesOpenTasks) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string sm = Machine("act", kActivityMachine);
  auto started = engine_->StartExecution(sm, "stop-me", "{}");
  ASSERT_TRUE(started.ok());
  auto task = engine_->GetActivityTask("arn:aws:states:us-east-1:123456789012:activity:jobs",
                                       "w", 1000);
  ASSERT_TRUE(task.ok());
  ASSERT_TRUE(engine_->StopExecution(started->execution_arn, "Op", "manual").ok());
  ExecutionDescription d = AwaitEnd(started->execution_arn);
  EXPECT_EQ(d.status, "ABORTED");
  EXPECT_EQ(ServiceErrorName(engine_->SendTaskSuccess(task->task_token, "{}")), "TaskTimedOut");
  EXPECT_EQ(ServiceErrorName(engine_->StopExecution(started->execution_arn, "", "").status()),
            "ValidationException");
}

TEST_F(EngineTest, WaitFiresWhenTheClockReachesIt) {
  std::string sm = Machine("waits", R"({"StartAt":"W","States":{
    "W":{"Type":"Wait","Seconds":30,"Next":"P"},"P":{"Type":"Pass","End":true}}})");
  auto started = engine_->StartExecution(sm, "w1", "{}");
  ASSERT_TRUE(started.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(engine_->DescribeExecution(started->execution_arn)->status, "RUNNING");
  clock_.Advance(30000);
  EXPECT_EQ(AwaitEnd(started->execution_arn).status, "SUCCEEDED");
}

TEST_F(EngineTest, TaskTimeoutSecondsCountsFromTheHandOut) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string sm = Machine("slow", R"({"StartAt":"Work","States":{
    "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
            "TimeoutSeconds":10,"Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Late"}],
            "End":true},"Late":{"Type":"Pass","Result":"late","End":true}}})");
  auto started = engine_->StartExecution(sm, "t1", "{}");
  ASSERT_TRUE(started.ok());
  // Waiting in the queue does not count against TimeoutSeconds.
  clock_.Advance(60000);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(engine_->DescribeExecution(started->execution_arn)->status, "RUNNING");
  auto task = engine_->GetActivityTask("arn:aws:states:us-east-1:123456789012:activity:jobs",
                                       "w", 1000);
  ASSERT_TRUE(task.ok());
  clock_.Advance(11000);
  ExecutionDescription d = AwaitEnd(started->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, "\"late\"");
  std::vector<std::string> types = Types(started->execution_arn);
  EXPECT_NE(std::find(types.begin(), types.end(), "ActivityTimedOut"), types.end());
}

TEST_F(EngineTest, ExecutionTimeoutSecondsTimesTheExecutionOut) {
  std::string sm = Machine("bounded", R"({"TimeoutSeconds":5,"StartAt":"W","States":{
    "W":{"Type":"Wait","Seconds":3600,"End":true}}})");
  auto started = engine_->StartExecution(sm, "x", "{}");
  ASSERT_TRUE(started.ok());
  clock_.Advance(5000);
  ExecutionDescription d = AwaitEnd(started->execution_arn);
  EXPECT_EQ(d.status, "TIMED_OUT");
  EXPECT_EQ(Types(started->execution_arn).back(), "ExecutionTimedOut");
  auto list = engine_->ListExecutions(sm, "TIMED_OUT", 0, "");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->executions.size(), 1u);
}

TEST_F(EngineTest, ListExecutionsPagesNewestFirst) {
  std::string sm = Machine("many", R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(engine_->StartExecution(sm, "e" + std::to_string(i), "{}").ok());
    clock_.Advance(1000);
  }
  std::vector<std::string> names;
  std::string token;
  do {
    auto page = engine_->ListExecutions(sm, "", 2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->executions.size(), 2u);
    for (auto& e : page->executions) names.push_back(e.name);
    token = page->next_token;
  } while (!token.empty());
  EXPECT_EQ(names, (std::vector<std::string>{"e4", "e3", "e2", "e1", "e0"}));
  EXPECT_EQ(ServiceErrorName(engine_->ListExecutions(sm, "", 2, "bogus").status()),
            "InvalidToken");
}

TEST_F(EngineTest, UpdateAddsARevisionWhileRunningExecutionsKeepTheirs) {
  std::string sm = Machine("rev", R"({"StartAt":"W","States":{
    "W":{"Type":"Wait","Seconds":10,"Next":"P"},"P":{"Type":"Pass","Result":"v1","End":true}}})");
  auto first = engine_->StartExecution(sm, "old", "{}");
  ASSERT_TRUE(first.ok());
  auto updated = engine_->UpdateStateMachine(sm, std::string(R"({"StartAt":"P","States":{
    "P":{"Type":"Pass","Result":"v2","End":true}}})"), std::nullopt);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->revision, 2);
  auto second = engine_->StartExecution(sm, "new", "{}");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*AwaitEnd(second->execution_arn).output, "\"v2\"");
  clock_.Advance(10000);
  EXPECT_EQ(*AwaitEnd(first->execution_arn).output, "\"v1\"");
  auto ran = engine_->DescribeStateMachineForExecution(first->execution_arn);
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(ran->revision, 1);
  EXPECT_NE(ran->definition.find("v1"), std::string::npos);
}

TEST_F(EngineTest, WatchStreamsStoredThenLiveEventsUntilClose) {
  std::string sm = Machine("watched", R"({"StartAt":"W","States":{
    "W":{"Type":"Wait","Seconds":5,"Next":"P"},"P":{"Type":"Pass","End":true}}})");
  auto started = engine_->StartExecution(sm, "w", "{}");
  ASSERT_TRUE(started.ok());
  std::mutex mu;
  std::vector<int64_t> ids;
  bool closed = false;
  auto watch = engine_->WatchExecution(
      started->execution_arn, 1, [&](std::vector<json::object> events, bool done) {
        std::lock_guard<std::mutex> l(mu);
        for (auto& e : events) ids.push_back(e["id"].as_int64());
        closed = done;
        return true;
      });
  ASSERT_TRUE(watch.ok()) << watch.status();
  clock_.Advance(5000);
  AwaitEnd(started->execution_arn);
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (closed) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard<std::mutex> l(mu);
  EXPECT_TRUE(closed);
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 3, 4, 5, 6}));
  EXPECT_EQ(ServiceErrorName(engine_->WatchExecution(started->execution_arn + "x", 0,
                                                     [](auto, bool) { return true; })
                                 .status()),
            "ExecutionDoesNotExist");
}

TEST_F(EngineTest, LongRunsCommitInBoundedGroups) {
  // 300 Pass states: more than max_steps_per_commit (100) in one trigger.
  std::string def = R"({"StartAt":"P0","States":{)";
  for (int i = 0; i < 300; ++i) {
    def += "\"P" + std::to_string(i) + "\":{\"Type\":\"Pass\",";
    def += i == 299 ? "\"End\":true}" : "\"Next\":\"P" + std::to_string(i + 1) + "\"},";
  }
  def += "}}";
  std::string sm = Machine("long", def);
  Engine::Stats before = engine_->stats();
  auto started = engine_->StartExecution(sm, "long", "{}");
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(AwaitEnd(started->execution_arn).status, "SUCCEEDED");
  EXPECT_EQ(Types(started->execution_arn).size(), 602u);
  EXPECT_GE(engine_->stats().commits - before.commits, 3u);
}

TEST_F(EngineTest, UnsupportedResourcesFailTheTaskThroughCatch) {
  std::string sm = Machine("sqs", R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
         "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"C"}],"End":true},
    "C":{"Type":"Pass","End":true}}})");
  auto started = engine_->StartExecution(sm, "l1", "{}");
  ASSERT_TRUE(started.ok());
  ExecutionDescription d = AwaitEnd(started->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_NE(d.output->find("Stepwise cannot run resource"), std::string::npos);
}

TEST_F(EngineTest, CallsAfterShutdownAreUnavailableNotStuck) {
  std::string sm = Machine("act", kActivityMachine);
  auto started = engine_->StartExecution(sm, "s1", "{}");
  ASSERT_TRUE(started.ok());
  engine_->Shutdown();
  // Stopped shards run no new work: a call that waited on one would hang.
  auto stopped = engine_->StopExecution(started->execution_arn, "E", "C");
  EXPECT_EQ(stopped.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(engine_->StartExecution(sm, "s2", "{}").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(EngineTest, HistoryPagesForwardAndBackward) {
  std::string sm = Machine("chain", R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"C"},"C":{"Type":"Pass","End":true}}})");
  auto started = engine_->StartExecution(sm, "h", "{}");
  ASSERT_TRUE(started.ok());
  AwaitEnd(started->execution_arn);
  std::vector<int64_t> ids;
  std::string token;
  do {
    auto page = engine_->GetExecutionHistory(started->execution_arn, 3, token, false, false);
    ASSERT_TRUE(page.ok()) << page.status();
    for (auto& e : page->events) {
      ids.push_back(e["id"].as_int64());
      EXPECT_FALSE(e.contains("stateEnteredEventDetails") &&
                   e["stateEnteredEventDetails"].as_object().contains("input"));
    }
    token = page->next_token;
  } while (!token.empty());
  EXPECT_EQ(ids, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  auto rev = engine_->GetExecutionHistory(started->execution_arn, 2, "", true, true);
  ASSERT_TRUE(rev.ok());
  EXPECT_EQ(rev->events[0]["id"].as_int64(), 8);
  EXPECT_EQ(ServiceErrorName(
                engine_->GetExecutionHistory(started->execution_arn, 2, "garbage!", false, true)
                    .status()),
            "InvalidToken");
}

}  // namespace
}  // namespace stepwise::engine
