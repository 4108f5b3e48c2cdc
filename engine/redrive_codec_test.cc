// The redrive point through the state codec: a Map that failed (one
// tolerated failure, then one too many) closes with a redrive point whose
// text both encoders write alike and which decodes to the same state; the
// decoded state redrives, reruns only the two failed iterations and
// succeeds. A record without redrive fields keeps its bytes. Test-only.
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

}  // namespace
}  // namespace stepwise::engine
