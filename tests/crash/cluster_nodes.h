// ClusterNodes: the cluster that the cluster mode of daemon_crash
// (`--cluster N`, README.md "Three nodes on PostgreSQL") runs its workload
// on: PostgreSQL 15 from initdb in a directory of the run (in /tmp when the
// run's path is too long for its unix socket; fsync on, TCP on
// 127.0.0.1; storage/testing/postgres_fixture.h, as the PostgreSQL tests
// start it, as an unprivileged user when run as root), one database, one
// cluster secret, and N stepwised nodes on it (`--store postgresql://...
// --cluster-shards S --cluster-secret-file F --cluster-lease-ttl T`, each on
// its own loopback gRPC port, HTTP off), each a HarnessDaemon that can be
// killed and started again. Also the cluster's view of shard ownership
// (DescribeCluster) and the measure of a takeover: how long until every
// shard a killed node held is held by another node (ReownSeconds).
//
// Threads: the harness's main thread starts, kills and restarts nodes and
// PostgreSQL; ReownSeconds may run on a thread of its own meanwhile (it
// only makes calls through the clients it is given).
#ifndef SW_TESTS_CRASH_CLUSTER_NODES_H_
#define SW_TESTS_CRASH_CLUSTER_NODES_H_

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/client.h"
#include "storage/testing/postgres_fixture.h"
#include "tests/crash/harness_daemon.h"

namespace stepwise::crash {

struct ClusterOptions {
  std::string stepwised;  // the server binary
  std::string dir;        // PostgreSQL's directory, the secret and the nodes' logs go here
  int nodes = 3;
  int shards = 32;          // --cluster-shards
  int lease_ttl_s = 10;     // --cluster-lease-ttl
  int max_steps = 100;      // --max-steps-per-commit
};

// A node as DescribeCluster shows it: its id and the shards it holds.
struct NodeShards {
  std::string node_id;
  std::set<int> shards;
};

class ClusterNodes {
 public:
  // Starts PostgreSQL, creates the database and the secret file; starts no
  // node yet.
  static absl::StatusOr<std::unique_ptr<ClusterNodes>> Create(const ClusterOptions& options);
  ~ClusterNodes();  // kills the nodes left running; the fixture stops PostgreSQL

  int size() const { return static_cast<int>(nodes_.size()); }
  int port(int i) const { return nodes_[i]->port(); }
  std::string address(int i) const;  // 127.0.0.1:port, its advertised address
  const std::string& uri() const { return uri_; }
  HarnessDaemon& node(int i) { return *nodes_[i]; }
  storage::testing::PostgresFixture& postgres() { return *pg_; }

  // A node's life: Start spawns it, Connect waits until it listens.
  absl::Status Start(int i) { return nodes_[i]->Start(); }

  // The node advertising `address` that started last, with the shards it
  // holds now (unexpired leases), as `via` reads them (DescribeCluster);
  // an empty id when no such node is registered.
  static absl::StatusOr<NodeShards> HolderOf(client::Client& via, const std::string& address);

  // Polls DescribeCluster (through `via()`, every 50 ms) until each of
  // `shards` is held by a node other than `killed_id`, or `give_up_s` pass
  // or `stop` is set. Seconds from `since_ms` (a steady-clock time in ms)
  // until then, or -1 when it did not happen in time.
  static double ReownSeconds(const std::function<std::shared_ptr<client::Client>()>& via,
                             const std::string& killed_id, const std::set<int>& shards,
                             int64_t since_ms, double give_up_s, const std::atomic<bool>& stop);

 private:
  ClusterNodes() = default;

  ClusterOptions options_;
  std::unique_ptr<storage::testing::PostgresFixture> pg_;
  std::string uri_;
  std::vector<std::unique_ptr<HarnessDaemon>> nodes_;
};

// Milliseconds on the steady clock (the harness's time base).
int64_t SteadyNowMs();

}  // namespace stepwise::crash

#endif  // SW_TESTS_CRASH_CLUSTER_NODES_H_
