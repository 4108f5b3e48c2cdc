#include "engine/interpreter.h"

#include <string>
#include <vector>

#include "common/json.h"
#include "asl/definition.h"
#include "engine/interpreter/event_details.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr TimeMs kT0 = 1700000000000;

// Parses a definition and runs triggers against one execution.
class Harness {
 public:
  explicit Harness(std::string_view definition, uint64_t seed = 7) : random_(seed) {
    auto v = ParseJson(ToAbslView(definition));
    EXPECT_TRUE(v.ok()) << v.status();
    auto m = asl::ParseStateMachine(*v);
    EXPECT_TRUE(m.ok()) << m.status();
    machine_ = *m;
    interp_ = std::make_unique<Interpreter>(machine_, &random_, options_);
    state_.info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:sm:ex";
    state_.info.execution_name = "ex";
    state_.info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:sm";
    state_.info.state_machine_name = "sm";
    state_.info.start_time = kT0;
  }

  static absl::string_view ToAbslView(std::string_view s) { return {s.data(), s.size()}; }

  Decision Start(std::string_view input) {
    Decision d;
    interp_->Start(state_, *ParseJson(ToAbslView(input)), now_, d);
    Record(d);
    return d;
  }

  Decision Complete(int64_t task, std::string_view output) {
    Decision d;
    TaskResult r;
    r.output = *ParseJson(ToAbslView(output));
    EXPECT_TRUE(interp_->CompleteTask(state_, task, r, now_, d).ok());
    Record(d);
    return d;
  }

  Decision Fail(int64_t task, std::string error, std::string cause) {
    Decision d;
    TaskResult r;
    r.kind = TaskResult::Kind::kFailed;
    r.error = std::move(error);
    r.cause = std::move(cause);
    EXPECT_TRUE(interp_->CompleteTask(state_, task, r, now_, d).ok());
    Record(d);
    return d;
  }

  Decision Fire(const StartTimerCommand& t) {
    now_ = std::max(now_, t.due);
    Decision d;
    EXPECT_TRUE(interp_->FireTimer(state_, t.timer_id, now_, d).ok());
    Record(d);
    return d;
  }

  // "Type" per event, in order.
  std::vector<std::string> Types() const {
    std::vector<std::string> out;
    for (const HistoryEvent& e : events_) out.push_back(e.type);
    return out;
  }

  ExecutionState& state() { return state_; }
  const std::vector<HistoryEvent>& events() const { return events_; }
  const Interpreter& interp() const { return *interp_; }
  TimeMs now() const { return now_; }

 private:
  void Record(const Decision& d) {
    for (const HistoryEvent& e : d.events) events_.push_back(e);
  }

  asl::SeededRandom random_;
  InterpreterOptions options_;
  std::shared_ptr<const asl::StateMachine> machine_;
  std::unique_ptr<Interpreter> interp_;
  ExecutionState state_;
  TimeMs now_ = kT0;
  std::vector<HistoryEvent> events_;
};

json::value Output(ExecutionState& s) { return *ParseJson(*s.output); }

TEST(InterpreterTest, PassChainAppliesPathsAndNumbersEventsWithoutGaps) {
  Harness h(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.a","Next":"B"},
    "B":{"Type":"Pass","InputPath":"$.a","Parameters":{"y.$":"$.x"},"OutputPath":"$.y","End":true}}})");
  h.Start(R"({"in":true})");
  ASSERT_EQ(h.state().status, ExecutionStatus::kSucceeded);
  EXPECT_TRUE(JsonEquals(Output(h.state()), json::value(1)));
  EXPECT_EQ(h.Types(), (std::vector<std::string>{"ExecutionStarted", "PassStateEntered",
                                                  "PassStateExited", "PassStateEntered",
                                                  "PassStateExited", "ExecutionSucceeded"}));
  for (size_t i = 0; i < h.events().size(); ++i) {
    EXPECT_EQ(h.events()[i].id, static_cast<int64_t>(i + 1));
  }
  // The first state's Entered links to 0, as AWS records it.
  EXPECT_EQ(h.events()[1].previous_event_id, 0);
  EXPECT_EQ(h.events()[3].previous_event_id, 3);
}

