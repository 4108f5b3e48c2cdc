#include "server/console/console.h"

#include <chrono>
#include <future>
#include <set>
#include <vector>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/memory_store.h"

namespace stepwise::server::console {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWaitMachine[] = R"({"StartAt":"W","States":{
  "W":{"Type":"Wait","Seconds":5,"Next":"P"},"P":{"Type":"Pass","End":true}}})";

class ConsoleTest : public ::testing::Test {
 protected:
  void Open(ConsoleOptions options) {
    engine::EngineOptions o;
    o.clock = &clock_;
    o.seed = 7;
    auto e = engine::Engine::Open(&store_, o);
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = *std::move(e);
    console_ = std::make_unique<Console>(engine_.get(), std::move(options));
  }
  void TearDown() override {
    if (console_) console_->Shutdown();
    if (engine_) engine_->Shutdown();
    console_.reset();
    engine_.reset();
  }

  // Sends a GET and returns the reply's future.
  std::future<HttpResponse> Send(const std::string& target, const std::string& token = "") {
    HttpRequest r;
    r.method = "GET";
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    r.client_gone = [] { return false; };
    auto p = std::make_shared<std::promise<HttpResponse>>();
    auto f = p->get_future();
    console_->Handle(r, [p](HttpResponse resp) { p->set_value(std::move(resp)); });
    return f;
  }
  HttpResponse Get(const std::string& target, const std::string& token = "") {
    auto f = Send(target, token);
    EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready) << target;
    return f.get();
  }
  json::value GetJson(const std::string& target) {
    HttpResponse r = Get(target);
    EXPECT_EQ(r.status, 200) << r.body;
    auto v = ParseJson(r.body);
    EXPECT_TRUE(v.ok()) << r.body;
    return v.ok() ? *v : json::value();
  }
  std::string Machine(const std::string& name, const std::string& definition) {
    auto m = engine_->CreateStateMachine(name, definition, "arn:aws:iam::123456789012:role/r",
                                         "STANDARD");
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? m->arn : "";
  }

  ManualClock clock_{1700000000000};
  storage::MemoryStore store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Console> console_;
};

std::string Enc(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

TEST_F(ConsoleTest, ServesThePageAndItsAssets) {
  Open({});
  HttpResponse page = Get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.content_type, HasSubstr("text/html"));
  EXPECT_THAT(page.body, HasSubstr("/console/app.js"));
  EXPECT_THAT(Get("/console/app.js").content_type, HasSubstr("javascript"));
  EXPECT_THAT(Get("/console/app.css").content_type, HasSubstr("text/css"));
  for (const char* script : {"operate.js", "search.js", "batch.js", "cluster.js", "maprun.js"}) {
    EXPECT_THAT(page.body, HasSubstr(std::string("/console/") + script));
    EXPECT_THAT(Get(std::string("/console/") + script).content_type, HasSubstr("javascript"));
  }
  EXPECT_EQ(Get("/console/nothing.js").status, 404);
}

