#include "engine/task_queue.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

const std::string kArn = "arn:aws:states:us-east-1:123456789012:activity:a";
const std::string kOther = "arn:aws:states:us-east-1:123456789012:activity:b";

// A claimable poll, told apart by its worker name.
std::shared_ptr<PollClaim> Claim(const std::string& worker) {
  auto c = std::make_shared<PollClaim>();
  c->worker = worker;
  return c;
}
constexpr int64_t kLongMs = 60'000;  // never expires within a test

ActivityTask Task(const std::string& exec, int64_t id,
                  const std::string& arn = kArn) {
  return {arn, exec, id, 1};
}

// One poll's result, filled in by its `done` on whichever thread runs it.
class Result {
 public:
  TaskQueue::DoneFn Fn() {
    return [this](std::optional<ActivityTask> t) {
      std::lock_guard<std::mutex> lk(mu_);
      ++calls_;
      task_ = std::move(t);
      cv_.notify_all();
    };
  }
  // Waits (generously) for the callback; returns whether it came.
  bool Wait() {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(30), [&] { return calls_ > 0; });
  }
  int calls() {
    std::lock_guard<std::mutex> lk(mu_);
    return calls_;
  }
  std::optional<ActivityTask> task() {
    std::lock_guard<std::mutex> lk(mu_);
    return task_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0;
  std::optional<ActivityTask> task_;
};

// Polls with a long timeout and expects a task handed out at once.
std::optional<ActivityTask> PollNow(TaskQueue& q, const std::string& arn) {
  Result r;
  EXPECT_TRUE(q.Poll(arn, kLongMs, r.Fn()).ok());
  EXPECT_EQ(r.calls(), 1);
  return r.task();
}

TEST(TaskQueueTest, HandsOutTasksFirstInFirstOutPerActivity) {
  TaskQueue q;
  q.Push(Task("e1", 1));
  q.Push(Task("e2", 1, kOther));
  q.Push(Task("e1", 2));
  q.Push(Task("e3", 7));
  EXPECT_EQ(q.pending(kArn), 3u);
  EXPECT_EQ(q.pending(kOther), 1u);
  auto a = PollNow(q, kArn);
  auto b = PollNow(q, kArn);
  auto c = PollNow(q, kArn);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(std::make_pair(a->execution_id, a->task_id), std::make_pair(std::string("e1"), int64_t{1}));
  EXPECT_EQ(std::make_pair(b->execution_id, b->task_id), std::make_pair(std::string("e1"), int64_t{2}));
  EXPECT_EQ(std::make_pair(c->execution_id, c->task_id), std::make_pair(std::string("e3"), int64_t{7}));
  EXPECT_EQ(a->activity_arn, kArn);
  EXPECT_EQ(q.pending(kArn), 0u);
  EXPECT_EQ(q.pending(kOther), 1u);
}

TEST(TaskQueueTest, WaitingPollerReceivesTheNextPushedTask) {
  TaskQueue q;
  Result r;
  ASSERT_TRUE(q.Poll(kArn, kLongMs, r.Fn()).ok());
  EXPECT_EQ(r.calls(), 0);
  EXPECT_EQ(q.waiting_pollers(kArn), 1u);
  q.Push(Task("e1", 5, kOther));  // another activity: not for this poller
  EXPECT_EQ(r.calls(), 0);
  q.Push(Task("e1", 4));
  // Handed over on the pushing thread, before Push returned.
  ASSERT_EQ(r.calls(), 1);
  ASSERT_TRUE(r.task().has_value());
  EXPECT_EQ(r.task()->task_id, 4);
  EXPECT_EQ(q.waiting_pollers(kArn), 0u);
  EXPECT_EQ(q.pending(kArn), 0u);
}

