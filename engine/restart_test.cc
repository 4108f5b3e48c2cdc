// RestartExecution through the Engine (restart from any state): the new
// execution begins at the chosen top-level state with that entry's
// recorded input (or an edited one), runs the original's revision, and the
// two histories link each other; bad requests get errors naming the field;
// repeats are idempotent; everything survives reopening the engine.
// Test-only; gtest's thread.
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/engine_test_fixture.h"
#include "engine/restart.h"
#include "engine/service_error.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr char kJobs[] = "arn:aws:states:us-east-1:123456789012:activity:jobs";

// Prep adds to the input, Work calls the activity, Done ends.
constexpr char kPrepWorkDone[] = R"({"StartAt":"Prep","States":{
  "Prep":{"Type":"Pass","Result":"ready","ResultPath":"$.prep","Next":"Work"},
  "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
          "ResultPath":"$.result","Next":"Done"},
  "Done":{"Type":"Pass","End":true}}})";

constexpr char kParallelWork[] = R"({"StartAt":"Both","States":{
  "Both":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"Quick","States":{"Quick":{"Type":"Pass","Result":"q","End":true}}},
    {"StartAt":"Inner","States":{
      "Inner":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
               "End":true}}}]}}})";

template <typename Base>
class RestartFixture : public Base {
 protected:
  void SetUp() override {
    Base::SetUp();
    ASSERT_TRUE(this->engine_->CreateActivity("jobs").ok());
  }

  ActivityTaskGrant Poll(int64_t ms = 2000) {
    auto t = this->engine_->GetActivityTask(kJobs, "w", ms);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : ActivityTaskGrant{};
  }

  // Starts `name` on `machine` and fails its first task: a FAILED execution.
  std::string FailedExecution(const std::string& machine, const std::string& name,
                              const std::string& input) {
    auto ex = this->engine_->StartExecution(machine, name, input);
    EXPECT_TRUE(ex.ok()) << ex.status();
    if (!ex.ok()) return "";
    EXPECT_TRUE(this->engine_->SendTaskFailure(Poll().task_token, "Broken", "bug").ok());
    EXPECT_EQ(this->AwaitEnd(ex->execution_arn).status, "FAILED");
    return ex->execution_arn;
  }

  std::vector<json::object> History(const std::string& arn) {
    auto h = this->engine_->GetExecutionHistory(arn, 1000, "", false, true);
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? h->events : std::vector<json::object>{};
  }

  // The ids of `arn`'s StateEntered events of `state`.
  std::vector<int64_t> Entries(const std::string& arn, const std::string& state) {
    std::vector<int64_t> out;
    for (json::object& e : History(arn)) {
      auto* d = e.if_contains("stateEnteredEventDetails");
      if (d != nullptr && d->as_object().at("name").as_string() == state) {
        out.push_back(e["id"].as_int64());
      }
    }
    return out;
  }

  // FindRestartEntry on `arn`'s stored history and the machine it ran.
  absl::StatusOr<RestartEntry> RestartFromEntry(const std::string& arn, const std::string& state) {
    auto d = this->engine_->DescribeStateMachineForExecution(arn);
    if (!d.ok()) return d.status();
    auto definition = ParseJson(d->definition);
    if (!definition.ok()) return definition.status();
    auto machine = asl::ParseStateMachine(*definition);
    if (!machine.ok()) return machine.status();
    std::vector<HistoryEvent> events;
    for (json::object& e : History(arn)) {
      HistoryEvent h;
      h.id = e["id"].as_int64();
      h.type = std::string(e["type"].as_string());
      for (auto& kv : e) {
        if (kv.key().ends_with("EventDetails")) h.details = kv.value().as_object();
      }
      events.push_back(std::move(h));
    }
    return FindRestartEntry(events, **machine, state, 0);
  }

  // The executions `arn`'s ExecutionRestarted events name.
  std::vector<std::string> Links(const std::string& arn) {
    std::vector<std::string> out;
    for (json::object& e : History(arn)) {
      if (e["type"].as_string() != "ExecutionRestarted") continue;
      out.emplace_back(
          e["executionRestartedEventDetails"].as_object().at("executionArn").as_string());
    }
    return out;
  }
};

