// Cluster mode (opts_.cluster; engine/cluster_ownership.h): this node runs
// only the executions of the cluster shards it holds the lease of.
//   OwnsExecution is asked by RunOnLoaded before any work on an execution
//   (a step, a fired timer, a dispatcher's report, a hand-out, an API call
//   that commits); work on another node's execution does nothing, and an
//   API call gets ShardNotOwnedError.
//   "sw-ownership" compares the leases with what the engine runs every
//   poll_interval: a shard gained is recovered as at Open, but only its
//   rows (ShardRowsStore: the whole task and timer tables are scanned and
//   filtered); a shard lost leaves memory without a write.
// StartOwnership runs on Init's thread; OwnershipLoop, GainShards,
// LoseShards and RefreshOwners on "sw-ownership"; OwnsExecution and
// NotOwnedError on any thread.
#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "engine/engine_impl.h"
#include "engine/shard_rows_store.h"

namespace stepwise::engine {

bool EngineImpl::OwnsExecution(const std::string& id) const {
  const ClusterOwnership* c = opts_.cluster.get();
  if (c == nullptr || storage::ExpressRoutingStore::IsExpress(id)) return true;
  const int shard = c->shard_of(id);
  const int64_t recovered = recovered_range_[shard].load();
  if (recovered == 0) return false;
  std::optional<int64_t> held = c->held_range_id(shard);
  return held.has_value() && *held == recovered;
}

absl::Status EngineImpl::NotOwnedError(const std::string& id) const {
  const int shard = opts_.cluster->shard_of(id);
  std::string owner;
  {
    std::lock_guard<std::mutex> l(owners_mu_);
    auto it = owners_.find(shard);
    if (it != owners_.end()) owner = it->second;
  }
  return ShardNotOwnedError(id, shard, owner);
}

absl::Status EngineImpl::StartOwnership() {
  const ClusterOwnership& c = *opts_.cluster;
  RemoteChildren::Options r;
  r.local_start = [this](const std::string& machine, const std::string& name,
                         const std::string& input,
                         RemoteChildren::Done<StartExecutionResult> done) {
    StartExecutionAsync(machine, name, input, std::move(done));
  };
  r.local_stop = [this](const std::string& arn, const std::string& error,
                        const std::string& cause, RemoteChildren::Done<TimeMs> done) {
    StopExecutionAsync(arn, error, cause, std::move(done));
  };
  r.local_redrive = [this](const std::string& arn, const std::string& token,
                           RemoteChildren::Done<TimeMs> done) {
    RedriveExecutionAsync(arn, token, std::move(done));
  };
  r.remote = c.remote.get();
  r.owns = [this](const std::string& arn) { return OwnsExecution(arn); };
  r.awaited = [this](std::vector<std::string>& out) { dispatch_.AwaitedExecutions(out); };
  r.describe = [this](const std::string& arn) { return DescribeExecution(arn); };
  r.closed = [this](const ExecutionDescription& d) { dispatch_.ExecutionClosed(d); };
  r.poll_interval = c.remote_close_poll;
  r.retry_for = c.remote_retry_for;
  remote_children_ = std::make_unique<RemoteChildren>(std::move(r));
  recovered_range_ = std::make_unique<std::atomic<int64_t>[]>(c.shard_count);
  for (int i = 0; i < c.shard_count; ++i) recovered_range_[i].store(0);
  SW_RETURN_IF_ERROR(GainShards(c.owned_shards()));
  RefreshOwners();
  ownership_thread_ = std::thread([this] {
    SetThreadName("sw-ownership");
    OwnershipLoop();
  });
  return absl::OkStatus();
}

void EngineImpl::StopOwnership() {
  {
    std::lock_guard<std::mutex> l(ownership_mu_);
    ownership_stop_ = true;
  }
  ownership_cv_.notify_all();
  if (ownership_thread_.joinable()) ownership_thread_.join();
  if (remote_children_) remote_children_->Shutdown();
}

void EngineImpl::OwnershipLoop() {
  const ClusterOwnership& c = *opts_.cluster;
  auto owners_read = std::chrono::steady_clock::now();
  // While some shard had no owner at the last read (nodes joining or
  // leaving), the names are read every round, so a refusal names the new
  // owner within one poll interval of its taking the shard.
  bool owners_complete = false;
  while (true) {
    {
      std::unique_lock<std::mutex> l(ownership_mu_);
      if (ownership_cv_.wait_for(l, c.poll_interval, [&] { return ownership_stop_; })) return;
    }
    const std::map<int, int64_t> held = c.owned_shards();
    std::vector<int> lost;
    std::map<int, int64_t> gained;
    for (int s = 0; s < c.shard_count; ++s) {
      const int64_t recovered = recovered_range_[s].load();
      auto it = held.find(s);
      // A shard held at another range_id than recovered was lost and taken
      // again meanwhile: dropped, then recovered anew.
      if (recovered != 0 && (it == held.end() || it->second != recovered)) lost.push_back(s);
      if (it != held.end() && it->second != recovered) gained.emplace(s, it->second);
    }
    if (!lost.empty()) LoseShards(lost);
    if (!gained.empty()) {
      absl::Status st = GainShards(gained);
      if (!st.ok()) {
        // Not this node's yet: the next round tries again.
        spdlog::warn("cluster: recovering shards failed, retrying: {}",
                     std::string(st.message()));
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (!lost.empty() || !gained.empty() || !owners_complete ||
        now - owners_read >= std::chrono::seconds(1)) {
      owners_complete = RefreshOwners();
      owners_read = now;
    }
  }
}

absl::Status EngineImpl::GainShards(const std::map<int, int64_t>& gained) {
  if (gained.empty()) return absl::OkStatus();
  const ClusterOwnership& c = *opts_.cluster;
  auto started = std::chrono::steady_clock::now();
  std::set<int> shards;
  for (const auto& [s, range_id] : gained) shards.insert(s);
  auto in_gained = [&c, shards](const std::string& id) {
    return !storage::ExpressRoutingStore::IsExpress(id) && shards.count(c.shard_of(id)) != 0;
  };
  // What is still cached of an earlier term may be stale: another node ran
  // these executions since. Queued on each engine shard ahead of the work
  // the recovery posts there.
  DropLoadedIf(in_gained);
  // This node's from now on, so that the work the recovery posts runs.
  for (const auto& [s, range_id] : gained) recovered_range_[s].store(range_id);
  ShardRowsStore rows(store_, in_gained);
  absl::Status st = RecoverFrom(rows);
  if (!st.ok()) {
    for (const auto& [s, range_id] : gained) recovered_range_[s].store(0);
    return st;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - started)
                .count();
  spdlog::info("cluster: now running shards [{}] (recovered in {} ms)",
               absl::StrJoin(shards, ","), ms);
  return absl::OkStatus();
}

void EngineImpl::LoseShards(const std::vector<int>& lost) {
  const ClusterOwnership& c = *opts_.cluster;
  for (int s : lost) recovered_range_[s].store(0);
  std::set<int> shards(lost.begin(), lost.end());
  auto in_lost = [&c, shards](const std::string& id) {
    return !storage::ExpressRoutingStore::IsExpress(id) && shards.count(c.shard_of(id)) != 0;
  };
  timers_.CancelIf(in_lost);
  tasks_.RemoveIf(in_lost);
  DropLoadedIf(in_lost);
  dispatch_.ExecutionsLost(in_lost);
  spdlog::info("cluster: no longer running shards [{}] (lease released or lapsed)",
               absl::StrJoin(lost, ","));
}

void EngineImpl::DropLoadedIf(std::function<bool(const std::string& id)> drop) {
  for (auto& sh : shards_) {
    Shard* s = sh.get();
    Enqueue(*s, [this, s, drop] {
      s->closed.ForgetIf(drop);
      for (auto it = s->loaded.begin(); it != s->loaded.end();) {
        if (!it->second->committing && drop(it->first)) {
          DetachWatchers(*it->second);
          it = s->loaded.erase(it);
        } else {
          ++it;
        }
      }
    });
  }
}

bool EngineImpl::RefreshOwners() {
  const ClusterOwnership& c = *opts_.cluster;
  if (!c.owners) return true;
  absl::StatusOr<std::map<int, std::string>> owners = c.owners();
  if (!owners.ok()) return false;  // the names stay as last read
  std::lock_guard<std::mutex> l(owners_mu_);
  owners_ = *std::move(owners);
  return static_cast<int>(owners_.size()) >= c.shard_count;
}

}  // namespace stepwise::engine
