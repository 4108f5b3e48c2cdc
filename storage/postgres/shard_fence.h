// ShardFence: what PostgresStore asks, in cluster mode, before every group
// commit: which shards this node holds and at which range_id (fencing
// number). PostgresStore then checks, in the commit's own transaction, that
// each shard the batch touches is still at that range_id in the `shards`
// table (`SELECT ... FOR SHARE`), and rejects the whole transaction when not
// (docs/postgres.md, "Shards and fencing"). ShardLeases
// (storage/postgres/shard_leases.h) is the real one; tests may fake it.
// Threads: implementations must be callable from any thread.
#ifndef SW_STORAGE_POSTGRES_SHARD_FENCE_H_
#define SW_STORAGE_POSTGRES_SHARD_FENCE_H_

#include <cstdint>
#include <optional>

namespace stepwise::storage {

class ShardFence {
 public:
  virtual ~ShardFence() = default;
  // The cluster's fixed number of shards (ShardOfExecution's modulus).
  virtual int shard_count() const = 0;
  // The range_id this node holds `shard` at, or nullopt when it does not
  // hold it: never acquired, released, taken over, or its node-local
  // (monotonic) lease deadline has passed.
  virtual std::optional<int64_t> HeldRangeId(int shard) const = 0;
};

}  // namespace stepwise::storage

#endif  // SW_STORAGE_POSTGRES_SHARD_FENCE_H_
