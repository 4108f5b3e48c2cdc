// The Map Run room through the whole engine: a DISTRIBUTED Map's items run
// as child executions on the hidden MACHINE/LABEL machine, MaxConcurrency
// honoured, results in item order, a failing child with and without a
// tolerance, and a restart in the middle (no item gets two children). The
// same for EXPRESS children (stored outcomes, DescribeExecution of a child,
// a restart: ended children counted once, running ones run again;
// ListExecutions(mapRunArn) lists them, running and closed, with itemCount), the
// ItemBatcher's *Path / JSONata size fields resolved from the state input,
// and a WriterConfig without Resource shaping the inline result. The Map
// Run record (DescribeMapRun, ListMapRuns, UpdateMapRun, ListExecutions by
// mapRunArn): counts and status across a restart, a lowered MaxConcurrency
// obeyed live and after the restart, FAILED and ABORTED runs, bad input.
// The server-wide cap on open children (two runs under a cap of 5, served
// in turn) and Map Run redrive (the parent redriven: only the failed child
// runs again, MapRunRedriven, the record's redriveCount).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "engine/arn.h"
#include "engine/map_run/express_child_outcome.h"
#include "engine/service_error.h"
#include "engine/engine_test_fixture.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr char kWork[] = "arn:aws:states:us-east-1:123456789012:activity:item-work";
constexpr char kChildPrefix[] = "arn:aws:states:us-east-1:123456789012:stateMachine:";

// A distributed Map over $.items whose children run an activity task.
std::string ActivityMap(int max_concurrency, const std::string& type = "STANDARD") {
  return absl::StrCat(R"({"StartAt":"Each","States":{"Each":{"Type":"Map","Label":"items",
    "ItemsPath":"$.items","MaxConcurrency":)", max_concurrency, R"(,
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":")", type, R"("},
      "StartAt":"Work","States":{"Work":{"Type":"Task","Resource":")", kWork, R"(",
      "End":true}}},"End":true}}})");
}

// A distributed Map whose children fail for items with "fail": true.
std::string FailingMap(const std::string& tolerance, const std::string& type = "STANDARD") {
  return absl::StrCat(R"({"StartAt":"Each","States":{"Each":{"Type":"Map","Label":"checks",
    "MaxConcurrency":2,)", tolerance, R"(
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":")", type, R"("},
      "StartAt":"Check","States":{
        "Check":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,
                 "Next":"Broke"}],"Default":"Fine"},
        "Broke":{"Type":"Fail","Error":"ItemBroke","Cause":"item is broken"},
        "Fine":{"Type":"Pass","Result":"ok","End":true}}},"End":true}}})");
}

std::string Items(int n, const std::set<int>& failing = {}) {
  json::array a;
  for (int i = 0; i < n; ++i) {
    json::object o;
    o["i"] = i;
    o["fail"] = failing.contains(i);
    a.push_back(std::move(o));
  }
  return SerializeJson(json::value(std::move(a)));
}

