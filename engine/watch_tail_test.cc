// What a watch of a finished execution costs the store (issue 21's
// profile: waiting for a close was a third of the server's work): a watch
// from the tail (after_event_id = max) reads no history, and of an
// execution its shard evicted as finished (RecentlyClosed) not even the
// record; a finished execution loaded for a watch is not kept in the
// shard's cache; a redriven one is watched to its new close. Counts the
// store's reads through a ForwardingStore. gtest's thread.
#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine_test_fixture.h"
#include "engine/service_error.h"
#include "storage/forwarding_store.h"

namespace stepwise::engine {
namespace {

class CountingStore : public storage::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  absl::StatusOr<std::optional<storage::VersionedValue>> GetExecution(
      const std::string& execution_id) override {
    ++executions_read;
    return ForwardingStore::GetExecution(execution_id);
  }
  absl::StatusOr<std::vector<storage::HistoryChunk>> ReadHistory(
      const std::string& execution_id, int64_t from_event_id, size_t max_chunks) override {
    ++history_reads;
    return ForwardingStore::ReadHistory(execution_id, from_event_id, max_chunks);
  }
  std::atomic<int> executions_read{0};
  std::atomic<int> history_reads{0};
};

class WatchTailTest : public EngineTest {
 protected:
  void SetUp() override {
    auto counting = std::make_unique<CountingStore>(&inner_);
    counting_ = counting.get();
    store_ = std::move(counting);
    Open();
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
  }

  // Watches `arn` from `after` until the watch says closed (bounded);
  // returns the ids of the events it was sent.
  std::vector<int64_t> WatchUntilClosed(const std::string& arn, int64_t after) {
    auto state = std::make_shared<std::pair<std::mutex, std::pair<bool, std::vector<int64_t>>>>();
    auto watch = engine_->WatchExecution(arn, after, [state](std::vector<json::object> events,
                                                             bool closed) {
      std::lock_guard<std::mutex> l(state->first);
      for (auto& e : events) state->second.second.push_back(e["id"].as_int64());
      state->second.first = closed;
      return true;
    });
    EXPECT_TRUE(watch.ok()) << watch.status();
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard<std::mutex> l(state->first);
        if (state->second.first) return state->second.second;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "the watch of " << arn << " did not close";
    return {};
  }

  storage::MemoryStore inner_;
  CountingStore* counting_ = nullptr;
};

TEST_F(WatchTailTest, TailWatchOfFinishedExecutionReadsNoHistoryAndIsNotCached) {
  std::string sm = Machine("tail", R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}})");
  auto started = engine_->StartExecution(sm, "t", "{}");
  ASSERT_TRUE(started.ok()) << started.status();
  AwaitEnd(started->execution_arn);
  counting_->executions_read = 0;
  counting_->history_reads = 0;
  constexpr int kWatches = 3;
  for (int i = 0; i < kWatches; ++i) {
    EXPECT_TRUE(
        WatchUntilClosed(started->execution_arn, std::numeric_limits<int64_t>::max()).empty());
  }
  // Nothing can follow the largest id: no chunk is read for it; and the
  // shard evicted it as finished, so its record is not read either.
  EXPECT_EQ(counting_->history_reads.load(), 0);
  EXPECT_EQ(counting_->executions_read.load(), 0);
  // A watch from an earlier event still reads and sends what follows it,
  // loading the finished execution and letting it go again.
  std::vector<int64_t> ids = WatchUntilClosed(started->execution_arn, 4);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 5);
  EXPECT_GT(counting_->history_reads.load(), 0);
  EXPECT_EQ(counting_->executions_read.load(), 1);
  EXPECT_TRUE(
      WatchUntilClosed(started->execution_arn, std::numeric_limits<int64_t>::max()).empty());
  EXPECT_EQ(counting_->executions_read.load(), 1);
  // One that never existed is still refused.
  EXPECT_EQ(ServiceErrorName(engine_->WatchExecution(started->execution_arn + "x",
                                                     std::numeric_limits<int64_t>::max(),
                                                     [](std::vector<json::object>, bool) {
                                                       return true;
                                                     })
                                 .status()),
            "ExecutionDoesNotExist");
}

