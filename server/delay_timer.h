// DelayTimer: runs short callbacks after a delay, on one thread of its own
// ("sw-delay"), for work that must wait a while without holding a pool or
// gRPC thread (a WatchExecution served from the database waits between two
// reads: server/watch_reactor.h). A callback must not block: it hands its
// work to a pool.
//
// Thread-safe: RunAfter from any thread. Stop runs nothing more and joins
// the thread; RunAfter after Stop drops the callback. The destructor stops.
#ifndef SW_SERVER_DELAY_TIMER_H_
#define SW_SERVER_DELAY_TIMER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace stepwise::server {

class DelayTimer {
 public:
  DelayTimer();
  ~DelayTimer();
  DelayTimer(const DelayTimer&) = delete;
  DelayTimer& operator=(const DelayTimer&) = delete;

  // Runs `fn` on the timer's thread once `delay` has passed (callbacks due
  // at the same time run in the order they were added).
  void RunAfter(std::chrono::milliseconds delay, std::function<void()> fn);
  // Drops what is pending and joins the thread; idempotent.
  void Stop();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> due_;  // mu_
  bool stop_ = false;                                                             // mu_
  std::thread thread_;
};

}  // namespace stepwise::server

#endif  // SW_SERVER_DELAY_TIMER_H_
