// ServerMetrics: what stepwised counts for GET /metrics beyond the engine's
// own Stats: executions started (by state machine) and closed (by state
// machine and status), fed by the StartExecution paths and by
// EngineOptions::on_execution_closed, which also logs one info line per
// close. Render() writes the Prometheus text exposition (format 0.0.4)
// of these counters plus the engine, RocksDB and process figures it is
// given. Thread-safe.
#ifndef SW_SERVER_METRICS_H_
#define SW_SERVER_METRICS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/engine.h"

namespace stepwise::server {

// A histogram as Prometheus wants it: `counts[i]` observations in
// (upper_bounds[i-1], upper_bounds[i]], the last one above every bound.
struct HistogramSnapshot {
  std::vector<double> upper_bounds;
  std::vector<uint64_t> counts;  // upper_bounds.size() + 1
  double sum = 0;
  uint64_t count = 0;
};

// The store's flush/compaction activity and backlog (server/main.cc copies
// RocksStore::Background() into it, so nothing else here knows RocksDB).
struct StoreBackgroundStats {
  uint64_t flushes = 0;
  uint64_t compactions = 0;
  uint64_t compaction_input_bytes = 0;
  uint64_t compaction_output_bytes = 0;
  double compaction_seconds = 0;
  uint64_t running_compactions = 0;
  uint64_t running_flushes = 0;
  uint64_t pending_compaction_bytes = 0;
  uint64_t l0_files = 0;
  uint64_t write_stall_active = 0;  // 1 while writes are delayed or stopped
};

// This node's view of a PostgreSQL cluster (--cluster-shards); server/main.cc
// copies it from ShardLeases and PostgresStore::fence_stats().
struct ClusterMetrics {
  int64_t shards_owned = 0;
  int64_t shards_total = 0;
  // Nodes whose heartbeat is within one lease TTL; negative when the
  // database could not be asked (the line is left out).
  int64_t nodes_live = -1;
  int64_t fenced_by_database = 0;
  int64_t fenced_not_held = 0;
  // Forwarding (server/cluster_router.h): calls sent to the owner of their
  // shard, of them sent again after ownership moved, forwarded calls this
  // node answered "shard moved", and calls marked forwarded it refused
  // (bad or missing cluster signature).
  int64_t forwarded = 0;
  int64_t forward_retries = 0;
  int64_t forward_shard_moved = 0;
  int64_t forward_refused = 0;
  // Task polls on any node (server/cluster_task_poller.h): takes this node
  // sent to other nodes, of them answered with a task, and failed; other
  // nodes' "task queued" notifications heard, and this node's sent
  // (storage/postgres/task_notifications.h). has_task_polls: cluster mode
  // with a cluster secret (left out otherwise).
  bool has_task_polls = false;
  int64_t remote_takes = 0;
  int64_t remote_tasks_handed_out = 0;
  int64_t remote_take_errors = 0;
  int64_t task_notifications_heard = 0;
  int64_t task_notifications_sent = 0;
};

// Figures read at scrape time by the caller.
struct MetricsSnapshot {
  engine::Engine::Stats engine;
  // Bytes of the RocksDB data directory (RocksStore::ApproximateSize);
  // negative when unknown.
  int64_t rocksdb_bytes = -1;
  // RocksDB flush/compaction activity and backlog; left out when
  // has_store_background is false.
  bool has_store_background = false;
  StoreBackgroundStats store_background;
  double uptime_seconds = 0;
  bool ready = false;
  // RocksStore::CommitWriteSeconds / CommitGroupSizes; left out when empty.
  HistogramSnapshot commit_write_seconds;
  HistogramSnapshot commit_group_sizes;
  // The Express execution log writer (server/express_log/); left out when
  // has_express_log is false.
  bool has_express_log = false;
  uint64_t express_log_executions = 0;
  uint64_t express_log_lines = 0;
  uint64_t express_log_dropped = 0;
  uint64_t express_log_write_errors = 0;
  // Cluster mode only; left out when has_cluster is false.
  bool has_cluster = false;
  ClusterMetrics cluster;
};

class ServerMetrics {
 public:
  // Counts a StartExecution that succeeded.
  void ExecutionStarted(absl::string_view state_machine_arn);
  // Counts a closed execution and logs it at info level: ARN, status and
  // duration (stop_date - start_date).
  void ExecutionClosed(const engine::ExecutionDescription& d);

  // Prometheus text: the counters above, `s`, and this process's RSS and
  // CPU seconds (from /proc/self).
  std::string Render(const MetricsSnapshot& s) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> started_;  // guarded by mu_
  std::map<std::pair<std::string, std::string>, uint64_t>
      closed_;  // guarded by mu_
};

// Escapes a Prometheus label value (backslash, double quote, newline).
std::string EscapeLabelValue(absl::string_view v);

}  // namespace stepwise::server

#endif  // SW_SERVER_METRICS_H_
