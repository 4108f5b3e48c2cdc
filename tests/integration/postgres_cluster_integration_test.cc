// Integration test of stepwised in cluster mode (--cluster-shards) on the
// test's own PostgreSQL (storage/testing/postgres_fixture.h): a node
// registers itself with its --advertise-address, takes every shard, serves,
// and leaves its shards and `nodes` row on SIGTERM; a node with another
// shard count is refused. A node stopped with SIGSTOP past its lease while
// another node takes its shards over, then continued, stops running those
// shards by its own clock and keeps serving, while the execution completes
// once with a gapless history (the fence itself:
// storage/postgres/shard_leases_test.cc).
// The cluster view: a node's /metrics (stepwise_cluster_*) and
// Stepwise.DescribeCluster show its shards; a node without --cluster-shards
// has no cluster metrics and says so to DescribeCluster.
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "stepwise/v1/service.grpc.pb.h"
#include "storage/testing/postgres_fixture.h"
#include "tests/integration/cluster_nodes.h"
#include "tests/integration/postgres_database_test.h"
#include "tests/stepwised_process.h"

namespace stepwise {
namespace {

namespace v1 = stepwise::v1;
using namespace std::chrono_literals;
using testproc::Daemon;
// The loopback helpers the cluster tests share (cluster_nodes.h).
using clustertest::Ctx;
using clustertest::FinalStatus;
using clustertest::Http;



std::pair<int, std::string> DescribeCluster(int port) {
  return Http(port, "/", "Stepwise.DescribeCluster", "{}");
}

std::string StartNew(v1::States::Stub* stub, const std::string& def, const std::string& name) {
  v1::CreateStateMachineRequest creq;
  creq.set_name(name);
  creq.set_definition(def);
  creq.set_role_arn("arn:aws:iam::123456789012:role/r");
  v1::CreateStateMachineResponse cresp;
  grpc::Status s = stub->CreateStateMachine(Ctx().get(), creq, &cresp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  v1::StartExecutionRequest req;
  req.set_state_machine_arn(cresp.state_machine_arn());
  req.set_name(name);
  v1::StartExecutionResponse resp;
  s = stub->StartExecution(Ctx().get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.execution_arn();
}


class PostgresClusterIntegrationTest : public pgtest::PostgresDatabaseTest {};

constexpr char kPassDef[] = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";

TEST_F(PostgresClusterIntegrationTest, ANodeRegistersServesAndLeaves) {
  Daemon node(uri_, {"--cluster-shards", "4", "--advertise-address", "10.9.8.7:7700",
                     "--cluster-lease-ttl", "2"});
  ASSERT_TRUE(node.Start()) << node.log();
  EXPECT_NE(node.log().find("holds 4 of 4 shards"), std::string::npos) << node.log();
  EXPECT_EQ(Sql("SELECT address FROM nodes"), "10.9.8.7:7700\n");
  EXPECT_EQ(Sql("SELECT count(DISTINCT owner), count(*), min(range_id) FROM shards "
                "WHERE owner LIKE '10.9.8.7:7700#%'"),
            "1|4|1\n");
  EXPECT_EQ(FinalStatus(node.stub(), StartNew(node.stub(), kPassDef, "p")), "SUCCEEDED");

  // Its /metrics and Stepwise.DescribeCluster show its shards.
  auto [ms, metrics] = Http(node.http_port(), "/metrics");
  EXPECT_EQ(ms, 200);
  EXPECT_NE(metrics.find("\nstepwise_cluster_shards_owned 4\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nstepwise_cluster_shards_total 4\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nstepwise_cluster_nodes_live 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("stepwise_cluster_fenced_commits_total{reason=\"database\"} 0\n"),
            std::string::npos)
      << metrics;
  auto [ds, described] = DescribeCluster(node.http_port());
  EXPECT_EQ(ds, 200) << described;
  EXPECT_NE(described.find(R"("shardCount":4)"), std::string::npos) << described;
  EXPECT_NE(described.find(R"("advertiseAddress":"10.9.8.7:7700")"), std::string::npos)
      << described;
  EXPECT_NE(described.find(R"("live":true,"shards":[0,1,2,3]})"), std::string::npos) << described;
  EXPECT_NE(described.find(R"("unownedShards":[])"), std::string::npos) << described;

  // Another shard count is refused: it is fixed when the cluster is created.
  Daemon other(uri_, {"--cluster-shards", "8"});
  ASSERT_FALSE(other.Start());
  EXPECT_EQ(other.WaitExit(30s), 1);
  EXPECT_NE(other.log().find("created with 4 shards"), std::string::npos) << other.log();

  ASSERT_EQ(node.Stop(), 0) << node.log();
  EXPECT_EQ(Sql("SELECT count(*) FROM nodes"), "0\n");
  EXPECT_EQ(Sql("SELECT count(*) FROM shards WHERE owner IS NULL"), "4\n");
}

TEST_F(PostgresClusterIntegrationTest, ANodeWithoutClusterModeSaysSoAndShowsNoClusterMetrics) {
  Daemon node(uri_);
  ASSERT_TRUE(node.Start()) << node.log();
  auto [status, body] = DescribeCluster(node.http_port());
  EXPECT_EQ(status, 400) << body;
  EXPECT_NE(body.find("ValidationException"), std::string::npos) << body;
  EXPECT_NE(body.find("this node is not in cluster mode (--cluster-shards)"), std::string::npos)
      << body;
  auto [ms, metrics] = Http(node.http_port(), "/metrics");
  EXPECT_EQ(ms, 200);
  EXPECT_EQ(metrics.find("stepwise_cluster_"), std::string::npos) << metrics;
  ASSERT_EQ(node.Stop(), 0) << node.log();
}

TEST_F(PostgresClusterIntegrationTest, APausedNodeStopsRunningTheShardsTakenFromIt) {
  const std::vector<std::string> flags = {"--cluster-shards", "4", "--cluster-lease-ttl", "2"};
  Daemon a(uri_, flags);
  ASSERT_TRUE(a.Start()) << a.log();
  const std::string arn = StartNew(
      a.stub(),
      R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":4,"Next":"P"},)"
      R"("P":{"Type":"Pass","End":true}}})",
      "paused");

  // A is paused past its 2 s lease: its heartbeat and leases go stale.
  ASSERT_EQ(kill(a.pid(), SIGSTOP), 0);
  std::this_thread::sleep_for(3s);
  Daemon b(uri_, flags);
  ASSERT_TRUE(b.Start()) << b.log();
  EXPECT_NE(b.log().find("holds 4 of 4 shards"), std::string::npos) << b.log();
  EXPECT_EQ(Sql("SELECT count(DISTINCT owner), min(range_id) FROM shards"), "1|2\n");

  // A continues: by its own clock its leases lapsed, so its engine no
  // longer runs those shards (its Wait timer fires into nothing) and it
  // keeps serving; it may take some shards back as they rebalance.
  ASSERT_EQ(kill(a.pid(), SIGCONT), 0);
  EXPECT_EQ(a.WaitExit(3s), -1) << a.log();
  EXPECT_NE(a.log().find("no longer running shards"), std::string::npos) << a.log();
  EXPECT_EQ(a.log().find("storage failure"), std::string::npos) << a.log();

  // The execution finished once: one history, ids without gaps.
  EXPECT_EQ(FinalStatus(b.stub(), arn), "SUCCEEDED");
  v1::GetExecutionHistoryRequest hreq;
  hreq.set_execution_arn(arn);
  hreq.set_max_results(1000);
  v1::GetExecutionHistoryResponse h;
  ASSERT_TRUE(b.stub()->GetExecutionHistory(Ctx().get(), hreq, &h).ok());
  int succeeded = 0;
  int wait_exited = 0;
  for (int i = 0; i < h.events_size(); ++i) {
    EXPECT_EQ(h.events(i).id(), i + 1);
    if (h.events(i).type() == "ExecutionSucceeded") ++succeeded;
    if (h.events(i).type() == "WaitStateExited") ++wait_exited;
  }
  EXPECT_EQ(succeeded, 1);
  EXPECT_EQ(wait_exited, 1);
  ASSERT_EQ(b.Stop(), 0) << b.log();
  ASSERT_EQ(a.Stop(), 0) << a.log();
}

}  // namespace
}  // namespace stepwise
