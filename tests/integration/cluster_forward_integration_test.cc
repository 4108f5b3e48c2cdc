// Integration test of forwarding between cluster nodes
// (server/cluster_router.h) with two real stepwised processes on the
// test's own PostgreSQL (storage/testing/postgres_fixture.h), 4 shards,
// one cluster secret: calls sent to the node that does not own the
// execution's shard (StartExecution and SendTaskSuccess over gRPC,
// StartExecution, StopExecution, SendTaskHeartbeat, SendTaskFailure and
// RedriveExecution over the AWS JSON API) reach the owner
// and answer as the owner does; a call correctly signed but sent to the
// non-owner is answered "shard moved" (never forwarded twice); a call
// marked forwarded with a forged signature is refused with
// PERMISSION_DENIED / AccessDeniedException and counted in /metrics.
// Starts sent while a second node joins, through the moment its shards
// have nobody running them, all succeed.
//
// Depends on nothing but main's cluster mode (leases, fence): every
// execution here is started through forwarding, so only its owner's
// engine ever loads it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/cluster_auth.h"
#include "server/cluster_router.h"
#include "stepwise/v1/service.grpc.pb.h"
#include "storage/postgres/shard_hash.h"
#include "storage/testing/postgres_fixture.h"
#include "tests/integration/cluster_nodes.h"
#include "tests/stepwised_process.h"