// A distributed Map over $.items whose children count the items of their
// batch; `batcher` is the ItemBatcher's members.
std::string BatchingMap(const std::string& batcher, bool jsonata = false) {
  return absl::StrCat(R"({"StartAt":"Each",)", jsonata ? R"("QueryLanguage":"JSONata",)" : "",
    R"("States":{"Each":{"Type":"Map","Label":"batches",)",
    jsonata ? R"("Items":"{% $states.input.items %}",)" : R"("ItemsPath":"$.items",)",
    R"("ItemBatcher":{)", batcher, R"(},
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
      "StartAt":"Count","States":{"Count":{"Type":"Pass",)",
    jsonata ? R"("Output":"{% $count($states.input.Items) %}",)"
            : R"json("Parameters":{"n.$":"States.ArrayLength($.Items)"},)json",
    R"("End":true}}},"End":true}}})");
}

class MapRunRoomTest : public RocksEngineTest {
 protected:
  void SetUp() override {
    RocksEngineTest::SetUp();
    ASSERT_TRUE(engine_->CreateActivity("item-work").ok());
  }

  // Children of the hidden machine `machine` by status.
  std::map<std::string, int> ChildStatuses(const std::string& machine,
                                           std::vector<std::string>* names = nullptr) {
    std::map<std::string, int> out;
    std::string token;
    do {
      auto l = engine_->ListExecutions(kChildPrefix + machine, "", 1000, token);
      EXPECT_TRUE(l.ok()) << l.status();
      if (!l.ok()) break;
      for (auto& e : l->executions) {
        ++out[e.status];
        if (names != nullptr) names->push_back(e.name);
      }
      token = l->next_token;
    } while (!token.empty());
    return out;
  }

  // Takes the activity tasks waiting now (at most `limit` + 1, to see a cap
  // broken).
  std::vector<ActivityTaskGrant> Take(size_t limit) {
    std::vector<ActivityTaskGrant> got;
    while (got.size() <= limit) {
      auto t = engine_->GetActivityTask(kWork, "w", got.size() < limit ? 2000 : 100);
      EXPECT_TRUE(t.ok()) << t.status();
      if (!t.ok() || t->task_token.empty()) break;
      got.push_back(*t);
    }
    return got;
  }

  void Answer(const ActivityTaskGrant& t) {
    auto in = ParseJson(t.input);
    ASSERT_TRUE(in.ok());
    json::object out;
    out["doubled"] = in->get_object().at("i").as_int64() * 2;
    ASSERT_TRUE(engine_->SendTaskSuccess(t.task_token, SerializeJson(json::value(out))).ok());
  }

  // Takes the "item-work" function tasks waiting now (at most `limit`),
  // waiting `first_wait_ms` for the first and `next_wait_ms` for each next.
  std::vector<FunctionTaskGrant> TakeFunctionTasks(size_t limit, int64_t first_wait_ms = 2000,
                                                   int64_t next_wait_ms = 2000) {
    std::vector<FunctionTaskGrant> got;
    while (got.size() < limit) {
      auto t = engine_->GetFunctionTask("item-work", "w",
                                        got.empty() ? first_wait_ms : next_wait_ms);
      EXPECT_TRUE(t.ok()) << t.status();
      if (!t.ok() || t->task_token.empty()) break;
      got.push_back(*t);
    }
    return got;
  }
  static int64_t ItemOf(const FunctionTaskGrant& t) {
    return ParseJson(t.payload)->get_object().at("i").as_int64();
  }
  // Answers a function task with {"doubled": 2 * i}.
  void AnswerFunction(const FunctionTaskGrant& t) {
    json::object out;
    out["doubled"] = ItemOf(t) * 2;
    EXPECT_TRUE(engine_->SendTaskSuccess(t.task_token, SerializeJson(json::value(out))).ok());
  }

  // The Map Run ARN the parent's MapRunStarted names.
  std::string MapRunArnOf(const std::string& parent) {
    auto h = engine_->GetExecutionHistory(parent, 1000, "", false, true);
    EXPECT_TRUE(h.ok()) << h.status();
    if (!h.ok()) return "";
    for (auto& e : h->events) {
      if (e.contains("mapRunStartedEventDetails")) {
        return std::string(e["mapRunStartedEventDetails"].at("mapRunArn").as_string());
      }
    }
    return "";
  }

  void ExpectDoubledInOrder(const ExecutionDescription& d, int n) {
    ASSERT_EQ(d.status, "SUCCEEDED") << d.error.value_or("") << " " << d.cause.value_or("");
    auto out = ParseJson(*d.output);
    ASSERT_TRUE(out.ok() && out->is_array());
    ASSERT_EQ(out->get_array().size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(out->get_array()[i].at("doubled").as_int64(), 2 * i) << i;
    }
  }
};

TEST_F(MapRunRoomTest, FiftyItemsRunAsChildrenAtMostFiveOpenResultsInOrder) {
  std::string parent = Machine("invoices", ActivityMap(5));
  auto e = engine_->StartExecution(parent, "run1", R"({"items":)" + Items(50) + "}");
  ASSERT_TRUE(e.ok()) << e.status();
  int answered = 0;
  while (answered < 50) {
    std::vector<ActivityTaskGrant> got = Take(5);
    ASSERT_FALSE(got.empty()) << "no child task after " << answered;
    EXPECT_LE(got.size(), 5u);
    std::map<std::string, int> st = ChildStatuses("invoices/items");
    EXPECT_LE(st["RUNNING"], 5);
    for (auto& t : got) Answer(t);
    answered += static_cast<int>(got.size());
  }
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ExpectDoubledInOrder(d, 50);
  std::vector<std::string> names;
  std::map<std::string, int> st = ChildStatuses("invoices/items", &names);
  EXPECT_EQ(st["SUCCEEDED"], 50);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 50u);
  EXPECT_EQ(Types(e->execution_arn),
            (std::vector<std::string>{"ExecutionStarted", "MapStateEntered", "MapStateStarted",
                                      "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded",
                                      "MapStateExited", "ExecutionSucceeded"}));
  auto h = engine_->GetExecutionHistory(e->execution_arn, 100, "", false, true);
  ASSERT_TRUE(h.ok());
  std::string run_arn(h->events[3]["mapRunStartedEventDetails"].at("mapRunArn").as_string());
  EXPECT_TRUE(run_arn.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:invoices/items:"))
      << run_arn;
  // The hidden child machine is not listed.
  auto machines = engine_->ListStateMachines();
  ASSERT_TRUE(machines.ok());
  EXPECT_EQ(machines->size(), 1u);
}

TEST_F(MapRunRoomTest, AFailingChildWithoutToleranceFailsTheMapWithItsError) {
  std::string parent = Machine("strict", FailingMap(""));
  auto e = engine_->StartExecution(parent, "run1", Items(6, {3}));
  ASSERT_TRUE(e.ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "ItemBroke");
  std::vector<std::string> types = Types(e->execution_arn);
  EXPECT_NE(std::find(types.begin(), types.end(), "MapRunFailed"), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), "MapStateFailed"), types.end());
}

TEST_F(MapRunRoomTest, FailuresWithinTheToleranceSucceedBeyondItFail) {
  std::string parent = Machine("tolerant", FailingMap(R"("ToleratedFailureCount":1,)"));
  auto ok = engine_->StartExecution(parent, "one", Items(6, {2}));
  ASSERT_TRUE(ok.ok());
  ExecutionDescription d = AwaitEnd(ok->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.cause.value_or("");
  auto out = ParseJson(*d.output);
  ASSERT_TRUE(out.ok() && out->is_array());
  EXPECT_EQ(out->get_array()[0].as_string(), "ok");
  EXPECT_EQ(out->get_array()[2].at("Error").as_string(), "ItemBroke");

  auto bad = engine_->StartExecution(parent, "two", Items(6, {1, 4}));
  ASSERT_TRUE(bad.ok());
  d = AwaitEnd(bad->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "States.ExceedToleratedFailureThreshold");
  EXPECT_EQ(d.cause.value_or(""), "The specified tolerated failure threshold was exceeded");
}

TEST_F(MapRunRoomTest, ARestartInTheMiddleResumesWithOneChildPerItem) {
  std::string parent = Machine("resumed", ActivityMap(4));
  auto e = engine_->StartExecution(parent, "run1", R"({"items":)" + Items(20) + "}");
  ASSERT_TRUE(e.ok());
  std::vector<ActivityTaskGrant> got = Take(4);
  ASSERT_EQ(got.size(), 4u);
  Answer(got[0]);
  Answer(got[1]);
  // Let the driver start the next two before the restart.
  std::vector<ActivityTaskGrant> more = Take(2);
  Reopen();
  Answer(got[2]);
  Answer(got[3]);
  for (auto& t : more) Answer(t);
  int answered = 4 + static_cast<int>(more.size());
  while (answered < 20) {
    std::vector<ActivityTaskGrant> next = Take(4);
    ASSERT_FALSE(next.empty()) << "no child task after " << answered << " "
                               << engine_->DescribeExecution(e->execution_arn)->status << " "
                               << engine_->DescribeExecution(e->execution_arn)->cause.value_or("");
    EXPECT_LE(next.size(), 4u);
    for (auto& t : next) Answer(t);
    answered += static_cast<int>(next.size());
  }
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ExpectDoubledInOrder(d, 20);
  std::vector<std::string> names;
  std::map<std::string, int> st = ChildStatuses("resumed/items", &names);
  EXPECT_EQ(st["SUCCEEDED"], 20);
  EXPECT_EQ(names.size(), 20u);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 20u);
}

