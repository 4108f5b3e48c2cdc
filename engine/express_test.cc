// Express executions in the engine: StartSyncExecution's answers (success,
// failure, the Express time limit, the definition's shorter TimeoutSeconds),
// the in-memory path (no row of an Express execution reaches the durable
// RocksStore; its memory is dropped once it closed), the history handed to
// the ExpressHistorySink once, and what AWS refuses for Express. Test-only;
// gtest's thread (the sink is called from shard threads).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"
#include "engine/engine.h"
#include "engine/express_history_sink.h"
#include "engine/service_error.h"
#include "gtest/gtest.h"
#include "storage/rocks_store.h"

namespace stepwise::engine {
namespace {

constexpr char kRole[] = "arn:aws:iam::123456789012:role/r";
constexpr char kPass[] = R"({"StartAt":"P","States":{"P":{"Type":"Pass",
  "Parameters":{"got.$":"$.x"},"End":true}}})";
constexpr char kFail[] = R"({"StartAt":"F","States":{"F":{"Type":"Fail",
  "Error":"Boom","Cause":"it broke"}}})";
constexpr char kLongWait[] = R"({"StartAt":"W","States":{"W":{"Type":"Wait",
  "Seconds":30,"End":true}}})";
constexpr char kLongWaitTimeout1[] = R"({"TimeoutSeconds":1,"StartAt":"W","States":{
  "W":{"Type":"Wait","Seconds":30,"End":true}}})";

// Records what the engine hands the sink.
class RecordingSink : public ExpressHistorySink {
 public:
  // The machines whose executions' events the sink declines.
  void Decline(const std::string& machine_arn) {
    std::lock_guard<std::mutex> l(mu_);
    declined_.push_back(machine_arn);
  }
  bool WantsEvents(const std::string& machine_arn) override {
    std::lock_guard<std::mutex> l(mu_);
    return std::find(declined_.begin(), declined_.end(), machine_arn) == declined_.end();
  }
  void Closed(ClosedExpressExecution closed) override {
    std::lock_guard<std::mutex> l(mu_);
    closed_.push_back(std::move(closed));
  }
  std::vector<ClosedExpressExecution> Take() {
    std::lock_guard<std::mutex> l(mu_);
    return closed_;
  }
  // Waits (bounded) until `n` executions were handed over.
  std::vector<ClosedExpressExecution> Await(size_t n) {
    for (int i = 0; i < 500; ++i) {
      auto got = Take();
      if (got.size() >= n) return got;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Take();
  }

 private:
  std::mutex mu_;
  std::vector<ClosedExpressExecution> closed_;
  std::vector<std::string> declined_;
};

class ExpressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("stepwise-express-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto s = storage::RocksStore::Open(dir_.string(), storage::RocksOptions{});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open(int64_t express_max_ms = 300000) {
    EngineOptions o;
    o.seed = 7;
    o.express_history_sink = &sink_;
    o.express_max_ms = express_max_ms;
    auto e = Engine::Open(store_.get(), o);
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = *std::move(e);
  }
  std::string Machine(const std::string& name, const std::string& definition,
                      const std::string& type = "EXPRESS") {
    auto m = engine_->CreateStateMachine(name, definition, kRole, type);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? m->arn : "";
  }
  // Every key and value of every durable table that names an Express
  // execution.
  std::vector<std::string> DurableExpressRows() {
    std::vector<std::string> out;
    for (storage::Table t :
         {storage::Table::kMachines, storage::Table::kActivities, storage::Table::kExecutions,
          storage::Table::kHistory, storage::Table::kVisibility, storage::Table::kTasks,
          storage::Table::kTimers, storage::Table::kMeta}) {
      auto rows = store_->Scan(t, storage::ScanOptions{});
      EXPECT_TRUE(rows.ok()) << rows.status();
      if (!rows.ok()) continue;
      for (const auto& kv : *rows) {
        if (kv.key.find(":express:") != std::string::npos ||
            kv.value.find(":express:") != std::string::npos) {
          out.push_back(kv.key);
        }
      }
    }
    return out;
  }
  size_t ExpressRowsInMemory() { return engine_->stats().express_rows; }

