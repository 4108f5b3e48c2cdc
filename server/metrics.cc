#include "server/metrics.h"

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/logging.h"

namespace stepwise::server {
namespace {

int64_t RssBytes() {
  std::ifstream in("/proc/self/statm");
  long pages_total = 0, pages_rss = 0;
  if (!(in >> pages_total >> pages_rss)) return 0;
  return static_cast<int64_t>(pages_rss) * sysconf(_SC_PAGESIZE);
}

// utime + stime of this process, in seconds; 0 when /proc is unreadable.
double CpuSeconds() {
  std::ifstream in("/proc/self/stat");
  std::string line((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; fields restart after ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  // After ')': state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return 0;
  return static_cast<double>(utime + stime) / static_cast<double>(ticks);
}

void Header(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type,
                  "\n");
}

// Integers print exactly (StrAppend's double form keeps six digits).
std::string Num(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v))) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrFormat("%.6f", v);
}

// Prometheus histogram: cumulative `le` buckets, then _sum and _count.
void AppendHistogram(std::string* out, absl::string_view name, absl::string_view help,
                     const HistogramSnapshot& h) {
  if (h.counts.size() != h.upper_bounds.size() + 1) return;
  Header(out, name, "histogram", help);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.upper_bounds.size(); ++i) {
    cumulative += h.counts[i];
    absl::StrAppend(out, name, "_bucket{le=\"", Num(h.upper_bounds[i]), "\"} ", cumulative,
                    "\n");
  }
  cumulative += h.counts.back();
  absl::StrAppend(out, name, "_bucket{le=\"+Inf\"} ", cumulative, "\n");
  absl::StrAppend(out, name, "_sum ", Num(h.sum), "\n");
  absl::StrAppend(out, name, "_count ", h.count, "\n");
}

}  // namespace

