// The dispatch seam end to end: an extra dispatcher registered through
// EngineOptions takes its Tasks ahead of the built-in ones and reports its
// outcome as an input; what it does not take still reaches the fallback.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/json.h"
#include "engine/dispatch/task_dispatcher.h"
#include "engine/engine.h"
#include "engine/engine_test_fixture.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

// A dispatcher of the kind later integrations add: it takes one service
// resource and answers with the task's input, through TaskInputs, once the
// scheduling commit is on disk.
class EchoDispatcher : public TaskDispatcher {
 public:
  EchoDispatcher(TaskInputs& inputs, std::atomic<int>* scheduled)
      : inputs_(inputs), scheduled_(scheduled) {}
  bool Takes(const ScheduleTaskCommand& c) const override {
    return c.resource == "arn:aws:states:::stepwise:echo";
  }
  bool Owns(const OpenTask&) const override { return false; }
  std::shared_ptr<PollClaim> Schedule(const ScheduleTaskCommand& c, OpenTask&,
                                      PendingCommit& commit) override {
    ++*scheduled_;
    TaskResult r;
    r.kind = TaskResult::Kind::kSucceeded;
    r.output = c.input;
    commit.AfterCommit([this, exec = commit.execution_id(), id = c.task_id, r]() mutable {
      inputs_.ReportTaskResult(exec, id, std::move(r));
    });
    return nullptr;
  }
  void Requeue(const OpenTask&, PendingCommit&) override {}
  void Close(const OpenTask&, PendingCommit&) override {}
  absl::Status Recover(storage::Store&, TaskInputs&) override { return absl::OkStatus(); }

 private:
  TaskInputs& inputs_;
  std::atomic<int>* scheduled_;
};

TEST_F(EngineTest, ExtraDispatchersTakeTheirTasksAndReportAsInputs) {
  std::atomic<int> scheduled{0};
  engine_.reset();
  EngineOptions o;
  o.clock = &clock_;
  o.extra_dispatchers = [&scheduled](TaskInputs& inputs) {
    std::vector<std::unique_ptr<TaskDispatcher>> v;
    v.push_back(std::make_unique<EchoDispatcher>(inputs, &scheduled));
    return v;
  };
  auto e = Engine::Open(store_.get(), o);
  ASSERT_TRUE(e.ok()) << e.status();
  engine_ = *std::move(e);
  std::string sm = Machine("echo", R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:states:::stepwise:echo",
         "Parameters":{"said.$":"$.say"},"ResultPath":"$.heard","Next":"L"},
    "L":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
         "Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.sqs","Next":"D"}],
         "End":true},
    "D":{"Type":"Pass","End":true}}})");
  auto started = engine_->StartExecution(sm, "e1", R"({"say":"hi"})");
  ASSERT_TRUE(started.ok()) << started.status();
  ExecutionDescription d = AwaitEnd(started->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  json::value out = ParseJson(d.output.value_or("null")).value();
  EXPECT_EQ(SerializeJson(out.at("heard")), R"({"said":"hi"})");
  // What the echo dispatcher does not take still reaches the fallback.
  EXPECT_EQ(out.at("sqs").at("Error").as_string(), "States.TaskFailed");
  EXPECT_EQ(scheduled.load(), 1);
  std::vector<std::string> types = Types(started->execution_arn);
  EXPECT_NE(std::find(types.begin(), types.end(), "TaskSucceeded"), types.end());
}

}  // namespace
}  // namespace stepwise::engine
