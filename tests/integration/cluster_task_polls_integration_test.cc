// Integration test of task polls served by any node of a cluster
// (server/cluster_task_poller.h) with two real stepwised processes on the
// test's own PostgreSQL (tests/integration/cluster_nodes.h), 4 shards:
// - a worker polling only node A gets the activity task of an execution
//   node B owns (with its input), over gRPC and over the AWS JSON API, and
//   its SendTaskSuccess sent to A closes the execution SUCCEEDED;
// - a poll waiting on A before the task is scheduled on B gets it in well
//   under the poller's 3 s retry (the PostgreSQL NOTIFY wake-up), for an
//   activity and for a function queue (GetFunctionTask);
// - tasks queued on B with workers polling A and B at once: each handed
//   out exactly once (one ActivityStarted per execution);
// - a take (a GetActivityTask marked forwarded) never waits, and a forged
//   one (wrong cluster secret) is refused and hands nothing out.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/cluster_auth.h"
#include "stepwise/v1/service.grpc.pb.h"
#include "tests/integration/cluster_nodes.h"
#include "tests/stepwised_process.h"

namespace stepwise {
namespace {

namespace v1 = stepwise::v1;
using namespace std::chrono_literals;
using namespace clustertest;  // NOLINT: the cluster tests' helpers
using testproc::Daemon;

constexpr char kActivityMachine[] = "polls";
constexpr char kFunctionMachine[] = "fpolls";
constexpr char kFunction[] = "fn";

std::unique_ptr<grpc::ClientContext> CtxFor(std::chrono::milliseconds timeout) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + timeout);
  return c;
}

std::string MachineArn(const std::string& name) {
  return "arn:aws:states:us-east-1:123456789012:stateMachine:" + name;
}

// How many events of `type` the execution's history holds (-1: no history).
int CountEvents(v1::States::Stub* stub, const std::string& arn,
                const std::string& type) {
  v1::GetExecutionHistoryRequest req;
  req.set_execution_arn(arn);
  req.set_max_results(1000);
  v1::GetExecutionHistoryResponse resp;
  if (!stub->GetExecutionHistory(Ctx().get(), req, &resp).ok()) return -1;
  int n = 0;
  for (const v1::HistoryEvent& e : resp.events()) n += e.type() == type ? 1 : 0;
  return n;
}