// Two runs with MaxConcurrency 0 (1,000 each) under a server-wide cap of 5:
// never more than 5 children open together, the slots freed by one run go
// to the other in turn (it is not starved until the first ends), both finish.
TEST_F(MapRunRoomTest, AServerWideCapHoldsAllRunsChildrenAndServesTheRunsInTurn) {
  tune_options_ = [](EngineOptions& o) { o.map_run_max_open_children = 5; };
  Reopen();
  std::string alpha = Machine("alpha", ActivityMap(0));
  std::string beta = Machine("beta", ActivityMap(0));
  auto a = engine_->StartExecution(alpha, "run1", R"({"items":)" + Items(20) + "}");
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = engine_->StartExecution(beta, "run1", R"({"items":)" + Items(20) + "}");
  ASSERT_TRUE(b.ok()) << b.status();
  std::vector<std::string> served;  // the hidden machine of each child served, in order
  while (served.size() < 40) {
    std::vector<ActivityTaskGrant> got = Take(5);
    ASSERT_FALSE(got.empty()) << "no child task after " << served.size();
    EXPECT_LE(got.size(), 5u) << "more than 5 children open under a cap of 5";
    int running = ChildStatuses("alpha/items")["RUNNING"] + ChildStatuses("beta/items")["RUNNING"];
    EXPECT_LE(running, 5);
    for (auto& t : got) {
      served.push_back(t.execution_arn.find(":alpha/items:") != std::string::npos ? "alpha"
                                                                                   : "beta");
      Answer(t);
    }
  }
  ExpectDoubledInOrder(AwaitEnd(a->execution_arn), 20);
  ExpectDoubledInOrder(AwaitEnd(b->execution_arn), 20);
  // Taken in turn: each run had several of the first 20 children served.
  int alpha_first = static_cast<int>(std::count(served.begin(), served.begin() + 20, "alpha"));
  EXPECT_GE(alpha_first, 5) << "beta starved alpha";
  EXPECT_LE(alpha_first, 15) << "alpha starved beta";
  EXPECT_EQ(ChildStatuses("alpha/items")["SUCCEEDED"], 20);
  EXPECT_EQ(ChildStatuses("beta/items")["SUCCEEDED"], 20);
}

// ---- EXPRESS children --------------------------------------------------------

TEST_F(MapRunRoomTest, ExpressChildrenGiveResultsInOrderAndCanBeDescribed) {
  std::string parent = Machine("exp", FailingMap("", "EXPRESS"));
  auto e = engine_->StartExecution(parent, "run1", Items(20));
  ASSERT_TRUE(e.ok()) << e.status();
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.error.value_or("") << " " << d.cause.value_or("");
  auto out = ParseJson(*d.output);
  ASSERT_TRUE(out.ok() && out->is_array());
  ASSERT_EQ(out->get_array().size(), 20u);
  for (auto& v : out->get_array()) EXPECT_EQ(v.as_string(), "ok");
  // Express children are not Standard executions of the hidden machine.
  auto listed = engine_->ListExecutions(kChildPrefix + std::string("exp/checks"), "", 100, "");
  EXPECT_FALSE(listed.ok() && !listed->executions.empty());
  // DescribeExecution of a child, by the Express ARN AWS gives it.
  std::string run_id = ArnTail(MapRunArnOf(e->execution_arn));
  std::string child = MapRunExpressChildArn("us-east-1", "123456789012", "exp/checks",
                                            absl::StrCat(run_id, "-7"));
  EXPECT_TRUE(child.starts_with(absl::StrCat(
      "arn:aws:states:us-east-1:123456789012:express:exp/checks:", run_id, "-7:")))
      << child;
  auto c = engine_->DescribeExecution(child);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->status, "SUCCEEDED");
  EXPECT_EQ(c->name, absl::StrCat(run_id, "-7"));
  auto in = ParseJson(c->input);
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->at("i").as_int64(), 7);
  EXPECT_EQ(c->output.value_or(""), R"("ok")");
  EXPECT_GT(c->stop_date, 0);
  EXPECT_EQ(c->state_machine_arn, kChildPrefix + std::string("exp/checks"));
  // Other Express executions stay refused, as AWS does.
  EXPECT_EQ(ServiceErrorName(engine_->DescribeExecution(
                                     "arn:aws:states:us-east-1:123456789012:express:exp:a:b")
                                 .status()),
            "InvalidArn");
}

TEST_F(MapRunRoomTest, ExpressChildrenFailuresWithinTheToleranceSucceedBeyondItFail) {
  std::string parent =
      Machine("exptol", FailingMap(R"("ToleratedFailureCount":1,)", "EXPRESS"));
  auto ok = engine_->StartExecution(parent, "one", Items(6, {2}));
  ASSERT_TRUE(ok.ok());
  ExecutionDescription d = AwaitEnd(ok->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.cause.value_or("");
  auto out = ParseJson(*d.output);
  ASSERT_TRUE(out.ok() && out->is_array());
  ASSERT_EQ(out->get_array().size(), 6u);
  EXPECT_EQ(out->get_array()[1].as_string(), "ok");
  EXPECT_EQ(out->get_array()[2].at("Error").as_string(), "ItemBroke");
  EXPECT_EQ(out->get_array()[2].at("Cause").as_string(), "item is broken");
  std::string failed = MapRunExpressChildArn("us-east-1", "123456789012", "exptol/checks",
                                             ArnTail(MapRunArnOf(ok->execution_arn)) + "-2");
  auto c = engine_->DescribeExecution(failed);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->status, "FAILED");
  EXPECT_EQ(c->error.value_or(""), "ItemBroke");

  auto bad = engine_->StartExecution(parent, "two", Items(6, {1, 4}));
  ASSERT_TRUE(bad.ok());
  d = AwaitEnd(bad->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "States.ExceedToleratedFailureThreshold");
}

