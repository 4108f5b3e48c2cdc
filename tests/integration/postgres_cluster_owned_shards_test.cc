// Integration test of several stepwised nodes running side by side over one
// PostgreSQL (storage/testing/postgres_fixture.h) in cluster mode: each node
// runs only the executions of the shards it holds (engine/ownership.cc).
// Two nodes, 8 shards: executions started through both (Pass, Wait, an
// activity task) all succeed with gapless, duplicate-free histories, and
// neither node exits; a start sent to the node that does not own the
// execution's shard is answered UNAVAILABLE naming the owner. Then one
// node is killed (SIGKILL): the other takes its shards within the lease TTL
// + 2 s (measured and printed) and finishes the executions that were
// waiting there, each Wait timer firing once.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "stepwise/v1/service.grpc.pb.h"
#include "storage/testing/postgres_fixture.h"
#include "tests/integration/postgres_database_test.h"
#include "tests/stepwised_process.h"

namespace stepwise {
namespace {

namespace v1 = stepwise::v1;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testproc::Daemon;

constexpr int kLeaseTtlSeconds = 2;

std::unique_ptr<grpc::ClientContext> Ctx(std::chrono::milliseconds timeout = 10s) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + timeout);
  return c;
}

// Pass, a Wait of `wait_seconds`, an activity task, Pass.
std::string Definition(const std::string& activity_arn, int wait_seconds) {
  return R"({"StartAt":"P","States":{)"
         R"("P":{"Type":"Pass","Result":{"n":1},"Next":"W"},)"
         R"("W":{"Type":"Wait","Seconds":)" +
         std::to_string(wait_seconds) +
         R"(,"Next":"T"},)"
         R"("T":{"Type":"Task","Resource":")" +
         activity_arn + R"(","Next":"Done"},)"
         R"("Done":{"Type":"Pass","End":true}}})";
}

// A worker long-polling one node and answering on that node, until `stop`
// or the node goes away.
void Work(v1::States::Stub* stub, std::string activity_arn, const std::atomic<bool>* stop,
          std::atomic<int>* answered) {
  while (!stop->load()) {
    v1::GetActivityTaskRequest req;
    req.set_activity_arn(activity_arn);
    req.set_worker_name("w");
    v1::GetActivityTaskResponse resp;
    grpc::Status s = stub->GetActivityTask(Ctx(30s).get(), req, &resp);
    if (!s.ok()) {
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE) return;  // the node is gone
      std::this_thread::sleep_for(50ms);
      continue;
    }
    if (resp.task_token().empty()) continue;
    v1::SendTaskSuccessRequest ok;
    ok.set_task_token(resp.task_token());
    ok.set_output(R"({"worked":true})");
    v1::SendTaskSuccessResponse done;
    grpc::Status r = stub->SendTaskSuccess(Ctx().get(), ok, &done);
    EXPECT_TRUE(r.ok()) << r.error_message();
    if (r.ok()) answered->fetch_add(1);
  }
}

class PostgresClusterOwnedShardsTest : public pgtest::PostgresDatabaseTest {
 protected:
  // Shards whose unexpired lease `node_address`'s node holds.
  int ShardsOf(const std::string& node_address) {
    return std::atoi(Sql("SELECT count(*) FROM shards WHERE owner LIKE '" + node_address +
                         "#%' AND lease_until > now()")
                         .c_str());
  }

  // Starts `name` through `first`; when `first` does not own it
  // (UNAVAILABLE naming the owner), through `second`. Returns the ARN and
  // which node took it (0 or 1).
  std::pair<std::string, int> Start(v1::States::Stub* first, v1::States::Stub* second,
                                    const std::string& second_address,
                                    const std::string& machine_arn, const std::string& name) {
    v1::StartExecutionRequest req;
    req.set_state_machine_arn(machine_arn);
    req.set_name(name);
    req.set_input("{}");
    v1::StartExecutionResponse resp;
    grpc::Status s = first->StartExecution(Ctx().get(), req, &resp);
    if (s.ok()) return {resp.execution_arn(), 0};
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    EXPECT_NE(s.error_message().find("does not own"), std::string::npos) << s.error_message();
    EXPECT_NE(s.error_message().find(second_address), std::string::npos) << s.error_message();
    ++refused_;
    resp.Clear();
    s = second->StartExecution(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.execution_arn(), 1};
  }

