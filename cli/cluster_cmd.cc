// `stepwise admin cluster` (see cluster_cmd.h). Main thread.
#include "cli/cluster_cmd.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/cli_format.h"
#include "cli/cli_remote.h"
#include "common/json.h"

namespace stepwise::client {

namespace {

int64_t Ms(const google::protobuf::Timestamp& t) { return t.seconds() * 1000 + t.nanos() / 1000000; }

// Shards as "0-3,7,9-10".
std::string Ranges(const google::protobuf::RepeatedField<int32_t>& shards) {
  std::vector<std::string> parts;
  for (int i = 0; i < shards.size();) {
    int j = i;
    while (j + 1 < shards.size() && shards[j + 1] == shards[j] + 1) ++j;
    parts.push_back(j == i ? absl::StrCat(shards[i]) : absl::StrCat(shards[i], "-", shards[j]));
    i = j + 1;
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ",");
}

}  // namespace

std::string FormatCluster(const v1::DescribeClusterResponse& cluster) {
  size_t id_width = 4, address_width = 7;
  for (const v1::ClusterNode& n : cluster.nodes()) {
    id_width = std::max(id_width, n.node_id().size());
    address_width = std::max(address_width, n.advertise_address().size());
  }
  auto pad = [](const std::string& s, size_t width) {
    return s + std::string(width > s.size() ? width - s.size() : 0, ' ');
  };
  std::string out = absl::StrCat(pad("NODE", id_width), "  ", pad("ADDRESS", address_width),
                                 "  LIVE  HEARTBEAT  SHARDS\n");
  const int64_t now = Ms(cluster.read_at());
  for (const v1::ClusterNode& n : cluster.nodes()) {
    char age[32];
    std::snprintf(age, sizeof(age), "%.1fs ago",
                  static_cast<double>(std::max<int64_t>(0, now - Ms(n.last_heartbeat()))) / 1000.0);
    absl::StrAppend(&out, pad(n.node_id(), id_width), "  ",
                    pad(n.advertise_address(), address_width), "  ", n.live() ? "yes " : "no  ",
                    "  ", pad(age, 9), "  ", n.shards_size(), " (", Ranges(n.shards()), ")\n");
  }
  absl::StrAppend(&out, cluster.shard_count(), " shards; not held by any node: ",
                  Ranges(cluster.unowned_shards()), "\n");
  return out;
}

int ClusterCommand(const RemoteArgs& a, Client& c) {
  auto r = c.DescribeCluster(v1::DescribeClusterRequest());
  if (!r.ok()) return CallFailed(r.status());
  if (!a.Has("json")) {
    std::cout << FormatCluster(*r);
    return kExitOk;
  }
  auto list = [](const google::protobuf::RepeatedField<int32_t>& shards) {
    json::array out;
    for (int s : shards) out.emplace_back(s);
    return out;
  };
  json::array nodes;
  for (const v1::ClusterNode& n : r->nodes()) {
    nodes.emplace_back(json::object{
        {"nodeId", n.node_id()},
        {"advertiseAddress", n.advertise_address()},
        {"live", n.live()},
        {"heartbeatAgeMs", std::max<int64_t>(0, Ms(r->read_at()) - Ms(n.last_heartbeat()))},
        {"shards", list(n.shards())}});
  }
  std::cout << PrettyJson(json::object{{"shardCount", r->shard_count()},
                                       {"nodes", std::move(nodes)},
                                       {"unownedShards", list(r->unowned_shards())}});
  return kExitOk;
}

}  // namespace stepwise::client