TEST_F(MapRunRoomTest, ARestartCountsEndedExpressChildrenOnceAndRunsTheOthersAgain) {
  // Express machines take no activities (AWS): the children wait on a
  // Lambda function served by a Stepwise function queue instead.
  std::string parent = Machine("expres", absl::StrCat(
      R"({"StartAt":"Each","States":{"Each":{"Type":"Map","Label":"items",
      "ItemsPath":"$.items","MaxConcurrency":4,
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
        "StartAt":"Work","States":{"Work":{"Type":"Task",
        "Resource":"arn:aws:lambda:us-east-1:123456789012:function:item-work",
        "End":true}}},"End":true}}})"));
  auto e = engine_->StartExecution(parent, "run1", R"({"items":)" + Items(12) + "}");
  ASSERT_TRUE(e.ok());
  std::map<int64_t, int> tasks_of_item;
  auto take = [&](size_t limit) { return TakeFunctionTasks(limit); };
  auto item_of = &MapRunRoomTest::ItemOf;
  auto answer = [&](const FunctionTaskGrant& t) { AnswerFunction(t); };
  std::vector<FunctionTaskGrant> got = take(4);
  ASSERT_EQ(got.size(), 4u);
  for (auto& t : got) ++tasks_of_item[item_of(t)];
  answer(got[0]);
  answer(got[1]);
  std::set<int64_t> ended = {item_of(got[0]), item_of(got[1])};
  // The two ended children's outcomes are stored once their close is.
  std::string run_id = ArnTail(MapRunArnOf(e->execution_arn));
  for (int64_t item : ended) {
    std::string arn = MapRunExpressChildArn("us-east-1", "123456789012", "expres/items",
                                            run_id + "-" + std::to_string(item));
    for (int i = 0; i < 500; ++i) {
      auto c = engine_->DescribeExecution(arn);
      if (c.ok() && c->status == "SUCCEEDED") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  Reopen();  // the running Express children are lost with the process
  int answered = 2;
  while (answered < 12) {
    std::vector<FunctionTaskGrant> next = take(4);
    ASSERT_FALSE(next.empty()) << "no child task after " << answered;
    for (auto& t : next) {
      ++tasks_of_item[item_of(t)];
      answer(t);
    }
    answered += static_cast<int>(next.size());
  }
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ExpectDoubledInOrder(d, 12);
  for (int64_t i : ended) EXPECT_EQ(tasks_of_item[i], 1) << "item " << i << " ran again";
  // Every item ran; the two taken but unanswered at the restart ran twice
  // (at-least-once).
  EXPECT_EQ(tasks_of_item.size(), 12u);
  int twice = 0;
  for (auto& [item, n] : tasks_of_item) twice += n == 2;
  EXPECT_EQ(twice, 2);
}

TEST_F(MapRunRoomTest, ListExecutionsOfAMapRunListsItsExpressChildrenWithItemCounts) {
  // 7 items in batches of 2: 4 Express children (2, 2, 2 and 1 items), 3 at
  // a time, each waiting on a function task.
  std::string parent = Machine("explist", R"({"StartAt":"Each","States":{"Each":{"Type":"Map",
      "Label":"items","ItemsPath":"$.items","MaxConcurrency":3,"ToleratedFailureCount":3,
      "ItemBatcher":{"MaxItemsPerBatch":2},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
        "StartAt":"Work","States":{"Work":{"Type":"Task",
        "Resource":"arn:aws:lambda:us-east-1:123456789012:function:batch-work",
        "End":true}}},"End":true}}})");
  auto e = engine_->StartExecution(parent, "run1", R"({"items":)" + Items(7) + "}");
  ASSERT_TRUE(e.ok()) << e.status();
  auto take = [&] {
    auto t = engine_->GetFunctionTask("batch-work", "w", 5000);
    EXPECT_TRUE(t.ok() && !t->task_token.empty());
    return t.ok() ? *t : FunctionTaskGrant{};
  };
  std::vector<FunctionTaskGrant> got = {take(), take(), take()};
  ASSERT_TRUE(engine_->SendTaskSuccess(got[0].task_token, R"({"done":true})").ok());
  ASSERT_TRUE(engine_->SendTaskFailure(got[1].task_token, "Batch.Broke", "<b>broken</b>").ok());
  got.push_back(take());  // the fourth child, started once one ended
  std::string run = MapRunArnOf(e->execution_arn);
  ASSERT_FALSE(run.empty());
  // Lists every child of the run, `page` at a time, by status.
  auto list_all = [&](const std::string& status, int page) {
    std::map<std::string, ExecutionDescription> out;
    std::vector<std::string> order;
    std::string token;
    do {
      auto l = engine_->ListMapRunExecutions(run, status, page, token);
      EXPECT_TRUE(l.ok()) << l.status();
      if (!l.ok()) break;
      EXPECT_LE(l->executions.size(), static_cast<size_t>(page));
      for (auto& c : l->executions) {
        EXPECT_FALSE(out.contains(c.name)) << c.name << " listed twice";
        order.push_back(c.status);
        out[c.name] = c;
      }
      token = l->next_token;
    } while (!token.empty());
    return std::make_pair(out, order);
  };
  // Wait for the two ended children's outcome rows.
  std::map<std::string, ExecutionDescription> children;
  for (int i = 0; i < 500; ++i) {
    children = list_all("", 1).first;
    int closed = 0;
    for (auto& [name, c] : children) closed += c.status != "RUNNING";
    if (closed == 2 && children.size() == 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto [now, order] = list_all("", 1);
  ASSERT_EQ(now.size(), 4u);
  // The running ones first, then the closed ones (in name order).
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order[0], "RUNNING");
  EXPECT_EQ(order[1], "RUNNING");
  EXPECT_EQ((std::set<std::string>{order[2], order[3]}),
            (std::set<std::string>{"SUCCEEDED", "FAILED"}));
  int64_t items = 0;
  for (auto& [name, c] : now) {
    EXPECT_TRUE(c.name.starts_with(ArnTail(run) + "-")) << c.name;
    EXPECT_TRUE(c.execution_arn.find(":express:explist/items:") != std::string::npos);
    EXPECT_EQ(c.state_machine_arn, kChildPrefix + std::string("explist/items"));
    EXPECT_EQ(c.map_run_arn, run);
    EXPECT_GT(c.start_date, 0);
    EXPECT_EQ(c.stop_date > 0, c.status != "RUNNING");
    EXPECT_TRUE(c.input.empty() && !c.output && !c.error) << "list rows carry no data";
    ASSERT_TRUE(c.item_count.has_value()) << c.name;
    items += *c.item_count;
    // Each is what DescribeExecution answers.
    auto full = engine_->DescribeExecution(c.execution_arn);
    ASSERT_TRUE(full.ok()) << full.status();
    EXPECT_EQ(full->status, c.status);
    EXPECT_EQ(ParseJson(full->input)->at("Items").as_array().size(),
              static_cast<size_t>(*c.item_count));
    EXPECT_EQ(full->map_run_arn, run) << c.status;
  }
  EXPECT_EQ(items, 7);
  // Filters.
  EXPECT_EQ(list_all("RUNNING", 100).first.size(), 2u);
  auto failed = list_all("FAILED", 100).first;
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed.begin()->second.execution_arn, now[failed.begin()->first].execution_arn);
  EXPECT_EQ(list_all("SUCCEEDED", 100).first.size(), 1u);
  auto redriven = engine_->ListMapRunExecutions(run, "", 0, "", "REDRIVEN");
  ASSERT_TRUE(redriven.ok());
  EXPECT_TRUE(redriven->executions.empty());
  EXPECT_EQ(ServiceErrorName(engine_->ListMapRunExecutions(run, "", 0, "QmFk").status()),
            "InvalidToken");

  ASSERT_TRUE(engine_->SendTaskSuccess(got[2].task_token, R"({"done":true})").ok());
  ASSERT_TRUE(engine_->SendTaskSuccess(got[3].task_token, R"({"done":true})").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.cause.value_or("");
  auto [done, done_order] = list_all("", 3);
  ASSERT_EQ(done.size(), 4u);
  std::map<std::string, int> by_status;
  items = 0;
  for (auto& [name, c] : done) {
    ++by_status[c.status];
    items += c.item_count.value_or(0);
  }
  EXPECT_EQ(by_status, (std::map<std::string, int>{{"FAILED", 1}, {"SUCCEEDED", 3}}));
  EXPECT_EQ(items, 7);
}

