// Batch operations through the Engine over a MemoryStore: a STOP of 300
// running executions leaves those started later alone, a job resumed after
// an engine restart (from a page saved halfway) acts on each execution once
// in effect with counts that add up, REDRIVE is idempotent on its
// clientToken, cancel, clientToken and the open-job limit. Test-only;
// gtest's thread.
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/batch/batch_operation.h"
#include "engine/batch/batch_runner.h"
#include "engine/engine.h"
#include "engine/engine_test_fixture.h"
#include "engine/service_error.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/memory_store.h"

namespace stepwise::engine {
namespace {

constexpr char kWaitAnHour[] = R"({"StartAt":"Park","States":{
  "Park":{"Type":"Wait","Seconds":3600,"End":true}}})";

class BatchRunnerTest : public EngineTest {
 protected:
  std::vector<std::string> StartMany(const std::string& sm, int n, const std::string& prefix) {
    std::vector<std::string> arns;
    for (int i = 0; i < n; ++i) {
      auto ex = engine_->StartExecution(sm, prefix + std::to_string(i), "{}");
      EXPECT_TRUE(ex.ok()) << ex.status();
      if (ex.ok()) arns.push_back(ex->execution_arn);
    }
    return arns;
  }

  // Waits (bounded) until the job leaves RUNNING.
  BatchOperation AwaitJob(const std::string& id) {
    BatchOperation op;
    for (int i = 0; i < 2000; ++i) {
      auto d = engine_->DescribeBatchOperation(id);
      EXPECT_TRUE(d.ok()) << d.status();
      if (!d.ok()) break;
      op = *d;
      if (op.status != "RUNNING") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return op;
  }

  int CountType(const std::string& arn, const std::string& type) {
    std::vector<std::string> t = Types(arn);
    return static_cast<int>(std::count(t.begin(), t.end(), type));
  }
};

TEST_F(BatchRunnerTest, StopsEveryRunningExecutionStartedBeforeTheJobAndNoOther) {
  std::string sm = Machine("m", kWaitAnHour);
  std::vector<std::string> before = StartMany(sm, 300, "b");
  clock_.Advance(1);
  // Executions of another machine are not selected.
  std::string other = Machine("other", kWaitAnHour);
  std::vector<std::string> elsewhere = StartMany(other, 3, "o");
  auto job = engine_->StartBatchOperation({"STOP", sm, "", "", "Batch.Stop", "cleanup", ""});
  ASSERT_TRUE(job.ok()) << job.status();
  clock_.Advance(1);
  std::vector<std::string> after = StartMany(sm, 5, "a");
  BatchOperation done = AwaitJob(job->id);
  EXPECT_EQ(done.status, "SUCCEEDED");
  EXPECT_EQ(done.selected, 300);
  EXPECT_EQ(done.succeeded + done.skipped, 300);
  EXPECT_EQ(done.failed, 0);
  EXPECT_GT(done.stop_date, 0);
  for (const std::string& arn : before) {
    auto d = engine_->DescribeExecution(arn);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->status, "ABORTED") << arn;
  }
  auto h = engine_->GetExecutionHistory(before[0], 1000, "", true, true);
  ASSERT_TRUE(h.ok());
  auto details = h->events[0]["executionAbortedEventDetails"].as_object();
  EXPECT_EQ(details.at("error").as_string(), "Batch.Stop");
  EXPECT_EQ(details.at("cause").as_string(), "cleanup");
  for (const auto& group : {after, elsewhere}) {
    for (const std::string& arn : group) {
      auto d = engine_->DescribeExecution(arn);
      ASSERT_TRUE(d.ok());
      EXPECT_EQ(d->status, "RUNNING") << arn;
    }
  }
}