using RestartTest = RestartFixture<EngineTest>;
using RestartDurableTest = RestartFixture<RocksEngineTest>;

TEST_F(RestartTest, BeginsAtTheChosenStateWithItsRecordedInputAndLinksBothHistories) {
  std::string sm = Machine("m", kPrepWorkDone);
  std::string original = FailedExecution(sm, "order-7", R"({"order":7})");
  std::vector<int64_t> work = Entries(original, "Work");
  ASSERT_EQ(work.size(), 1u);

  auto r = engine_->RestartExecution(original, "Work", 0, std::nullopt, "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->execution_arn,
            "arn:aws:states:us-east-1:123456789012:execution:m:order-7-restart-1");
  // Work runs again with what it was given the first time; Prep does not.
  ActivityTaskGrant t = Poll();
  EXPECT_EQ(ParseJson(t.input).value(), ParseJson(R"({"order":7,"prep":"ready"})").value());
  ASSERT_TRUE(engine_->SendTaskSuccess(t.task_token, R"("ok")").ok());
  ExecutionDescription done = AwaitEnd(r->execution_arn);
  EXPECT_EQ(done.status, "SUCCEEDED");
  EXPECT_EQ(ParseJson(done.input).value(), ParseJson(R"({"order":7,"prep":"ready"})").value());

  std::vector<json::object> h = History(r->execution_arn);
  ASSERT_GE(h.size(), 2u);
  EXPECT_EQ(h[0]["type"].as_string(), "ExecutionStarted");
  json::object from =
      h[0]["executionStartedEventDetails"].as_object().at(kRestartedFromMember).as_object();
  EXPECT_EQ(from["executionArn"].as_string(), original);
  EXPECT_EQ(from["stateName"].as_string(), "Work");
  EXPECT_EQ(from["eventId"].as_int64(), work[0]);
  EXPECT_EQ(h[1]["type"].as_string(), "TaskStateEntered");
  EXPECT_TRUE(Entries(r->execution_arn, "Prep").empty());

  // The original stays FAILED and says where it went, as its last event.
  EXPECT_EQ(engine_->DescribeExecution(original)->status, "FAILED");
  std::vector<json::object> oh = History(original);
  EXPECT_EQ(oh.back()["type"].as_string(), "ExecutionRestarted");
  json::object link = oh.back()["executionRestartedEventDetails"].as_object();
  EXPECT_EQ(link["executionArn"].as_string(), r->execution_arn);
  EXPECT_EQ(link["stateName"].as_string(), "Work");
  EXPECT_EQ(oh.back()["previousEventId"].as_int64(), oh[oh.size() - 2]["id"].as_int64());

  // A second restart is a new execution, linked too.
  auto again = engine_->RestartExecution(original, "Prep", 0, std::nullopt, "");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->execution_arn,
            "arn:aws:states:us-east-1:123456789012:execution:m:order-7-restart-2");
  EXPECT_EQ(Links(original), (std::vector<std::string>{r->execution_arn, again->execution_arn}));
  ActivityTaskGrant t2 = Poll();
  EXPECT_EQ(ParseJson(t2.input).value(), ParseJson(R"({"order":7,"prep":"ready"})").value());
}

// Count assigns $x at the top level and $inner inside its Map; Use reads
// $x; Check fails unless the input says ok.
constexpr char kVariables[] = R"({"StartAt":"Count","States":{
  "Count":{"Type":"Map","ItemsPath":"$.items","Assign":{"x":41,"label":"first"},"ResultPath":null,
           "ItemProcessor":{"StartAt":"Inner","States":{
             "Inner":{"Type":"Pass","Assign":{"inner":1},"End":true}}},"Next":"Relabel"},
  "Relabel":{"Type":"Pass","Assign":{"label":"second"},"Next":"Use"},
  "Use":{"Type":"Pass","Parameters":{"v.$":"$x","label.$":"$label","ok.$":"$.ok"},"Next":"Check"},
  "Check":{"Type":"Choice","Choices":[{"Variable":"$.ok","BooleanEquals":true,"Next":"Done"}],
           "Default":"Boom"},
  "Done":{"Type":"Succeed"},
  "Boom":{"Type":"Fail","Error":"NotOk"}}})";