TEST_F(MapRunRoomTest, AnExpressParentRunsItsDistributedMapAsAMapRun) {
  auto m = engine_->CreateStateMachine("expparent", FailingMap("", "EXPRESS"),
                                       "arn:aws:iam::123456789012:role/r", "EXPRESS");
  ASSERT_TRUE(m.ok()) << m.status();
  auto r = engine_->StartSyncExecution(m->arn, "sync1", Items(5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->execution.status, "SUCCEEDED") << r->execution.cause.value_or("");
  EXPECT_EQ(r->execution.output.value_or(""), R"(["ok","ok","ok","ok","ok"])");
}

// ---- ItemBatcher sizes from the state input, and the inline WriterConfig ----

TEST_F(MapRunRoomTest, MaxItemsPerBatchPathAndJsonataSizesComeFromTheInput) {
  std::string by_path = Machine(
      "bypath", BatchingMap(R"("MaxItemsPerBatchPath":"$.per","MaxInputBytesPerBatchPath":"$.bytes")"));
  auto e = engine_->StartExecution(by_path, "r", R"({"per":3,"bytes":100000,"items":)" +
                                                     Items(10) + "}");
  ASSERT_TRUE(e.ok()) << e.status();
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.error.value_or("") << " " << d.cause.value_or("");
  EXPECT_EQ(*d.output, R"([{"n":3},{"n":3},{"n":3},{"n":1}])");

  std::string by_jsonata =
      Machine("byjsonata", BatchingMap(R"("MaxItemsPerBatch":"{% $states.input.per %}")", true));
  e = engine_->StartExecution(by_jsonata, "r", R"({"per":4,"items":)" + Items(10) + "}");
  ASSERT_TRUE(e.ok()) << e.status();
  d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.error.value_or("") << " " << d.cause.value_or("");
  EXPECT_EQ(*d.output, "[4,4,2]");
}

TEST_F(MapRunRoomTest, ABadBatchSizeFromTheInputFailsTheMapNamingTheField) {
  std::string by_path = Machine("badpath", BatchingMap(R"("MaxItemsPerBatchPath":"$.per")"));
  auto e = engine_->StartExecution(by_path, "neg", R"({"per":-2,"items":)" + Items(3) + "}");
  ASSERT_TRUE(e.ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "States.Runtime");
  EXPECT_NE(d.cause.value_or("").find("MaxItemsPerBatch must be at least 1."),
            std::string::npos)
      << d.cause.value_or("");
  e = engine_->StartExecution(by_path, "text", R"({"per":"many","items":)" + Items(3) + "}");
  ASSERT_TRUE(e.ok());
  d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "States.Runtime");
  EXPECT_NE(d.cause.value_or("").find(
                R"(The MaxItemsPerBatchPath field refers to value "many" which is not a valid integer: $.per)"),
            std::string::npos)
      << d.cause.value_or("");

  std::string by_jsonata =
      Machine("badjsonata", BatchingMap(R"("MaxItemsPerBatch":"{% $states.input.per %}")", true));
  e = engine_->StartExecution(by_jsonata, "zero", R"({"per":0,"items":)" + Items(3) + "}");
  ASSERT_TRUE(e.ok());
  d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "States.QueryEvaluationError");
  EXPECT_NE(d.cause.value_or("").find("MaxItemsPerBatch"), std::string::npos)
      << d.cause.value_or("");
}