namespace stepwise {
namespace {

namespace v1 = stepwise::v1;
using namespace std::chrono_literals;
using testproc::Daemon;

using namespace clustertest;  // NOLINT: the cluster tests' helpers
constexpr char kMachineArn[] = "arn:aws:states:us-east-1:123456789012:stateMachine:fwd";

class ClusterForwardIntegrationTest : public clustertest::ClusterNodesTest {};

TEST_F(ClusterForwardIntegrationTest, CallsSentToTheNonOwnerReachTheOwnerAndForgeriesAreRefused) {
  const int port_a = FreePort(), port_b = FreePort();
  const std::string addr_a = "127.0.0.1:" + std::to_string(port_a);
  const std::string addr_b = "127.0.0.1:" + std::to_string(port_b);
  Daemon a(uri_, NodeFlags(port_a));
  ASSERT_TRUE(a.Start()) << a.log();
  Daemon b(uri_, NodeFlags(port_b));
  ASSERT_TRUE(b.Start()) << b.log();
  std::map<int, std::string> owners = WaitBalanced();
  ASSERT_EQ(owners.size(), static_cast<size_t>(kShards)) << Sql("SELECT * FROM shards");

  // A machine whose execution waits on an activity (the catalog is not sharded).
  v1::CreateActivityRequest areq;
  areq.set_name("work");
  v1::CreateActivityResponse aresp;
  ASSERT_TRUE(b.stub()->CreateActivity(Ctx().get(), areq, &aresp).ok());
  v1::CreateStateMachineRequest creq;
  creq.set_name("fwd");
  creq.set_definition(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" +
                      aresp.activity_arn() + R"(","End":true}}})");
  creq.set_role_arn("arn:aws:iam::123456789012:role/r");
  v1::CreateStateMachineResponse cresp;
  ASSERT_TRUE(b.stub()->CreateStateMachine(Ctx().get(), creq, &cresp).ok());
  ASSERT_EQ(cresp.state_machine_arn(), kMachineArn);

  // gRPC: StartExecution sent to B for a shard A owns runs on A.
  const std::string on_a = NameOwnedBy(owners, addr_a, "grpc-");
  ASSERT_FALSE(on_a.empty());
  v1::StartExecutionRequest sreq;
  sreq.set_state_machine_arn(kMachineArn);
  sreq.set_name(on_a);
  v1::StartExecutionResponse sresp;
  grpc::Status s = b.stub()->StartExecution(Ctx().get(), sreq, &sresp);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << b.log();
  EXPECT_EQ(sresp.execution_arn(), ExecutionArn(on_a));
  EXPECT_GT(sresp.start_date().seconds(), 0);
  // The owner's answer, unchanged: starting it again is its error.
  v1::StartExecutionResponse again;
  sreq.set_input(R"({"other":"input"})");
  s = b.stub()->StartExecution(Ctx().get(), sreq, &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();

  // A (the owner) hands out the task; its report, sent to B, reaches A.
  v1::GetActivityTaskRequest poll;
  poll.set_activity_arn(aresp.activity_arn());
  v1::GetActivityTaskResponse task;
  ASSERT_TRUE(a.stub()->GetActivityTask(Ctx().get(), poll, &task).ok());
  ASSERT_FALSE(task.task_token().empty()) << a.log();
  v1::SendTaskSuccessRequest done;
  done.set_task_token(task.task_token());
  done.set_output(R"({"via":"b"})");
  v1::SendTaskSuccessResponse done_resp;
  s = b.stub()->SendTaskSuccess(Ctx().get(), done, &done_resp);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << b.log();
  EXPECT_EQ(FinalStatus(b.stub(), ExecutionArn(on_a)), "SUCCEEDED");
  // Reported twice: the owner's TaskTimedOut comes back as it was.
  s = b.stub()->SendTaskSuccess(Ctx().get(), done, &done_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();

  // AWS JSON: StartExecution and StopExecution sent to B run on A.
  const std::string aws_on_a = NameOwnedBy(owners, addr_a, "aws-");
  auto [st, started] = Http(b.http_port(), "/", "AWSStepFunctions.StartExecution",
                            R"({"stateMachineArn":")" + std::string(kMachineArn) +
                                R"(","name":")" + aws_on_a + R"("})");
  ASSERT_EQ(st, 200) << started << "\n" << b.log();
  EXPECT_NE(started.find(R"("executionArn":")" + ExecutionArn(aws_on_a) + "\""),
            std::string::npos)
      << started;
  EXPECT_NE(started.find(R"("startDate":)"), std::string::npos) << started;
  auto [xs, stopped] = Http(b.http_port(), "/", "AWSStepFunctions.StopExecution",
                            R"({"executionArn":")" + ExecutionArn(aws_on_a) +
                                R"(","error":"E","cause":"stopped through b"})");
  ASSERT_EQ(xs, 200) << stopped;
  EXPECT_NE(stopped.find(R"("stopDate":)"), std::string::npos) << stopped;
  EXPECT_EQ(Status(b.stub(), ExecutionArn(aws_on_a)), "ABORTED");
  // An error of the owner keeps its AWS name over the AWS JSON API too.
  const std::string never_started = NameOwnedBy(owners, addr_a, "missing-");
  auto [ns, missing] = Http(b.http_port(), "/", "AWSStepFunctions.StopExecution",
                            R"({"executionArn":")" + ExecutionArn(never_started) + R"("})");
  EXPECT_EQ(ns, 400) << missing;
  EXPECT_NE(missing.find("ExecutionDoesNotExist"), std::string::npos) << missing;

  auto [bm, b_metrics] = Http(b.http_port(), "/metrics");
  EXPECT_EQ(MetricValue(b_metrics, "stepwise_cluster_forwarded_calls_total"), 7) << b_metrics;

  // Another running execution of A's, to aim the next calls at.
  const std::string target = NameOwnedBy(owners, addr_a, "target-");
  sreq.set_name(target);
  sreq.clear_input();
  ASSERT_TRUE(b.stub()->StartExecution(Ctx().get(), sreq, &sresp).ok());
  v1::StopExecutionRequest stop;
  stop.set_execution_arn(ExecutionArn(target));
  v1::StopExecutionResponse stop_resp;

  // Correctly signed but sent to B, which does not own it: never forwarded
  // twice, answered "shard moved" (retryable) for the sender to retry.
  {
    auto ctx = Ctx();
    std::string signature =
        server::ClusterAuth::FromSecret(kSecret)->Sign("127.0.0.1:1#test", std::time(nullptr));
    ctx->AddMetadata(server::kForwardedMetadataKey, signature);
    s = b.stub()->StopExecution(ctx.get(), stop, &stop_resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    EXPECT_NE(s.error_message().find("is not held by this node"), std::string::npos)
        << s.error_message();
    EXPECT_EQ(ctx->GetServerTrailingMetadata().count(server::kShardMovedMetadataKey), 1u);
  }
  // Forged: marked forwarded, signed with another secret, sent to the owner.
  {
    auto ctx = Ctx();
    std::string forged = server::ClusterAuth::FromSecret("not-the-cluster-secret!")
                             ->Sign("127.0.0.1:1#evil", std::time(nullptr));
    ctx->AddMetadata(server::kForwardedMetadataKey, forged);
    s = a.stub()->StopExecution(ctx.get(), stop, &stop_resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    EXPECT_NE(s.error_message().find("cluster secret does not match"), std::string::npos)
        << s.error_message();
  }
  EXPECT_EQ(Status(a.stub(), ExecutionArn(target)), "RUNNING");
  auto [am, a_metrics] = Http(a.http_port(), "/metrics");
  EXPECT_EQ(MetricValue(a_metrics, "stepwise_cluster_forward_refused_total"), 1) << a_metrics;
  EXPECT_EQ(a_metrics.find(kSecret), std::string::npos);
  EXPECT_EQ(a.log().find(kSecret), std::string::npos);
  EXPECT_EQ(b.log().find(kSecret), std::string::npos);

  // Stopped through B over gRPC, really: A stops it.
  s = b.stub()->StopExecution(Ctx().get(), stop, &stop_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Status(a.stub(), ExecutionArn(target)), "ABORTED");

  // AWS JSON: a heartbeat and a failure of A's task, and the redrive of
  // the failed execution, all sent to B, run on A.
  const std::string failing = NameOwnedBy(owners, addr_a, "fail-");
  sreq.set_name(failing);
  ASSERT_TRUE(b.stub()->StartExecution(Ctx().get(), sreq, &sresp).ok());
  v1::GetActivityTaskResponse failing_task;
  ASSERT_TRUE(a.stub()->GetActivityTask(Ctx().get(), poll, &failing_task).ok());
  ASSERT_FALSE(failing_task.task_token().empty()) << a.log();
  auto [hs, beat] = Http(b.http_port(), "/", "AWSStepFunctions.SendTaskHeartbeat",
                         R"({"taskToken":")" + failing_task.task_token() + R"("})");
  EXPECT_EQ(hs, 200) << beat;
  auto [fs, failed] = Http(b.http_port(), "/", "AWSStepFunctions.SendTaskFailure",
                           R"({"taskToken":")" + failing_task.task_token() +
                               R"(","error":"Boom","cause":"failed through b"})");
  EXPECT_EQ(fs, 200) << failed;
  EXPECT_EQ(FinalStatus(a.stub(), ExecutionArn(failing)), "FAILED");
  auto [rs, redriven] = Http(b.http_port(), "/", "AWSStepFunctions.RedriveExecution",
                             R"({"executionArn":")" + ExecutionArn(failing) + R"("})");
  ASSERT_EQ(rs, 200) << redriven;
  EXPECT_NE(redriven.find(R"("redriveDate":)"), std::string::npos) << redriven;
  EXPECT_EQ(Status(a.stub(), ExecutionArn(failing)), "RUNNING");
  v1::GetActivityTaskResponse again_task;
  ASSERT_TRUE(a.stub()->GetActivityTask(Ctx().get(), poll, &again_task).ok());
  EXPECT_FALSE(again_task.task_token().empty()) << "the redriven Task is scheduled again on A";
  auto [bm2, b_metrics2] = Http(b.http_port(), "/metrics");
  // The 7 above, the target's start and stop, and this start, heartbeat,
  // failure and redrive.
  EXPECT_EQ(MetricValue(b_metrics2, "stepwise_cluster_forwarded_calls_total"), 13) << b_metrics2;

  EXPECT_EQ(b.Stop(), 0) << b.log();
  EXPECT_EQ(a.Stop(), 0) << a.log();
}