TEST(InterpreterTest, ChoiceWithoutMatchTakesDefault) {
  Harness h(R"({"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"}],
         "Default":"Small"},
    "Big":{"Type":"Pass","Result":"big","End":true},
    "Small":{"Type":"Pass","Result":"small","End":true}}})");
  h.Start(R"({"n":3})");
  ASSERT_EQ(h.state().status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(*h.state().output, "\"small\"");
}

TEST(InterpreterTest, ChoiceWithoutMatchOrDefaultFailsWithNoChoiceMatched) {
  Harness h(R"({"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.s","StringMatches":"a*"},"Next":"X"}]},
    "X":{"Type":"Succeed"}}})");
  h.Start(R"({"s":"abc"})");
  EXPECT_EQ(h.state().status, ExecutionStatus::kFailed);
  EXPECT_EQ(h.state().error, "States.NoChoiceMatched");
}

TEST(InterpreterTest, TaskSchedulesWithEffectiveInputAndAppliesResultPath) {
  Harness h(R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
         "Parameters":{"p.$":"$.v"},"ResultSelector":{"r.$":"$.out"},
         "ResultPath":"$.res","End":true}}})");
  Decision d = h.Start(R"({"v":5})");
  ASSERT_EQ(d.schedule_tasks.size(), 1u);
  EXPECT_TRUE(JsonEquals(d.schedule_tasks[0].input, *ParseJson(R"({"p":5})")));
  EXPECT_EQ(h.state().status, ExecutionStatus::kRunning);
  h.Complete(d.schedule_tasks[0].task_id, R"({"out":"done"})");
  ASSERT_EQ(h.state().status, ExecutionStatus::kSucceeded);
  EXPECT_TRUE(JsonEquals(Output(h.state()), *ParseJson(R"({"v":5,"res":{"r":"done"}})")));
  EXPECT_EQ(h.Types(), (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered",
                                                  "TaskScheduled", "TaskStarted",
                                                  "TaskSucceeded", "TaskStateExited",
                                                  "ExecutionSucceeded"}));
}

TEST(InterpreterTest, CompletingATaskTwiceIsRejected) {
  Harness h(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:1:activity:a","Next":"W"},
    "W":{"Type":"Wait","Seconds":5,"End":true}}})");
  Decision d = h.Start("{}");
  int64_t task = d.schedule_tasks.at(0).task_id;
  h.Complete(task, "{}");
  Decision again;
  TaskResult r;
  absl::Status s = h.interp().CompleteTask(h.state(), task, r, h.now(), again);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(again.events.empty());
}

TEST(InterpreterTest, RetryBacksOffWithRateAndMaxDelayThenCatches) {
  Harness h(R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
         "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":2,"BackoffRate":3,
                   "MaxAttempts":3,"MaxDelaySeconds":10}],
         "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"H"}],"End":true},
    "H":{"Type":"Pass","End":true}}})");
  Decision d = h.Start(R"({"a":1})");
  std::vector<TimeMs> delays;
  for (int attempt = 0; attempt < 3; ++attempt) {
    Decision f = h.Fail(d.schedule_tasks.at(0).task_id, "Boom", "c");
    ASSERT_EQ(f.start_timers.size(), 1u);
    delays.push_back(f.start_timers[0].due - h.now());
    d = h.Fire(f.start_timers[0]);
    ASSERT_EQ(d.schedule_tasks.size(), 1u);
    EXPECT_EQ(d.schedule_tasks[0].attempt, attempt + 1);
  }
  EXPECT_EQ(delays, (std::vector<TimeMs>{2000, 6000, 10000}));
  h.Fail(d.schedule_tasks.at(0).task_id, "Boom", "last");
  ASSERT_EQ(h.state().status, ExecutionStatus::kSucceeded);
  EXPECT_TRUE(JsonEquals(Output(h.state()),
                         *ParseJson(R"({"a":1,"err":{"Error":"Boom","Cause":"last"}})")));
}

TEST(InterpreterTest, StatesAllDoesNotCatchStatesRuntime) {
  Harness h(R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","OutputPath":"$.missing",
         "Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true},
    "H":{"Type":"Pass","End":true}}})");
  Decision d = h.Start("{}");
  h.Complete(d.schedule_tasks.at(0).task_id, R"({"x":1})");
  EXPECT_EQ(h.state().status, ExecutionStatus::kFailed);
  EXPECT_EQ(h.state().error, "States.Runtime");
  EXPECT_NE(h.state().cause.find("(entered at the event id #2)"), std::string::npos)
      << h.state().cause;
}