TEST_F(ConsoleTest, SaysWhichWorkerAnOpenTaskWaitsFor) {
  Open({});
  std::string fn_machine = Machine("fn", R"({"StartAt":"V","States":{
    "V":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:ValidateOrder",
         "End":true}}})");
  ASSERT_TRUE(engine_->CreateActivity("approve").ok());
  const std::string activity = "arn:aws:states:us-east-1:123456789012:activity:approve";
  std::string act_machine = Machine("act", R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":")" + activity + R"(","End":true}}})");
  auto f = engine_->StartExecution(fn_machine, "f1", "{}");
  auto a = engine_->StartExecution(act_machine, "a1", "{}");
  ASSERT_TRUE(f.ok() && a.ok());
  for (int i = 0; i < 1000; ++i) {
    engine::Engine::Stats st = engine_->stats();
    if (!st.function_queues.empty() && !st.activity_queues.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // The function queue is reported apart from the activities.
  engine::Engine::Stats st = engine_->stats();
  ASSERT_EQ(st.function_queues.size(), 1u);
  EXPECT_EQ(st.function_queues[0].function_name, "ValidateOrder");
  EXPECT_EQ(st.function_queues[0].pending, 1u);
  ASSERT_EQ(st.activity_queues.size(), 1u);
  EXPECT_EQ(st.activity_queues[0].activity_arn, activity);

  json::value ft = GetJson("/console/api/tasks?arn=" + Enc(f->execution_arn));
  const json::array& fl = ft.at("openTasks").as_array();
  ASSERT_EQ(fl.size(), 1u) << SerializeJson(ft);
  EXPECT_EQ(fl[0].at("functionName").as_string(), "ValidateOrder");
  EXPECT_EQ(fl[0].at("waitingFor").as_string(), "waiting for a worker of function ValidateOrder");
  EXPECT_EQ(fl[0].at("pollingWorkers").as_int64(), 0);
  json::value at = GetJson("/console/api/execution?arn=" + Enc(a->execution_arn));
  const json::array& al = at.at("openTasks").as_array();
  ASSERT_EQ(al.size(), 1u) << SerializeJson(at);
  EXPECT_EQ(al[0].at("waitingFor").as_string(), "waiting for a worker of activity " + activity);
  json::value acts = GetJson("/console/api/activities");
  ASSERT_EQ(acts.at("functions").as_array().size(), 1u);
  EXPECT_EQ(acts.at("functions").as_array()[0].at("functionName").as_string(), "ValidateOrder");
  EXPECT_EQ(acts.at("functions").as_array()[0].at("waitingTasks").as_int64(), 1);

  // Once a worker has it, nothing waits for a worker any more.
  auto grant = engine_->GetFunctionTask("ValidateOrder", "w", 5000);
  ASSERT_TRUE(grant.ok() && !grant->task_token.empty()) << grant.status();
  ft = GetJson("/console/api/tasks?arn=" + Enc(f->execution_arn));
  ASSERT_EQ(ft.at("openTasks").as_array().size(), 1u);
  EXPECT_TRUE(ft.at("openTasks").as_array()[0].at("started").as_bool());
  EXPECT_FALSE(ft.at("openTasks").as_array()[0].as_object().contains("waitingFor"));
  ASSERT_TRUE(engine_->SendTaskSuccess(grant->task_token, "{}").ok());
  for (int i = 0; i < 1000; ++i) {
    auto d = engine_->DescribeExecution(f->execution_arn);
    if (d.ok() && d->status != "RUNNING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ft = GetJson("/console/api/tasks?arn=" + Enc(f->execution_arn));
  EXPECT_TRUE(ft.at("openTasks").as_array().empty()) << SerializeJson(ft);
  EXPECT_EQ(Get("/console/api/tasks").status, 400);
  EXPECT_EQ(Get("/console/api/tasks?arn=" +
                Enc("arn:aws:states:us-east-1:123456789012:execution:fn:nope")).status,
            400);
}

TEST_F(ConsoleTest, TokensGuardEveryDataEndpointButNotThePage) {
  ConsoleOptions o;
  o.tokens = {"s3cret"};
  Open(o);
  Machine("m", kWaitMachine);
  EXPECT_EQ(Get("/").status, 200);
  for (const char* api : {"session", "machines", "activities", "tasks?arn=x", "watch?arn=x",
                          "executions?machine=x"}) {
    HttpResponse none = Get(std::string("/console/api/") + api);
    EXPECT_EQ(none.status, 401) << api;
    EXPECT_THAT(none.body, HasSubstr("MissingAuthenticationTokenException"));
    EXPECT_THAT(none.body, Not(HasSubstr("\"m\"")));
    EXPECT_EQ(Get(std::string("/console/api/") + api, "wrong").status, 401) << api;
  }
  HttpResponse ok = Get("/console/api/machines", "s3cret");
  EXPECT_EQ(ok.status, 200);
  EXPECT_THAT(ok.body, HasSubstr("\"name\":\"m\""));
}

TEST_F(ConsoleTest, SigV4KeysWithoutTokensKeepTheConsoleClosed) {
  ConsoleOptions o;
  o.aws_keys_configured = true;
  Open(o);
  HttpResponse r = Get("/console/api/machines");
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, HasSubstr("--auth-tokens-file"));
}

TEST_F(ConsoleTest, ExecutionsFilterByStatusPrefixAndTimeAndPageNewestFirst) {
  Open({});
  std::string sm = Machine("m", R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})");
  for (int i = 0; i < 7; ++i) {
    clock_.Advance(1000);
    auto s = engine_->StartExecution(sm, (i % 2 ? "odd-" : "even-") + std::to_string(i), "{}");
    ASSERT_TRUE(s.ok()) << s.status();
  }
  std::string waiter = Machine("w", kWaitMachine);
  ASSERT_TRUE(engine_->StartExecution(waiter, "waiting", "{}").ok());

  std::string base = "/console/api/executions?machine=" + Enc(sm);
  json::value all = GetJson(base);
  ASSERT_EQ(all.at("executions").as_array().size(), 7u);
  EXPECT_EQ(all.at("executions").at(0).at("name").as_string(), "even-6");
  EXPECT_FALSE(all.as_object().contains("cursor"));

  json::value odd = GetJson(base + "&prefix=odd-");
  ASSERT_EQ(odd.at("executions").as_array().size(), 3u);
  for (const auto& e : odd.at("executions").as_array()) {
    EXPECT_EQ(std::string(e.at("name").as_string()).rfind("odd-", 0), 0u);
  }
  // Started at 1700000001000 + i*1000: [3000, 5000) holds i = 2, 3.
  json::value range = GetJson(base + "&from=1700000003000&to=1700000005000");
  ASSERT_EQ(range.at("executions").as_array().size(), 2u);
  EXPECT_EQ(range.at("executions").at(0).at("name").as_string(), "odd-3");
  EXPECT_EQ(range.at("executions").at(1).at("name").as_string(), "even-2");

  // Pages of 3 walk all seven once, newest first.
  std::vector<std::string> names;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    json::value v = GetJson(base + "&limit=3" + (cursor.empty() ? "" : "&cursor=" + Enc(cursor)));
    for (const auto& e : v.at("executions").as_array()) names.emplace_back(e.at("name").as_string());
    if (!v.as_object().contains("cursor")) break;
    cursor = std::string(v.at("cursor").as_string());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"even-6", "odd-5", "even-4", "odd-3", "even-2",
                                             "odd-1", "even-0"}));

  json::value succeeded = GetJson(base + "&status=SUCCEEDED");
  EXPECT_EQ(succeeded.at("executions").as_array().size(), 7u);
  json::value running = GetJson("/console/api/executions?machine=" + Enc(waiter) +
                                "&status=RUNNING");
  EXPECT_EQ(running.at("executions").as_array().size(), 1u);

  HttpResponse bad = Get(base + "&limit=abc");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("'limit'"));
  json::value machines = GetJson("/console/api/machines");
  EXPECT_EQ(machines.at("stateMachines").at(0).at("executions").at("SUCCEEDED").as_int64(), 7);
}

