// DelayTimer (delay_timer.h): callbacks run once their delay passed, in
// order of due time; Stop drops what is pending. Real time, short delays.
#include "server/delay_timer.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace stepwise::server {
namespace {

using namespace std::chrono_literals;

TEST(DelayTimerTest, RunsEachCallbackAfterItsDelayInOrderOfDueTime) {
  DelayTimer timer;
  std::mutex mu;
  std::vector<int> ran;
  auto start = std::chrono::steady_clock::now();
  std::atomic<int64_t> first_ms{-1};
  timer.RunAfter(120ms, [&] {
    std::lock_guard<std::mutex> l(mu);
    ran.push_back(2);
  });
  timer.RunAfter(40ms, [&] {
    first_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count();
    std::lock_guard<std::mutex> l(mu);
    ran.push_back(1);
  });
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (ran.size() == 2) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_GE(first_ms.load(), 40);
}

TEST(DelayTimerTest, StopDropsWhatIsPendingAndLaterCallsAreIgnored) {
  DelayTimer timer;
  std::atomic<int> ran{0};
  auto held = std::make_shared<int>(0);
  timer.RunAfter(10s, [&ran, held] { ++ran; });
  EXPECT_EQ(held.use_count(), 2);
  timer.Stop();
  EXPECT_EQ(held.use_count(), 1);  // the dropped callback let go of its captures
  timer.RunAfter(0ms, [&ran] { ++ran; });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(ran.load(), 0);
}

}  // namespace
}  // namespace stepwise::server
