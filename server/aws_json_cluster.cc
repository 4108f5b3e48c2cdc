// Stepwise.DescribeCluster (see aws_json_cluster.h). Any pool thread.
#include "server/aws_json_cluster.h"

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "engine/service_error.h"
#include "server/aws_json_members.h"
#include "storage/postgres/shard_leases.h"

namespace stepwise::server {

namespace {

json::array Shards(const std::vector<int>& shards) {
  json::array out;
  for (int s : shards) out.emplace_back(s);
  return out;
}

absl::StatusOr<AwsActionResult> Describe(storage::ShardLeases* leases) {
  if (leases == nullptr) {
    return engine::ServiceError("ValidationException", kNotInClusterMode);
  }
  absl::StatusOr<storage::ClusterView> view = leases->DescribeCluster();
  if (!view.ok()) return view.status();
  json::array nodes;
  for (const storage::ClusterNodeView& n : view->nodes) {
    nodes.emplace_back(json::object{{"nodeId", n.node_id},
                                    {"advertiseAddress", n.advertise_address},
                                    {"startedAt", AwsSeconds(n.started_at_ms)},
                                    {"lastHeartbeat", AwsSeconds(n.last_heartbeat_ms)},
                                    {"live", n.live},
                                    {"shards", Shards(n.shards)}});
  }
  return AwsActionResult(AwsBody(json::object{{"shardCount", view->shard_count},
                                              {"nodes", std::move(nodes)},
                                              {"unownedShards", Shards(view->unowned_shards)}}));
}

// The request has no members; any sent are ignored, like AWS's unknown ones.
void DescribeCluster(const AwsActionContext& ctx, const json::object&, AwsActionDone done) {
  done(Describe(ctx.shard_leases));
}

}  // namespace

AwsAction FindClusterAwsAction(std::string_view action) {
  if (action == "DescribeCluster") return &DescribeCluster;
  return nullptr;
}

}  // namespace stepwise::server