TEST_F(BatchRunnerTest, AQuerySelectsAcrossMachinesThroughSearch) {
  std::string m1 = Machine("m1", kWaitAnHour);
  std::string m2 = Machine("m2", kWaitAnHour);
  std::vector<std::string> hit = StartMany(m1, 7, "night-");
  for (const std::string& arn : StartMany(m2, 6, "night-")) hit.push_back(arn);
  std::vector<std::string> miss = StartMany(m1, 4, "day-");
  clock_.Advance(1);
  auto job = engine_->StartBatchOperation(
      {"STOP", "", "", R"(name starts with "night-")", "", "", ""});
  ASSERT_TRUE(job.ok()) << job.status();
  BatchOperation done = AwaitJob(job->id);
  EXPECT_EQ(done.status, "SUCCEEDED") << done.status_reason;
  EXPECT_EQ(done.selected, 13);
  EXPECT_EQ(done.succeeded, 13);
  for (const std::string& arn : hit) EXPECT_EQ(AwaitEnd(arn).status, "ABORTED") << arn;
  for (const std::string& arn : miss) {
    auto d = engine_->DescribeExecution(arn);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->status, "RUNNING") << arn;
  }
}

TEST_F(BatchRunnerTest, ExecutionsStartedAfterTheJobAreNotSelectedThoughListedFirst) {
  std::string sm = Machine("m", kWaitAnHour);
  std::vector<std::string> before = StartMany(sm, 20, "b");
  clock_.Advance(1);
  // A job created before the `after` executions started, found by the
  // runner only once they exist (it starts at the restart below).
  BatchOperation op;
  op.id = "00000000-0000-4000-8000-000000000002";
  op.operation = "STOP";
  op.state_machine_arn = sm;
  op.status_filter = "RUNNING";
  op.status = "RUNNING";
  op.start_date = clock_.NowMs();
  clock_.Advance(1);
  std::vector<std::string> after = StartMany(sm, 5, "a");
  ASSERT_TRUE(store_->Put(storage::Table::kMeta, storage::BatchOperationKey(op.id),
                          EncodeBatchOperation(op)).ok());
  Open();
  BatchOperation done = AwaitJob(op.id);
  EXPECT_EQ(done.status, "SUCCEEDED");
  EXPECT_EQ(done.selected, 20);
  EXPECT_EQ(done.succeeded, 20);
  for (const std::string& arn : before) EXPECT_EQ(AwaitEnd(arn).status, "ABORTED");
  for (const std::string& arn : after) {
    auto d = engine_->DescribeExecution(arn);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->status, "RUNNING") << arn;
  }
}

TEST_F(BatchRunnerTest, AJobResumedAfterARestartActsOnEachExecutionOnce) {
  std::string sm = Machine("m", kWaitAnHour);
  std::vector<std::string> arns = StartMany(sm, 300, "e");
  clock_.Advance(1);
  // A job as a crash halfway through its first page leaves it: the page
  // (the 250 newest) saved, its first 40 already stopped.
  auto page = engine_->ListExecutions(sm, "RUNNING", 250, "");
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_token.empty());
  BatchOperation op;
  op.id = "00000000-0000-4000-8000-000000000001";
  op.operation = "STOP";
  op.state_machine_arn = sm;
  op.status_filter = "RUNNING";
  op.status = "RUNNING";
  op.start_date = clock_.NowMs();
  op.selected = 250;
  op.cursor = page->next_token;
  for (const auto& d : page->executions) op.pending.push_back(d.execution_arn);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(engine_->StopExecution(op.pending[i], "", "").ok());
  }
  ASSERT_TRUE(store_->Put(storage::Table::kMeta, storage::BatchOperationKey(op.id),
                          EncodeBatchOperation(op)).ok());
  Open();  // the restart: the runner resumes the saved page
  BatchOperation done = AwaitJob(op.id);
  EXPECT_EQ(done.status, "SUCCEEDED");
  EXPECT_EQ(done.selected, 300);
  EXPECT_EQ(done.skipped, 40);
  EXPECT_EQ(done.succeeded, 260);
  EXPECT_EQ(done.processed(), done.selected);
  for (const std::string& arn : arns) {
    EXPECT_EQ(CountType(arn, "ExecutionAborted"), 1) << arn;
  }
}