  std::filesystem::path dir_;
  RecordingSink sink_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(ExpressTest, SyncSucceedsInMemoryAndHandsItsHistoryToTheSinkOnce) {
  Open();
  std::string m = Machine("fast", kPass);
  auto r = engine_->StartSyncExecution(m, "one", R"({"x":42})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->execution.status, "SUCCEEDED");
  EXPECT_EQ(r->execution.name, "one");
  EXPECT_EQ(r->execution.state_machine_arn, m);
  EXPECT_NE(r->execution.execution_arn.find(":express:fast:one:"), std::string::npos);
  ASSERT_TRUE(r->execution.output.has_value());
  EXPECT_EQ(*r->execution.output, R"({"got":42})");
  EXPECT_EQ(r->execution.input, R"({"x":42})");
  EXPECT_GE(r->execution.stop_date, r->execution.start_date);
  EXPECT_GE(r->billed_duration_ms, 100);
  EXPECT_EQ(r->billed_duration_ms % 100, 0);
  EXPECT_EQ(r->billed_memory_mb, 64);

  auto closed = sink_.Await(1);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].execution.execution_arn, r->execution.execution_arn);
  EXPECT_EQ(closed[0].execution.status, "SUCCEEDED");
  std::vector<std::string> types;
  for (const auto& e : closed[0].events) types.emplace_back(e.at("type").as_string());
  EXPECT_EQ(types, (std::vector<std::string>{"ExecutionStarted", "PassStateEntered",
                                             "PassStateExited", "ExecutionSucceeded"}));
  // Data included (AWS's shape, as GetExecutionHistory would give it).
  EXPECT_EQ(closed[0].events.back().at("executionSucceededEventDetails").at("output").as_string(),
            R"({"got":42})");

  EXPECT_TRUE(DurableExpressRows().empty());
  EXPECT_EQ(ExpressRowsInMemory(), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(sink_.Take().size(), 1u);  // once
}

TEST_F(ExpressTest, ASinkDecliningEventsStillGetsTheClosedExecution) {
  Open();
  std::string quiet = Machine("quiet", kPass);
  std::string logged = Machine("logged", kPass);
  sink_.Decline(quiet);
  auto q = engine_->StartSyncExecution(quiet, "q", R"({"x":1})");
  ASSERT_TRUE(q.ok()) << q.status();
  auto l = engine_->StartSyncExecution(logged, "l", R"({"x":2})");
  ASSERT_TRUE(l.ok()) << l.status();
  auto closed = sink_.Await(2);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].execution.execution_arn, q->execution.execution_arn);
  EXPECT_EQ(closed[0].execution.status, "SUCCEEDED");
  EXPECT_EQ(closed[0].execution.output, q->execution.output);
  EXPECT_TRUE(closed[0].events.empty());
  EXPECT_EQ(closed[1].execution.execution_arn, l->execution.execution_arn);
  EXPECT_EQ(closed[1].events.size(), 4u);
  EXPECT_EQ(ExpressRowsInMemory(), 0u);
}

TEST_F(ExpressTest, SyncFailureCarriesErrorAndCause) {
  Open();
  auto r = engine_->StartSyncExecution(Machine("failing", kFail), "", "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->execution.status, "FAILED");
  EXPECT_EQ(r->execution.error.value_or(""), "Boom");
  EXPECT_EQ(r->execution.cause.value_or(""), "it broke");
  EXPECT_FALSE(r->execution.output.has_value());
  EXPECT_EQ(r->execution.input, "{}");
}

TEST_F(ExpressTest, RunningPastTheExpressLimitTimesOut) {
  Open(/*express_max_ms=*/300);
  auto begin = std::chrono::steady_clock::now();
  auto r = engine_->StartSyncExecution(Machine("slow", kLongWait), "", "{}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->execution.status, "TIMED_OUT");
  EXPECT_EQ(r->execution.error.value_or(""), "States.Timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(10));
  EXPECT_GE(r->execution.stop_date - r->execution.start_date, 300);
  auto closed = sink_.Await(1);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].events.back().at("type").as_string(), "ExecutionTimedOut");
  EXPECT_TRUE(DurableExpressRows().empty());
  EXPECT_EQ(ExpressRowsInMemory(), 0u);
}

TEST_F(ExpressTest, AShorterTimeoutSecondsStillApplies) {
  Open(/*express_max_ms=*/60000);
  auto r = engine_->StartSyncExecution(Machine("slow1", kLongWaitTimeout1), "", "{}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->execution.status, "TIMED_OUT");
  EXPECT_LT(r->execution.stop_date - r->execution.start_date, 10000);
}

TEST_F(ExpressTest, AsyncExpressRunsInMemoryBesideDurableStandard) {
  Open();
  std::string express = Machine("ex", kPass);
  std::string standard = Machine("st", kPass, "STANDARD");
  auto a = engine_->StartExecution(express, "same", R"({"x":1})");
  ASSERT_TRUE(a.ok()) << a.status();
  // Express allows duplicate names: a second start is its own execution.
  auto b = engine_->StartExecution(express, "same", R"({"x":1})");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE(a->execution_arn, b->execution_arn);
  auto s = engine_->StartExecution(standard, "durable", R"({"x":2})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(sink_.Await(2).size(), 2u);
  for (int i = 0; i < 200 && ExpressRowsInMemory() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ExpressRowsInMemory(), 0u);
  EXPECT_TRUE(DurableExpressRows().empty());
  // The Standard execution is in the durable store as always.
  auto stored = store_->GetExecution(s->execution_arn);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->has_value());
  auto d = engine_->DescribeExecution(s->execution_arn);
  ASSERT_TRUE(d.ok()) << d.status();
}

// AWS gives $$.Execution a RedriveCount for StartExecution's Express
// executions, not for StartSyncExecution's (both recorded in the corpus).
TEST_F(ExpressTest, ContextObjectRedriveCountOnlyForAsyncExpress) {
  Open();
  std::string m = Machine("ctx", R"({"StartAt":"P","States":{"P":{"Type":"Pass",
    "Parameters":{"e.$":"$$.Execution"},"End":true}}})");
  auto sync = engine_->StartSyncExecution(m, "", "{}");
  ASSERT_TRUE(sync.ok()) << sync.status();
  auto out = ParseJson(sync->execution.output.value_or("null"));
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->at("e").as_object().contains("RedriveCount")) << *sync->execution.output;
  auto a = engine_->StartExecution(m, "", "{}");
  ASSERT_TRUE(a.ok()) << a.status();
  auto closed = sink_.Await(2);
  ASSERT_EQ(closed.size(), 2u);
  const ClosedExpressExecution& async =
      closed[0].execution.execution_arn == a->execution_arn ? closed[0] : closed[1];
  auto async_out = ParseJson(async.execution.output.value_or("null"));
  ASSERT_TRUE(async_out.ok());
  EXPECT_EQ(async_out->at("e").at("RedriveCount").as_int64(), 0) << *async.execution.output;
}

