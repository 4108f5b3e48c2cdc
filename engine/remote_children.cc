// RemoteChildren (remote_children.h): calls on other nodes' executions,
// retried, and the poll that learns of their closes from the store.
#include "engine/remote_children.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "common/logging.h"
#include "common/thread_name.h"
#include "engine/cluster_ownership.h"
#include "engine/service_error.h"

namespace stepwise::engine {

namespace {

// Worth another try: nobody reachable holds the shard now, or the answer
// was lost (a repeat is safe: see the header).
bool Retryable(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s);
}

std::chrono::milliseconds Backoff(int attempt) {
  return std::chrono::milliseconds(std::min(2000, 100 << std::min(attempt, 5)));
}

// How long a close handed on is remembered (a dispatcher may still list the
// child for a moment after it learnt of the close).
constexpr std::chrono::seconds kReportedFor{30};

}  // namespace

RemoteChildren::RemoteChildren(Options options) : options_(std::move(options)) {
  thread_ = std::thread([this] {
    SetThreadName("sw-remote");
    Loop();
  });
}

RemoteChildren::~RemoteChildren() { Shutdown(); }

void RemoteChildren::Shutdown() {
  std::multimap<Clock::time_point, std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_) return;
    stop_ = true;
    dropped.swap(due_);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

RemoteChildren::Stats RemoteChildren::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

void RemoteChildren::After(std::chrono::milliseconds delay, std::function<void()> run) {
  std::lock_guard<std::mutex> l(mu_);
  if (stop_) return;
  due_.emplace(Clock::now() + delay, std::move(run));
  ++stats_.retries;
  cv_.notify_all();
}

template <typename T>
void RemoteChildren::Attempt(std::function<void(Done<T>)> local,
                             std::function<void(Done<T>)> remote, Done<T> done,
                             Clock::time_point give_up, int attempt) {
  auto retry = [this, local, remote, done, give_up, attempt](absl::StatusOr<T> r) {
    if (!Retryable(r.status()) || Clock::now() >= give_up) return done(std::move(r));
    After(Backoff(attempt), [this, local, remote, done, give_up, attempt] {
      Attempt<T>(local, remote, done, give_up, attempt + 1);
    });
  };
  local([this, remote, done, retry](absl::StatusOr<T> r) {
    // Answered here: done, or not this node's shard.
    if (r.ok() || !ShardOwnerOf(r.status()).has_value()) return done(std::move(r));
    if (options_.remote == nullptr) return retry(std::move(r));
    {
      std::lock_guard<std::mutex> l(mu_);
      ++stats_.remote_calls;
    }
    remote([done, retry](absl::StatusOr<T> answer) {
      if (!answer.ok() && Retryable(answer.status())) return retry(std::move(answer));
      done(std::move(answer));
    });
  });
}

void RemoteChildren::Start(const std::string& machine_arn, const std::string& name,
                           const std::string& input, Done<StartExecutionResult> done) {
  Attempt<StartExecutionResult>(
      [this, machine_arn, name, input](Done<StartExecutionResult> d) {
        options_.local_start(machine_arn, name, input, std::move(d));
      },
      [this, machine_arn, name, input](Done<StartExecutionResult> d) {
        options_.remote->Start(machine_arn, name, input, std::move(d));
      },
      std::move(done), Clock::now() + options_.retry_for, 0);
}

void RemoteChildren::Stop(const std::string& arn, const std::string& error,
                          const std::string& cause, Done<TimeMs> done) {
  Attempt<TimeMs>(
      [this, arn, error, cause](Done<TimeMs> d) {
        options_.local_stop(arn, error, cause, std::move(d));
      },
      [this, arn, error, cause](Done<TimeMs> d) {
        options_.remote->Stop(arn, error, cause, std::move(d));
      },
      std::move(done), Clock::now() + options_.retry_for, 0);
}

void RemoteChildren::Redrive(const std::string& arn, const std::string& client_token,
                             Done<TimeMs> done) {
  Attempt<TimeMs>(
      [this, arn, client_token](Done<TimeMs> d) {
        options_.local_redrive(arn, client_token, std::move(d));
      },
      [this, arn, client_token](Done<TimeMs> d) {
        options_.remote->Redrive(arn, client_token, std::move(d));
      },
      std::move(done), Clock::now() + options_.retry_for, 0);
}

void RemoteChildren::Loop() {
  Clock::time_point next_poll = Clock::now() + options_.poll_interval;
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    Clock::time_point wake = next_poll;
    if (!due_.empty()) wake = std::min(wake, due_.begin()->first);
    cv_.wait_until(l, wake, [&] {
      return stop_ || (!due_.empty() && due_.begin()->first <= Clock::now());
    });
    if (stop_) break;
    std::vector<std::function<void()>> now;
    while (!due_.empty() && due_.begin()->first <= Clock::now()) {
      now.push_back(std::move(due_.begin()->second));
      due_.erase(due_.begin());
    }
    l.unlock();
    for (auto& fn : now) fn();
    if (Clock::now() >= next_poll) {
      Poll();
      next_poll = Clock::now() + options_.poll_interval;
    }
    l.lock();
  }
}

void RemoteChildren::Poll() {
  const Clock::time_point now = Clock::now();
  std::erase_if(reported_, [now](const auto& kv) { return now - kv.second > kReportedFor; });
  std::vector<std::string> awaited;
  options_.awaited(awaited);
  std::sort(awaited.begin(), awaited.end());
  awaited.erase(std::unique(awaited.begin(), awaited.end()), awaited.end());
  for (const std::string& arn : awaited) {
    if (reported_.contains(arn) || options_.owns(arn)) continue;  // its close comes here
    absl::StatusOr<ExecutionDescription> d = options_.describe(arn);
    if (!d.ok()) {
      // Not started yet (its start is in flight), or the store is away: the
      // next round reads it again.
      if (ServiceErrorName(d.status()) != "ExecutionDoesNotExist" &&
          now - last_warning_ > std::chrono::seconds(10)) {
        last_warning_ = now;
        spdlog::warn("cluster: reading child execution {} failed: {}", arn,
                     d.status().ToString());
      }
      continue;
    }
    if (d->status == "RUNNING") continue;
    reported_[arn] = now;
    {
      std::lock_guard<std::mutex> l(mu_);
      ++stats_.closes_seen;
    }
    options_.closed(*d);
  }
}

}  // namespace stepwise::engine
