// ShardOwners: the ShardOwnership a ClusterRouter (server/cluster_router.h)
// asks in a real cluster, over this node's storage::ShardLeases: "do I hold
// shard s" from the leases' own map (no database call), "who holds s" from
// ShardLeases::DescribeCluster, cached for kMaxAge and re-read on demand.
//
// Threads: HoldsShard from any thread (never blocks); OwnerOf may read the
// database and is called on the router's pool. The cache is guarded by a
// mutex; the database read happens outside it.
#ifndef SW_SERVER_SHARD_OWNERS_H_
#define SW_SERVER_SHARD_OWNERS_H_

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "server/cluster_router.h"
#include "storage/postgres/shard_leases.h"

namespace stepwise::server {

class ShardOwners final : public ShardOwnership {
 public:
  // How long a DescribeCluster answer is reused for owner lookups.
  static constexpr std::chrono::milliseconds kMaxAge{1000};

  // `leases` must outlive this object.
  explicit ShardOwners(storage::ShardLeases* leases) : leases_(leases) {}

  int shard_count() const override { return leases_->shard_count(); }
  const std::string& node_id() const override { return leases_->node_id(); }
  bool HoldsShard(int shard) const override { return leases_->HeldRangeId(shard).has_value(); }
  absl::StatusOr<std::optional<ShardOwner>> OwnerOf(int shard, bool refresh) override;

 private:
  storage::ShardLeases* const leases_;
  std::mutex mu_;
  std::map<int, ShardOwner> owners_;                 // guarded by mu_
  std::chrono::steady_clock::time_point read_at_{};  // guarded by mu_; epoch = never
};

}  // namespace stepwise::server

#endif  // SW_SERVER_SHARD_OWNERS_H_
