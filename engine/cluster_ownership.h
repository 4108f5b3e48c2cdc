// ClusterOwnership: how the engine learns, in cluster mode (several
// stepwised nodes over one PostgreSQL; docs/postgres.md "Shards and
// fencing"), which executions this node runs. Each execution belongs to one
// cluster shard (`shard_of`, the store's ShardOfExecution); the node runs an
// execution's work (its steps, timers, task dispatch and hand-outs) only
// while it holds that shard's lease (`held_range_id`). The engine polls
// `owned_shards` every `poll_interval`: a shard gained is recovered (its
// timers re-armed, its open tasks rebuilt), a shard lost is dropped from
// memory; in between, `held_range_id` stops its work at once when the
// lease lapses. The server builds it over storage::ShardLeases; EngineOptions
// leaves it null for RocksDB and single-node PostgreSQL (every execution is
// this node's).
//
// Also here: the error a call on an execution of another node's shard
// gets (ShardNotOwnedError): kUnavailable, answered to clients as
// ServiceUnavailable (HTTP 503, retried by the AWS SDKs), carrying the
// owner's advertised address for the server layer to forward the call to
// (ShardOwnerOf).
//
// Threads: every function must be callable from any thread, quickly (no
// database call) except `owners`, which the engine calls only from its
// ownership thread.
#ifndef SW_ENGINE_CLUSTER_OWNERSHIP_H_
#define SW_ENGINE_CLUSTER_OWNERSHIP_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace stepwise::engine {

class RemoteExecutions;  // engine/remote_executions.h

struct ClusterOwnership {
  // The cluster's fixed number of shards.
  int shard_count = 0;
  // The cluster shard of an execution ARN, in [0, shard_count).
  std::function<int(std::string_view execution_arn)> shard_of;
  // The range_id (lease generation, > 0) this node holds `shard` at now,
  // by its own clock; nullopt when it does not hold it. A shard lost and
  // taken again comes back at a new range_id: the engine then recovers it
  // again (what it kept of the old generation may be stale).
  std::function<std::optional<int64_t>(int shard)> held_range_id;
  // Every shard this node holds now, with its range_id.
  std::function<std::map<int, int64_t>()> owned_shards;
  // Who holds which shard, as the database says: shard -> the holder's
  // advertised address (shards nobody holds are absent). May read the
  // database; the engine refreshes it about once a second, for errors.
  // Null: owners are not named.
  std::function<absl::StatusOr<std::map<int, std::string>>()> owners;
  // How often the engine compares `owned_shards` with the shards it runs.
  std::chrono::milliseconds poll_interval{200};
  // How the engine starts, stops and redrives executions of shards other
  // nodes hold: a parent's child executions and a Map Run's children
  // (engine/remote_children.h). Null: such calls get ShardNotOwnedError,
  // retried until `remote_retry_for` runs out.
  std::shared_ptr<RemoteExecutions> remote;
  // How often the engine reads, from the store, the children it waits for
  // that run on other nodes, to learn that they closed.
  std::chrono::milliseconds remote_close_poll{500};
  // How long a call on another node's execution is retried while its
  // shard has no reachable owner (a node died: its lease must lapse).
  std::chrono::milliseconds remote_retry_for{60000};
};

// The answer to a call on `execution_arn`, whose cluster shard `shard` this
// node does not own: kUnavailable ("ServiceUnavailable"), retryable,
// naming the owner at `owner_address` ("" when unknown or nobody holds it).
absl::Status ShardNotOwnedError(std::string_view execution_arn, int shard,
                                std::string_view owner_address);
// The owner's address a ShardNotOwnedError carries (possibly ""), or
// nullopt when `s` is no such error.
std::optional<std::string> ShardOwnerOf(const absl::Status& s);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_CLUSTER_OWNERSHIP_H_