TEST_F(ConsoleTest, ExecutionCarriesItsGraph) {
  Open({});
  std::string sm = Machine("w", kWaitMachine);
  auto s = engine_->StartExecution(sm, "x", R"({"a":1})");
  ASSERT_TRUE(s.ok());
  json::value v = GetJson("/console/api/execution?arn=" + Enc(s->execution_arn));
  EXPECT_EQ(v.at("execution").at("status").as_string(), "RUNNING");
  EXPECT_EQ(v.at("execution").at("input").as_string(), R"({"a":1})");
  EXPECT_THAT(std::string(v.at("graph").at("svg").as_string()), HasSubstr("sw&#45;wait"));
  EXPECT_EQ(v.at("graph").at("types").at("W").as_string(), "Wait");
  HttpResponse missing = Get("/console/api/execution?arn=" + Enc(s->execution_arn + "nope"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("ExecutionDoesNotExist"));
}

TEST_F(ConsoleTest, MachineCarriesItsTags) {
  Open({});
  std::string sm = Machine("tagged", kWaitMachine);
  EXPECT_TRUE(GetJson("/console/api/machine?arn=" + Enc(sm)).at("tags").as_array().empty());
  ASSERT_TRUE(engine_->TagResource(sm, {{"team", "payments"}, {"env", ""}}).ok());
  json::value v = GetJson("/console/api/machine?arn=" + Enc(sm));
  const json::array& tags = v.at("tags").as_array();
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0].at("key").as_string(), "team");
  EXPECT_EQ(tags[0].at("value").as_string(), "payments");
  EXPECT_EQ(tags[1].at("key").as_string(), "env");
  EXPECT_THAT(Get("/console/app.js").body, HasSubstr("m.tags"));
}