TEST(InterpreterTest, WaitArmsADurableTimerAndContinuesWhenItFires) {
  Harness h(R"({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","Next":"P"},
    "P":{"Type":"Pass","End":true}}})");
  Decision d = h.Start(R"({"s":30})");
  ASSERT_EQ(d.start_timers.size(), 1u);
  EXPECT_EQ(d.start_timers[0].due, kT0 + 30000);
  EXPECT_EQ(h.state().status, ExecutionStatus::kRunning);
  h.Fire(d.start_timers[0]);
  EXPECT_EQ(h.state().status, ExecutionStatus::kSucceeded);
}

TEST(InterpreterTest, NegativeSecondsPathIsARuntimeError) {
  Harness h(R"({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}})");
  h.Start(R"({"s":-1})");
  EXPECT_EQ(h.state().status, ExecutionStatus::kFailed);
  EXPECT_EQ(h.state().error, "States.Runtime");
  EXPECT_NE(h.state().cause.find("negative value"), std::string::npos);
}

TEST(InterpreterTest, InputPathMissGivesAwsCauses) {
  const char* def = R"({"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a.b","End":true}}})";
  const std::string prefix =
      "An error occurred while executing the state 'A' (entered at the event id #2). ";
  {
    Harness h(def);
    h.Start(R"({"x":1})");
    EXPECT_EQ(h.state().error, "States.Runtime");
    EXPECT_EQ(h.state().cause, prefix + "Invalid path '$.a.b' : Missing property in path $['a']");
  }
  {
    Harness h(def);
    h.Start(R"({"a":{}})");
    EXPECT_EQ(h.state().cause, prefix + "Invalid path '$.a.b' : No results for path: $['a']['b']");
  }
  {
    // Jayway's words for a property of a non-object, as AWS reports them.
    Harness h(def);
    h.Start(R"({"a":5})");
    EXPECT_EQ(h.state().cause,
              prefix + "Invalid path '$.a.b' : Expected to find an object with property ['b'] "
                       "in path $['a'] but found 'java.lang.Integer'. This is not a json object "
                       "according to the JsonProvider: "
                       "'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.");
  }
}

TEST(InterpreterTest, TaskEventsAreNamedByResourceKind) {
  struct Case {
    const char* resource;
    std::vector<std::string> types;
  };
  const Case cases[] = {
      {"arn:aws:states:us-east-1:123456789012:activity:work",
       {"ActivityScheduled", "ActivityStarted", "ActivitySucceeded"}},
      {"arn:aws:lambda:us-east-1:123456789012:function:fn",
       {"LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded"}},
      {"arn:aws:states:::aws-sdk:s3:getObject", {"TaskScheduled", "TaskStarted", "TaskSucceeded"}},
  };
  for (const Case& c : cases) {
    Harness h(std::string(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")") +
              c.resource + R"(","End":true}}})");
    Decision d = h.Start("{}");
    ASSERT_EQ(d.schedule_tasks.size(), 1u);
    h.Complete(d.schedule_tasks[0].task_id, "{}");
    std::vector<std::string> types = h.Types();
    ASSERT_EQ(types.size(), 7u) << c.resource;
    EXPECT_EQ(std::vector<std::string>(types.begin() + 2, types.begin() + 5), c.types);
  }
  // A service integration's events carry resourceType and resource.
  Harness h(R"({"StartAt":"T","States":{"T":{"Type":"Task",
    "Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}}})");
  Decision d = h.Start("{}");
  EXPECT_EQ(d.schedule_tasks[0].kind, TaskKind::kService);
  const json::object& scheduled = h.events()[2].details;
  EXPECT_EQ(scheduled.at("resourceType").as_string(), "states");
  EXPECT_EQ(scheduled.at("resource").as_string(), "startExecution.sync:2");
}

TEST(InterpreterTest, StateEventNamesAreTheTypeNameAndSuffix) {
  for (asl::StateType t : {asl::StateType::kTask, asl::StateType::kPass, asl::StateType::kChoice,
                           asl::StateType::kWait, asl::StateType::kSucceed, asl::StateType::kFail,
                           asl::StateType::kParallel, asl::StateType::kMap}) {
    std::string name(asl::StateTypeName(t));
    EXPECT_EQ(interpreter::StateEnteredType(t), name + "StateEntered");
    EXPECT_EQ(interpreter::StateExitedType(t), name + "StateExited");
  }
}