TEST_F(MapRunRoomTest, AWriterConfigWithoutResourceShapesTheInlineResult) {
  // FLATTEN: each child's array output spliced into the Map's result.
  std::string def = R"json({"StartAt":"Each","States":{"Each":{"Type":"Map","Label":"flat",
    "ItemsPath":"$.items","ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN",
      "OutputType":"JSON"}},
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
      "StartAt":"Pair","States":{"Pair":{"Type":"Pass",
        "Parameters":{"pair.$":"States.Array($.i, $.i)"},"OutputPath":"$.pair",
        "End":true}}},"End":true}}})json";
  auto e = engine_->StartExecution(Machine("flat", def), "r", R"({"items":)" + Items(3) + "}");
  ASSERT_TRUE(e.ok()) << e.status();
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.error.value_or("") << " " << d.cause.value_or("");
  EXPECT_EQ(*d.output, "[0,0,1,1,2,2]");
}

// The one Map Run `parent` started.
std::string RunOf(Engine& engine, const std::string& parent) {
  auto runs = engine.ListMapRuns(parent);
  EXPECT_TRUE(runs.ok()) << runs.status();
  if (!runs.ok() || runs->size() != 1) {
    ADD_FAILURE() << "expected one Map Run of " << parent;
    return "";
  }
  return (*runs)[0].map_run_arn;
}

TEST_F(MapRunRoomTest, TheMapRunRecordCountsSurvivesARestartAndObeysALoweredConcurrency) {
  std::string parent = Machine("recorded", ActivityMap(4));
  auto e = engine_->StartExecution(parent, "run1", R"({"items":)" + Items(20) + "}");
  ASSERT_TRUE(e.ok());
  std::vector<ActivityTaskGrant> first = Take(4);
  ASSERT_EQ(first.size(), 4u);
  std::string run = RunOf(*engine_, e->execution_arn);
  ASSERT_FALSE(run.empty());
  auto d = engine_->DescribeMapRun(run);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->status, "RUNNING");
  EXPECT_EQ(d->execution_arn, e->execution_arn);
  EXPECT_EQ(d->state_machine_arn, parent);
  EXPECT_EQ(d->max_concurrency, 4);
  EXPECT_GT(d->start_date, 0);
  EXPECT_EQ(d->stop_date, 0);
  EXPECT_EQ(d->executions.total, 20);
  EXPECT_EQ(d->executions.running, 4);
  EXPECT_EQ(d->executions.pending, 16);
  EXPECT_EQ(d->items, d->executions);  // no ItemBatcher: one item per child

  // Lowered while running: the next starts keep at most 2 open.
  ASSERT_TRUE(engine_->UpdateMapRun(run, MapRunSettings{2, std::nullopt, std::nullopt}).ok());
  for (auto& t : first) Answer(t);
  std::vector<ActivityTaskGrant> two = Take(2);
  ASSERT_FALSE(two.empty());
  EXPECT_LE(two.size(), 2u) << "MaxConcurrency lowered to 2, yet more children run";
  for (auto& t : two) Answer(t);
  int answered = 4 + static_cast<int>(two.size());
  std::vector<ActivityTaskGrant> open = Take(2);
  EXPECT_LE(open.size(), 2u);

  Reopen();
  d = engine_->DescribeMapRun(run);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->status, "RUNNING");
  EXPECT_EQ(d->max_concurrency, 2);  // the update was stored
  for (auto& t : open) Answer(t);
  answered += static_cast<int>(open.size());
  while (answered < 20) {
    std::vector<ActivityTaskGrant> next = Take(2);
    ASSERT_FALSE(next.empty()) << "no child task after " << answered;
    EXPECT_LE(next.size(), 2u) << "the lowered MaxConcurrency did not survive the restart";
    for (auto& t : next) Answer(t);
    answered += static_cast<int>(next.size());
  }
  ExpectDoubledInOrder(AwaitEnd(e->execution_arn), 20);

  d = engine_->DescribeMapRun(run);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->status, "SUCCEEDED");
  EXPECT_GE(d->stop_date, d->start_date);
  EXPECT_GT(d->stop_date, 0);
  EXPECT_EQ(d->executions.total, 20);
  EXPECT_EQ(d->executions.succeeded, 20);
  EXPECT_EQ(d->executions.running, 0);
  EXPECT_EQ(d->executions.pending, 0);
  EXPECT_EQ(d->executions.failed + d->executions.aborted + d->executions.timed_out, 0);
  EXPECT_EQ(d->items, d->executions);

  // ListExecutions(mapRunArn): the run's 20 children, each naming its run.
  std::set<std::string> names;
  std::string token;
  do {
    auto l = engine_->ListMapRunExecutions(run, "", 7, token);
    ASSERT_TRUE(l.ok()) << l.status();
    for (auto& c : l->executions) {
      EXPECT_EQ(c.status, "SUCCEEDED");
      EXPECT_EQ(c.map_run_arn, run);
      names.insert(c.name);
    }
    token = l->next_token;
  } while (!token.empty());
  EXPECT_EQ(names.size(), 20u);
  auto child = engine_->DescribeExecution(
      absl::StrCat("arn:aws:states:us-east-1:123456789012:execution:recorded/items:",
                   *names.begin()));
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(child->map_run_arn, run);
  auto parent_d = engine_->DescribeExecution(e->execution_arn);
  ASSERT_TRUE(parent_d.ok());
  EXPECT_EQ(parent_d->map_run_arn, "");

  // A finished run cannot be updated.
  EXPECT_EQ(ServiceErrorName(engine_->UpdateMapRun(run, MapRunSettings{5, {}, {}})),
            "ValidationException");
}

