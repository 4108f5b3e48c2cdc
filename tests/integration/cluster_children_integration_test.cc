// Integration test of executions the engine starts on other nodes' shards
// (engine/remote_children.h, server/cluster_execution_calls.h): two real
// stepwised nodes on the test's own PostgreSQL, 4 shards, one cluster
// secret. A parent on node A whose child execution hashes to a shard node
// B holds: the child runs on B, the parent's .sync:2 Task ends with the
// child's output (its close learnt from the store), a request-response
// Task ends with the child's ARN, and stopping the parent stops its .sync
// child on B. A Distributed Map with STANDARD children spread over both
// nodes' shards succeeds with every item's result.
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "stepwise/v1/service.grpc.pb.h"
#include "storage/postgres/shard_hash.h"
#include "tests/integration/cluster_nodes.h"
#include "tests/stepwised_process.h"

namespace stepwise {
namespace {

namespace v1 = stepwise::v1;
using namespace std::chrono_literals;
using testproc::Daemon;
using namespace clustertest;  // NOLINT: the cluster tests' helpers

constexpr char kArnPrefix[] = "arn:aws:states:us-east-1:123456789012:";

class ClusterChildrenIntegrationTest : public clustertest::ClusterNodesTest {
 protected:
  // Nodes A and B on the test's database, each holding half the shards.
  void StartTwoNodes() {
    const int port_a = FreePort(), port_b = FreePort();
    addr_a_ = "127.0.0.1:" + std::to_string(port_a);
    addr_b_ = "127.0.0.1:" + std::to_string(port_b);
    a_ = std::make_unique<Daemon>(uri_, NodeFlags(port_a));
    ASSERT_TRUE(a_->Start()) << a_->log();
    b_ = std::make_unique<Daemon>(uri_, NodeFlags(port_b));
    ASSERT_TRUE(b_->Start()) << b_->log();
    owners_ = WaitBalanced();
    ASSERT_EQ(owners_.size(), static_cast<size_t>(kShards)) << Sql("SELECT * FROM shards");
  }