TEST(InterpreterTest, ParallelResultsAreInBranchOrderWhateverTheCompletionOrder) {
  Harness h(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
    {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}]}}})");
  Decision d = h.Start(R"({"x":1})");
  ASSERT_EQ(d.schedule_tasks.size(), 2u);
  h.Complete(d.schedule_tasks[1].task_id, R"("second")");
  EXPECT_EQ(h.state().status, ExecutionStatus::kRunning);
  h.Complete(d.schedule_tasks[0].task_id, R"("first")");
  ASSERT_EQ(h.state().status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(*h.state().output, R"(["first","second"])");
}

TEST(InterpreterTest, FailedBranchAbortsItsSiblingsAndCancelsTheirTasks) {
  Harness h(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Done",
    "Catch":[{"ErrorEquals":["Bad"],"Next":"Caught"}],"Branches":[
    {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}},
    {"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":100,"End":true}}}]},
    "Done":{"Type":"Succeed"},"Caught":{"Type":"Pass","Result":"caught","End":true}}})");
  Decision d = h.Start("{}");
  ASSERT_EQ(d.schedule_tasks.size(), 1u);
  ASSERT_EQ(d.start_timers.size(), 1u);
  Decision f = h.Fail(d.schedule_tasks[0].task_id, "Bad", "why");
  EXPECT_EQ(f.cancel_timers, std::vector<int64_t>{d.start_timers[0].timer_id});
  ASSERT_EQ(h.state().status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(*h.state().output, "\"caught\"");
  std::vector<std::string> types = h.Types();
  EXPECT_NE(std::find(types.begin(), types.end(), "WaitStateAborted"), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), "ParallelStateFailed"), types.end());
  // A timer that fires after its branch was aborted changes nothing.
  Decision late = h.Fire(d.start_timers[0]);
  EXPECT_TRUE(late.events.empty());
}

TEST(InterpreterTest, MapHonoursMaxConcurrency) {
  Harness h(R"({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,"End":true,
    "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","End":true}}}}}})");
  Decision d = h.Start("[1,2,3]");
  ASSERT_EQ(d.schedule_tasks.size(), 2u);
  Decision next = h.Complete(d.schedule_tasks[0].task_id, "10");
  ASSERT_EQ(next.schedule_tasks.size(), 1u);
  EXPECT_TRUE(JsonEquals(next.schedule_tasks[0].input, json::value(3)));
  h.Complete(next.schedule_tasks[0].task_id, "30");
  h.Complete(d.schedule_tasks[1].task_id, "20");
  ASSERT_EQ(h.state().status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(*h.state().output, "[10,20,30]");
}

TEST(InterpreterTest, MapToleratesFailuresUpToTheCount) {
  const char* def = R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true,
    "ToleratedFailureCount":1,"ItemProcessor":{"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":0,"Next":"F"}],"Default":"P"},
      "F":{"Type":"Fail","Error":"Zero"},"P":{"Type":"Pass","End":true}}}}}})";
  Harness ok(def);
  ok.Start("[0,1,2]");
  ASSERT_EQ(ok.state().status, ExecutionStatus::kSucceeded);
  EXPECT_TRUE(JsonEquals(Output(ok.state()),
                         *ParseJson(R"([{"Error":"Zero","Cause":""},1,2])")));
  Harness bad(def);
  bad.Start("[0,0,2]");
  EXPECT_EQ(bad.state().status, ExecutionStatus::kFailed);
  EXPECT_EQ(bad.state().error, "States.ExceedToleratedFailureThreshold");
}

TEST(InterpreterTest, StopAbortsAndCancelsPendingWork) {
  Harness h(R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}})");
  Decision d = h.Start("{}");
  Decision s;
  ASSERT_TRUE(h.interp().Stop(h.state(), "Op", "because", h.now(), s).ok());
  EXPECT_EQ(h.state().status, ExecutionStatus::kAborted);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].type, "ExecutionAborted");
  EXPECT_EQ(s.cancel_timers, std::vector<int64_t>{d.start_timers.at(0).timer_id});
  Decision again;
  EXPECT_EQ(h.interp().Stop(h.state(), "", "", h.now(), again).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(InterpreterTest, ExecutionTimeoutEndsTheExecution) {
  Harness h(R"({"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}})");
  Decision d = h.Start("{}");
  ASSERT_EQ(d.start_timers.size(), 2u);
  const StartTimerCommand& first =
      d.start_timers[0].due < d.start_timers[1].due ? d.start_timers[0] : d.start_timers[1];
  EXPECT_EQ(first.due, kT0 + 5000);
  h.Fire(first);
  EXPECT_EQ(h.state().status, ExecutionStatus::kTimedOut);
  EXPECT_EQ(h.Types().back(), "ExecutionTimedOut");
}