TEST_F(RestartTest, TheStateBeginsWithTheTopLevelVariablesAssignedBeforeIt) {
  std::string sm = Machine("vars", kVariables);
  auto ex = engine_->StartExecution(sm, "v", R"({"items":[1,2],"ok":false})");
  ASSERT_TRUE(ex.ok()) << ex.status();
  ASSERT_EQ(AwaitEnd(ex->execution_arn).status, "FAILED");

  auto r = engine_->RestartExecution(ex->execution_arn, "Use", 0, std::string(R"({"ok":true})"),
                                     "");
  ASSERT_TRUE(r.ok()) << r.status();
  ExecutionDescription done = AwaitEnd(r->execution_arn);
  ASSERT_EQ(done.status, "SUCCEEDED") << done.error.value_or("") << ": " << done.cause.value_or("");
  EXPECT_EQ(ParseJson(*done.output).value(),
            ParseJson(R"({"v":41,"label":"second","ok":true})").value());

  // Restarted at Relabel, $label is still the first value until it runs;
  // the Map's inner variable never reaches the top level.
  auto at_relabel = RestartFromEntry(ex->execution_arn, "Relabel");
  ASSERT_TRUE(at_relabel.ok()) << at_relabel.status();
  EXPECT_EQ(SerializeJson(at_relabel->variables), R"({"label":"first","x":41})");
  auto at_count = RestartFromEntry(ex->execution_arn, "Count");
  ASSERT_TRUE(at_count.ok()) << at_count.status();
  EXPECT_TRUE(at_count->variables.empty());
}

TEST_F(RestartTest, AnEditedInputReplacesTheRecordedOne) {
  std::string sm = Machine("m", kPrepWorkDone);
  std::string original = FailedExecution(sm, "e1", R"({"order":7})");
  auto r = engine_->RestartExecution(original, "Work", 0, std::string(R"({"order":8})"), "fixed");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->execution_arn, "arn:aws:states:us-east-1:123456789012:execution:m:fixed");
  EXPECT_EQ(ParseJson(Poll().input).value(), ParseJson(R"({"order":8})").value());
}

TEST_F(RestartTest, ChoosesAnEarlierEntryByEventId) {
  // Loop enters Work twice (the counter goes 0 -> 1) before failing.
  std::string sm = Machine("loop", R"({"StartAt":"Work","States":{
    "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
            "ResultPath":"$.n","Next":"Again"},
    "Again":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":0,"Next":"Work"}],
             "Default":"Stop"},
    "Stop":{"Type":"Fail","Error":"E"}}})");
  auto ex = engine_->StartExecution(sm, "l1", R"({"n":5})");
  ASSERT_TRUE(ex.ok());
  ASSERT_TRUE(engine_->SendTaskSuccess(Poll().task_token, "0").ok());
  ASSERT_TRUE(engine_->SendTaskSuccess(Poll().task_token, "1").ok());
  ASSERT_EQ(AwaitEnd(ex->execution_arn).status, "FAILED");
  std::vector<int64_t> work = Entries(ex->execution_arn, "Work");
  ASSERT_EQ(work.size(), 2u);

  auto first = engine_->RestartExecution(ex->execution_arn, "Work", work[0], std::nullopt, "a");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(ParseJson(Poll().input).value(), ParseJson(R"({"n":5})").value());
  auto last = engine_->RestartExecution(ex->execution_arn, "Work", 0, std::nullopt, "b");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(ParseJson(Poll().input).value(), ParseJson(R"({"n":0})").value());
  // An event that is not an entry of the state.
  auto bad = engine_->RestartExecution(ex->execution_arn, "Work", 1, std::nullopt, "c");
  EXPECT_EQ(ServiceErrorName(bad.status()), "ValidationException");
  EXPECT_NE(bad.status().message().find("eventId"), std::string::npos) << bad.status();
}

