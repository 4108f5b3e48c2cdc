// ClusterTaskPoller (see cluster_task_poller.h). Poll/OnQueuedElsewhere:
// any thread; Peers: the poller's pool; completions: any thread.
#include "server/cluster_task_poller.h"

#include <algorithm>
#include <utility>

#include "spdlog/spdlog.h"

namespace stepwise::server {

// One poll in flight.
struct ClusterTaskPoller::PollState {
  ClusterPollCall call;
  PollDone done;
  std::chrono::steady_clock::time_point deadline;

  bool Gone() const { return call.is_cancelled && call.is_cancelled(); }
  // Rounded up, so the last wait ends at the deadline, not before it.
  int64_t LeftMs() const {
    return std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
  }
};

ClusterTaskPoller::ClusterTaskPoller(Options options)
    : options_(std::move(options)), pool_(options_.pool_threads) {}

ClusterTaskPoller::~ClusterTaskPoller() = default;

ClusterTaskPollerStats ClusterTaskPoller::stats() const {
  return ClusterTaskPollerStats{remote_takes_.load(), remote_handed_out_.load(),
                                remote_take_errors_.load(), wakeups_.load()};
}

void ClusterTaskPoller::Poll(ClusterPollCall call, PollDone done) {
  auto st = std::make_shared<PollState>();
  st->deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(std::max<int64_t>(0, call.timeout_ms));
  st->call = std::move(call);
  st->done = std::move(done);
  Round(std::move(st));
}

uint64_t ClusterTaskPoller::Heard(const std::string& queue) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = heard_.find(queue);
  return it == heard_.end() ? 0 : it->second;
}

void ClusterTaskPoller::OnQueuedElsewhere(const std::string& queue) {
  {
    std::lock_guard<std::mutex> l(mu_);
    ++heard_[queue];
  }
  wakeups_.fetch_add(1);
  // The woken poll's engine callback starts its next round (on the pool).
  options_.wake_one(queue);
}

std::shared_ptr<const std::vector<std::string>> ClusterTaskPoller::Peers() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (peers_ != nullptr &&
        std::chrono::steady_clock::now() - peers_read_at_ < kPeersMaxAge) {
      return peers_;
    }
  }
  absl::StatusOr<std::vector<std::string>> read = options_.live_peers();
  std::lock_guard<std::mutex> l(mu_);
  if (!read.ok()) {
    // Keep asking the last known peers while the database is away.
    if (std::chrono::steady_clock::now() - last_error_log_ >
        std::chrono::seconds(10)) {
      last_error_log_ = std::chrono::steady_clock::now();
      spdlog::warn("task polls: cannot read the cluster's live nodes: {}",
                   std::string(read.status().message()));
    }
    if (peers_ == nullptr)
      peers_ = std::make_shared<const std::vector<std::string>>();
    return peers_;
  }
  peers_ = std::make_shared<const std::vector<std::string>>(*std::move(read));
  peers_read_at_ = std::chrono::steady_clock::now();
  return peers_;
}

void ClusterTaskPoller::Round(std::shared_ptr<PollState> st) {
  if (st->Gone()) return st->done(absl::OkStatus(), false);
  // Read before asking anyone: an announcement heard after this point
  // means the round may have missed its task (see Wait).
  const uint64_t seen = Heard(st->call.queue);
  st->call.local(0, [this, st, seen](absl::Status s, bool handed_out) {
    if (!s.ok() || handed_out) return st->done(std::move(s), handed_out);
    pool_.Submit([this, st, seen] { AskPeers(st, Peers(), 0, seen); });
  });
}

void ClusterTaskPoller::AskPeers(
    std::shared_ptr<PollState> st,
    std::shared_ptr<const std::vector<std::string>> peers, size_t next,
    uint64_t seen) {
  if (st->Gone()) return st->done(absl::OkStatus(), false);
  if (next >= peers->size()) return Wait(std::move(st), seen);
  // A poll about to end asks nobody (an answer cut off by its deadline
  // could leave a task handed out to no one); it waits here for the rest.
  const int64_t left = st->LeftMs();
  if (left < kMinTakeTime.count()) return Wait(std::move(st), seen);
  const std::string& address = (*peers)[next];
  remote_takes_.fetch_add(1);
  const auto timeout = std::min(kTakeTimeout, std::chrono::milliseconds(left));
  st->call.take(
      address, timeout,
      [this, st, peers, next, seen](absl::Status s, bool handed_out) {
        if (s.ok() && handed_out) {
          remote_handed_out_.fetch_add(1);
          return st->done(absl::OkStatus(), true);
        }
        if (!s.ok()) {
          remote_take_errors_.fetch_add(1);
          bool log = false;
          {
            std::lock_guard<std::mutex> l(mu_);
            if (std::chrono::steady_clock::now() - last_error_log_ >
                std::chrono::seconds(10)) {
              last_error_log_ = std::chrono::steady_clock::now();
              log = true;
            }
          }
          if (log) {
            spdlog::warn(
                "task polls: asking node {} for a task of {} failed: {}",
                (*peers)[next], st->call.queue, std::string(s.message()));
          }
        }
        AskPeers(st, peers, next + 1, seen);
      });
}

void ClusterTaskPoller::Wait(std::shared_ptr<PollState> st, uint64_t seen) {
  const int64_t left = st->LeftMs();
  if (left <= 0) return st->done(absl::OkStatus(), false);
  const int64_t slice = std::min<int64_t>(left, options_.retry.count());
  auto answered = std::make_shared<std::atomic<bool>>(false);
  st->call.local(slice, [this, st, answered](absl::Status s, bool handed_out) {
    answered->store(true);
    if (!s.ok() || handed_out) return st->done(std::move(s), handed_out);
    // Woken (another node's task), the retry interval passed, or the
    // caller's time is up: the next round, off this (engine) thread.
    if (st->LeftMs() <= 0) return st->done(absl::OkStatus(), false);
    pool_.Submit([this, st] { Round(st); });
  });
  // An announcement heard while this round asked the peers found no poll
  // waiting here: wake one now (this one, or another that asks for us).
  if (!answered->load() && Heard(st->call.queue) != seen) {
    options_.wake_one(st->call.queue);
  }
}

}  // namespace stepwise::server