TEST_F(ConsoleTest, MachineCarriesItsVersionsAndAliasesAndExecutionsNameThem) {
  Open({});
  std::string sm = Machine("rolled", kWaitMachine);
  json::value none = GetJson("/console/api/machine?arn=" + Enc(sm));
  EXPECT_TRUE(none.at("versions").as_array().empty());
  EXPECT_TRUE(none.at("aliases").as_array().empty());
  auto v1 = engine_->PublishStateMachineVersion(sm, std::nullopt, "first cut");
  ASSERT_TRUE(v1.ok()) << v1.status();
  auto up = engine_->UpdateStateMachine(sm, R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})",
                                        std::nullopt, std::nullopt, true, "second cut");
  ASSERT_TRUE(up.ok()) << up.status();
  auto alias = engine_->CreateStateMachineAlias("prod", "live traffic",
                                                {{v1->arn, 80}, {up->version_arn, 20}});
  ASSERT_TRUE(alias.ok()) << alias.status();

  json::value m = GetJson("/console/api/machine?arn=" + Enc(sm));
  const json::array& versions = m.at("versions").as_array();
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].at("version").as_int64(), 2);  // newest first
  EXPECT_EQ(versions[0].at("description").as_string(), "second cut");
  EXPECT_EQ(versions[1].at("version").as_int64(), 1);
  EXPECT_EQ(versions[1].at("description").as_string(), "first cut");
  EXPECT_EQ(versions[1].at("stateMachineVersionArn").as_string(), v1->arn);
  const json::array& aliases = m.at("aliases").as_array();
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(aliases[0].at("name").as_string(), "prod");
  EXPECT_EQ(aliases[0].at("description").as_string(), "live traffic");
  const json::array& routing = aliases[0].at("routingConfiguration").as_array();
  ASSERT_EQ(routing.size(), 2u);
  EXPECT_EQ(routing[0].at("version").as_int64(), 1);
  EXPECT_EQ(routing[0].at("weight").as_int64(), 80);
  EXPECT_EQ(routing[1].at("version").as_int64(), 2);
  EXPECT_EQ(routing[1].at("weight").as_int64(), 20);

  auto through_alias = engine_->StartExecution(alias->arn, "via-alias", "{}");
  ASSERT_TRUE(through_alias.ok()) << through_alias.status();
  clock_.Advance(1000);  // newest first: started a second later
  auto through_version = engine_->StartExecution(up->version_arn, "via-version", "{}");
  ASSERT_TRUE(through_version.ok()) << through_version.status();
  json::value list = GetJson("/console/api/executions?machine=" + Enc(sm));
  const json::array& rows = list.at("executions").as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("name").as_string(), "via-version");
  EXPECT_EQ(rows[0].at("stateMachineVersionArn").as_string(), up->version_arn);
  EXPECT_FALSE(rows[0].as_object().contains("stateMachineAliasArn"));
  EXPECT_EQ(rows[1].at("stateMachineAliasArn").as_string(), alias->arn);
  json::value one = GetJson("/console/api/execution?arn=" + Enc(through_alias->execution_arn));
  EXPECT_EQ(one.at("execution").at("stateMachineAliasArn").as_string(), alias->arn);
  EXPECT_TRUE(one.at("execution").as_object().contains("stateMachineVersionArn"));

  // A version's page shows the tags of its state machine (tags belong to
  // the machine, not to its versions).
  ASSERT_TRUE(engine_->TagResource(sm, {{"team", "payments"}}).ok());
  json::value version_page = GetJson("/console/api/machine?arn=" + Enc(v1->arn));
  const json::array& version_tags = version_page.at("tags").as_array();
  ASSERT_EQ(version_tags.size(), 1u);
  EXPECT_EQ(version_tags[0].at("key").as_string(), "team");
  EXPECT_EQ(version_page.at("stateMachineArn").as_string(), v1->arn);
  EXPECT_FALSE(version_page.as_object().contains("versions"));  // listed on the machine's page
}

