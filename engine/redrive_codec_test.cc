// The redrive point through the state codec: a Map that failed (one
// tolerated failure, then one too many) closes with a redrive point whose
// text both encoders write alike and which decodes to the same state; the
// decoded state redrives, reruns only the two failed iterations and
// succeeds. A record without redrive fields keeps its bytes. A Distributed
// Map run as a Map Run task keeps its run's ARN for the redrive
// (MapRunRedriven, the same ARN, redriveCount counting). Test-only.
#include <string>
#include <vector>

#include "asl/definition.h"
#include "engine/execution_codec.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr char kMap[] = R"({"StartAt":"Each","States":{
  "Each":{"Type":"Map","ToleratedFailureCount":1,"MaxConcurrency":1,"End":true,
    "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:us-east-1:123456789012:activity:work","End":true}}}}}})";

std::string Text(const ExecutionState& s) {
  std::string direct;
  AppendExecutionStateJson(s, direct);
  EXPECT_EQ(direct, SerializeJson(EncodeExecutionState(s)));
  return direct;
}

TEST(RedriveCodecTest, TheRedrivePointRoundTripsAndRedrivesOnlyTheFailedIterations) {
  auto machine = *asl::ParseStateMachine(*ParseJson(kMap));
  asl::SeededRandom random(3);
  Interpreter in(machine, &random);
  ExecutionState st;
  st.info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
  Decision d;
  in.Start(st, *ParseJson("[1,2,3,4]"), 1000, d);
  EXPECT_EQ(Text(st).find("\"redrive\""), std::string::npos);  // no redrive fields yet
  // Items 2 and 3 fail: the second failure exceeds the tolerance; item 4
  // never starts (MaxConcurrency 1).
  while (st.status == ExecutionStatus::kRunning) {
    ASSERT_EQ(d.schedule_tasks.size(), 1u);
    ScheduleTaskCommand t = d.schedule_tasks[0];
    Decision next;
    int64_t item = t.input.get_int64();
    TaskResult r = item == 2 || item == 3 ? TaskResult::Failed("Bad", "")
                                          : TaskResult{TaskResult::Kind::kSucceeded,
                                                       json::value(item * 10), "", "", ""};
    ASSERT_TRUE(in.CompleteTask(st, t.task_id, r, 2000, next).ok());
    d = std::move(next);
  }
  ASSERT_EQ(st.status, ExecutionStatus::kFailed);
  ASSERT_TRUE(st.redrive_point.has_value());
  EXPECT_EQ(st.redrive_point->done, std::vector<int>{0});
  std::string text = Text(st);
  auto back = DecodeExecutionState(*ParseJson(text), *machine);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(Text(*back), text);

  Decision r;
  ASSERT_TRUE(in.Redrive(*back, 5000, r).ok());
  EXPECT_EQ(r.events.front().type, "ExecutionRedriven");
  std::vector<int64_t> rerun;
  while (back->status == ExecutionStatus::kRunning) {
    ASSERT_EQ(r.schedule_tasks.size(), 1u);
    ScheduleTaskCommand t = r.schedule_tasks[0];
    rerun.push_back(t.input.get_int64());
    Decision next;
    ASSERT_TRUE(in.CompleteTask(*back, t.task_id,
                                TaskResult{TaskResult::Kind::kSucceeded,
                                           json::value(t.input.get_int64() * 10), "", "", ""},
                                6000, next)
                    .ok());
    r = std::move(next);
  }
  EXPECT_EQ(rerun, (std::vector<int64_t>{2, 3, 4}));
  ASSERT_EQ(back->status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(*back->output, "[10,20,30,40]");
  EXPECT_EQ(back->info.redrive_count, 1);
  EXPECT_FALSE(back->redrive_point.has_value());
  EXPECT_FALSE(in.Redrive(*back, 7000, r).ok());  // SUCCEEDED: not again
}

constexpr char kDistributed[] = R"({"StartAt":"Each","States":{
  "Each":{"Type":"Map","Label":"items","End":true,
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
      "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}})";

// The Map Run task the decision schedules, and its spec's member `key`.
const json::value* SpecMember(const Decision& d, const char* key) {
  if (d.schedule_tasks.size() != 1 || !d.schedule_tasks[0].input.is_object()) return nullptr;
  return d.schedule_tasks[0].input.get_object().if_contains(key);
}

// A Distributed Map run as a Map Run task fails: the redrive point keeps
// the run's ARN (through both encoders), the redrive records MapRunRedriven
// and schedules the same run with redriveCount 1; failing again (the state
// stored and read back while the redriven run goes on) and redriving again
// gives redriveCount 2; then the run succeeds.
TEST(RedriveCodecTest, AFailedMapRunIsRedrivenUnderItsOwnArn) {
  auto machine = *asl::ParseStateMachine(*ParseJson(kDistributed));
  asl::SeededRandom random(3);
  InterpreterOptions o;
  o.map_runs_as_tasks = true;
  Interpreter in(machine, &random, o);
  ExecutionState st;
  st.info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
  Decision d;
  in.Start(st, *ParseJson("[1,2,3]"), 1000, d);
  const json::value* arn = SpecMember(d, "mapRunArn");
  ASSERT_NE(arn, nullptr);
  const std::string run(arn->get_string());
  EXPECT_EQ(SpecMember(d, "redriveCount"), nullptr);
  Decision failed;
  ASSERT_TRUE(in.CompleteTask(st, d.schedule_tasks[0].task_id,
                              TaskResult::Failed("States.ExceedToleratedFailureThreshold", "x"),
                              2000, failed)
                  .ok());
  ASSERT_EQ(st.status, ExecutionStatus::kFailed);
  ASSERT_TRUE(st.redrive_point.has_value());
  EXPECT_EQ(st.redrive_point->map_run_arn, run);
  std::string text = Text(st);
  auto back = DecodeExecutionState(*ParseJson(text), *machine);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->redrive_point->map_run_arn, run);
  EXPECT_EQ(Text(*back), text);

  for (int64_t round = 1; round <= 2; ++round) {
    Decision r;
    ASSERT_TRUE(in.Redrive(*back, 5000 * round, r).ok());
    int redriven = 0;
    for (const auto& e : r.events) {
      EXPECT_NE(e.type, "MapRunStarted");
      if (e.type != "MapRunRedriven") continue;
      ++redriven;
      EXPECT_EQ(SerializeJson(json::value(e.details)), R"({"mapRunArn":")" + run +
                                              R"(","redriveCount":)" + std::to_string(round) +
                                              "}");
    }
    EXPECT_EQ(redriven, 1);
    ASSERT_NE(SpecMember(r, "mapRunArn"), nullptr);
    EXPECT_EQ(SpecMember(r, "mapRunArn")->get_string(), run);
    ASSERT_NE(SpecMember(r, "redriveCount"), nullptr);
    EXPECT_EQ(SpecMember(r, "redriveCount")->get_int64(), round);
    EXPECT_EQ(SpecMember(r, "redriveDate")->get_int64(), 5000 * round);
    int64_t task = r.schedule_tasks[0].task_id;
    // Stored and read back while the redriven run goes on.
    auto again = DecodeExecutionState(*ParseJson(Text(*back)), *machine);
    ASSERT_TRUE(again.ok()) << again.status();
    back = std::move(again);
    Decision next;
    TaskResult result = round == 1 ? TaskResult::Failed("Boom", "")
                                   : TaskResult{TaskResult::Kind::kSucceeded,
                                                *ParseJson("[1,2,3]"), "", "", ""};
    ASSERT_TRUE(in.CompleteTask(*back, task, result, 5000 * round + 1, next).ok());
    if (round == 1) {
      ASSERT_EQ(back->status, ExecutionStatus::kFailed);
      EXPECT_EQ(back->redrive_point->map_run_arn, run);
      EXPECT_EQ(back->redrive_point->map_run_redrive_count, 1);
    }
  }
  ASSERT_EQ(back->status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(back->info.redrive_count, 2);
}

