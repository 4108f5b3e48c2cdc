// ShardLeases: one node's leases on the cluster's shards in PostgreSQL, its
// `nodes` row, and the rebalancing of shards between live nodes
// (../shared/DESIGN.md "Beyond one machine"; docs/postgres.md "Shards and
// fencing"). It is the ShardFence a PostgresStore in cluster mode checks
// every group commit against.
//
// The `shards` table (created by PostgresStore's schema version 2) holds
// (shard_id, range_id, owner, lease_until). Open gives it its rows the
// first time (the shard count is fixed then) and refuses a node whose
// shard count differs. Acquire takes a shard with one UPDATE ... RETURNING
// judged by the database clock (free, released, or its lease expired), and
// bumps range_id, the fencing number. Renew extends every held lease whose
// range_id and owner are unchanged. Next to the database's lease_until,
// each held shard has a node-local deadline on the monotonic clock (the
// time the acquire/renew statement was SENT plus the TTL, so it always
// ends before the database's): past it, HeldRangeId says "not held" even
// if the database could not be reached, so a node that cannot renew stops
// committing for that shard by itself.
//
// Tick is one round: heartbeat the `nodes` row, renew, then rebalance: a
// node keeps at most ceil(shards / live nodes) shards (live: heartbeat
// within one TTL), releasing extras when others join and taking free or
// expired shards up to that number. Start runs Tick every TTL/3, or every
// second when that is sooner, on a background thread (so a dead node's
// shards are taken within about TTL + 1 s).
//
// Threads: every method may be called from any thread. Database calls are
// serialised on the one connection this object owns (a mutex);
// HeldRangeId/OwnedShards only read the held map (another mutex) and never
// wait for the database.
#ifndef SW_STORAGE_POSTGRES_SHARD_LEASES_H_
#define SW_STORAGE_POSTGRES_SHARD_LEASES_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/postgres/shard_fence.h"

namespace stepwise::storage {

// The cluster as the database sees it now (ShardLeases::DescribeCluster):
// every registered node and the shards whose lease it holds, and the shards
// nobody holds (free, released or lease expired).
struct ClusterNodeView {
  std::string node_id;
  std::string advertise_address;
  int64_t started_at_ms = 0;      // Unix ms, database clock
  int64_t last_heartbeat_ms = 0;  // Unix ms, database clock
  bool live = false;              // heartbeat within one TTL
  std::vector<int> shards;        // ascending
};
struct ClusterView {
  int shard_count = 0;
  std::vector<ClusterNodeView> nodes;  // by node_id
  std::vector<int> unowned_shards;     // ascending
};

struct ShardLeaseOptions {
  // This node's address for the other nodes (--advertise-address, or the
  // --grpc-listen address), written to its `nodes` row.
  std::string advertise_address;
  // "" = `<advertise_address>#<random hex>`, new for every start.
  std::string node_id;
  // The cluster's shard count (--cluster-shards). Must be the one the
  // `shards` table was created with.
  int shard_count = 32;
  // How long an acquired or renewed lease lasts (database clock).
  absl::Duration ttl = absl::Seconds(10);
};

class ShardLeases final : public ShardFence {
 public:
  // Connects to `conninfo` (the store's), creates the shard rows if the
  // table is empty, checks the shard count, and registers the node
  // (`nodes` row). The store must have been opened first (its schema).
  // kFailedPrecondition when the cluster has another shard count,
  // kUnavailable when the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<ShardLeases>> Open(const std::string& conninfo,
                                                           const ShardLeaseOptions& options);
  ~ShardLeases() override;  // Stop(kRelease) if still running
  ShardLeases(const ShardLeases&) = delete;
  ShardLeases& operator=(const ShardLeases&) = delete;

  // Takes `shard` if it is free, released or its lease expired (or this
  // node already holds it in the database), with range_id + 1. Returns the
  // new range_id; kFailedPrecondition naming the holder when another node
  // holds it. A shard held locally and still valid is returned as is.
  absl::StatusOr<int64_t> Acquire(int shard);
  // Extends every held lease; a shard whose row moved on (another owner or
  // range_id) or whose local deadline passed is dropped. Returns how many
  // are held afterwards.
  absl::StatusOr<int> Renew();
  // Stops holding `shard` (locally first, then in the database).
  absl::Status Release(int shard);
  // Writes the `nodes` row's heartbeat.
  absl::Status Heartbeat();
  // One round: Heartbeat, Renew, rebalance (see the file comment).
  absl::Status Tick();

  // Runs Tick every min(TTL/3, 1 s) on a thread ("sw-shard-leases") until
  // Stop.
  void Start();
  enum class StopMode {
    kRelease,  // release every shard and delete the `nodes` row
    kAbandon,  // just stop renewing (a crash, for tests)
  };
  void Stop(StopMode mode);

  // Shards held now (local deadline not passed), ascending.
  std::vector<int> OwnedShards() const;
  // Nodes whose heartbeat is within one TTL (database clock).
  absl::StatusOr<int> LiveNodes();
  // Every node and who holds which shard, read from the database (two
  // SELECTs on this object's connection). A shard whose unexpired owner has
  // no `nodes` row is listed under a node of that id with live = false.
  absl::StatusOr<ClusterView> DescribeCluster();

  int shard_count() const override { return options_.shard_count; }
  std::optional<int64_t> HeldRangeId(int shard) const override;

  const std::string& node_id() const { return options_.node_id; }
  absl::Duration ttl() const { return options_.ttl; }

 private:
  class Db;
  using Clock = std::chrono::steady_clock;
  struct Held {
    int64_t range_id = 0;
    Clock::time_point deadline;
  };

  ShardLeases(std::unique_ptr<Db> db, ShardLeaseOptions options);
  absl::Status Rebalance();
  // kFailedPrecondition after Stop(kRelease). Called under db_mu_.
  absl::Status CheckOpen() const;
  void Loop();

  std::unique_ptr<Db> db_;  // guarded by db_mu_
  const ShardLeaseOptions options_;
  std::mutex db_mu_;

  mutable std::mutex held_mu_;
  std::map<int, Held> held_;  // guarded by held_mu_

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;  // guarded by loop_mu_
  std::thread loop_;
};

}  // namespace stepwise::storage

#endif  // SW_STORAGE_POSTGRES_SHARD_LEASES_H_