TEST(TaskQueueTest, WaitingPollersAreServedInArrivalOrder) {
  TaskQueue q;
  Result first, second;
  ASSERT_TRUE(q.Poll(kArn, kLongMs, first.Fn()).ok());
  ASSERT_TRUE(q.Poll(kArn, kLongMs, second.Fn()).ok());
  q.Push(Task("e", 1));
  EXPECT_EQ(first.calls(), 1);
  EXPECT_EQ(second.calls(), 0);
  q.Push(Task("e", 2));
  ASSERT_EQ(second.calls(), 1);
  EXPECT_EQ(first.task()->task_id, 1);
  EXPECT_EQ(second.task()->task_id, 2);
}

TEST(TaskQueueTest, TakePollerTakesTheOldestClaimablePollOver) {
  TaskQueue q;
  Result plain, gone, first, second;
  bool gone_flag = true;
  ASSERT_TRUE(q.Poll(kArn, kLongMs, plain.Fn()).ok());  // no claim: never taken
  ASSERT_TRUE(q.Poll(kArn, kLongMs, gone.Fn(), [&] { return gone_flag; },
                     Claim("w0")).ok());
  ASSERT_TRUE(q.Poll(kArn, kLongMs, first.Fn(), nullptr, Claim("w1")).ok());
  ASSERT_TRUE(q.Poll(kArn, kLongMs, second.Fn(), nullptr, Claim("w2")).ok());
  EXPECT_EQ(q.TakePoller(kOther), nullptr);
  std::shared_ptr<PollClaim> c = q.TakePoller(kArn);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->worker, "w1");
  // The poll whose caller went away was ended on the way, with nullopt.
  ASSERT_EQ(gone.calls(), 1);
  EXPECT_FALSE(gone.task().has_value());
  // A taken poll is never answered by the queue.
  EXPECT_EQ(q.waiting_pollers(kArn), 2u);
  q.Push(Task("e", 1));
  q.Push(Task("e", 2));
  EXPECT_EQ(first.calls(), 0);
  EXPECT_EQ(plain.task()->task_id, 1);
  EXPECT_EQ(second.task()->task_id, 2);
  EXPECT_EQ(q.TakePoller(kArn), nullptr);
  q.Stop();
  EXPECT_EQ(first.calls(), 0);
}

TEST(TaskQueueTest, TimeoutDeliversNulloptOnce) {
  TaskQueue q;
  Result r;
  ASSERT_TRUE(q.Poll(kArn, 20, r.Fn()).ok());
  ASSERT_TRUE(r.Wait());
  EXPECT_FALSE(r.task().has_value());
  EXPECT_EQ(q.waiting_pollers(kArn), 0u);
  // A task pushed after the timeout stays pending; the poller is gone.
  q.Push(Task("e", 1));
  EXPECT_EQ(q.pending(kArn), 1u);
  EXPECT_EQ(r.calls(), 1);
}

TEST(TaskQueueTest, ShorterTimeoutExpiresFirstWhileLongerPollerStillWaits) {
  TaskQueue q;
  Result long_poll, short_poll;
  ASSERT_TRUE(q.Poll(kArn, kLongMs, long_poll.Fn()).ok());
  ASSERT_TRUE(q.Poll(kArn, 10, short_poll.Fn()).ok());
  ASSERT_TRUE(short_poll.Wait());
  EXPECT_FALSE(short_poll.task().has_value());
  EXPECT_EQ(long_poll.calls(), 0);
  q.Push(Task("e", 1));
  EXPECT_EQ(long_poll.calls(), 1);
}

TEST(TaskQueueTest, WakeEndsTheLongestWaitingLivePollsWithNullopt) {
  TaskQueue q;
  Result gone, first, second, third;
  ASSERT_TRUE(q.Poll(kArn, kLongMs, gone.Fn(), [] { return true; }).ok());
  ASSERT_TRUE(q.Poll(kArn, kLongMs, first.Fn()).ok());
  ASSERT_TRUE(q.Poll(kArn, kLongMs, second.Fn()).ok());
  ASSERT_TRUE(q.Poll(kArn, kLongMs, third.Fn()).ok());
  EXPECT_EQ(q.Wake(kOther, 5), 0u);
  // The gone poll is ended on the way without counting.
  EXPECT_EQ(q.Wake(kArn, 2), 2u);
  EXPECT_EQ(gone.calls(), 1);
  EXPECT_EQ(first.calls(), 1);
  EXPECT_EQ(second.calls(), 1);
  EXPECT_FALSE(first.task().has_value());
  EXPECT_EQ(third.calls(), 0);
  EXPECT_EQ(q.waiting_pollers(kArn), 1u);
  q.Push(Task("e", 1));
  ASSERT_EQ(third.calls(), 1);
  EXPECT_EQ(third.task()->task_id, 1);
}

