// The Stepwise.DescribeCluster extension on the AWS JSON endpoint: {} ->
// {shardCount, nodes: [{nodeId, advertiseAddress, startedAt, lastHeartbeat,
// live, shards}], unownedShards}, read from PostgreSQL by this node's
// ShardLeases (storage/postgres/shard_leases.h), so every node of a cluster
// answers the same. A node not in cluster mode answers ValidationException.
// FindStepwiseAwsAction (server/aws_json_extensions.cc) asks
// FindClusterAwsAction. Handlers run on AwsJsonApi's pool (a database read).
#ifndef SW_SERVER_AWS_JSON_CLUSTER_H_
#define SW_SERVER_AWS_JSON_CLUSTER_H_

#include <string_view>

#include "server/aws_json_actions.h"

namespace stepwise::server {

// The message of a cluster action on a node without --cluster-shards.
inline constexpr std::string_view kNotInClusterMode =
    "this node is not in cluster mode (--cluster-shards)";

// The handler of a cluster extension `action` (without "Stepwise."), null
// for any other name.
AwsAction FindClusterAwsAction(std::string_view action);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_CLUSTER_H_