TEST_F(RestartTest, RefusesWhatCannotBeRestartedNamingTheField) {
  std::string sm = Machine("m", kPrepWorkDone);
  std::string original = FailedExecution(sm, "e1", "{}");
  auto expect = [&](const absl::Status& s, const std::string& name, const std::string& field) {
    EXPECT_EQ(ServiceErrorName(s), name) << s;
    EXPECT_NE(s.message().find(field), std::string::npos) << s;
  };
  expect(engine_->RestartExecution(original, "Nope", 0, std::nullopt, "").status(),
         "ValidationException", "stateName");
  // Done is a state of the machine the execution never entered.
  expect(engine_->RestartExecution(original, "Done", 0, std::nullopt, "").status(),
         "ValidationException", "never entered");
  expect(engine_->RestartExecution(original, "", 0, std::nullopt, "").status(),
         "ValidationException", "stateName");
  expect(engine_->RestartExecution(original, "Work", 0, std::string("{nope"), "").status(),
         "ValidationException", "input");
  expect(engine_->RestartExecution(original, "Work", 0, std::string(300000, ' '), "").status(),
         "ValidationException", "input");
  expect(engine_->RestartExecution(original, "Work", -1, std::nullopt, "").status(),
         "ValidationException", "eventId");
  expect(engine_->RestartExecution(original, "Work", 0, std::nullopt, "bad name").status(),
         "InvalidName", "bad name");
  expect(engine_->RestartExecution(original + "x", "Work", 0, std::nullopt, "").status(),
         "ExecutionDoesNotExist", "x");
  expect(engine_->RestartExecution("arn:aws:states:us-east-1:123456789012:stateMachine:m",
                                   "Work", 0, std::nullopt, "")
             .status(),
         "InvalidArn", "");
  // A name in use by another execution.
  ASSERT_TRUE(engine_->StartExecution(sm, "taken", "{}").ok());
  expect(engine_->RestartExecution(original, "Work", 0, std::nullopt, "taken").status(),
         "ExecutionAlreadyExists", "taken");
  // Still running: nothing to restart yet.
  auto running = engine_->StartExecution(sm, "running", "{}");
  ASSERT_TRUE(running.ok());
  expect(engine_->RestartExecution(running->execution_arn, "Work", 0, std::nullopt, "").status(),
         "ExecutionNotRestartable", "RUNNING");
  // None of these left a link.
  EXPECT_TRUE(Links(original).empty());
}

TEST_F(RestartTest, StatesInsideAParallelCannotBeRestarted) {
  std::string sm = Machine("p", kParallelWork);
  std::string original = FailedExecution(sm, "p1", R"({"x":1})");
  auto inner = engine_->RestartExecution(original, "Inner", 0, std::nullopt, "");
  EXPECT_EQ(ServiceErrorName(inner.status()), "ValidationException");
  EXPECT_NE(inner.status().message().find("only top-level states"), std::string::npos)
      << inner.status();
  auto outer = engine_->RestartExecution(original, "Both", 0, std::nullopt, "");
  ASSERT_TRUE(outer.ok()) << outer.status();
  EXPECT_EQ(ParseJson(Poll().input).value(), ParseJson(R"({"x":1})").value());
}

TEST_F(RestartTest, ARepeatWithTheSameArgumentsReturnsTheSameExecutionLinkedOnce) {
  std::string sm = Machine("m", kPrepWorkDone);
  std::string original = FailedExecution(sm, "e1", "{}");
  auto a = engine_->RestartExecution(original, "Work", 0, std::nullopt, "again");
  ASSERT_TRUE(a.ok()) << a.status();
  clock_.Advance(1000);
  auto b = engine_->RestartExecution(original, "Work", 0, std::nullopt, "again");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->execution_arn, a->execution_arn);
  EXPECT_EQ(b->start_date, a->start_date);
  EXPECT_EQ(Links(original), std::vector<std::string>{a->execution_arn});
  // Another input under that name is another request: the name is taken.
  auto c = engine_->RestartExecution(original, "Work", 0, std::string("{}"), "again");
  EXPECT_EQ(ServiceErrorName(c.status()), "ExecutionAlreadyExists");
}

