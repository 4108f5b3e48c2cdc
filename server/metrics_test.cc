#include "server/metrics.h"

#include <memory>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace stepwise::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSm[] = "arn:aws:states:us-east-1:123456789012:stateMachine:m";

engine::ExecutionDescription Closed(const std::string& status) {
  engine::ExecutionDescription d;
  d.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e1";
  d.state_machine_arn = kSm;
  d.status = status;
  d.start_date = 1000;
  d.stop_date = 3500;
  return d;
}

TEST(ServerMetricsTest, CountsStartsAndClosesByStateMachineAndStatus) {
  ServerMetrics m;
  m.ExecutionStarted(kSm);
  m.ExecutionStarted(kSm);
  m.ExecutionStarted("arn:other");
  m.ExecutionClosed(Closed("SUCCEEDED"));
  m.ExecutionClosed(Closed("SUCCEEDED"));
  m.ExecutionClosed(Closed("FAILED"));
  std::string text = m.Render(MetricsSnapshot{});
  EXPECT_THAT(
      text,
      HasSubstr(
          std::string("stepwise_executions_started_total{state_machine=\"") +
          kSm + "\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("stepwise_executions_started_total{state_machine="
                              "\"arn:other\"} 1\n"));
  EXPECT_THAT(
      text, HasSubstr(std::string(
                          "stepwise_executions_closed_total{state_machine=\"") +
                      kSm + "\",status=\"SUCCEEDED\"} 2\n"));
  EXPECT_THAT(
      text, HasSubstr(std::string(
                          "stepwise_executions_closed_total{state_machine=\"") +
                      kSm + "\",status=\"FAILED\"} 1\n"));
}

TEST(ServerMetricsTest, RendersEngineStoreAndProcessFiguresAsIntegers) {
  ServerMetrics m;
  MetricsSnapshot s;
  s.engine.commits = 12345678;
  s.engine.timers_armed = 3;
  s.engine.activity_queues.push_back({"arn:aws:states:us-east-1:1:activity:a", 4, 2});
  s.engine.batches = 77;
  s.engine.events = 98765432;
  s.rocksdb_bytes = 4096;
  s.ready = true;
  std::string text = m.Render(s);
  EXPECT_THAT(text, HasSubstr("\nstepwise_transitions_total 98765432\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_commits_total 12345678\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_timers_armed 3\n"));
  EXPECT_THAT(text, HasSubstr(
      "stepwise_activity_tasks_pending{activity=\"arn:aws:states:us-east-1:1:activity:a\"} 4\n"));
  EXPECT_THAT(text, HasSubstr(
      "stepwise_activity_pollers{activity=\"arn:aws:states:us-east-1:1:activity:a\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_commit_batches_total 77\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_rocksdb_size_bytes 4096\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_ready 1\n"));
  EXPECT_THAT(text, HasSubstr("\nprocess_resident_memory_bytes "));
  EXPECT_THAT(text, Not(HasSubstr("process_resident_memory_bytes 0\n")));
  EXPECT_THAT(text, HasSubstr("\nprocess_cpu_seconds_total "));
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
  EXPECT_THAT(text, Not(HasSubstr("e+")));
  EXPECT_THAT(text, Not(HasSubstr("stepwise_rocksdb_compactions_total")));
  s.has_store_background = true;
  s.store_background.compactions = 7;
  s.store_background.compaction_output_bytes = 1048576;
  s.store_background.pending_compaction_bytes = 65536;
  s.store_background.write_stall_active = 1;
  text = m.Render(s);
  EXPECT_THAT(text, HasSubstr("# TYPE stepwise_rocksdb_compactions_total counter\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_rocksdb_compactions_total 7\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_rocksdb_compaction_written_bytes_total 1048576\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_rocksdb_pending_compaction_bytes 65536\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_rocksdb_write_stall 1\n"));
  s.rocksdb_bytes = -1;
  EXPECT_THAT(m.Render(s), Not(HasSubstr("stepwise_rocksdb_size_bytes")));
}

TEST(ServerMetricsTest, ReportsFunctionQueuesApartFromActivities) {
  ServerMetrics m;
  MetricsSnapshot s;
  s.engine.activity_queues.push_back({"arn:aws:states:us-east-1:1:activity:a", 1, 0});
  s.engine.function_queues.push_back({"ValidateOrder", 3, 0});
  s.engine.function_queues.push_back({"Ship\"it", 0, 2});
  std::string text = m.Render(s);
  EXPECT_THAT(text, HasSubstr("# TYPE stepwise_function_tasks_pending gauge\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_function_tasks_pending{function=\"ValidateOrder\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_function_pollers{function=\"ValidateOrder\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_function_pollers{function=\"Ship\\\"it\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(
      "stepwise_activity_tasks_pending{activity=\"arn:aws:states:us-east-1:1:activity:a\"} 1\n"));
  // A function never shows up as an activity.
  EXPECT_THAT(text, Not(HasSubstr("activity=\"function:")));
  EXPECT_THAT(text, Not(HasSubstr("activity=\"ValidateOrder")));
  s.engine.function_queues.clear();
  EXPECT_THAT(m.Render(s), Not(HasSubstr("stepwise_function_")));
}

TEST(ServerMetricsTest, ReportsTheExpressLogWriter) {
  ServerMetrics m;
  MetricsSnapshot s;
  EXPECT_THAT(m.Render(s), Not(HasSubstr("stepwise_express_log_")));
  s.has_express_log = true;
  s.express_log_executions = 7;
  s.express_log_lines = 21;
  s.express_log_dropped = 2;
  std::string text = m.Render(s);
  EXPECT_THAT(text, HasSubstr("# TYPE stepwise_express_log_dropped_total counter\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_express_log_dropped_total 2\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_express_log_lines_total 21\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_express_log_executions_total 7\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_express_log_write_errors_total 0\n"));
}

TEST(ServerMetricsTest, ReportsClusterShardsNodesAndFencedCommitsOnlyInClusterMode) {
  ServerMetrics m;
  MetricsSnapshot s;
  EXPECT_THAT(m.Render(s), Not(HasSubstr("stepwise_cluster_")));
  s.has_cluster = true;
  s.cluster = ClusterMetrics{3, 8, 2, 4, 1};
  std::string text = m.Render(s);
  EXPECT_THAT(text, HasSubstr("# TYPE stepwise_cluster_shards_owned gauge\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_cluster_shards_owned 3\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_cluster_shards_total 8\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_cluster_nodes_live 2\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE stepwise_cluster_fenced_commits_total counter\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_cluster_fenced_commits_total{reason=\"database\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("\nstepwise_cluster_fenced_commits_total{reason=\"not_held\"} 1\n"));
  // The database could not be asked: no live-node line rather than a wrong one.
  s.cluster.nodes_live = -1;
  EXPECT_THAT(m.Render(s), Not(HasSubstr("stepwise_cluster_nodes_live")));
}

TEST(ServerMetricsTest, RendersHistogramsWithCumulativeBuckets) {
  ServerMetrics m;
  MetricsSnapshot s;
  s.commit_write_seconds = {{0.001, 0.01}, {3, 1, 2}, 0.5, 6};
  std::string text = m.Render(s);
  EXPECT_THAT(text, HasSubstr("# TYPE stepwise_commit_write_seconds histogram\n"
                              "stepwise_commit_write_seconds_bucket{le=\"0.001000\"} 3\n"
                              "stepwise_commit_write_seconds_bucket{le=\"0.010000\"} 4\n"
                              "stepwise_commit_write_seconds_bucket{le=\"+Inf\"} 6\n"
                              "stepwise_commit_write_seconds_sum 0.500000\n"
                              "stepwise_commit_write_seconds_count 6\n"));
  // An empty snapshot (no store) is left out.
  EXPECT_THAT(text, Not(HasSubstr("stepwise_commit_group_size")));
}

TEST(ServerMetricsTest, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(ServerMetricsTest, LogsOneInfoLinePerCloseWithArnStatusAndDuration) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  spdlog::set_pattern("%l %v");
  ServerMetrics m;
  m.ExecutionClosed(Closed("TIMED_OUT"));
  spdlog::set_default_logger(previous);
  EXPECT_EQ(out.str(),
            "info execution closed: "
            "arn:aws:states:us-east-1:123456789012:execution:m:e1 "
            "status=TIMED_OUT duration_ms=2500\n");
}

}  // namespace
}  // namespace stepwise::server