// AWS's hard limit: a Map Run is redriven at most 1,000 times. A redrive
// point whose run was redriven 1,000 times already fails the Map with
// States.Runtime instead of redriving it once more; at 999 it is redriven.
TEST(RedriveCodecTest, AMapRunRedrivenAThousandTimesIsNotRedrivenAgain) {
  auto machine = *asl::ParseStateMachine(*ParseJson(kDistributed));
  asl::SeededRandom random(3);
  InterpreterOptions o;
  o.map_runs_as_tasks = true;
  Interpreter in(machine, &random, o);
  for (int64_t before : {999, 1000}) {
    ExecutionState st;
    st.info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
    Decision d;
    in.Start(st, *ParseJson("[1,2,3]"), 1000, d);
    Decision failed;
    ASSERT_TRUE(in.CompleteTask(st, d.schedule_tasks[0].task_id, TaskResult::Failed("Boom", ""),
                                2000, failed)
                    .ok());
    ASSERT_TRUE(st.redrive_point.has_value());
    st.redrive_point->map_run_redrive_count = before;
    Decision r;
    ASSERT_TRUE(in.Redrive(st, 3000, r).ok());
    bool redriven = false;
    for (const auto& e : r.events) redriven |= e.type == "MapRunRedriven";
    if (before == 999) {
      EXPECT_TRUE(redriven);
      ASSERT_NE(SpecMember(r, "redriveCount"), nullptr);
      EXPECT_EQ(SpecMember(r, "redriveCount")->get_int64(), 1000);
      continue;
    }
    EXPECT_FALSE(redriven);
    EXPECT_TRUE(r.schedule_tasks.empty());
    EXPECT_EQ(st.status, ExecutionStatus::kFailed);
    EXPECT_EQ(st.error, "States.Runtime");
    EXPECT_NE(st.cause.find("redriven 1000 times"), std::string::npos) << st.cause;
  }
}

}  // namespace
}  // namespace stepwise::engine