// A second node joining takes half the first one's shards. For a moment
// nobody runs those: the first has let them go, the second holds their
// leases but is still recovering them. Starts sent to the first node all
// through the hand-over wait that moment out (ClusterRouter's settle
// window): every one succeeds and lands on its shard.
TEST_F(ClusterForwardIntegrationTest, StartsSentWhileASecondNodeJoinsAllSucceed) {
  constexpr char kRunning[] = "cluster: now running shards [";
  const int port_a = FreePort(), port_b = FreePort();
  Daemon a(uri_, NodeFlags(port_a));
  ASSERT_TRUE(a.Start()) << a.log();
  v1::CreateStateMachineRequest creq;
  creq.set_name("fwd");
  creq.set_definition(R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":300,"End":true}}})");
  creq.set_role_arn("arn:aws:iam::123456789012:role/r");
  v1::CreateStateMachineResponse cresp;
  ASSERT_TRUE(a.stub()->CreateStateMachine(Ctx().get(), creq, &cresp).ok());
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (a.log().find(std::string(kRunning) + "0,1,2,3]") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_NE(a.log().find(std::string(kRunning) + "0,1,2,3]"), std::string::npos) << a.log();

  Daemon b(uri_, NodeFlags(port_b));
  ASSERT_TRUE(b.Start()) << b.log();
  // Start through A every 20 ms until B runs its shards, and 20 more.
  std::vector<std::string> names, failures;
  int after_b_runs = 0;
  deadline = std::chrono::steady_clock::now() + 30s;
  while (after_b_runs < 20 && std::chrono::steady_clock::now() < deadline) {
    if (b.log().find(kRunning) != std::string::npos) ++after_b_runs;
    const std::string name = "join-" + std::to_string(names.size());
    v1::StartExecutionRequest sreq;
    sreq.set_state_machine_arn(kMachineArn);
    sreq.set_name(name);
    v1::StartExecutionResponse sresp;
    grpc::Status s = a.stub()->StartExecution(Ctx().get(), sreq, &sresp);
    names.push_back(name);
    if (!s.ok()) failures.push_back(name + ": " + s.error_message());
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(after_b_runs, 20) << b.log();
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << names.size()
                                << " starts failed; the first: " << failures.front();
  std::map<int, std::string> owners = WaitBalanced();
  ASSERT_EQ(owners.size(), static_cast<size_t>(kShards)) << Sql("SELECT * FROM shards");
  std::map<std::string, int> per_node;
  for (const std::string& name : names) {
    EXPECT_EQ(Status(b.stub(), ExecutionArn(name)), "RUNNING") << name;
    ++per_node[owners.at(storage::ShardOfExecution(ExecutionArn(name), kShards))];
  }
  EXPECT_EQ(per_node.size(), 2u);  // both nodes' shards were started on
  EXPECT_EQ(b.Stop(), 0) << b.log();
  EXPECT_EQ(a.Stop(), 0) << a.log();
}

}  // namespace
}  // namespace stepwise