TEST_F(MapRunRoomTest, FailedAndAbortedRunsAreRecordedSo) {
  std::string tolerant = Machine("tolerant", FailingMap(R"("ToleratedFailureCount":1,)"));
  auto bad = engine_->StartExecution(tolerant, "two", Items(6, {1, 4}));
  ASSERT_TRUE(bad.ok());
  ASSERT_EQ(AwaitEnd(bad->execution_arn).status, "FAILED");
  auto d = engine_->DescribeMapRun(RunOf(*engine_, bad->execution_arn));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->status, "FAILED");
  EXPECT_EQ(d->tolerated_failure_count, 1);
  EXPECT_EQ(d->executions.failed, 2);
  EXPECT_EQ(d->executions.running, 0);
  EXPECT_GT(d->stop_date, 0);

  std::string parent = Machine("stopped", ActivityMap(3));
  auto e = engine_->StartExecution(parent, "run1", R"({"items":)" + Items(10) + "}");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(Take(3).size(), 3u);
  ASSERT_TRUE(engine_->StopExecution(e->execution_arn, "", "").ok());
  std::string run = RunOf(*engine_, e->execution_arn);
  d = engine_->DescribeMapRun(run);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->status, "ABORTED");
  EXPECT_EQ(d->executions.aborted, 3);
  EXPECT_EQ(d->executions.running, 0);
  EXPECT_EQ(d->executions.pending, 7);
  EXPECT_EQ(ServiceErrorName(engine_->UpdateMapRun(run, MapRunSettings{1, {}, {}})),
            "ValidationException");
}

TEST_F(MapRunRoomTest, MapRunCallsRefuseBadInputNamingTheField) {
  const std::string unknown =
      "arn:aws:states:us-east-1:123456789012:mapRun:m/l:0f2d8a3e-5e57-4c1b-9f55-1d2a6a0b8c11";
  EXPECT_EQ(ServiceErrorName(engine_->DescribeMapRun(unknown).status()), "ResourceNotFound");
  EXPECT_EQ(ServiceErrorName(engine_->UpdateMapRun(unknown, MapRunSettings{1, {}, {}})),
            "ResourceNotFound");
  EXPECT_EQ(ServiceErrorName(engine_->ListMapRunExecutions(unknown, "", 0, "").status()),
            "ResourceNotFound");
  for (const std::string bad :
       {"nope", "arn:aws:states:us-east-1:123456789012:mapRun:noslash:id",
        "arn:aws:states:eu-west-1:123456789012:mapRun:m/l:id",
        "arn:aws:states:us-east-1:123456789012:stateMachine:m"}) {
    EXPECT_EQ(ServiceErrorName(engine_->DescribeMapRun(bad).status()), "InvalidArn") << bad;
  }
  absl::Status s = engine_->UpdateMapRun(unknown, MapRunSettings{-1, {}, {}});
  EXPECT_EQ(ServiceErrorName(s), "ValidationException");
  EXPECT_NE(s.message().find("maxConcurrency"), std::string::npos) << s;
  s = engine_->UpdateMapRun(unknown, MapRunSettings{{}, 100.5, {}});
  EXPECT_NE(s.message().find("toleratedFailurePercentage"), std::string::npos) << s;
  s = engine_->UpdateMapRun(unknown, MapRunSettings{{}, {}, -3});
  EXPECT_NE(s.message().find("toleratedFailureCount"), std::string::npos) << s;
  EXPECT_EQ(ServiceErrorName(engine_->ListMapRuns("nope").status()), "InvalidArn");
  EXPECT_EQ(ServiceErrorName(
                engine_->ListMapRuns("arn:aws:states:us-east-1:123456789012:execution:m:x")
                    .status()),
            "ExecutionDoesNotExist");
}

// ---- Map Run redrive -----------------------------------------------------------

