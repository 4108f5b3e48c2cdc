// Two (or more) real stepwised nodes of one cluster on the test's own
// PostgreSQL database (postgres_database_test.h), for the cluster
// integration tests (cluster_forward_integration_test,
// cluster_children_integration_test, cluster_task_polls_integration_test,
// cluster_watch_restart_integration_test): a fixture adding a cluster
// secret, each node's flags (kShards shards, 2 s lease TTL), the
// wait for balanced shards, and small loopback helpers (free port, AWS JSON
// POST, execution status, a metric's value). Header-only; one test thread.
#ifndef SW_TESTS_INTEGRATION_CLUSTER_NODES_H_
#define SW_TESTS_INTEGRATION_CLUSTER_NODES_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "stepwise/v1/service.grpc.pb.h"
#include "storage/postgres/shard_hash.h"
#include "tests/integration/postgres_database_test.h"
#include "tests/stepwised_process.h"

namespace stepwise::clustertest {

namespace v1 = stepwise::v1;
using namespace std::chrono_literals;

inline constexpr int kShards = 4;
inline constexpr char kSecret[] = "test-cluster-secret-0123456789";

inline std::unique_ptr<grpc::ClientContext> Ctx() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + 30s);
  return c;
}

// A loopback port nobody listens on now (the node binds it right after).
inline int FreePort() {
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
inline std::pair<int, std::string> Http(int port, const std::string& path,
                                        const std::string& target = "",
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
          ? "GET " + path +
                " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
          : "POST " + path +
                " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
                "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: " +
                target + "\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + body;
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return {-1, ""};
  }
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0)
    resp.append(buf, static_cast<size_t>(n));
  close(fd);
  int status = 0;
  std::sscanf(resp.c_str(), "HTTP/1.1 %d", &status);
  size_t at = resp.find("\r\n\r\n");
  return {status, at == std::string::npos ? "" : resp.substr(at + 4)};
}

inline std::string Status(v1::States::Stub* stub, const std::string& arn) {
  v1::DescribeExecutionRequest req;
  req.set_execution_arn(arn);
  v1::DescribeExecutionResponse resp;
  grpc::Status s = stub->DescribeExecution(Ctx().get(), req, &resp);
  return s.ok() ? resp.status() : "error: " + s.error_message();
}

inline std::string FinalStatus(v1::States::Stub* stub, const std::string& arn) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  std::string status;
  while (std::chrono::steady_clock::now() < deadline) {
    status = Status(stub, arn);
    if (status != "RUNNING") break;
    std::this_thread::sleep_for(20ms);
  }
  return status;
}

class ClusterNodesTest : public pgtest::PostgresDatabaseTest {
 protected:
  void SetUp() override {
    pgtest::PostgresDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    secret_file_ = testproc::MakeTempDir("cluster-secret") + "/secret";
    std::ofstream(secret_file_) << kSecret << "\n";
  }

  std::vector<std::string> NodeFlags(int grpc_port) const {
    const std::string address = "127.0.0.1:" + std::to_string(grpc_port);
    return {"--cluster-shards",      std::to_string(kShards),
            "--cluster-lease-ttl",   "2",
            "--cluster-secret-file", secret_file_,
            "--grpc-listen",         address,
            "--advertise-address",   address};
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

  std::string secret_file_;
};

// The first of `prefix`0, `prefix`1, ... whose execution of kMachineArn
// falls in a shard `owners` gives to `address`.
inline std::string NameOwnedBy(const std::map<int, std::string>& owners,
                               const std::string& address,
                               const std::string& prefix,
                               const std::string& machine = "fwd") {
  for (int i = 0; i < 1000; ++i) {
    std::string name = prefix + std::to_string(i);
    std::string arn =
        "arn:aws:states:us-east-1:123456789012:execution:" + machine + ":" +
        name;
    if (owners.at(storage::ShardOfExecution(arn, kShards)) == address)
      return name;
  }
  return "";
}

inline std::string ExecutionArn(const std::string& name,
                                const std::string& machine = "fwd") {
  return "arn:aws:states:us-east-1:123456789012:execution:" + machine + ":" +
         name;
}

inline int64_t MetricValue(const std::string& metrics,
                           const std::string& name) {
  size_t at = metrics.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(metrics.substr(at + name.size() + 2));
}

}  // namespace stepwise::clustertest

#endif  // SW_TESTS_INTEGRATION_CLUSTER_NODES_H_