std::string EscapeLabelValue(absl::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void ServerMetrics::ExecutionStarted(absl::string_view state_machine_arn) {
  std::lock_guard<std::mutex> l(mu_);
  ++started_[std::string(state_machine_arn)];
}

void ServerMetrics::ExecutionClosed(const engine::ExecutionDescription& d) {
  {
    std::lock_guard<std::mutex> l(mu_);
    ++closed_[{d.state_machine_arn, d.status}];
  }
  int64_t duration_ms =
      d.stop_date >= d.start_date ? d.stop_date - d.start_date : 0;
  spdlog::info("execution closed: {} status={} duration_ms={}", d.execution_arn,
               d.status, duration_ms);
}

std::string ServerMetrics::Render(const MetricsSnapshot& s) const {
  std::string out;
  {
    std::lock_guard<std::mutex> l(mu_);
    Header(&out, "stepwise_executions_started_total", "counter",
           "Executions started, by state machine.");
    for (const auto& [sm, n] : started_) {
      absl::StrAppend(&out,
                      "stepwise_executions_started_total{state_machine=\"",
                      EscapeLabelValue(sm), "\"} ", n, "\n");
    }
    Header(&out, "stepwise_executions_closed_total", "counter",
           "Executions closed, by state machine and status.");
    for (const auto& [key, n] : closed_) {
      absl::StrAppend(&out, "stepwise_executions_closed_total{state_machine=\"",
                      EscapeLabelValue(key.first), "\",status=\"",
                      EscapeLabelValue(key.second), "\"} ", n, "\n");
    }
  }
  auto sample = [&out](absl::string_view name, absl::string_view type,
                       absl::string_view help, double v) {
    Header(&out, name, type, help);
    absl::StrAppend(&out, name, " ", Num(v), "\n");
  };
  sample("stepwise_transitions_total", "counter",
         "History events written (each state transition writes one or more).",
         static_cast<double>(s.engine.events));
  // Kept from the first /metrics for existing dashboards; equals
  // stepwise_transitions_total.
  sample("stepwise_history_events_total", "counter", "History events written.",
         static_cast<double>(s.engine.events));
  sample("stepwise_commits_total", "counter", "Execution steps committed.",
         static_cast<double>(s.engine.commits));
  sample("stepwise_commit_batches_total", "counter",
         "Synced write batches (group commits).",
         static_cast<double>(s.engine.batches));
  AppendHistogram(&out, "stepwise_commit_write_seconds",
                  "Duration of each group-commit write to RocksDB (WAL append + fsync).",
                  s.commit_write_seconds);
  AppendHistogram(&out, "stepwise_commit_group_size",
                  "Transitions per group-commit write.", s.commit_group_sizes);
  sample("stepwise_timers_armed", "gauge", "Durable timers waiting to fire.",
         static_cast<double>(s.engine.timers_armed));
  sample("stepwise_batch_operations_running", "gauge", "Batch operations RUNNING now.",
         static_cast<double>(s.engine.batch_operations_running));
  sample("stepwise_timer_lag_seconds", "gauge",
         "How late the most recent timer fired, in seconds.",
         static_cast<double>(s.engine.timer_lag_ms) / 1000.0);
  if (!s.engine.activity_queues.empty()) {
    Header(&out, "stepwise_activity_tasks_pending", "gauge",
           "Activity tasks waiting for a worker, by activity.");
    for (const auto& q : s.engine.activity_queues) {
      absl::StrAppend(&out, "stepwise_activity_tasks_pending{activity=\"",
                      EscapeLabelValue(q.activity_arn), "\"} ", q.pending, "\n");
    }
    Header(&out, "stepwise_activity_pollers", "gauge",
           "GetActivityTask calls waiting, by activity.");
    for (const auto& q : s.engine.activity_queues) {
      absl::StrAppend(&out, "stepwise_activity_pollers{activity=\"",
                      EscapeLabelValue(q.activity_arn), "\"} ", q.pollers, "\n");
    }
  }
  if (!s.engine.function_queues.empty()) {
    Header(&out, "stepwise_function_tasks_pending", "gauge",
           "Lambda tasks waiting for a worker of their function queue, by function.");
    for (const auto& q : s.engine.function_queues) {
      absl::StrAppend(&out, "stepwise_function_tasks_pending{function=\"",
                      EscapeLabelValue(q.function_name), "\"} ", q.pending, "\n");
    }
    Header(&out, "stepwise_function_pollers", "gauge",
           "GetFunctionTask calls waiting, by function.");
    for (const auto& q : s.engine.function_queues) {
      absl::StrAppend(&out, "stepwise_function_pollers{function=\"",
                      EscapeLabelValue(q.function_name), "\"} ", q.pollers, "\n");
    }
  }
  if (s.has_express_log) {
    sample("stepwise_express_log_executions_total", "counter",
           "Closed Express executions the log writer handled.",
           static_cast<double>(s.express_log_executions));
    sample("stepwise_express_log_lines_total", "counter",
           "Express execution log lines written (per destination set).",
           static_cast<double>(s.express_log_lines));
    sample("stepwise_express_log_dropped_total", "counter",
           "Closed Express executions not logged: the writer's queue was full.",
           static_cast<double>(s.express_log_dropped));
    sample("stepwise_express_log_write_errors_total", "counter",
           "Express executions whose log file append failed.",
           static_cast<double>(s.express_log_write_errors));
  }
  if (s.has_cluster) {
    const ClusterMetrics& c = s.cluster;
    sample("stepwise_cluster_shards_owned", "gauge", "Shards this node holds a lease on now.",
           static_cast<double>(c.shards_owned));
    sample("stepwise_cluster_shards_total", "gauge", "Shards of the cluster (--cluster-shards).",
           static_cast<double>(c.shards_total));
    if (c.nodes_live >= 0) {
      sample("stepwise_cluster_nodes_live", "gauge",
             "Nodes whose heartbeat is within one lease TTL (database clock).",
             static_cast<double>(c.nodes_live));
    }
    Header(&out, "stepwise_cluster_fenced_commits_total", "counter",
           "Group commits the shard fence rejected: the database saw another range_id, "
           "or this node no longer held the shard.");
    absl::StrAppend(&out, "stepwise_cluster_fenced_commits_total{reason=\"database\"} ",
                    c.fenced_by_database, "\n");
    absl::StrAppend(&out, "stepwise_cluster_fenced_commits_total{reason=\"not_held\"} ",
                    c.fenced_not_held, "\n");
    sample("stepwise_cluster_forwarded_calls_total", "counter",
           "Calls this node forwarded to the owner of their execution's shard.",
           static_cast<double>(c.forwarded));
    sample("stepwise_cluster_forward_retries_total", "counter",
           "Calls tried again because their shard had nobody running it (ownership moving).",
           static_cast<double>(c.forward_retries));
    sample("stepwise_cluster_forward_shard_moved_total", "counter",
           "Forwarded calls this node answered 'shard moved' (it no longer held the shard).",
           static_cast<double>(c.forward_shard_moved));
    sample("stepwise_cluster_forward_refused_total", "counter",
           "Calls marked forwarded that this node refused (wrong or missing cluster signature).",
           static_cast<double>(c.forward_refused));
    sample("stepwise_cluster_remote_child_calls_total", "counter",
           "Child executions and Map Run children started, stopped or redriven on the node "
           "holding their shard.",
           static_cast<double>(s.engine.remote_child_calls));
    sample("stepwise_cluster_remote_child_retries_total", "counter",
           "Of those calls, attempts made again (no reachable owner yet, or the shard moved).",
           static_cast<double>(s.engine.remote_child_retries));
    sample("stepwise_cluster_remote_child_closes_total", "counter",
           "Closes of children running on other nodes, read from the database.",
           static_cast<double>(s.engine.remote_child_closes));
    if (c.has_task_polls) {
      Header(&out, "stepwise_cluster_task_takes_total", "counter",
             "Task polls of this node asking another node for a task, by outcome.");
      absl::StrAppend(&out, "stepwise_cluster_task_takes_total{outcome=\"task\"} ",
                      c.remote_tasks_handed_out, "\n");
      absl::StrAppend(&out, "stepwise_cluster_task_takes_total{outcome=\"none\"} ",
                      c.remote_takes - c.remote_tasks_handed_out - c.remote_take_errors, "\n");
      absl::StrAppend(&out, "stepwise_cluster_task_takes_total{outcome=\"error\"} ",
                      c.remote_take_errors, "\n");
      Header(&out, "stepwise_cluster_task_notifications_total", "counter",
             "'Task queued' notifications (PostgreSQL NOTIFY) this node sent, and heard "
             "from other nodes.");
      absl::StrAppend(&out, "stepwise_cluster_task_notifications_total{direction=\"sent\"} ",
                      c.task_notifications_sent, "\n");
      absl::StrAppend(&out, "stepwise_cluster_task_notifications_total{direction=\"heard\"} ",
                      c.task_notifications_heard, "\n");
    }
  }
  if (s.rocksdb_bytes >= 0) {
    sample("stepwise_rocksdb_size_bytes", "gauge",
           "Live SST and WAL bytes of the data directory.",
           static_cast<double>(s.rocksdb_bytes));
  }
  if (s.has_store_background) {
    const StoreBackgroundStats& b = s.store_background;
    sample("stepwise_rocksdb_flushes_total", "counter", "Memtable flushes completed.",
           static_cast<double>(b.flushes));
    sample("stepwise_rocksdb_compactions_total", "counter", "Compactions completed.",
           static_cast<double>(b.compactions));
    sample("stepwise_rocksdb_compaction_read_bytes_total", "counter",
           "Bytes read by completed compactions.",
           static_cast<double>(b.compaction_input_bytes));
    sample("stepwise_rocksdb_compaction_written_bytes_total", "counter",
           "Bytes written by completed compactions.",
           static_cast<double>(b.compaction_output_bytes));
    sample("stepwise_rocksdb_compaction_seconds_total", "counter",
           "Time spent in completed compactions.", b.compaction_seconds);
    sample("stepwise_rocksdb_running_compactions", "gauge", "Compactions running now.",
           static_cast<double>(b.running_compactions));
    sample("stepwise_rocksdb_running_flushes", "gauge", "Flushes running now.",
           static_cast<double>(b.running_flushes));
    sample("stepwise_rocksdb_pending_compaction_bytes", "gauge",
           "Estimated bytes compaction still has to rewrite.",
           static_cast<double>(b.pending_compaction_bytes));
    sample("stepwise_rocksdb_l0_files", "gauge", "SST files in level 0, all tables.",
           static_cast<double>(b.l0_files));
    sample("stepwise_rocksdb_write_stall", "gauge",
           "1 while RocksDB delays or stops writes (compaction is behind).",
           static_cast<double>(b.write_stall_active));
  }
  sample("stepwise_ready", "gauge", "1 when the engine is open and serving.",
         s.ready ? 1 : 0);
  sample("stepwise_uptime_seconds", "gauge", "Seconds since stepwised started.",
         s.uptime_seconds);
  sample("process_resident_memory_bytes", "gauge",
         "Resident set size in bytes.", static_cast<double>(RssBytes()));
  sample("process_cpu_seconds_total", "counter",
         "User and system CPU time, in seconds.", CpuSeconds());
  return out;
}

}  // namespace stepwise::server