  // Waits (up to `timeout`) until `arn` is no longer RUNNING, read through
  // `stub` (any node serves reads from the database).
  std::string FinalStatus(v1::States::Stub* stub, const std::string& arn,
                          std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    v1::DescribeExecutionResponse resp;
    while (Clock::now() < deadline) {
      v1::DescribeExecutionRequest req;
      req.set_execution_arn(arn);
      resp.Clear();
      grpc::Status s = stub->DescribeExecution(Ctx().get(), req, &resp);
      if (!s.ok()) return "error: " + s.error_message();
      if (resp.status() != "RUNNING") break;
      std::this_thread::sleep_for(50ms);
    }
    return resp.status();
  }

  // The history has ids 1..n without gap or repeat, one ExecutionSucceeded,
  // one WaitStateExited (the timer fired once) and one ActivityScheduled.
  void ExpectCleanHistory(v1::States::Stub* stub, const std::string& arn) {
    v1::GetExecutionHistoryRequest req;
    req.set_execution_arn(arn);
    req.set_max_results(1000);
    v1::GetExecutionHistoryResponse h;
    grpc::Status s = stub->GetExecutionHistory(Ctx().get(), req, &h);
    ASSERT_TRUE(s.ok()) << s.error_message();
    std::map<std::string, int> count;
    for (int i = 0; i < h.events_size(); ++i) {
      EXPECT_EQ(h.events(i).id(), i + 1) << arn;
      ++count[h.events(i).type()];
    }
    EXPECT_EQ(count["ExecutionSucceeded"], 1) << arn;
    EXPECT_EQ(count["WaitStateExited"], 1) << arn;
    EXPECT_EQ(count["ActivityScheduled"], 1) << arn;
    EXPECT_EQ(count["ActivitySucceeded"], 1) << arn;
  }

  int refused_ = 0;
};