TEST(InterpreterTest, AssignedVariablesAreVisibleFromTheNextState) {
  Harness h(R"j({"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"x":1,"y.$":"$.v"},"Next":"B"},
    "B":{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($x, $y)"},"End":true}}})j");
  h.Start(R"({"v":41})");
  ASSERT_EQ(h.state().status, ExecutionStatus::kSucceeded) << h.state().cause;
  EXPECT_EQ(*h.state().output, R"({"sum":42})");
  const json::object& exited = h.events()[2].details;
  ASSERT_TRUE(exited.contains("assignedVariables"));
  EXPECT_EQ(SerializeJson(exited.at("assignedVariables")), R"({"x":"1","y":"41"})");
}

TEST(InterpreterTest, HistoryIsCappedWithStatesRuntime) {
  InterpreterOptions opts;
  auto v = ParseJson(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}})");
  auto m = asl::ParseStateMachine(*v);
  ASSERT_TRUE(m.ok());
  asl::SeededRandom rnd(1);
  opts.max_events = 50;
  Interpreter in(*m, &rnd, opts);
  ExecutionState st;
  Decision d;
  in.Start(st, json::object(), kT0, d);
  EXPECT_EQ(st.status, ExecutionStatus::kFailed);
  EXPECT_EQ(st.error, "States.Runtime");
  EXPECT_EQ(d.events.back().id, 50);
  EXPECT_EQ(d.events.back().type, "ExecutionFailed");
}

TEST(InterpreterTest, BoundedRunsYieldAndContinueToTheSameHistory) {
  auto v = ParseJson(R"({"StartAt":"M","States":{"M":{"Type":"Map","Next":"Z",
    "ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
    "B":{"Type":"Pass","End":true}}}},"Z":{"Type":"Pass","End":true}}})");
  auto m = asl::ParseStateMachine(*v);
  ASSERT_TRUE(m.ok());
  asl::SeededRandom rnd(1);
  auto run = [&](int bound, int* commits) {
    InterpreterOptions opts;
    opts.max_steps_per_trigger = bound;
    Interpreter in(*m, &rnd, opts);
    ExecutionState st;
    std::vector<HistoryEvent> events;
    Decision d;
    in.Start(st, *ParseJson("[1,2,3]"), kT0, d);
    *commits = 1;
    while (true) {
      for (auto& e : d.events) events.push_back(e);
      if (!d.yielded) break;
      EXPECT_LE(d.events.size(), static_cast<size_t>(bound) * 4 + 4);
      d = Decision();
      in.Continue(st, kT0, d);
      ++*commits;
    }
    EXPECT_EQ(st.status, ExecutionStatus::kSucceeded);
    return events;
  };
  int unbounded_commits = 0, bounded_commits = 0;
  std::vector<HistoryEvent> a = run(100000, &unbounded_commits);
  std::vector<HistoryEvent> b = run(2, &bounded_commits);
  EXPECT_EQ(unbounded_commits, 1);
  EXPECT_GT(bounded_commits, 3);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].type, b[i].type) << i;
    EXPECT_EQ(a[i].previous_event_id, b[i].previous_event_id) << i;
  }
}

TEST(InterpreterTest, SameSeedGivesTheSameHistory) {
  const char* def = R"j({"StartAt":"A","States":{"A":{"Type":"Pass",
    "Parameters":{"u.$":"States.UUID()","r.$":"States.MathRandom(1, 1000)"},"End":true}}})j";
  Harness a(def, 42), b(def, 42), c(def, 43);
  a.Start("{}");
  b.Start("{}");
  c.Start("{}");
  EXPECT_EQ(*a.state().output, *b.state().output);
  EXPECT_NE(*a.state().output, *c.state().output);
}

}  // namespace
}  // namespace stepwise::engine