  std::string CreateMachine(Daemon& node, const std::string& name, const std::string& definition) {
    v1::CreateStateMachineRequest req;
    req.set_name(name);
    req.set_definition(definition);
    req.set_role_arn("arn:aws:iam::123456789012:role/r");
    v1::CreateStateMachineResponse resp;
    grpc::Status s = node.stub()->CreateStateMachine(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.state_machine_arn();
  }

  std::string Start(Daemon& node, const std::string& machine_arn, const std::string& name,
                    const std::string& input) {
    v1::StartExecutionRequest req;
    req.set_state_machine_arn(machine_arn);
    req.set_name(name);
    req.set_input(input);
    v1::StartExecutionResponse resp;
    grpc::Status s = node.stub()->StartExecution(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.execution_arn();
  }

  v1::DescribeExecutionResponse Describe(Daemon& node, const std::string& arn) {
    v1::DescribeExecutionRequest req;
    req.set_execution_arn(arn);
    v1::DescribeExecutionResponse resp;
    grpc::Status s = node.stub()->DescribeExecution(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  std::unique_ptr<Daemon> a_, b_;
  std::string addr_a_, addr_b_;
  std::map<int, std::string> owners_;  // shard -> its holder's address
};

TEST_F(ClusterChildrenIntegrationTest, ChildOnTheOtherNodesShardRunsThereAndReportsBack) {
  ASSERT_NO_FATAL_FAILURE(StartTwoNodes());
  Daemon& a = *a_;
  Daemon& b = *b_;

  const std::string child = CreateMachine(
      a, "child",
      R"({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.wait","Next":"P"},)"
      R"("P":{"Type":"Pass","Parameters":{"got.$":"$.n"},"End":true}}})");
  const std::string parent = CreateMachine(
      a, "parent",
      R"({"StartAt":"T","States":{"T":{"Type":"Task",)"
      R"("Resource":"arn:aws:states:::states:startExecution.sync:2",)"
      R"("Parameters":{"StateMachineArn":")" + child +
          R"(","Name.$":"$.child","Input":{"n.$":"$.n","wait.$":"$.wait"}},)"
          R"("OutputPath":"$.Output","End":true}}})");
  const std::string fire = CreateMachine(
      a, "fire",
      R"({"StartAt":"T","States":{"T":{"Type":"Task",)"
      R"("Resource":"arn:aws:states:::states:startExecution",)"
      R"("Parameters":{"StateMachineArn":")" + child +
          R"(","Name.$":"$.child","Input":{"n":1,"wait":0}},"End":true}}})");

  // .sync:2: the parent on A, its child on B.
  const std::string parent_name = NameOwnedBy(owners_, addr_a_, "p-", "parent");
  const std::string child_name = NameOwnedBy(owners_, addr_b_, "c-", "child");
  ASSERT_FALSE(parent_name.empty());
  ASSERT_FALSE(child_name.empty());
  const std::string parent_arn =
      Start(a, parent, parent_name,
            R"({"n":7,"wait":0,"child":")" + child_name + R"("})");
  EXPECT_EQ(FinalStatus(a.stub(), parent_arn), "SUCCEEDED") << a.log() << b.log();
  EXPECT_EQ(Describe(a, parent_arn).output(), R"({"got":7})");
  const std::string child_arn = std::string(kArnPrefix) + "execution:child:" + child_name;
  EXPECT_EQ(Describe(b, child_arn).status(), "SUCCEEDED");

  // Request-response: the Task ends with the child's ARN as soon as B
  // started it.
  const std::string fire_name = NameOwnedBy(owners_, addr_a_, "f-", "fire");
  const std::string fired_child = NameOwnedBy(owners_, addr_b_, "fc-", "child");
  const std::string fire_arn =
      Start(a, fire, fire_name, R"({"child":")" + fired_child + R"("})");
  EXPECT_EQ(FinalStatus(a.stub(), fire_arn), "SUCCEEDED") << a.log();
  EXPECT_NE(Describe(a, fire_arn).output().find(std::string(kArnPrefix) + "execution:child:" +
                                                fired_child),
            std::string::npos)
      << Describe(a, fire_arn).output();

  // Stopping the parent stops its .sync child on B.
  const std::string stopped_name = NameOwnedBy(owners_, addr_a_, "ps-", "parent");
  const std::string waiting_child = NameOwnedBy(owners_, addr_b_, "cw-", "child");
  const std::string stopped_arn =
      Start(a, parent, stopped_name,
            R"({"n":1,"wait":300,"child":")" + waiting_child + R"("})");
  const std::string waiting_arn = std::string(kArnPrefix) + "execution:child:" + waiting_child;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (Status(b.stub(), waiting_arn) != "RUNNING" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(Status(b.stub(), waiting_arn), "RUNNING") << a.log();
  v1::StopExecutionRequest stop;
  stop.set_execution_arn(stopped_arn);
  v1::StopExecutionResponse stopped;
  ASSERT_TRUE(a.stub()->StopExecution(Ctx().get(), stop, &stopped).ok());
  EXPECT_EQ(FinalStatus(b.stub(), waiting_arn), "ABORTED") << a.log() << b.log();

  auto [code, metrics] = Http(a.http_port(), "/metrics");
  EXPECT_GE(MetricValue(metrics, "stepwise_cluster_remote_child_calls_total"), 3) << metrics;
  EXPECT_GE(MetricValue(metrics, "stepwise_cluster_remote_child_closes_total"), 1) << metrics;
}