TEST_F(BatchRunnerTest, AnEngineRestartInTheMiddleOfAJobStillEndsWithEachStoppedOnce) {
  std::string sm = Machine("m", kWaitAnHour);
  std::vector<std::string> arns = StartMany(sm, 600, "e");
  clock_.Advance(1);
  auto job = engine_->StartBatchOperation({"STOP", sm, "", "", "", "", ""});
  ASSERT_TRUE(job.ok()) << job.status();
  for (int i = 0; i < 1000; ++i) {
    auto d = engine_->DescribeBatchOperation(job->id);
    if (d->processed() >= 100) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  Open();
  BatchOperation done = AwaitJob(job->id);
  EXPECT_EQ(done.status, "SUCCEEDED");
  EXPECT_EQ(done.selected, 600);
  EXPECT_EQ(done.failed, 0);
  EXPECT_EQ(done.processed(), 600);
  for (const std::string& arn : arns) {
    EXPECT_EQ(CountType(arn, "ExecutionAborted"), 1) << arn;
  }
}

TEST_F(BatchRunnerTest, RedriveReopensEachRedrivableExecutionOnceAndIsIdempotent) {
  std::string sm = Machine("m", kWaitAnHour);
  std::vector<std::string> arns = StartMany(sm, 5, "e");
  for (const std::string& arn : arns) ASSERT_TRUE(engine_->StopExecution(arn, "", "").ok());
  std::vector<std::string> running = StartMany(sm, 2, "r");
  clock_.Advance(1000);
  auto job = engine_->StartBatchOperation({"REDRIVE", sm, "", "", "", "", ""});
  ASSERT_TRUE(job.ok()) << job.status();
  BatchOperation done = AwaitJob(job->id);
  EXPECT_EQ(done.status, "SUCCEEDED");
  EXPECT_EQ(done.selected, 5);
  EXPECT_EQ(done.succeeded, 5);
  for (const std::string& arn : arns) {
    auto d = engine_->DescribeExecution(arn);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->status, "RUNNING");
    // What a repeat after a crash does: the same token answers as the first.
    EXPECT_TRUE(engine_->RedriveExecution(arn, BatchRedriveToken(job->id)).ok());
    EXPECT_EQ(CountType(arn, "ExecutionRedriven"), 1) << arn;
  }
  for (const std::string& arn : running) EXPECT_EQ(CountType(arn, "ExecutionRedriven"), 0);
}

TEST_F(BatchRunnerTest, AClientTokenReturnsTheJobItCreated) {
  std::string sm = Machine("m", kWaitAnHour);
  auto a = engine_->StartBatchOperation({"STOP", sm, "", "", "", "", "tok-1"});
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = engine_->StartBatchOperation({"STOP", sm, "", "", "", "", "tok-1"});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->id, b->id);
  auto c = engine_->StartBatchOperation({"STOP", sm, "", "", "", "", "tok-2"});
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->id, c->id);
  auto list = engine_->ListBatchOperations();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
}

