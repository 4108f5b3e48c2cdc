// ClusterRouter (see cluster_router.h). Route: any thread; Attempt: the
// router's pool.
#include "server/cluster_router.h"

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

ClusterRouter::ClusterRouter(ShardOwnership* ownership, int pool_threads)
    : ownership_(ownership), rng_(std::random_device{}()), pool_(pool_threads) {}

ClusterRouter::~ClusterRouter() = default;

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
  if (ownership_->HoldsShard(shard)) return call.run_here(std::move(done));
  if (call.arrived_forwarded) {
    // Never forwarded twice: the first node re-reads ownership and retries.
    moved_.fetch_add(1);
    return done(ShardMovedError(shard, call.execution_arn));
  }
  auto shared = std::make_shared<RoutedCall>(std::move(call));
  pool_.Submit([this, shared, shard, done = std::move(done)]() mutable {
    Attempt(shared, shard, 0, std::move(done));
  });
}

void ClusterRouter::Attempt(std::shared_ptr<RoutedCall> call, int shard, int attempt,
                            std::function<void(absl::Status)> done) {
  absl::StatusOr<std::optional<ShardOwner>> owner = ownership_->OwnerOf(shard, attempt > 0);
  if (!owner.ok()) return done(owner.status());
  // The shard may have come to this node meanwhile.
  if (ownership_->HoldsShard(shard)) return call->run_here(std::move(done));
  // Nobody holds it, or the database still names this node while its own
  // lease clock says it lapsed: ask again once, then give up (retryable).
  if (!owner->has_value() || (*owner)->node_id == ownership_->node_id() ||
      (*owner)->address.empty()) {
    if (attempt == 0) {
      retried_.fetch_add(1);
      return Attempt(std::move(call), shard, 1, std::move(done));
    }
    return done(absl::UnavailableError(
        absl::StrCat("shard ", shard, " of execution ", call->execution_arn,
                     " has no owner right now (nodes joining or leaving); retry")));
  }
  forwarded_.fetch_add(1);
  call->forward((*owner)->address, [this, call, shard, attempt,
                                    done = std::move(done)](absl::Status s) mutable {
    if (IsShardMoved(s) && attempt == 0) {
      retried_.fetch_add(1);
      // Back to the pool: this may be a gRPC callback thread, and the
      // lookup reads the database.
      pool_.Submit([this, call, shard, done = std::move(done)]() mutable {
        Attempt(std::move(call), shard, 1, std::move(done));
      });
      return;
    }
    done(std::move(s));
  });
}

}  // namespace stepwise::server
