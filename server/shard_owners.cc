// ShardOwners (see shard_owners.h). OwnerOf: the router's pool.
#include "server/shard_owners.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace stepwise::server {

absl::StatusOr<std::optional<ShardOwner>> ShardOwners::OwnerOf(int shard, bool refresh) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!refresh && read_at_.time_since_epoch().count() != 0 && now - read_at_ < kMaxAge) {
      auto it = owners_.find(shard);
      if (it == owners_.end()) return std::optional<ShardOwner>();
      return std::optional<ShardOwner>(it->second);
    }
  }
  absl::StatusOr<storage::ClusterView> view = leases_->DescribeCluster();
  if (!view.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "cannot read who owns shard ", shard, " from the database: ", view.status().message()));
  }
  std::map<int, ShardOwner> owners;
  for (const storage::ClusterNodeView& n : view->nodes) {
    // A shard whose owner has no live `nodes` row has nobody to forward to.
    if (!n.live) continue;
    for (int s : n.shards) owners[s] = ShardOwner{n.node_id, n.advertise_address};
  }
  std::optional<ShardOwner> found;
  if (auto it = owners.find(shard); it != owners.end()) found = it->second;
  std::lock_guard<std::mutex> l(mu_);
  owners_ = std::move(owners);
  read_at_ = now;
  return found;
}

}  // namespace stepwise::server
