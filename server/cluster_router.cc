// ClusterRouter (see cluster_router.h). Route: any thread; Attempt: the
// router's pool.
#include "server/cluster_router.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"
#include "engine/arn.h"
#include "engine/cluster_ownership.h"
#include "storage/postgres/shard_hash.h"

namespace stepwise::server {

namespace {
constexpr char kShardMovedPayload[] = "stepwise/shard-moved";
}  // namespace

absl::Status ShardMovedError(int shard, std::string_view execution_arn) {
  return MarkShardMoved(absl::UnavailableError(
      absl::StrCat("shard ", shard, " of execution ", ToAbsl(execution_arn),
                   " is not held by this node (its ownership moved); retry")));
}

absl::Status MarkShardMoved(absl::Status s) {
  if (!s.ok()) s.SetPayload(kShardMovedPayload, absl::Cord("1"));
  return s;
}

bool IsShardMoved(const absl::Status& s) {
  // The engine's own refusal (a shard it does not hold, or has not yet
  // recovered after gaining it) counts too: the forwarding node retries.
  return !s.ok() && (s.GetPayload(kShardMovedPayload).has_value() ||
                     engine::ShardOwnerOf(s).has_value());
}

std::string StartedExecutionArn(std::string_view state_machine_arn, std::string_view name) {
  std::string_view arn = state_machine_arn.substr(0, state_machine_arn.find('#'));
  // arn:aws:states:REGION:ACCOUNT:stateMachine:NAME[:VERSION_OR_ALIAS]
  std::vector<absl::string_view> parts = absl::StrSplit(ToAbsl(arn), ':');
  if (parts.size() < 7 || parts.size() > 8 || parts[0] != "arn" || parts[2] != "states" ||
      parts[5] != "stateMachine" || parts[6].empty()) {
    return "";
  }
  return engine::ExecutionArn(parts[3], parts[4], parts[6], ToAbsl(name));
}

// One call on its way to where its shard runs.
struct ClusterRouter::Routing {
  RoutedCall call;
  int shard = 0;
  std::function<void(absl::Status)> done;
  // Attempts so far after the first; the owner is re-read from the
  // database from the second on.
  int retries = 0;
  std::chrono::steady_clock::time_point settle_until;
};

ClusterRouter::ClusterRouter(ShardOwnership* ownership, int pool_threads,
                             std::chrono::milliseconds settle_for)
    : ownership_(ownership),
      settle_for_(settle_for),
      rng_(std::random_device{}()),
      pool_(pool_threads) {}

ClusterRouter::~ClusterRouter() { timer_.Stop(); }

std::string ClusterRouter::NewExecutionName() {
  std::lock_guard<std::mutex> l(rng_mu_);
  return engine::NewUuid(rng_);
}

ClusterRouterStats ClusterRouter::stats() const {
  return ClusterRouterStats{forwarded_.load(), retried_.load(), moved_.load()};
}

void ClusterRouter::Route(RoutedCall call, std::function<void(absl::Status)> done) {
  if (call.execution_arn.empty()) return call.run_here(std::move(done));
  const int shard = storage::ShardOfExecution(call.execution_arn, ownership_->shard_count());
  const bool held = ownership_->HoldsShard(shard);
  if (call.arrived_forwarded) {
    // Never forwarded twice, nor kept here: the first node re-reads
    // ownership and retries.
    if (held) return call.run_here(std::move(done));
    moved_.fetch_add(1);
    return done(ShardMovedError(shard, call.execution_arn));
  }
  auto r = std::make_shared<Routing>();
  r->call = std::move(call);
  r->shard = shard;
  r->done = std::move(done);
  r->settle_until = std::chrono::steady_clock::now() + settle_for_;
  if (held) return RunHere(std::move(r));
  pool_.Submit([this, r = std::move(r)]() mutable { Attempt(std::move(r)); });
}

void ClusterRouter::RunHere(std::shared_ptr<Routing> r) {
  // The engine refuses when this node's lease lapsed meanwhile, or when it
  // holds the lease but has not recovered the shard yet.
  // `r` stays held here too: the call must outlive its own run_here.
  r->call.run_here([this, r](absl::Status s) mutable {
    if (IsShardMoved(s)) return Retry(std::move(r), std::move(s));
    r->done(std::move(s));
  });
}

void ClusterRouter::Attempt(std::shared_ptr<Routing> r) {
  const int shard = r->shard;
  absl::StatusOr<std::optional<ShardOwner>> owner = ownership_->OwnerOf(shard, r->retries > 0);
  if (!owner.ok()) return r->done(owner.status());
  // The shard may have come to this node meanwhile.
  if (ownership_->HoldsShard(shard)) return RunHere(std::move(r));
  // Nobody holds it, or the database still names this node while its own
  // lease clock says it lapsed.
  if (!owner->has_value() || (*owner)->node_id == ownership_->node_id() ||
      (*owner)->address.empty()) {
    absl::Status none = absl::UnavailableError(
        absl::StrCat("shard ", shard, " of execution ", r->call.execution_arn,
                     " has no owner right now (nodes joining or leaving); retry"));
    return Retry(std::move(r), std::move(none));
  }
  forwarded_.fetch_add(1);
  r->call.forward((*owner)->address, [this, r](absl::Status s) mutable {
    if (IsShardMoved(s)) return Retry(std::move(r), std::move(s));
    r->done(std::move(s));
  });
}

void ClusterRouter::Retry(std::shared_ptr<Routing> r, absl::Status last) {
  const int retry = ++r->retries;
  if (retry == 1) {
    // At once, re-reading ownership. Through the pool: this may be a gRPC
    // callback or engine thread, and the lookup reads the database.
    retried_.fetch_add(1);
    pool_.Submit([this, r = std::move(r)]() mutable { Attempt(std::move(r)); });
    return;
  }
  const std::chrono::milliseconds wait =
      std::min(std::chrono::milliseconds(25 << std::min(retry - 2, 3)),
               std::chrono::milliseconds(200));
  if (std::chrono::steady_clock::now() + wait > r->settle_until) return r->done(std::move(last));
  retried_.fetch_add(1);
  timer_.RunAfter(wait, [this, r = std::move(r)]() mutable {
    pool_.Submit([this, r = std::move(r)]() mutable { Attempt(std::move(r)); });
  });
}

}  // namespace stepwise::server