TEST_F(PostgresClusterOwnedShardsTest, TwoNodesRunTheirOwnShardsAndOneTakesOverTheOthers) {
  const auto flags = [](const std::string& address) {
    return std::vector<std::string>{"--cluster-shards", "8", "--cluster-lease-ttl",
                                    std::to_string(kLeaseTtlSeconds), "--advertise-address",
                                    address};
  };
  const std::string address_a = "127.0.0.1:7101";
  const std::string address_b = "127.0.0.1:7102";
  Daemon a(uri_, flags(address_a));
  ASSERT_TRUE(a.Start()) << a.log();
  Daemon b(uri_, flags(address_b));
  ASSERT_TRUE(b.Start()) << b.log();
  // Rebalanced: four shards each.
  auto deadline = Clock::now() + 8s;
  while (Clock::now() < deadline && (ShardsOf(address_a) != 4 || ShardsOf(address_b) != 4)) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(ShardsOf(address_a), 4) << Sql("SELECT shard_id, owner FROM shards");
  ASSERT_EQ(ShardsOf(address_b), 4) << Sql("SELECT shard_id, owner FROM shards");
  // Each engine follows its leases within its poll interval.
  std::this_thread::sleep_for(400ms);

  v1::CreateActivityRequest areq;
  areq.set_name("work");
  v1::CreateActivityResponse aresp;
  ASSERT_TRUE(a.stub()->CreateActivity(Ctx().get(), areq, &aresp).ok());
  const std::string activity = aresp.activity_arn();
  auto create = [&](Daemon& node, const std::string& name, int wait_seconds) {
    v1::CreateStateMachineRequest creq;
    creq.set_name(name);
    creq.set_definition(Definition(activity, wait_seconds));
    creq.set_role_arn("arn:aws:iam::123456789012:role/r");
    v1::CreateStateMachineResponse cresp;
    grpc::Status s = node.stub()->CreateStateMachine(Ctx().get(), creq, &cresp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return cresp.state_machine_arn();
  };
  const std::string quick = create(a, "quick", 1);
  const std::string slow = create(b, "slow", 3);

  std::atomic<bool> stop{false};
  std::atomic<int> answered_a{0};
  std::atomic<int> answered_b{0};
  std::thread worker_a(Work, a.stub(), activity, &stop, &answered_a);
  std::thread worker_b(Work, b.stub(), activity, &stop, &answered_b);

  // Phase 1: executions started through both nodes all succeed.
  constexpr int kFirst = 12;
  std::vector<std::string> first;
  int on_a = 0;
  for (int i = 0; i < kFirst; ++i) {
    const bool via_a = i % 2 == 0;
    auto [arn, second] =
        via_a ? Start(a.stub(), b.stub(), address_b, quick, "q" + std::to_string(i))
              : Start(b.stub(), a.stub(), address_a, quick, "q" + std::to_string(i));
    ASSERT_FALSE(arn.empty());
    if (via_a == (second == 0)) ++on_a;
    first.push_back(arn);
  }
  EXPECT_GT(on_a, 0);
  EXPECT_LT(on_a, kFirst);
  // Starts sent to the node not owning them were refused naming the owner
  // (Start checks the message), unless the server forwarded them.
  std::printf("phase 1: %d of %d starts refused by the node first asked\n", refused_, kFirst);
  for (size_t i = 0; i < first.size(); ++i) {
    Daemon& reader = i % 2 == 0 ? b : a;  // reads through either node
    EXPECT_EQ(FinalStatus(reader.stub(), first[i], 10s), "SUCCEEDED") << first[i];
    ExpectCleanHistory(reader.stub(), first[i]);
  }
  EXPECT_GT(answered_a.load(), 0);
  EXPECT_GT(answered_b.load(), 0);
  EXPECT_EQ(answered_a.load() + answered_b.load(), kFirst);
  EXPECT_TRUE(a.Alive()) << a.log();
  EXPECT_TRUE(b.Alive()) << b.log();
  // Neither node tried to run the other's executions: no commit was
  // refused by the shard fence.
  EXPECT_EQ(a.log().find("refused by the shard fence"), std::string::npos) << a.log();
  EXPECT_EQ(b.log().find("refused by the shard fence"), std::string::npos) << b.log();

  // Phase 2: executions parked on a 3 s Wait on both nodes; B is killed.
  constexpr int kSecond = 8;
  std::vector<std::string> second;
  int waiting_on_b = 0;
  for (int i = 0; i < kSecond; ++i) {
    auto [arn, other] = Start(a.stub(), b.stub(), address_b, slow, "s" + std::to_string(i));
    ASSERT_FALSE(arn.empty());
    if (other == 1) ++waiting_on_b;
    second.push_back(arn);
  }
  EXPECT_GT(waiting_on_b, 0);
  auto killed = Clock::now();
  EXPECT_EQ(b.Stop(SIGKILL), 128 + SIGKILL);
  deadline = killed + std::chrono::seconds(kLeaseTtlSeconds + 4);
  while (Clock::now() < deadline && ShardsOf(address_a) != 8) {
    std::this_thread::sleep_for(20ms);
  }
  double takeover_s = std::chrono::duration<double>(Clock::now() - killed).count();
  std::printf("takeover: node A holds all 8 shards %.2f s after node B was killed "
              "(lease TTL %d s)\n",
              takeover_s, kLeaseTtlSeconds);
  ASSERT_EQ(ShardsOf(address_a), 8) << Sql("SELECT shard_id, owner, lease_until FROM shards");
  EXPECT_LE(takeover_s, kLeaseTtlSeconds + 2.0);

  for (const std::string& arn : second) {
    EXPECT_EQ(FinalStatus(a.stub(), arn, 10s), "SUCCEEDED") << arn << "\n" << a.log();
    ExpectCleanHistory(a.stub(), arn);
  }
  EXPECT_TRUE(a.Alive()) << a.log();
  stop = true;
  EXPECT_EQ(a.Stop(), 0) << a.log();
  worker_a.join();
  worker_b.join();
  EXPECT_EQ(a.log().find("refused by the shard fence"), std::string::npos) << a.log();
}

}  // namespace
}  // namespace stepwise