// A finished execution its shard remembers as closed is redriven: a watch
// from the tail then waits for the new close. Nothing is cached (every
// execution leaves the cache after each step), so the watch's answer can
// only come from what the shard remembers.
TEST_F(WatchTailTest, TailWatchOfARedrivenExecutionWaitsForItsNewClose) {
  engine_.reset();
  tune_options_ = [](EngineOptions& o) { o.max_cached_executions = 0; };
  Open();
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  constexpr char kJobs[] = "arn:aws:states:us-east-1:123456789012:activity:jobs";
  std::string sm = Machine("redriven", kActivityMachine);
  auto started = engine_->StartExecution(sm, "r", "{}");
  ASSERT_TRUE(started.ok()) << started.status();
  const std::string& arn = started->execution_arn;
  auto task = engine_->GetActivityTask(kJobs, "w", 2000);
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_TRUE(engine_->SendTaskFailure(task->task_token, "Broken", "").ok());
  ASSERT_EQ(AwaitEnd(arn).status, "FAILED");
  EXPECT_TRUE(WatchUntilClosed(arn, std::numeric_limits<int64_t>::max()).empty());

  ASSERT_TRUE(engine_->RedriveExecution(arn, "").ok());
  auto closed = std::make_shared<std::atomic<bool>>(false);
  auto watch = engine_->WatchExecution(arn, std::numeric_limits<int64_t>::max(),
                                       [closed](std::vector<json::object>, bool c) {
                                         if (c) *closed = true;
                                         return true;
                                       });
  ASSERT_TRUE(watch.ok()) << watch.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(closed->load()) << "the redriven execution is running again";
  task = engine_->GetActivityTask(kJobs, "w", 2000);
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_TRUE(engine_->SendTaskSuccess(task->task_token, "{}").ok());
  for (int i = 0; i < 500 && !closed->load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(closed->load());
  EXPECT_EQ(AwaitEnd(arn).status, "SUCCEEDED");
}

// ReadHistoryTail: what a watch served from the database reads each time.
TEST_F(WatchTailTest, ReadHistoryTailReadsAfterAnIdUpToTheRecordAndSaysWhenClosed) {
  ASSERT_TRUE(engine_->CreateActivity("jobs").ok());
  std::string sm = Machine("tailread", kActivityMachine);
  auto started = engine_->StartExecution(sm, "r", "{}");
  ASSERT_TRUE(started.ok()) << started.status();
  const std::string& arn = started->execution_arn;
  // Parked on its activity: ExecutionStarted, TaskStateEntered, ActivityScheduled.
  auto all = engine_->ReadHistoryTail(arn, 0);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_FALSE(all->closed);
  ASSERT_EQ(all->events.size(), 3u);
  EXPECT_EQ(all->events.front().id, 1);
  EXPECT_EQ(all->events.front().type, "ExecutionStarted");
  EXPECT_EQ(all->last_event_id, 3);
  auto after2 = engine_->ReadHistoryTail(arn, 2);
  ASSERT_TRUE(after2.ok());
  ASSERT_EQ(after2->events.size(), 1u);
  EXPECT_EQ(after2->events.front().id, 3);
  // Nothing after the last event; from the tail, no history is read at all.
  EXPECT_TRUE(engine_->ReadHistoryTail(arn, 3)->events.empty());
  counting_->history_reads = 0;
  auto tail = engine_->ReadHistoryTail(arn, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(tail.ok());
  EXPECT_TRUE(tail->events.empty());
  EXPECT_FALSE(tail->closed);
  EXPECT_EQ(counting_->history_reads.load(), 0);

  auto task = engine_->GetActivityTask("arn:aws:states:us-east-1:123456789012:activity:jobs", "w",
                                       1000);
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_TRUE(engine_->SendTaskSuccess(task->task_token, "{}").ok());
  AwaitEnd(arn);
  auto closed = engine_->ReadHistoryTail(arn, 3);
  ASSERT_TRUE(closed.ok());
  EXPECT_TRUE(closed->closed);
  ASSERT_FALSE(closed->events.empty());
  EXPECT_EQ(closed->events.front().id, 4);
  EXPECT_EQ(closed->events.back().id, closed->last_event_id);
  EXPECT_EQ(closed->events.back().type, "ExecutionSucceeded");
  EXPECT_TRUE(engine_->ReadHistoryTail(arn, std::numeric_limits<int64_t>::max())->closed);

  auto missing = engine_->ReadHistoryTail(arn + "-none", 0);
  EXPECT_EQ(ServiceErrorName(missing.status()), "ExecutionDoesNotExist");
}

}  // namespace
}  // namespace stepwise::engine
