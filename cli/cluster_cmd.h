// `stepwise admin cluster [--json]`: the cluster as stepwised's database
// sees it (gRPC DescribeCluster): one line per node (id, gRPC address,
// live, heartbeat age, shard count and shards), then the shards nobody
// holds. Called from RunRemote on the main thread; FormatCluster is pure.
#ifndef SW_CLI_CLUSTER_CMD_H_
#define SW_CLI_CLUSTER_CMD_H_

#include <string>

#include "cli/cli_args.h"
#include "client/client.h"
#include "stepwise/v1/service.pb.h"

namespace stepwise::client {

// The table `admin cluster` prints for `cluster`.
std::string FormatCluster(const v1::DescribeClusterResponse& cluster);

// Runs `admin cluster`: kExitOk, or kExitCallFailed (e.g. the server is not
// in cluster mode: ValidationException).
int ClusterCommand(const RemoteArgs& a, Client& c);

}  // namespace stepwise::client

#endif  // SW_CLI_CLUSTER_CMD_H_