TEST_F(ConsoleTest, ExecutionSaysWhetherItMayBeRedriven) {
  Open({});
  std::string sm = Machine("fails", R"({"StartAt":"F","States":{
    "F":{"Type":"Fail","Error":"Boom","Cause":"on purpose"}}})");
  std::string ok = Machine("passes", R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})");
  auto f = engine_->StartExecution(sm, "f", "{}");
  auto p = engine_->StartExecution(ok, "p", "{}");
  ASSERT_TRUE(f.ok() && p.ok());
  json::value failed;
  for (int i = 0; i < 1000; ++i) {
    failed = GetJson("/console/api/execution?arn=" + Enc(f->execution_arn));
    if (failed.at("execution").at("status").as_string() != "RUNNING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(failed.at("execution").at("status").as_string(), "FAILED");
  EXPECT_EQ(failed.at("execution").at("redriveStatus").as_string(), "REDRIVABLE");
  EXPECT_FALSE(failed.at("execution").as_object().contains("redriveCount"));
  ASSERT_TRUE(engine_->RedriveExecution(f->execution_arn, "").ok());
  json::value redriven = GetJson("/console/api/execution?arn=" + Enc(f->execution_arn));
  EXPECT_EQ(redriven.at("execution").at("redriveCount").as_int64(), 1);
  EXPECT_GT(redriven.at("execution").at("redriveDate").as_int64(), 0);

  json::value passed;
  for (int i = 0; i < 1000; ++i) {
    passed = GetJson("/console/api/execution?arn=" + Enc(p->execution_arn));
    if (passed.at("execution").at("status").as_string() != "RUNNING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(passed.at("execution").at("redriveStatus").as_string(), "NOT_REDRIVABLE");
  EXPECT_FALSE(passed.at("execution").at("redriveStatusReason").as_string().empty());
}

TEST_F(ConsoleTest, WatchHoldsUntilEventsCommitThenEndsAtTheClose) {
  ConsoleOptions o;
  o.coalesce_ms = 10;
  Open(o);
  std::string sm = Machine("w", kWaitMachine);
  auto s = engine_->StartExecution(sm, "x", "{}");
  ASSERT_TRUE(s.ok());
  std::string watch = "/console/api/watch?arn=" + Enc(s->execution_arn);
  // Stored events come at once.
  HttpResponse first = Get(watch + "&after=0");
  EXPECT_EQ(first.content_type, "text/event-stream; charset=utf-8");
  EXPECT_THAT(first.body, HasSubstr("id: 1\ndata: {"));
  EXPECT_THAT(first.body, HasSubstr("\"type\":\"WaitStateEntered\""));
  EXPECT_THAT(first.body, Not(HasSubstr("event: end")));
  auto history = engine_->GetExecutionHistory(s->execution_arn, 1000, "", false, false);
  ASSERT_TRUE(history.ok());
  int64_t last = history->events.back().at("id").as_int64();
  // Nothing new: the request is held, not answered.
  auto held = Send(watch + "&after=" + std::to_string(last));
  EXPECT_EQ(held.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  clock_.Advance(5000);  // the Wait fires; the execution closes
  ASSERT_EQ(held.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  HttpResponse r = held.get();
  EXPECT_THAT(r.body, HasSubstr("\"type\":\"ExecutionSucceeded\""));
  EXPECT_THAT(r.body, HasSubstr("event: end"));
}

TEST_F(ConsoleTest, ABigHistoryComesInBoundedBatches) {
  ConsoleOptions o;
  o.max_batch_bytes = 1;  // one event per answer
  Open(o);
  std::string sm = Machine("p", R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
    "B":{"Type":"Pass","End":true}}})");
  auto s = engine_->StartExecution(sm, "x", "{}");
  ASSERT_TRUE(s.ok());
  auto history = engine_->GetExecutionHistory(s->execution_arn, 1000, "", false, false);
  ASSERT_TRUE(history.ok());
  size_t total = history->events.size();
  ASSERT_GT(total, 3u);
  std::string watch = "/console/api/watch?arn=" + Enc(s->execution_arn) + "&after=";
  int64_t after = 0;
  for (size_t i = 0; i + 1 < total; ++i) {
    HttpResponse r = Get(watch + std::to_string(after));
    EXPECT_THAT(r.body, HasSubstr("id: " + std::to_string(after + 1) + "\n"));
    EXPECT_THAT(r.body, HasSubstr("event: more"));
    EXPECT_THAT(r.body, Not(HasSubstr("id: " + std::to_string(after + 2) + "\n")));
    ++after;
  }
  // The last event comes with the end of the stream.
  HttpResponse last = Get(watch + std::to_string(after));
  EXPECT_THAT(last.body, HasSubstr("event: end"));
  EXPECT_THAT(last.body, Not(HasSubstr("event: more")));
}

TEST_F(ConsoleTest, ShutdownAnswersHeldWatchesAndRefusesNewOnes) {
  Open({});
  std::string sm = Machine("w", kWaitMachine);
  auto s = engine_->StartExecution(sm, "x", "{}");
  ASSERT_TRUE(s.ok());
  std::string watch = "/console/api/watch?arn=" + Enc(s->execution_arn) + "&after=100";
  auto held = Send(watch);
  EXPECT_EQ(held.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  console_->Shutdown();
  ASSERT_EQ(held.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_THAT(held.get().body, HasSubstr("event: shutdown"));
  EXPECT_EQ(Get(watch).status, 503);
}

TEST_F(ConsoleTest, AWatchWhoseClientLeftIsCancelled) {
  ConsoleOptions o;
  Open(o);
  std::string sm = Machine("w", kWaitMachine);
  auto s = engine_->StartExecution(sm, "x", "{}");
  ASSERT_TRUE(s.ok());
  HttpRequest r;
  r.method = "GET";
  r.target = "/console/api/watch?arn=" + Enc(s->execution_arn) + "&after=100";
  r.path = "/console/api/watch";
  auto gone = std::make_shared<std::atomic<bool>>(false);
  r.client_gone = [gone] { return gone->load(); };
  auto p = std::make_shared<std::promise<HttpResponse>>();
  auto f = p->get_future();
  console_->Handle(r, [p](HttpResponse resp) { p->set_value(std::move(resp)); });
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  gone->store(true);
  // The housekeeper looks at clients once a second.
  EXPECT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

TEST_F(ConsoleTest, TheMapRunPageCountsByStatusAndListsTheFailedChildrenFirst) {
  Open({});
  // A Distributed Map whose Standard children fail for items with
  // "fail": true; half of them may fail.
  std::string sm = Machine("bill", R"({"StartAt":"Each","States":{"Each":{"Type":"Map",
    "Label":"checks","MaxConcurrency":3,"ToleratedFailurePercentage":50,
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
      "StartAt":"Check","States":{
        "Check":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,
                 "Next":"Broke"}],"Default":"Fine"},
        "Broke":{"Type":"Fail","Error":"ItemBroke","Cause":"<b>broken</b>"},
        "Fine":{"Type":"Pass","Result":"ok","End":true}}},"End":true}}})");
  // Items 5 and 6 of 7 fail: unless failed ones come first, they are last
  // in name order.
  auto s = engine_->StartExecution(sm, "run1", R"([{"fail":false},{"fail":false},
    {"fail":false},{"fail":false},{"fail":false},{"fail":true},{"fail":true}])");
  ASSERT_TRUE(s.ok()) << s.status();
  engine::ExecutionDescription d;
  for (int i = 0; i < 1000; ++i) {
    d = *engine_->DescribeExecution(s->execution_arn);
    if (d.status != "RUNNING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(d.status, "SUCCEEDED") << d.cause.value_or("");
  auto runs = engine_->ListMapRuns(s->execution_arn);
  ASSERT_TRUE(runs.ok() && runs->size() == 1u);
  const std::string run = (*runs)[0].map_run_arn;

  json::value r = GetJson("/console/api/maprun?arn=" + Enc(run));
  EXPECT_EQ(r.at("mapRunArn").as_string(), run);
  EXPECT_EQ(r.at("executionArn").as_string(), s->execution_arn);
  EXPECT_EQ(r.at("stateMachineArn").as_string(), sm);
  EXPECT_EQ(r.at("status").as_string(), "SUCCEEDED");
  EXPECT_EQ(r.at("maxConcurrency").as_int64(), 3);
  EXPECT_EQ(r.at("toleratedFailurePercentage").to_number<double>(), 50.0);
  EXPECT_GT(r.at("stopDate").as_int64(), 0);
  const json::value& ex = r.at("executionCounts");
  EXPECT_EQ(ex.at("failed").as_int64(), 2);
  EXPECT_EQ(ex.at("succeeded").as_int64(), 5);
  EXPECT_EQ(ex.at("total").as_int64(), 7);
  EXPECT_EQ(r.at("itemCounts").at("total").as_int64(), 7);

  // Paged 3 at a time: the 2 failed first, then the 5 succeeded, each once.
  std::vector<std::string> statuses;
  std::set<std::string> names;
  std::string cursor;
  int pages = 0;
  do {
    json::value p = GetJson("/console/api/maprunchildren?limit=3&arn=" + Enc(run) +
                            (cursor.empty() ? "" : "&cursor=" + Enc(cursor)));
    const json::array& rows = p.at("executions").as_array();
    EXPECT_LE(rows.size(), 3u);
    for (const json::value& c : rows) {
      statuses.push_back(std::string(c.at("status").as_string()));
      EXPECT_TRUE(names.insert(std::string(c.at("name").as_string())).second);
      EXPECT_THAT(std::string(c.at("executionArn").as_string()),
                  HasSubstr(":execution:bill/checks:"));
      EXPECT_EQ(c.at("itemCount").as_int64(), 1);
      EXPECT_FALSE(c.at("express").as_bool());
    }
    const json::value* next = p.as_object().if_contains("cursor");
    cursor = next != nullptr ? std::string(next->as_string()) : "";
    ASSERT_LT(++pages, 10);
  } while (!cursor.empty());
  EXPECT_EQ(statuses, (std::vector<std::string>{"FAILED", "FAILED", "SUCCEEDED", "SUCCEEDED",
                                                "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"}));
  // A page that ends with the last failed child names no empty next page
  // when nothing else is left to list.
  json::value two = GetJson("/console/api/maprunchildren?limit=2&arn=" + Enc(run));
  EXPECT_EQ(two.at("cursor").as_string(), "4:") << "the succeeded ones come next";
  json::value all = GetJson("/console/api/maprunchildren?limit=7&arn=" + Enc(run));
  EXPECT_EQ(all.at("executions").as_array().size(), 7u);
  EXPECT_FALSE(all.as_object().contains("cursor"));
  // A child as DescribeExecution gives it, with its data and its run.
  json::value first = GetJson("/console/api/maprunchildren?limit=1&arn=" + Enc(run));
  std::string failed_arn(first.at("executions").as_array()[0].at("executionArn").as_string());
  json::value child = GetJson("/console/api/maprunchild?arn=" + Enc(failed_arn));
  EXPECT_EQ(child.at("mapRunArn").as_string(), run);
  EXPECT_EQ(child.at("execution").at("status").as_string(), "FAILED");
  EXPECT_EQ(child.at("execution").at("error").as_string(), "ItemBroke");
  EXPECT_EQ(child.at("execution").at("cause").as_string(), "<b>broken</b>");
  EXPECT_EQ(child.at("execution").at("input").as_string(), R"({"fail":true})");
  // Bad input, named.
  HttpResponse bad = Get("/console/api/maprunchildren?limit=0&arn=" + Enc(run));
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("'limit'"));
  bad = Get("/console/api/maprunchildren?cursor=bogus&arn=" + Enc(run));
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("'cursor'"));
  bad = Get("/console/api/maprunchildren?cursor=4:QmFk&arn=" + Enc(run));
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("'cursor'"));
  EXPECT_THAT(Get("/console/api/maprun").body, HasSubstr("'arn'"));
  EXPECT_THAT(Get("/console/api/maprun?arn=" + Enc(run + "0")).body,
              HasSubstr("ResourceNotFound"));
  EXPECT_THAT(Get("/console/api/maprun?arn=nonsense").body, HasSubstr("InvalidArn"));
}

}  // namespace
}  // namespace stepwise::server::console