TEST_F(ExpressTest, ShutdownAnswersAWaitingStartSyncExecution) {
  Open();
  std::string m = Machine("slow", kLongWait);
  std::promise<absl::Status> answered;
  engine_->StartSyncExecutionAsync(m, "", "{}", [&](absl::StatusOr<SyncExecutionResult> r) {
    answered.set_value(r.status());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  engine_->Shutdown();
  auto f = answered.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(f.get().code(), absl::StatusCode::kUnavailable);
}

TEST_F(ExpressTest, WhatAwsRefusesForExpress) {
  Open();
  std::string express = Machine("ex", kPass);
  auto a = engine_->StartExecution(express, "x", "{}");
  ASSERT_TRUE(a.ok()) << a.status();
  const std::string invalid = "Invalid Arn: 'Resource type not valid in this context: express'";
  auto d = engine_->DescribeExecution(a->execution_arn);
  EXPECT_EQ(ServiceErrorName(d.status()), "InvalidArn");
  EXPECT_EQ(d.status().message(), invalid);
  auto h = engine_->GetExecutionHistory(a->execution_arn, 0, "", false, true);
  EXPECT_EQ(ServiceErrorName(h.status()), "InvalidArn");
  auto stop = engine_->StopExecution(a->execution_arn, "", "");
  EXPECT_EQ(ServiceErrorName(stop.status()), "InvalidArn");
  auto sm = engine_->DescribeStateMachineForExecution(a->execution_arn);
  EXPECT_EQ(ServiceErrorName(sm.status()), "InvalidArn");
  auto l = engine_->ListExecutions(express, "", 0, "");
  EXPECT_EQ(ServiceErrorName(l.status()), "StateMachineTypeNotSupported");

  auto sync = engine_->StartSyncExecution(Machine("st", kPass, "STANDARD"), "", "{}");
  EXPECT_EQ(ServiceErrorName(sync.status()), "StateMachineTypeNotSupported");
  EXPECT_EQ(sync.status().message(),
            "This operation is not supported by this type of state machine");

  auto big = engine_->StartSyncExecution(
      express, "", R"({"x":")" + std::string(262144, 'a') + R"("})");
  EXPECT_EQ(ServiceErrorName(big.status()), "InvalidExecutionInput");
  auto bad = engine_->StartSyncExecution(express, "", "{not json");
  EXPECT_EQ(ServiceErrorName(bad.status()), "InvalidExecutionInput");
  auto missing = engine_->StartSyncExecution(
      "arn:aws:states:us-east-1:123456789012:stateMachine:nope", "", "{}");
  EXPECT_EQ(ServiceErrorName(missing.status()), "StateMachineDoesNotExist");

  // Activities, .sync and .waitForTaskToken are refused at create.
  for (const char* resource : {"arn:aws:states:us-east-1:123456789012:activity:a",
                               "arn:aws:states:::states:startExecution.sync",
                               "arn:aws:states:::lambda:invoke.waitForTaskToken"}) {
    std::string def = std::string(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")") +
                      resource + R"(","End":true}}})";
    auto m = engine_->CreateStateMachine("refused", def, kRole, "EXPRESS");
    EXPECT_EQ(ServiceErrorName(m.status()), "InvalidDefinition") << resource;
  }
}

}  // namespace
}  // namespace stepwise::engine