TEST(TaskQueueTest, ParkedHookHearsOfTasksNoPollTook) {
  TaskQueue q;
  std::vector<std::string> parked;
  q.SetParkedHook([&](const std::string& arn) { parked.push_back(arn); });
  Result r;
  ASSERT_TRUE(q.Poll(kArn, kLongMs, r.Fn()).ok());
  q.Push(Task("e", 1));  // taken by the waiting poll: not parked
  EXPECT_TRUE(parked.empty());
  q.Push(Task("e", 2));
  q.Push(Task("e", 2));  // the same task again: replaced, not announced twice
  q.Requeue(Task("e", 3, kOther));
  EXPECT_EQ(parked, (std::vector<std::string>{kArn, kOther}));
}

TEST(TaskQueueTest, ZeroTimeoutWithNothingPendingAnswersAtOnce) {
  TaskQueue q;
  Result r;
  ASSERT_TRUE(q.Poll(kArn, 0, r.Fn()).ok());
  EXPECT_EQ(r.calls(), 1);
  EXPECT_FALSE(r.task().has_value());
  EXPECT_EQ(q.waiting_pollers(kArn), 0u);
}

TEST(TaskQueueTest, RemovedTaskIsNeverHandedOut) {
  TaskQueue q;
  q.Push(Task("e1", 1));
  q.Push(Task("e2", 1));
  q.Remove(kArn, "e1", 1);
  q.Remove(kArn, "e1", 99);    // absent
  q.Remove(kOther, "e2", 1);   // wrong activity
  EXPECT_EQ(q.pending(kArn), 1u);
  auto t = PollNow(q, kArn);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->execution_id, "e2");
  q.Remove(kArn, "e2", 1);  // already handed out: no-op
  Result r;
  ASSERT_TRUE(q.Poll(kArn, 10, r.Fn()).ok());
  ASSERT_TRUE(r.Wait());
  EXPECT_FALSE(r.task().has_value());
}

TEST(TaskQueueTest, RequeuedTaskGoesFirst) {
  TaskQueue q;
  q.Push(Task("e1", 1));
  q.Push(Task("e2", 1));
  auto t = PollNow(q, kArn);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->execution_id, "e1");
  q.Requeue(*t);
  q.Push(Task("e3", 1));
  EXPECT_EQ(PollNow(q, kArn)->execution_id, "e1");
  EXPECT_EQ(PollNow(q, kArn)->execution_id, "e2");
  EXPECT_EQ(PollNow(q, kArn)->execution_id, "e3");
}

TEST(TaskQueueTest, RequeueHandsTheTaskToAWaitingPoller) {
  TaskQueue q;
  Result r;
  ASSERT_TRUE(q.Poll(kArn, kLongMs, r.Fn()).ok());
  q.Requeue(Task("e1", 1));
  ASSERT_EQ(r.calls(), 1);
  EXPECT_EQ(r.task()->execution_id, "e1");
}

TEST(TaskQueueTest, PushingAPendingTaskAgainReplacesItInPlace) {
  TaskQueue q;
  q.Push(Task("e1", 1));
  q.Push(Task("e2", 1));
  ActivityTask again = Task("e1", 1);
  again.attempt = 2;
  q.Push(again);
  EXPECT_EQ(q.pending(kArn), 2u);
  auto t = PollNow(q, kArn);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->execution_id, "e1");
  EXPECT_EQ(t->attempt, 2);
  EXPECT_EQ(PollNow(q, kArn)->execution_id, "e2");
  EXPECT_EQ(q.pending(kArn), 0u);
}

