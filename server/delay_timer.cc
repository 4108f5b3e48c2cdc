// DelayTimer (see delay_timer.h). RunAfter/Stop: any thread; Loop: "sw-delay".
#include "server/delay_timer.h"

#include <utility>
#include <vector>

#include "common/thread_name.h"

namespace stepwise::server {

DelayTimer::DelayTimer() {
  thread_ = std::thread([this] {
    SetThreadName("sw-delay");
    Loop();
  });
}

DelayTimer::~DelayTimer() { Stop(); }

void DelayTimer::RunAfter(std::chrono::milliseconds delay, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_) return;
    due_.emplace(std::chrono::steady_clock::now() + delay, std::move(fn));
  }
  cv_.notify_one();
}

void DelayTimer::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> l(mu_);
    dropped.swap(due_);
  }
  // `dropped` is destroyed here, outside the lock (its captures may be the
  // last owners of what they hold).
}

void DelayTimer::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    if (due_.empty()) {
      cv_.wait(l);
      continue;
    }
    auto first = due_.begin()->first;
    if (std::chrono::steady_clock::now() < first) {
      cv_.wait_until(l, first);
      continue;
    }
    std::vector<std::function<void()>> ready;
    auto now = std::chrono::steady_clock::now();
    while (!due_.empty() && due_.begin()->first <= now) {
      ready.push_back(std::move(due_.begin()->second));
      due_.erase(due_.begin());
    }
    l.unlock();
    for (auto& fn : ready) fn();
    ready.clear();
    l.lock();
  }
}

}  // namespace stepwise::server