// A child fails (its worker refuses item 3), the Map Run and the parent
// fail; the worker is fixed and the parent redriven: the same Map Run is
// redriven (MapRunRedriven, redriveCount 1), only the failed child runs
// again (RedriveExecution of it), the succeeded ones are kept, and the
// parent succeeds with every result in order.
TEST_F(MapRunRoomTest, RedrivingTheParentRedrivesOnlyTheMapRunsFailedChild) {
  std::string parent = Machine("redriven", ActivityMap(0));
  auto e = engine_->StartExecution(parent, "run1", R"({"items":)" + Items(6) + "}");
  ASSERT_TRUE(e.ok()) << e.status();
  std::vector<ActivityTaskGrant> got = Take(6);
  ASSERT_EQ(got.size(), 6u);
  std::map<std::string, int> tasks_of_child;  // child name → activity tasks it got
  const ActivityTaskGrant* broken = nullptr;
  for (auto& t : got) {
    ++tasks_of_child[ArnTail(t.execution_arn)];
    if (ParseJson(t.input)->at("i").as_int64() == 3) {
      broken = &t;
    } else {
      Answer(t);
    }
  }
  ASSERT_NE(broken, nullptr);
  // Let the five successes be counted before the failure ends the run.
  for (int i = 0; i < 500 && ChildStatuses("redriven/items")["SUCCEEDED"] < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(engine_->SendTaskFailure(broken->task_token, "Item.Broken", "no customer").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "Item.Broken");
  const std::string run = RunOf(*engine_, e->execution_arn);
  auto before = engine_->DescribeMapRun(run);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->status, "FAILED");
  EXPECT_EQ(before->redrive_count, 0);
  EXPECT_EQ(before->executions.failed, 1);
  EXPECT_EQ(before->executions.succeeded, 5);

  clock_.Advance(1000);
  auto redriven = engine_->RedriveExecution(e->execution_arn, "");
  ASSERT_TRUE(redriven.ok()) << redriven.status();
  // One task, and no second one within Take's last short poll (a rerun
  // child would also show in its redriveCount below).
  std::vector<ActivityTaskGrant> again = Take(1);
  ASSERT_EQ(again.size(), 1u) << "only the failed child runs again";
  EXPECT_EQ(ParseJson(again[0].input)->at("i").as_int64(), 3);
  ++tasks_of_child[ArnTail(again[0].execution_arn)];
  auto mid = engine_->DescribeMapRun(run);
  ASSERT_TRUE(mid.ok()) << mid.status();
  EXPECT_EQ(mid->status, "RUNNING");
  EXPECT_EQ(mid->redrive_count, 1);
  EXPECT_EQ(mid->redrive_date, *redriven);
  EXPECT_EQ(mid->stop_date, 0);
  Answer(again[0]);
  ExpectDoubledInOrder(AwaitEnd(e->execution_arn), 6);

  // The same Map Run, redriven once, now SUCCEEDED with every child counted.
  auto runs = engine_->ListMapRuns(e->execution_arn);
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->size(), 1u);
  auto after = engine_->DescribeMapRun(run);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->status, "SUCCEEDED");
  EXPECT_EQ(after->redrive_count, 1);
  EXPECT_EQ(after->executions.succeeded, 6);
  EXPECT_EQ(after->executions.failed, 0);
  EXPECT_EQ(after->executions.pending_redrive, 0);
  EXPECT_GT(after->stop_date, 0);
  // Six children, each once; the failed one redriven, no other rerun.
  std::map<std::string, int> st = ChildStatuses("redriven/items");
  EXPECT_EQ(st["SUCCEEDED"], 6);
  EXPECT_EQ(tasks_of_child.size(), 6u);
  int rerun = 0;
  for (auto& [name, n] : tasks_of_child) {
    auto c = engine_->DescribeExecution(
        absl::StrCat("arn:aws:states:us-east-1:123456789012:execution:redriven/items:", name));
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->redrive_count, n - 1) << name;
    rerun += n - 1;
  }
  EXPECT_EQ(rerun, 1);
  // The parent's history: the Map entered again, the run redriven, not restarted.
  std::vector<std::string> types = Types(e->execution_arn);
  EXPECT_EQ(std::count(types.begin(), types.end(), "MapRunStarted"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "MapRunRedriven"), 1);
  auto h = engine_->GetExecutionHistory(e->execution_arn, 1000, "", false, true);
  ASSERT_TRUE(h.ok());
  for (auto& ev : h->events) {
    if (!ev.contains("mapRunRedrivenEventDetails")) continue;
    EXPECT_EQ(ev["mapRunRedrivenEventDetails"].at("mapRunArn").as_string(), run);
    EXPECT_EQ(ev["mapRunRedrivenEventDetails"].at("redriveCount").as_int64(), 1);
  }
  EXPECT_EQ(std::vector<std::string>(types.end() - 5, types.end()),
            (std::vector<std::string>{"MapRunRedriven", "MapRunSucceeded", "MapStateSucceeded",
                                      "MapStateExited", "ExecutionSucceeded"}));
}

// The same with EXPRESS children (they have no RedriveExecution): the
// redrive starts the failed one again under its name; the others are kept.
TEST_F(MapRunRoomTest, RedrivingTheParentStartsTheFailedExpressChildAgain) {
  std::string parent = Machine("exredrive", absl::StrCat(
      R"({"StartAt":"Each","States":{"Each":{"Type":"Map","Label":"items",
      "ItemsPath":"$.items",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
        "StartAt":"Work","States":{"Work":{"Type":"Task",
        "Resource":"arn:aws:lambda:us-east-1:123456789012:function:item-work",
        "End":true}}},"End":true}}})"));
  auto e = engine_->StartExecution(parent, "run1", R"({"items":)" + Items(4) + "}");
  ASSERT_TRUE(e.ok()) << e.status();
  auto take = [&](size_t limit) { return TakeFunctionTasks(limit, 2000, 300); };
  auto item_of = &MapRunRoomTest::ItemOf;
  std::map<int64_t, int> tasks_of_item;
  std::vector<FunctionTaskGrant> got = take(4);
  ASSERT_EQ(got.size(), 4u);
  const FunctionTaskGrant* broken = nullptr;
  std::string run_id = ArnTail(MapRunArnOf(e->execution_arn));
  for (auto& t : got) {
    ++tasks_of_item[item_of(t)];
    if (item_of(t) == 2) {
      broken = &t;
      continue;
    }
    AnswerFunction(t);
  }
  ASSERT_NE(broken, nullptr);
  // The three successes stored before the failure ends the run.
  for (int64_t item : {0, 1, 3}) {
    std::string arn = MapRunExpressChildArn("us-east-1", "123456789012", "exredrive/items",
                                            run_id + "-" + std::to_string(item));
    for (int i = 0; i < 500; ++i) {
      auto c = engine_->DescribeExecution(arn);
      if (c.ok() && c->status == "SUCCEEDED") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ASSERT_TRUE(engine_->SendTaskFailure(broken->task_token, "Item.Broken", "").ok());
  ASSERT_EQ(AwaitEnd(e->execution_arn).status, "FAILED");
  clock_.Advance(1000);
  ASSERT_TRUE(engine_->RedriveExecution(e->execution_arn, "").ok());
  std::vector<FunctionTaskGrant> again = take(4);
  ASSERT_EQ(again.size(), 1u) << "only the failed child runs again";
  EXPECT_EQ(item_of(again[0]), 2);
  ++tasks_of_item[item_of(again[0])];
  AnswerFunction(again[0]);
  ExpectDoubledInOrder(AwaitEnd(e->execution_arn), 4);
  EXPECT_EQ(tasks_of_item, (std::map<int64_t, int>{{0, 1}, {1, 1}, {2, 2}, {3, 1}}));
  auto d = engine_->DescribeMapRun(MapRunArnOf(e->execution_arn));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->status, "SUCCEEDED");
  EXPECT_EQ(d->redrive_count, 1);
  EXPECT_EQ(d->executions.succeeded, 4);
}

}  // namespace
}  // namespace stepwise::engine
