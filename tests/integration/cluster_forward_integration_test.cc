// Integration test of forwarding between cluster nodes
// (server/cluster_router.h) with two real stepwised processes on the
// test's own PostgreSQL (storage/testing/postgres_fixture.h), 4 shards,
// one cluster secret: calls sent to the node that does not own the
// execution's shard (StartExecution and SendTaskSuccess over gRPC,
// StartExecution and StopExecution over the AWS JSON API) reach the owner
// and answer as the owner does; a call correctly signed but sent to the
// non-owner is answered "shard moved" (never forwarded twice); a call
// marked forwarded with a forged signature is refused with
// PERMISSION_DENIED / AccessDeniedException and counted in /metrics.
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
#include "tests/stepwised_process.h"

namespace stepwise {
namespace {

namespace v1 = stepwise::v1;
using namespace std::chrono_literals;
using testproc::Daemon;

constexpr int kShards = 4;
constexpr char kSecret[] = "test-cluster-secret-0123456789";
constexpr char kMachineArn[] = "arn:aws:states:us-east-1:123456789012:stateMachine:fwd";

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + 30s);
  return c;
}

// A loopback port nobody listens on now (the node binds it right after).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// An AWS JSON 1.0 POST (or a GET when `target` is empty) on loopback.
std::pair<int, std::string> Http(int port, const std::string& path, const std::string& target = "",
                                 const std::string& body = "") {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return {-1, ""};
  }
  std::string req =
      target.empty()
          ? "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
          : "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
                "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: " + target +
                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return {-1, ""};
  }
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  int status = 0;
  std::sscanf(resp.c_str(), "HTTP/1.1 %d", &status);
  size_t at = resp.find("\r\n\r\n");
  return {status, at == std::string::npos ? "" : resp.substr(at + 4)};
}

std::string Status(v1::States::Stub* stub, const std::string& arn) {
  v1::DescribeExecutionRequest req;
  req.set_execution_arn(arn);
  v1::DescribeExecutionResponse resp;
  grpc::Status s = stub->DescribeExecution(Ctx().get(), req, &resp);
  return s.ok() ? resp.status() : "error: " + s.error_message();
}

std::string FinalStatus(v1::States::Stub* stub, const std::string& arn) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  std::string status;
  while (std::chrono::steady_clock::now() < deadline) {
    status = Status(stub, arn);
    if (status != "RUNNING") break;
    std::this_thread::sleep_for(20ms);
  }
  return status;
}

class ClusterForwardIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<storage::testing::PostgresFixture*> pg =
        storage::testing::PostgresFixture::Shared();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *pg;
    absl::StatusOr<std::string> conninfo = pg_->CreateDatabase();
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    dbname_ = conninfo->substr(conninfo->rfind('=') + 1);
    uri_ = pg_->Uri(dbname_);
    secret_file_ = testproc::MakeTempDir("cluster-secret") + "/secret";
    std::ofstream(secret_file_) << kSecret << "\n";
  }

  std::vector<std::string> NodeFlags(int grpc_port) const {
    const std::string address = "127.0.0.1:" + std::to_string(grpc_port);
    return {"--cluster-shards", std::to_string(kShards), "--cluster-lease-ttl", "2",
            "--cluster-secret-file", secret_file_, "--grpc-listen", address,
            "--advertise-address", address};
  }

  std::string Sql(const std::string& sql) {
    absl::StatusOr<std::string> out = pg_->Psql(dbname_, sql);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : "";
  }

  // shard -> owner's advertise address, once every shard is held and the
  // two nodes hold kShards / 2 each ("" map after 15 s).
  std::map<int, std::string> WaitBalanced() {
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string rows = Sql(
          "SELECT shard_id, split_part(owner, '#', 1) FROM shards "
          "WHERE owner IS NOT NULL AND lease_until > now() ORDER BY shard_id");
      std::map<int, std::string> owners;
      std::map<std::string, int> per_node;
      int shard = 0;
      char address[128];
      for (size_t at = 0; at < rows.size();) {
        size_t end = rows.find('\n', at);
        std::string line = rows.substr(at, end - at);
        if (std::sscanf(line.c_str(), "%d|%127s", &shard, address) == 2) {
          owners[shard] = address;
          ++per_node[address];
        }
        at = end == std::string::npos ? rows.size() : end + 1;
      }
      if (owners.size() == kShards && per_node.size() == 2 &&
          per_node.begin()->second == kShards / 2) {
        return owners;
      }
      std::this_thread::sleep_for(100ms);
    }
    return {};
  }

  storage::testing::PostgresFixture* pg_ = nullptr;
  std::string dbname_, uri_, secret_file_;
};

// The first of `prefix`0, `prefix`1, ... whose execution of kMachineArn
// falls in a shard `owners` gives to `address`.
std::string NameOwnedBy(const std::map<int, std::string>& owners, const std::string& address,
                        const std::string& prefix) {
  for (int i = 0; i < 1000; ++i) {
    std::string name = prefix + std::to_string(i);
    std::string arn = "arn:aws:states:us-east-1:123456789012:execution:fwd:" + name;
    if (owners.at(storage::ShardOfExecution(arn, kShards)) == address) return name;
  }
  return "";
}

std::string ExecutionArn(const std::string& name) {
  return "arn:aws:states:us-east-1:123456789012:execution:fwd:" + name;
}

int64_t MetricValue(const std::string& metrics, const std::string& name) {
  size_t at = metrics.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(metrics.substr(at + name.size() + 2));
}

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

  EXPECT_EQ(b.Stop(), 0) << b.log();
  EXPECT_EQ(a.Stop(), 0) << a.log();
}

}  // namespace
}  // namespace stepwise
