// ClusterNodes (cluster_nodes.h): PostgreSQL and the stepwised nodes of
// daemon_crash's cluster mode.
#include "tests/crash/cluster_nodes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace stepwise::crash {

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<std::unique_ptr<ClusterNodes>> ClusterNodes::Create(const ClusterOptions& options) {
  std::unique_ptr<ClusterNodes> c(new ClusterNodes());
  c->options_ = options;
  storage::testing::PostgresServerOptions pg_options;
  pg_options.tcp = true;
  // PostgreSQL's unix socket (<dir>/sw_pg.XXXXXX/.s.PGSQL.<port>) must fit
  // a socket address (107 bytes): a deep run directory puts it in /tmp.
  pg_options.parent_dir = options.dir.size() + 32 < 107 ? options.dir : "/tmp";
  if (pg_options.parent_dir != options.dir) {
    std::printf("cluster: %s is too deep for PostgreSQL's socket; its directory goes in /tmp\n",
                options.dir.c_str());
  }
  auto pg = storage::testing::PostgresFixture::Start(pg_options);
  if (!pg.ok()) return pg.status();
  c->pg_ = std::move(*pg);
  auto conninfo = c->pg_->CreateDatabase();
  if (!conninfo.ok()) return conninfo.status();
  c->uri_ = c->pg_->TcpUri(conninfo->substr(conninfo->rfind('=') + 1));

  // One secret for every node (forwarded calls are signed with it).
  const std::string secret_file = options.dir + "/cluster-secret";
  std::random_device rd;
  std::string secret;
  for (int k = 0; k < 32; ++k) absl::StrAppend(&secret, absl::Hex(rd() & 0xff, absl::kZeroPad2));
  int fd = ::open(secret_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ::write(fd, secret.data(), secret.size()) != static_cast<ssize_t>(secret.size())) {
    if (fd >= 0) ::close(fd);
    return absl::InternalError("cannot write " + secret_file);
  }
  ::close(fd);

  for (int i = 0; i < options.nodes; ++i) {
    int port = FreePort();
    if (port == 0) return absl::InternalError("no free port");
    const std::string address = absl::StrCat("127.0.0.1:", port);
    c->nodes_.push_back(std::make_unique<HarnessDaemon>(
        options.stepwised, c->uri_, absl::StrCat(options.dir, "/node", i + 1, ".log"), port,
        std::vector<std::string>{"--cluster-shards", absl::StrCat(options.shards),
                                 "--cluster-lease-ttl", absl::StrCat(options.lease_ttl_s),
                                 "--cluster-secret-file", secret_file, "--advertise-address",
                                 address, "--max-steps-per-commit",
                                 absl::StrCat(options.max_steps)}));
  }
  return c;
}

ClusterNodes::~ClusterNodes() {
  for (auto& n : nodes_) n->Kill();
}

std::string ClusterNodes::address(int i) const { return absl::StrCat("127.0.0.1:", port(i)); }

absl::StatusOr<NodeShards> ClusterNodes::HolderOf(client::Client& via, const std::string& address) {
  auto d = via.DescribeCluster(v1::DescribeClusterRequest());
  if (!d.ok()) return d.status();
  NodeShards out;
  int64_t latest = -1;
  for (const v1::ClusterNode& n : d->nodes()) {
    if (n.advertise_address() != address) continue;
    int64_t started = n.started_at().seconds() * 1000000000LL + n.started_at().nanos();
    if (started < latest) continue;
    latest = started;
    out.node_id = n.node_id();
    out.shards.clear();
    for (int s : n.shards()) out.shards.insert(s);
  }
  return out;
}

double ClusterNodes::ReownSeconds(const std::function<std::shared_ptr<client::Client>()>& via,
                                  const std::string& killed_id, const std::set<int>& shards,
                                  int64_t since_ms, double give_up_s,
                                  const std::atomic<bool>& stop) {
  const int64_t until = since_ms + static_cast<int64_t>(give_up_s * 1000);
  while (!stop.load() && SteadyNowMs() < until) {
    std::shared_ptr<client::Client> c = via();
    auto d = c->DescribeCluster(v1::DescribeClusterRequest());
    int64_t now = SteadyNowMs();
    if (d.ok()) {
      std::set<int> held;
      for (const v1::ClusterNode& n : d->nodes()) {
        if (n.node_id() == killed_id) continue;
        for (int s : n.shards()) held.insert(s);
      }
      bool all = true;
      for (int s : shards) all = all && held.count(s) != 0;
      if (all) return static_cast<double>(now - since_ms) / 1000.0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

}  // namespace stepwise::crash
