// StatesService::DescribeCluster: the cluster as the database sees it
// (storage::ShardLeases::DescribeCluster), the gRPC twin of the AWS JSON
// Stepwise.DescribeCluster (server/aws_json_cluster.cc); read by
// `stepwise admin cluster`. Runs on the service's pool (a database read).
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "engine/service_error.h"
#include "server/aws_json_cluster.h"
#include "server/proto_time.h"
#include "server/states_service.h"
#include "storage/postgres/shard_leases.h"

namespace stepwise::server {

grpc::ServerUnaryReactor* StatesService::DescribeCluster(grpc::CallbackServerContext* ctx,
                                                         const v1::DescribeClusterRequest*,
                                                         v1::DescribeClusterResponse* resp) {
  return RunBlocking(ctx, [this, resp]() -> absl::Status {
    if (options_.shard_leases == nullptr) {
      return engine::ServiceError("ValidationException", kNotInClusterMode);
    }
    absl::StatusOr<storage::ClusterView> view = options_.shard_leases->DescribeCluster();
    if (!view.ok()) return view.status();
    resp->set_shard_count(view->shard_count);
    for (const storage::ClusterNodeView& n : view->nodes) {
      v1::ClusterNode* out = resp->add_nodes();
      out->set_node_id(n.node_id);
      out->set_advertise_address(n.advertise_address);
      SetTime(n.started_at_ms, out->mutable_started_at());
      SetTime(n.last_heartbeat_ms, out->mutable_last_heartbeat());
      out->set_live(n.live);
      for (int s : n.shards) out->add_shards(s);
    }
    for (int s : view->unowned_shards) resp->add_unowned_shards(s);
    SetTime(SystemClock().NowMs(), resp->mutable_read_at());
    return absl::OkStatus();
  });
}

}  // namespace stepwise::server
