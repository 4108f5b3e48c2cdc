#include "engine/timer_queue.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

// Records fired timers as "execution/timer_id"; safe to call from any thread.
class Recorder {
 public:
  std::function<void(const TimerEntry&)> Fn() {
    return [this](const TimerEntry& e) {
      std::lock_guard<std::mutex> lk(mu_);
      fired_.push_back(e.execution_id + "/" + std::to_string(e.timer_id));
      cv_.notify_all();
    };
  }
  std::vector<std::string> fired() {
    std::lock_guard<std::mutex> lk(mu_);
    return fired_;
  }
  // Waits (generously) until `n` timers have fired; returns whether they did.
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(30),
                        [&] { return fired_.size() >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> fired_;
};

using Fired = std::vector<std::string>;

TEST(TimerQueueTest, FiresDueTimersInDueOrder) {
  ManualClock clock(1'000);
  Recorder rec;
  TimerQueue q(&clock, rec.Fn());
  q.Add({1'300, "c", 1});
  q.Add({1'100, "a", 1});
  q.Add({1'200, "b", 1});
  q.Add({1'100, "a", 2});
  q.Add({5'000, "late", 1});
  EXPECT_EQ(q.size(), 5u);
  clock.Set(1'300);
  q.FireDueForTest();
  EXPECT_EQ(rec.fired(), (Fired{"a/1", "a/2", "b/1", "c/1"}));
  EXPECT_EQ(q.size(), 1u);
}

TEST(TimerQueueTest, FiresNothingBeforeItsDueTime) {
  ManualClock clock(1'000);
  Recorder rec;
  TimerQueue q(&clock, rec.Fn());
  q.Add({1'500, "a", 1});
  clock.Set(1'499);
  q.FireDueForTest();
  EXPECT_TRUE(rec.fired().empty());
  clock.Set(1'500);
  q.FireDueForTest();
  EXPECT_EQ(rec.fired(), (Fired{"a/1"}));
  EXPECT_EQ(q.size(), 0u);
  q.FireDueForTest();  // fires each timer once
  EXPECT_EQ(rec.fired().size(), 1u);
}

TEST(TimerQueueTest, CancelRemovesOnlyThatTimerAndIsNoOpWhenAbsent) {
  ManualClock clock(0);
  Recorder rec;
  TimerQueue q(&clock, rec.Fn());
  q.Add({10, "a", 1});
  q.Add({20, "a", 2});
  q.Add({30, "b", 1});
  q.Cancel("a", 1);
  q.Cancel("a", 99);
  q.Cancel("zzz", 1);
  EXPECT_EQ(q.size(), 2u);
  clock.Set(100);
  q.FireDueForTest();
  EXPECT_EQ(rec.fired(), (Fired{"a/2", "b/1"}));
  q.Cancel("a", 2);  // already fired
  EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueueTest, AddingTheSameTimerAgainReplacesItsDueTime) {
  ManualClock clock(0);
  Recorder rec;
  TimerQueue q(&clock, rec.Fn());
  q.Add({10, "a", 1});
  q.Add({50, "a", 1});
  EXPECT_EQ(q.size(), 1u);
  clock.Set(20);
  q.FireDueForTest();
  EXPECT_TRUE(rec.fired().empty());
  clock.Set(50);
  q.FireDueForTest();
  EXPECT_EQ(rec.fired(), (Fired{"a/1"}));
}

TEST(TimerQueueTest, FireMayAddAndCancelTimersAndDueOnesFireInTheSamePass) {
  ManualClock clock(0);
  std::vector<std::string> fired;
  TimerQueue* queue = nullptr;
  TimerQueue q(&clock, [&](const TimerEntry& e) {
    fired.push_back(e.execution_id + "/" + std::to_string(e.timer_id));
    if (e.timer_id == 1) {
      queue->Add({e.due, e.execution_id, 2});    // already due: fires now
      queue->Add({1'000, e.execution_id, 3});    // later
      queue->Cancel("other", 1);
    }
  });
  queue = &q;
  q.Stop();  // only this thread touches `fired`
  q.Add({10, "a", 1});
  q.Add({20, "other", 1});
  clock.Set(20);
  q.FireDueForTest();
  EXPECT_EQ(fired, (Fired{"a/1", "a/2"}));
  EXPECT_EQ(q.size(), 1u);
}

// The thread must notice a ManualClock moved by hand: it re-reads the clock
// at least every 50 ms, whatever it computed from the due time.
TEST(TimerQueueTest, ThreadFiresWhenManualClockIsAdvanced) {
  ManualClock clock(0);
  Recorder rec;
  TimerQueue q(&clock, rec.Fn());
  q.Add({3'600'000, "a", 1});  // an hour away on this clock
  clock.Advance(3'600'000);
  ASSERT_TRUE(rec.WaitFor(1));
  EXPECT_EQ(rec.fired(), (Fired{"a/1"}));
}

TEST(TimerQueueTest, ThreadFiresA20MsTimerOnTheSystemClock) {
  Recorder rec;
  TimerQueue q(SystemClock::Get(), rec.Fn());
  q.Add({SystemClock::Get()->NowMs() + 20, "a", 1});
  ASSERT_TRUE(rec.WaitFor(1));
  EXPECT_EQ(rec.fired(), (Fired{"a/1"}));
  EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueueTest, ThreadHonoursAScaledClock) {
  // An hour on a clock running 100,000x faster is 36 ms of real time.
  ScaledClock clock(SystemClock::Get(), 100'000.0);
  Recorder rec;
  TimerQueue q(&clock, rec.Fn());
  q.Add({clock.NowMs() + 3'600'000, "a", 1});
  ASSERT_TRUE(rec.WaitFor(1));
}

TEST(TimerQueueTest, FireDueForTestWaitsForTheThreadSoEveryDueTimerHasFired) {
  ManualClock clock(0);
  Recorder rec;
  TimerQueue q(&clock, rec.Fn());
  for (int i = 0; i < 200; ++i) q.Add({i, "e" + std::to_string(i % 7), i});
  clock.Set(1'000);
  q.FireDueForTest();  // races with the thread; either may fire each timer
  EXPECT_EQ(rec.fired().size(), 200u);
  EXPECT_EQ(q.size(), 0u);
}

TEST(TimerQueueTest, ConcurrentAddCancelAndFiringFireEachSurvivorOnce) {
  ManualClock clock(0);
  std::mutex mu;
  std::vector<int64_t> fired;
  TimerQueue q(&clock, [&](const TimerEntry& e) {
    std::lock_guard<std::mutex> lk(mu);
    fired.push_back(e.timer_id);
  });
  constexpr int kThreads = 4, kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string exec = "exec-" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t id = t * kPerThread + i;
        if (i % 2 == 0) {
          q.Add({i % 50, exec, id});  // may fire at once on the thread
        } else {
          q.Add({500 + i, exec, id});  // not due before it is cancelled
          q.Cancel(exec, id);
        }
        if (i % 100 == 0) clock.Advance(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  clock.Set(1'000);
  q.FireDueForTest();
  q.Stop();
  std::lock_guard<std::mutex> lk(mu);
  std::sort(fired.begin(), fired.end());
  ASSERT_EQ(fired.size(), size_t{kThreads * kPerThread / 2});
  for (size_t i = 0; i < fired.size(); ++i) EXPECT_EQ(fired[i], 2 * int64_t(i));
}

TEST(TimerQueueTest, StopIsIdempotentAndNoTimerFiresFromTheThreadAfterIt) {
  ManualClock clock(0);
  Recorder rec;
  TimerQueue q(&clock, rec.Fn());
  q.Stop();
  q.Stop();
  q.Add({0, "a", 1});
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  EXPECT_TRUE(rec.fired().empty());
  EXPECT_EQ(q.size(), 1u);
  q.FireDueForTest();
  EXPECT_EQ(rec.fired(), (Fired{"a/1"}));
}

// A cluster shard lost: its executions' timers leave, the others stay.
TEST(TimerQueueTest, CancelIfRemovesOnlyTheTimersOfTheExecutionsItAccepts) {
  ManualClock clock(1'000);
  Recorder rec;
  TimerQueue q(&clock, rec.Fn());
  q.Add({1'100, "lost", 1});
  q.Add({1'200, "kept", 1});
  q.Add({1'300, "lost", 2});
  q.CancelIf([](const std::string& id) { return id == "lost"; });
  EXPECT_EQ(q.size(), 1u);
  clock.Set(2'000);
  q.FireDueForTest();
  EXPECT_EQ(rec.fired(), (Fired{"kept/1"}));
}

}  // namespace
}  // namespace stepwise::engine