TEST_F(ClusterChildrenIntegrationTest, DistributedMapChildrenRunOnEveryNode) {
  ASSERT_NO_FATAL_FAILURE(StartTwoNodes());
  Daemon& a = *a_;
  Daemon& b = *b_;

  const std::string machine = CreateMachine(
      b, "dmap",
      R"({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":5,)"
      R"("ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},)"
      R"J("StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"twice.$":"States.MathAdd($.i,$.i)"},"End":true}}},)J"
      R"("End":true}}})");
  std::string items;
  constexpr int kItems = 24;
  for (int i = 0; i < kItems; ++i) {
    items += std::string(i ? "," : "") + R"({"i":)" + std::to_string(i) + "}";
  }
  const std::string name = NameOwnedBy(owners_, addr_a_, "m-", "dmap");
  const std::string arn = Start(a, machine, name, "[" + items + "]");
  EXPECT_EQ(FinalStatus(a.stub(), arn), "SUCCEEDED") << a.log() << b.log();
  const std::string output = Describe(b, arn).output();
  for (int i = 0; i < kItems; ++i) {
    EXPECT_NE(output.find(R"({"twice":)" + std::to_string(2 * i) + "}"), std::string::npos)
        << i << ": " << output;
  }

  // The children really ran on both nodes' shards.
  v1::ListMapRunsRequest lreq;
  lreq.set_execution_arn(arn);
  v1::ListMapRunsResponse lresp;
  ASSERT_TRUE(b.stub()->ListMapRuns(Ctx().get(), lreq, &lresp).ok());
  ASSERT_EQ(lresp.map_runs_size(), 1);
  v1::ListExecutionsRequest ereq;
  ereq.set_map_run_arn(lresp.map_runs(0).map_run_arn());
  ereq.set_max_results(100);
  v1::ListExecutionsResponse eresp;
  ASSERT_TRUE(b.stub()->ListExecutions(Ctx().get(), ereq, &eresp).ok());
  ASSERT_EQ(eresp.executions_size(), kItems);
  std::set<std::string> nodes;
  for (const auto& e : eresp.executions()) {
    EXPECT_EQ(e.status(), "SUCCEEDED") << e.execution_arn();
    nodes.insert(owners_.at(storage::ShardOfExecution(e.execution_arn(), kShards)));
  }
  EXPECT_EQ(nodes.size(), 2u) << "every child hashed to one node's shards";
}

// A batch STOP started on one node stops the executions of every node's
// shards (the engine's calls on other nodes' executions).
TEST_F(ClusterChildrenIntegrationTest, BatchStopReachesEveryNodesExecutions) {
  ASSERT_NO_FATAL_FAILURE(StartTwoNodes());
  Daemon& a = *a_;
  Daemon& b = *b_;

  const std::string machine = CreateMachine(
      a, "parked", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":300,"End":true}}})");
  std::vector<std::string> arns;
  for (const std::string& node : {addr_a_, addr_b_, addr_a_, addr_b_}) {
    const std::string name = NameOwnedBy(owners_, node, "x" + std::to_string(arns.size()) + "-",
                                         "parked");
    arns.push_back(Start(a, machine, name, "{}"));
  }
  v1::StartBatchOperationRequest req;
  req.set_operation("STOP");
  req.set_state_machine_arn(machine);
  req.set_cause("batch through a");
  v1::StartBatchOperationResponse resp;
  grpc::Status s = a.stub()->StartBatchOperation(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  for (const std::string& arn : arns) {
    EXPECT_EQ(FinalStatus(b.stub(), arn), "ABORTED") << arn << "\n" << a.log();
  }
  v1::DescribeBatchOperationRequest dreq;
  dreq.set_batch_operation_id(resp.batch_operation_id());
  v1::BatchOperation op;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  do {
    ASSERT_TRUE(a.stub()->DescribeBatchOperation(Ctx().get(), dreq, &op).ok());
    if (op.status() != "RUNNING") break;
    std::this_thread::sleep_for(50ms);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(op.status(), "SUCCEEDED");
  EXPECT_EQ(op.succeeded_count(), 4);
  EXPECT_EQ(op.failed_count(), 0) << (op.failures_size() ? op.failures(0).cause() : "");
}

}  // namespace
}  // namespace stepwise