TEST_F(BatchRunnerTest, ErrorsOfTheSelectionComeBeforeAJobExists) {
  auto missing = engine_->StartBatchOperation(
      {"STOP", "arn:aws:states:us-east-1:123456789012:stateMachine:nope", "", "", "", "", ""});
  EXPECT_EQ(ServiceErrorName(missing.status()), "StateMachineDoesNotExist") << missing.status();
  auto query = engine_->StartBatchOperation({"STOP", "", "", "status = = RUNNING", "", "", ""});
  EXPECT_EQ(ServiceErrorName(query.status()), "ValidationException") << query.status();
  EXPECT_NE(query.status().message().find("query"), std::string::npos) << query.status();
  auto unknown = engine_->DescribeBatchOperation("nope");
  EXPECT_EQ(ServiceErrorName(unknown.status()), "BatchOperationDoesNotExist");
  EXPECT_EQ(ServiceErrorName(engine_->CancelBatchOperation("nope")),
            "BatchOperationDoesNotExist");
  auto list = engine_->ListBatchOperations();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

// A target whose calls on executions wait until the test lets them go.
class HeldTarget : public BatchTarget {
 public:
  absl::StatusOr<BatchPage> Select(const BatchOperation&, const std::string& cursor,
                                   int max) override {
    BatchPage page;
    int from = cursor.empty() ? 0 : std::stoi(cursor);
    for (int i = from; i < std::min(from + max, 1000); ++i) {
      page.executions.push_back({"arn:" + std::to_string(i), "RUNNING", 0});
    }
    if (from + max < 1000) page.next_cursor = std::to_string(from + max);
    return page;
  }
  void Stop(const std::string&, const std::string&, const std::string&,
            std::function<void(absl::Status)> done) override {
    std::lock_guard<std::mutex> l(mu);
    held.push_back(std::move(done));
  }
  void Redrive(const std::string&, const std::string&,
               std::function<void(absl::Status)> done) override {
    done(absl::OkStatus());
  }
  void Release() {
    std::vector<std::function<void(absl::Status)>> go;
    {
      std::lock_guard<std::mutex> l(mu);
      go.swap(held);
    }
    for (auto& fn : go) fn(absl::OkStatus());
  }
  size_t Held() {
    std::lock_guard<std::mutex> l(mu);
    return held.size();
  }
  std::mutex mu;
  std::vector<std::function<void(absl::Status)>> held;
};

TEST(BatchRunnerUnitTest, InFlightIsBoundedAndCancelStopsAtTheNextExecution) {
  storage::MemoryStore store;
  ManualClock clock{1000};
  HeldTarget target;
  BatchRunner runner(&store, &clock, &target, {/*page_size=*/250, /*max_in_flight=*/20, 10});
  ASSERT_TRUE(runner.Start().ok());
  auto job = runner.StartOperation({"STOP", "m", "", "", "", "", ""});
  ASSERT_TRUE(job.ok()) << job.status();
  for (int i = 0; i < 500 && target.Held() < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(target.Held(), 20u);  // no more than max_in_flight outstanding
  ASSERT_TRUE(runner.Cancel(job->id).ok());
  target.Release();
  for (int i = 0; i < 500; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    target.Release();
  }
  auto d = runner.Describe(job->id);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->status, "CANCELLED");
  EXPECT_LE(d->processed(), 21);  // at most one more went out after the cancel
  EXPECT_EQ(d->selected, 250);
  runner.Stop();
  // Durable: the stored record says CANCELLED too.
  auto stored = store.Get(storage::Table::kMeta, storage::BatchOperationKey(job->id));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  auto back = DecodeBatchOperation("k", **stored);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->status, "CANCELLED");
}

TEST(BatchRunnerUnitTest, AtMostTenOpenJobs) {
  storage::MemoryStore store;
  ManualClock clock{1000};
  HeldTarget target;
  BatchRunner runner(&store, &clock, &target);  // not started: the jobs stay RUNNING
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(runner.StartOperation({"STOP", "m", "", "", "", "", ""}).ok());
  }
  auto over = runner.StartOperation({"STOP", "m", "", "", "", "", ""});
  EXPECT_EQ(ServiceErrorName(over.status()), "BatchOperationLimitExceeded");
  EXPECT_EQ(runner.running(), 10);
  ASSERT_TRUE(runner.Cancel(runner.List()[0].id).ok());
  EXPECT_TRUE(runner.StartOperation({"STOP", "m", "", "", "", "", ""}).ok());
}

}  // namespace
}  // namespace stepwise::engine
