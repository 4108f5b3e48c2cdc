#include "client/task_heartbeats.h"

#include <utility>

namespace stepwise::client {

TaskHeartbeats::TaskHeartbeats(Client* client, absl::Duration interval,
                               std::function<void(const absl::Status&)> on_error)
    : client_(client), interval_(interval), on_error_(std::move(on_error)) {
  if (interval_ > absl::ZeroDuration()) thread_ = std::thread([this] { Loop(); });
}

TaskHeartbeats::~TaskHeartbeats() { Stop(); }

void TaskHeartbeats::Add(const std::string& token, absl::Time until) {
  if (interval_ <= absl::ZeroDuration()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    due_.emplace(absl::Now() + interval_, Entry{token, until});
  }
  cv_.notify_all();
}

void TaskHeartbeats::Remove(const std::string& token) {
  if (interval_ <= absl::ZeroDuration()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = due_.begin(); it != due_.end(); ++it) {
    if (it->second.token == token) {
      due_.erase(it);
      return;
    }
  }
}

void TaskHeartbeats::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    due_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TaskHeartbeats::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = due_.begin();
    absl::Time now = absl::Now();
    if (first->first > now) {
      cv_.wait_for(lock, absl::ToChronoMicroseconds(first->first - now));
      continue;
    }
    Entry entry = std::move(first->second);
    due_.erase(first);
    if (entry.until <= now) continue;
    std::string token = entry.token;
    due_.emplace(now + interval_, std::move(entry));
    lock.unlock();
    v1::SendTaskHeartbeatRequest request;
    request.set_task_token(token);
    absl::Status s = client_->SendTaskHeartbeat(request);
    if (!s.ok() && on_error_) on_error_(s);
    lock.lock();
  }
}

}  // namespace stepwise::client
