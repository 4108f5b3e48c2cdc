#include "engine/timer_queue.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/check.h"
#include "common/thread_name.h"

namespace stepwise::engine {

TimerQueue::TimerQueue(const Clock* clock,
                       std::function<void(const TimerEntry&)> fire)
    : clock_(clock), fire_(std::move(fire)) {
  thread_ = std::thread([this] {
    SetThreadName("sw-timers");
    Run();
  });
}

TimerQueue::~TimerQueue() { Stop(); }

void TimerQueue::Add(TimerEntry e) {
  std::lock_guard<std::mutex> lk(mu_);
  EraseLocked(e.execution_id, e.timer_id);
  by_execution_[e.execution_id][e.timer_id] = e.due;
  auto it = by_due_.emplace(e.due, std::move(e.execution_id), e.timer_id).first;
  // Only a new earliest timer can make the thread's current sleep too long.
  if (it == by_due_.begin()) cv_.notify_one();
}

void TimerQueue::Cancel(const std::string& execution_id, int64_t timer_id) {
  std::lock_guard<std::mutex> lk(mu_);
  EraseLocked(execution_id, timer_id);
}

void TimerQueue::CancelIf(const std::function<bool(const std::string& execution_id)>& drop) {
  std::lock_guard<std::mutex> lk(mu_);
  for (auto exec = by_execution_.begin(); exec != by_execution_.end();) {
    if (!drop(exec->first)) {
      ++exec;
      continue;
    }
    for (const auto& [timer_id, due] : exec->second) {
      by_due_.erase(Key(due, exec->first, timer_id));
    }
    exec = by_execution_.erase(exec);
  }
}

size_t TimerQueue::size() const {
  std::lock_guard<std::mutex> lk(mu_);
  return by_due_.size();
}

void TimerQueue::FireDueForTest() { FireDue(clock_->NowMs(), false); }

void TimerQueue::Stop() {
  std::lock_guard<std::mutex> stop_lk(stop_mu_);
  // Joining itself would hang: Stop from `fire` is a bug.
  SW_CHECK(std::this_thread::get_id() != thread_.get_id());
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TimerQueue::EraseLocked(const std::string& execution_id,
                             int64_t timer_id) {
  auto exec = by_execution_.find(execution_id);
  if (exec == by_execution_.end()) return;
  auto timer = exec->second.find(timer_id);
  if (timer == exec->second.end()) return;
  by_due_.erase(Key(timer->second, execution_id, timer_id));
  exec->second.erase(timer);
  if (exec->second.empty()) by_execution_.erase(exec);
}

bool TimerQueue::PopDueLocked(TimeMs now, TimerEntry* out) {
  if (by_due_.empty()) return false;
  auto first = by_due_.begin();
  if (std::get<0>(*first) > now) return false;
  out->due = std::get<0>(*first);
  out->execution_id = std::get<1>(*first);
  out->timer_id = std::get<2>(*first);
  by_due_.erase(first);
  auto exec = by_execution_.find(out->execution_id);
  SW_CHECK(exec != by_execution_.end());
  exec->second.erase(out->timer_id);
  if (exec->second.empty()) by_execution_.erase(exec);
  return true;
}

void TimerQueue::FireDue(std::optional<TimeMs> fixed_now, bool stop_early) {
  std::lock_guard<std::mutex> fire_lk(fire_mu_);
  while (true) {
    TimerEntry e;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (stop_early && stopping_) return;
      if (!PopDueLocked(fixed_now ? *fixed_now : clock_->NowMs(), &e)) return;
    }
    fire_(e);
  }
}

void TimerQueue::Run() {
  std::unique_lock<std::mutex> lk(mu_);
  while (!stopping_) {
    const TimeMs now = clock_->NowMs();
    if (!by_due_.empty() && std::get<0>(*by_due_.begin()) <= now) {
      lk.unlock();
      FireDue(std::nullopt, true);
      lk.lock();
      continue;
    }
    // The clock may be scaled or set by hand, so its distance to the next
    // timer is only a hint: never sleep longer than kMaxSleepMs.
    int64_t sleep_ms = kMaxSleepMs;
    if (!by_due_.empty()) {
      sleep_ms = std::min(sleep_ms, std::get<0>(*by_due_.begin()) - now);
    }
    cv_.wait_for(lk, std::chrono::milliseconds(sleep_ms));
  }
}

}  // namespace stepwise::engine