TEST_F(RestartTest, RunsTheOriginalsRevisionAndKeepsItsVersion) {
  auto m = engine_->CreateStateMachine("v", kPrepWorkDone, "arn:aws:iam::123456789012:role/r",
                                       "STANDARD", {}, {}, /*publish=*/true);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_FALSE(m->version_arn.empty());
  auto ex = engine_->StartExecution(m->version_arn, "v1", "{}");
  ASSERT_TRUE(ex.ok()) << ex.status();
  ASSERT_TRUE(engine_->SendTaskFailure(Poll().task_token, "Broken", "bug").ok());
  ASSERT_EQ(AwaitEnd(ex->execution_arn).status, "FAILED");
  // A new revision where Work is a Pass: the restart must not run it.
  ASSERT_TRUE(engine_->UpdateStateMachine(m->arn, std::string(R"({"StartAt":"Work","States":{
      "Work":{"Type":"Pass","End":true}}})"), std::nullopt).ok());
  auto r = engine_->RestartExecution(ex->execution_arn, "Work", 0, std::nullopt, "");
  ASSERT_TRUE(r.ok()) << r.status();
  ActivityTaskGrant t = Poll();
  EXPECT_FALSE(t.task_token.empty());
  ExecutionDescription d = *engine_->DescribeExecution(r->execution_arn);
  EXPECT_EQ(d.version_arn, m->version_arn);
  EXPECT_EQ(d.state_machine_arn, m->arn);
}

TEST_F(RestartDurableTest, BothSidesSurviveReopeningTheEngine) {
  std::string sm = Machine("m", kPrepWorkDone);
  std::string original = FailedExecution(sm, "e1", R"({"k":1})");
  auto r = engine_->RestartExecution(original, "Work", 0, std::nullopt, "");
  ASSERT_TRUE(r.ok()) << r.status();
  Reopen();
  EXPECT_EQ(Links(original), std::vector<std::string>{r->execution_arn});
  EXPECT_EQ(engine_->DescribeExecution(original)->status, "FAILED");
  // The restarted execution goes on after the reopen, where it was.
  ActivityTaskGrant t = Poll();
  EXPECT_EQ(ParseJson(t.input).value(), ParseJson(R"({"k":1,"prep":"ready"})").value());
  ASSERT_TRUE(engine_->SendTaskSuccess(t.task_token, "1").ok());
  EXPECT_EQ(AwaitEnd(r->execution_arn).status, "SUCCEEDED");
  // The original can still be redriven; its link stays.
  auto redriven = engine_->RedriveExecution(original, "");
  ASSERT_TRUE(redriven.ok()) << redriven.status();
  EXPECT_EQ(Links(original), std::vector<std::string>{r->execution_arn});
  // The next default name counts the link that is there.
  ASSERT_TRUE(engine_->SendTaskFailure(Poll().task_token, "Broken", "again").ok());
  ASSERT_EQ(AwaitEnd(original).status, "FAILED");
  auto second = engine_->RestartExecution(original, "Prep", 0, std::nullopt, "");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->execution_arn,
            "arn:aws:states:us-east-1:123456789012:execution:m:e1-restart-2");
}

TEST(RestartNameTest, StaysWithinEightyCharacters) {
  EXPECT_EQ(RestartName("abc", 3), "abc-restart-3");
  std::string n = RestartName(std::string(80, 'a'), 12);
  EXPECT_EQ(n.size(), 80u);
  EXPECT_EQ(n.substr(n.size() - 11), "-restart-12");
}

TEST(RestartNameTest, WhereTakesThePlainNameWhenItFitsElseTheFirstSuffixThatDoes) {
  EXPECT_EQ(RestartNameWhere("abc", 3, [](const std::string&) { return true; }),
            "abc-restart-3");
  // Deterministic: the first K that fits, every time (a retry finds it).
  auto only_7 = [](const std::string& n) { return n == "abc-restart-3-7"; };
  EXPECT_EQ(RestartNameWhere("abc", 3, only_7), "abc-restart-3-7");
  std::optional<std::string> long_name =
      RestartNameWhere(std::string(80, 'a'), 12, [](const std::string& n) {
        return n.substr(n.size() - 3) == "-42";
      });
  ASSERT_TRUE(long_name.has_value());
  EXPECT_EQ(long_name->size(), 80u);
  EXPECT_EQ(long_name->substr(long_name->size() - 14), "-restart-12-42");
  EXPECT_EQ(RestartNameWhere("abc", 1, [](const std::string&) { return false; }), std::nullopt);
}

}  // namespace
}  // namespace stepwise::engine