class ClusterTaskPollsIntegrationTest : public ClusterNodesTest {
 protected:
  void StartExecution(Daemon& via, const std::string& machine,
                      const std::string& name, const std::string& input) {
    v1::StartExecutionRequest req;
    req.set_state_machine_arn(MachineArn(machine));
    req.set_name(name);
    req.set_input(input);
    v1::StartExecutionResponse resp;
    // Right after the shards balanced, a node may still be recovering one
    // it gained: that answer is retryable (UNAVAILABLE), and a client retries.
    grpc::Status s;
    for (int attempt = 0; attempt < 50; ++attempt) {
      s = via.stub()->StartExecution(Ctx().get(), req, &resp);
      if (s.error_code() != grpc::StatusCode::UNAVAILABLE) break;
      std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << via.log();
  }
};

TEST_F(ClusterTaskPollsIntegrationTest,
       AnyNodeHandsOutEveryNodesTasksOnceAndWakesPromptly) {
  const int port_a = FreePort(), port_b = FreePort();
  const std::string addr_a = "127.0.0.1:" + std::to_string(port_a);
  const std::string addr_b = "127.0.0.1:" + std::to_string(port_b);
  Daemon a(uri_, NodeFlags(port_a));
  ASSERT_TRUE(a.Start()) << a.log();
  Daemon b(uri_, NodeFlags(port_b));
  ASSERT_TRUE(b.Start()) << b.log();
  std::map<int, std::string> owners = WaitBalanced();
  ASSERT_EQ(owners.size(), static_cast<size_t>(kShards))
      << Sql("SELECT * FROM shards");

  v1::CreateActivityRequest areq;
  areq.set_name("work");
  v1::CreateActivityResponse aresp;
  ASSERT_TRUE(b.stub()->CreateActivity(Ctx().get(), areq, &aresp).ok());
  const std::string activity = aresp.activity_arn();
  for (const auto& [name, resource] :
       std::vector<std::pair<std::string, std::string>>{
           {kActivityMachine, activity},
           {kFunctionMachine,
            std::string("arn:aws:lambda:us-east-1:123456789012:function:") +
                kFunction}}) {
    v1::CreateStateMachineRequest creq;
    creq.set_name(name);
    creq.set_definition(
        R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" +
        resource + R"(","End":true}}})");
    creq.set_role_arn("arn:aws:iam::123456789012:role/r");
    v1::CreateStateMachineResponse cresp;
    ASSERT_TRUE(b.stub()->CreateStateMachine(Ctx().get(), creq, &cresp).ok());
  }
  v1::GetActivityTaskRequest poll;
  poll.set_activity_arn(activity);
  poll.set_worker_name("worker-a");

  // 1. A task of B's, a worker polling A only (gRPC); reported to A.
  const std::string first =
      NameOwnedBy(owners, addr_b, "first-", kActivityMachine);
  ASSERT_FALSE(first.empty());
  StartExecution(b, kActivityMachine, first, R"({"n":1})");
  v1::GetActivityTaskResponse task;
  grpc::Status s = a.stub()->GetActivityTask(CtxFor(10s).get(), poll, &task);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_FALSE(task.task_token().empty()) << a.log();
  EXPECT_EQ(task.input(), R"({"n":1})");
  v1::SendTaskSuccessRequest success;
  success.set_task_token(task.task_token());
  success.set_output(R"({"done":"via a"})");
  v1::SendTaskSuccessResponse success_resp;
  s = a.stub()->SendTaskSuccess(Ctx().get(), success, &success_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(FinalStatus(a.stub(), ExecutionArn(first, kActivityMachine)),
            "SUCCEEDED");
  EXPECT_EQ(CountEvents(a.stub(), ExecutionArn(first, kActivityMachine),
                        "ActivityStarted"),
            1);

  // The same over the AWS JSON API of A.
  const std::string aws = NameOwnedBy(owners, addr_b, "aws-", kActivityMachine);
  StartExecution(b, kActivityMachine, aws, R"({"n":"aws"})");
  auto [st, got] = Http(
      a.http_port(), "/", "AWSStepFunctions.GetActivityTask",
      R"({"activityArn":")" + activity + R"(","workerName":"aws-worker"})");
  ASSERT_EQ(st, 200) << got;
  const size_t at = got.find(R"("taskToken":")");
  ASSERT_NE(at, std::string::npos) << got << "\n" << a.log();
  EXPECT_NE(got.find(R"("input":"{\"n\":\"aws\"}")"), std::string::npos) << got;
  const std::string aws_token =
      got.substr(at + 13, got.find('"', at + 13) - at - 13);
  auto [ss, sent] =
      Http(a.http_port(), "/", "AWSStepFunctions.SendTaskSuccess",
           R"({"taskToken":")" + aws_token + R"(","output":"{}"})");
  ASSERT_EQ(ss, 200) << sent;
  EXPECT_EQ(FinalStatus(a.stub(), ExecutionArn(aws, kActivityMachine)),
            "SUCCEEDED");

  // 2. A poll waiting on A before the task is scheduled on B gets it at
  //    once (the NOTIFY wake-up), well before the poller's 3 s retry.
  {
    const std::string late =
        NameOwnedBy(owners, addr_b, "late-", kActivityMachine);
    std::atomic<int64_t> got_at_ms{0};
    v1::GetActivityTaskResponse waited;
    std::thread waiter([&] {
      grpc::Status ws =
          a.stub()->GetActivityTask(CtxFor(20s).get(), poll, &waited);
      EXPECT_TRUE(ws.ok()) << ws.error_message();
      got_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
    });
    std::this_thread::sleep_for(500ms);  // the poll has asked B and waits on A
    const auto started = std::chrono::steady_clock::now();
    StartExecution(b, kActivityMachine, late, R"({"n":"late"})");
    waiter.join();
    const int64_t delay_ms =
        got_at_ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                        started.time_since_epoch())
                        .count();
    std::printf(
        "activity task scheduled on B reached the poll waiting on A in %lld "
        "ms\n",
        static_cast<long long>(delay_ms));
    EXPECT_FALSE(waited.task_token().empty()) << a.log();
    EXPECT_EQ(waited.input(), R"({"n":"late"})");
    EXPECT_LT(delay_ms, 2000);
    success.set_task_token(waited.task_token());
    ASSERT_TRUE(
        a.stub()->SendTaskSuccess(Ctx().get(), success, &success_resp).ok());
    EXPECT_EQ(FinalStatus(a.stub(), ExecutionArn(late, kActivityMachine)),
              "SUCCEEDED");
  }

  // 3. Tasks queued on B, workers polling A and B at once: each task is
  //    handed out exactly once.
  constexpr int kTasks = 8;
  std::vector<std::string> names;
  for (int i = 0; i < kTasks; ++i) {
    names.push_back(NameOwnedBy(
        owners, addr_b, "many" + std::to_string(i) + "-", kActivityMachine));
    StartExecution(b, kActivityMachine, names.back(),
                   R"({"i":)" + std::to_string(i) + "}");
  }
  std::mutex mu;
  std::multiset<std::string> handed;  // execution inputs seen, guarded by mu
  std::atomic<int> total{0};
  std::map<std::string, int> per_worker;  // guarded by mu
  auto worker = [&](Daemon* node, const std::string& name) {
    const auto until = std::chrono::steady_clock::now() + 15s;
    v1::GetActivityTaskRequest p = poll;
    p.set_worker_name(name);
    while (total.load() < kTasks && std::chrono::steady_clock::now() < until) {
      v1::GetActivityTaskResponse t;
      if (!node->stub()->GetActivityTask(CtxFor(2s).get(), p, &t).ok() ||
          t.task_token().empty()) {
        continue;
      }
      {
        std::lock_guard<std::mutex> l(mu);
        handed.insert(t.input());
        ++per_worker[name];
      }
      ++total;
      v1::SendTaskSuccessRequest r;
      r.set_task_token(t.task_token());
      r.set_output("{}");
      v1::SendTaskSuccessResponse rr;
      EXPECT_TRUE(node->stub()->SendTaskSuccess(Ctx().get(), r, &rr).ok());
    }
  };
  std::thread on_a(worker, &a, "on-a"), on_b(worker, &b, "on-b");
  on_a.join();
  on_b.join();
  std::printf("%d tasks queued on B: %d handed out through A, %d through B\n",
              kTasks, per_worker["on-a"], per_worker["on-b"]);
  EXPECT_EQ(total.load(), kTasks);
  EXPECT_EQ(handed.size(), static_cast<size_t>(kTasks));
  for (const std::string& input : handed)
    EXPECT_EQ(handed.count(input), 1u) << input;
  for (const std::string& name : names) {
    EXPECT_EQ(FinalStatus(b.stub(), ExecutionArn(name, kActivityMachine)),
              "SUCCEEDED")
        << name;
    EXPECT_EQ(CountEvents(b.stub(), ExecutionArn(name, kActivityMachine),
                          "ActivityStarted"),
              1)
        << name;
  }

  // 4. A function task: a GetFunctionTask waiting on A before the task is
  //    scheduled on B gets it promptly; reported to A.
  {
    const std::string fname =
        NameOwnedBy(owners, addr_b, "fn-", kFunctionMachine);
    v1::GetFunctionTaskRequest fpoll;
    fpoll.set_function_name(kFunction);
    fpoll.set_worker_name("fn-worker");
    v1::GetFunctionTaskResponse ftask;
    std::atomic<int64_t> got_at_ms{0};
    std::thread waiter([&] {
      grpc::Status ws =
          a.stub()->GetFunctionTask(CtxFor(20s).get(), fpoll, &ftask);
      EXPECT_TRUE(ws.ok()) << ws.error_message();
      got_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
    });
    std::this_thread::sleep_for(500ms);
    const auto started = std::chrono::steady_clock::now();
    StartExecution(b, kFunctionMachine, fname, R"({"f":1})");
    waiter.join();
    const int64_t delay_ms =
        got_at_ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                        started.time_since_epoch())
                        .count();
    std::printf(
        "function task scheduled on B reached the poll waiting on A in %lld "
        "ms\n",
        static_cast<long long>(delay_ms));
    ASSERT_FALSE(ftask.task_token().empty()) << a.log();
    EXPECT_EQ(ftask.payload(), R"({"f":1})");
    EXPECT_EQ(ftask.execution_arn(), ExecutionArn(fname, kFunctionMachine));
    EXPECT_LT(delay_ms, 2000);
    success.set_task_token(ftask.task_token());
    success.set_output(R"({"ok":true})");
    ASSERT_TRUE(
        a.stub()->SendTaskSuccess(Ctx().get(), success, &success_resp).ok());
    EXPECT_EQ(FinalStatus(a.stub(), ExecutionArn(fname, kFunctionMachine)),
              "SUCCEEDED");
    EXPECT_EQ(CountEvents(a.stub(), ExecutionArn(fname, kFunctionMachine),
                          "LambdaFunctionStarted"),
              1);
  }

  // 5. Takes: a signed one never waits; a forged one is refused.
  const std::string parked =
      NameOwnedBy(owners, addr_b, "parked-", kActivityMachine);
  StartExecution(b, kActivityMachine, parked, "{}");
  {
    auto ctx = CtxFor(20s);
    ctx->AddMetadata(server::kForwardedMetadataKey,
                     server::ClusterAuth::FromSecret(kSecret)->Sign(
                         "127.0.0.1:1#test", std::time(nullptr)));
    const auto t0 = std::chrono::steady_clock::now();
    v1::GetActivityTaskResponse none;
    s = a.stub()->GetActivityTask(ctx.get(), poll, &none);  // A holds no task
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(none.task_token().empty());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  }
  {
    auto ctx = CtxFor(20s);
    ctx->AddMetadata(server::kForwardedMetadataKey,
                     server::ClusterAuth::FromSecret("not-the-cluster-secret!")
                         ->Sign("127.0.0.1:1#evil", std::time(nullptr)));
    v1::GetActivityTaskResponse forged;
    s = b.stub()->GetActivityTask(ctx.get(), poll, &forged);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << s.error_message();
    EXPECT_TRUE(forged.task_token().empty());
  }
  EXPECT_EQ(CountEvents(b.stub(), ExecutionArn(parked, kActivityMachine),
                        "ActivityStarted"),
            0);
  EXPECT_EQ(Status(b.stub(), ExecutionArn(parked, kActivityMachine)),
            "RUNNING");

  auto [am, a_metrics] = Http(a.http_port(), "/metrics");
  EXPECT_GE(MetricValue(a_metrics,
                        "stepwise_cluster_task_takes_total{outcome=\"task\"}"),
            3)
      << a_metrics;
  EXPECT_GE(
      MetricValue(
          a_metrics,
          "stepwise_cluster_task_notifications_total{direction=\"heard\"}"),
      2)
      << a_metrics;
  EXPECT_EQ(b.log().find(kSecret), std::string::npos);

  EXPECT_EQ(b.Stop(), 0) << b.log();
  EXPECT_EQ(a.Stop(), 0) << a.log();
}

}  // namespace
}  // namespace stepwise