TEST(TaskQueueTest, RejectsPollsBeyondMaxPollersPerActivity) {
  TaskQueue q;
  std::atomic<int> calls{0};
  for (size_t i = 0; i < TaskQueue::kDefaultMaxPollers; ++i) {
    ASSERT_TRUE(q.Poll(kArn, kLongMs, [&](std::optional<ActivityTask>) {
                   calls.fetch_add(1);
                 }).ok());
  }
  EXPECT_EQ(q.waiting_pollers(kArn), TaskQueue::kDefaultMaxPollers);
  absl::Status s = q.Poll(kArn, kLongMs, [&](std::optional<ActivityTask>) {
    calls.fetch_add(1000);  // must never run
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  // Other activities have their own limit.
  Result other;
  EXPECT_TRUE(q.Poll(kOther, kLongMs, other.Fn()).ok());
  // Serving one frees a slot.
  q.Push(Task("e", 1));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(q.Poll(kArn, kLongMs, [&](std::optional<ActivityTask>) {
                 calls.fetch_add(1);
               }).ok());
  q.Stop();
  EXPECT_EQ(calls.load(), 1 + static_cast<int>(TaskQueue::kDefaultMaxPollers));
}

TEST(TaskQueueTest, StopWakesEveryPollerWithNulloptAndRefusesNewPolls) {
  TaskQueue q;
  Result a, b, c;
  ASSERT_TRUE(q.Poll(kArn, kLongMs, a.Fn()).ok());
  ASSERT_TRUE(q.Poll(kArn, kLongMs, b.Fn()).ok());
  ASSERT_TRUE(q.Poll(kOther, kLongMs, c.Fn()).ok());
  q.Stop();
  for (Result* r : {&a, &b, &c}) {
    EXPECT_EQ(r->calls(), 1);
    EXPECT_FALSE(r->task().has_value());
  }
  EXPECT_EQ(q.waiting_pollers(kArn), 0u);
  Result late;
  EXPECT_EQ(q.Poll(kArn, kLongMs, late.Fn()).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(late.calls(), 0);
  q.Stop();  // idempotent
}

TEST(TaskQueueTest, DoneMayCallBackIntoTheQueue) {
  TaskQueue q;
  std::vector<int64_t> got;
  // Each callback polls again, as a worker loop would; the last poll is left
  // waiting.
  std::function<void(std::optional<ActivityTask>)> loop =
      [&](std::optional<ActivityTask> t) {
        if (!t) return;
        got.push_back(t->task_id);
        if (t->task_id == 2) q.Requeue(Task("e", 3));
        ASSERT_TRUE(q.Poll(kArn, kLongMs, loop).ok());
      };
  q.Push(Task("e", 1));
  q.Push(Task("e", 2));
  ASSERT_TRUE(q.Poll(kArn, kLongMs, loop).ok());
  EXPECT_EQ(got, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(q.waiting_pollers(kArn), 1u);
  q.Stop();
}

// 8 threads poll (each waiting for its previous poll to finish, with short
// timeouts so some polls expire) while 2 threads push and requeue tasks:
// every task must reach exactly one poller.
TEST(TaskQueueTest, ConcurrentPollersReceiveEveryTaskExactlyOnce) {
  TaskQueue q;
  constexpr int kPushers = 2, kPerPusher = 1500, kPollers = 8;
  constexpr int kTotal = kPushers * kPerPusher;
  std::mutex mu;
  std::vector<std::string> received;
  std::atomic<int> delivered{0};

  std::vector<std::thread> threads;
  for (int p = 0; p < kPollers; ++p) {
    threads.emplace_back([&, p] {
      int round = 0;
      while (delivered.load() < kTotal) {
        std::promise<std::optional<ActivityTask>> promise;
        auto future = promise.get_future();
        const int64_t timeout = (++round + p) % 5 == 0 ? 0 : 5;
        absl::Status s = q.Poll(kArn, timeout, [&](std::optional<ActivityTask> t) {
          promise.set_value(std::move(t));
        });
        ASSERT_TRUE(s.ok()) << s;
        std::optional<ActivityTask> t = future.get();
        if (!t) continue;
        // Hand back one task in 10 once, as an uncommitted hand-out would.
        if (t->attempt == 1 && t->task_id % 10 == 0) {
          t->attempt = 2;
          q.Requeue(std::move(*t));
          continue;
        }
        {
          std::lock_guard<std::mutex> lk(mu);
          received.push_back(t->execution_id + "/" + std::to_string(t->task_id));
        }
        delivered.fetch_add(1);
      }
    });
  }
  for (int p = 0; p < kPushers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerPusher; ++i) {
        q.Push(Task("exec-" + std::to_string(p), i));
        if (i % 64 == 0) std::this_thread::yield();
      }
    });
  }
  for (auto& t : threads) t.join();

  EXPECT_EQ(delivered.load(), kTotal);
  std::set<std::string> unique(received.begin(), received.end());
  EXPECT_EQ(received.size(), size_t{kTotal});
  EXPECT_EQ(unique.size(), size_t{kTotal});
  EXPECT_EQ(q.pending(kArn), 0u);
  EXPECT_EQ(q.waiting_pollers(kArn), 0u);
}

// Pushes race with poll timeouts: each poll gets exactly one answer, and a
// task is either received or still pending afterwards, never lost.
TEST(TaskQueueTest, PushRacingTimeoutsNeitherLosesNorDuplicates) {
  TaskQueue q;
  constexpr int kRounds = 300;
  std::atomic<int> answers{0}, tasks_received{0};
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(q.Poll(kArn, 1, [&](std::optional<ActivityTask> t) {
                   answers.fetch_add(1);
                   if (t) tasks_received.fetch_add(1);
                 }).ok());
    if (i % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(500));
    q.Push(Task("e", i));
  }
  q.Stop();
  EXPECT_EQ(answers.load(), kRounds);
  EXPECT_EQ(tasks_received.load() + static_cast<int>(q.pending(kArn)), kRounds);
}

TEST(TaskQueueTest, PollersWhoseCallerWentAwayMakeRoomAtTheLimit) {
  TaskQueue q(2);
  std::atomic<bool> first_gone{false};
  Result r1, r2, r3, r4;
  ASSERT_TRUE(q.Poll(kArn, kLongMs, r1.Fn(), [&] { return first_gone.load(); }).ok());
  ASSERT_TRUE(q.Poll(kArn, kLongMs, r2.Fn(), [] { return false; }).ok());
  // Full, and nobody has gone: refused.
  EXPECT_EQ(q.Poll(kArn, kLongMs, r3.Fn()).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r3.calls(), 0);
  // The first caller hangs up: its place goes to the next poll.
  first_gone = true;
  ASSERT_TRUE(q.Poll(kArn, kLongMs, r4.Fn()).ok());
  ASSERT_TRUE(r1.Wait());
  EXPECT_FALSE(r1.task().has_value());
  EXPECT_EQ(r2.calls(), 0);
  EXPECT_EQ(q.waiting_pollers(kArn), 2u);
  q.Push(Task("e", 1));
  ASSERT_TRUE(r2.Wait());
  EXPECT_TRUE(r2.task().has_value());
  EXPECT_EQ(r4.calls(), 0);
  q.Stop();
  EXPECT_EQ(r4.calls(), 1);
}

// A cluster shard lost: its executions' pending tasks leave, the others stay.
TEST(TaskQueueTest, RemoveIfRemovesOnlyTheTasksOfTheExecutionsItAccepts) {
  TaskQueue q;
  q.Push(Task("lost", 1));
  q.Push(Task("kept", 1));
  q.Push(Task("lost", 2, kOther));
  q.RemoveIf([](const std::string& id) { return id == "lost"; });
  EXPECT_EQ(q.pending(kArn), 1u);
  EXPECT_EQ(q.pending(kOther), 0u);
  auto a = PollNow(q, kArn);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->execution_id, "kept");
}

}  // namespace
}  // namespace stepwise::engine
