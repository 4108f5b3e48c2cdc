// Cluster routing of the AWS JSON actions that act on one execution
// (StartExecution, StopExecution, RedriveExecution, SendTaskSuccess,
// SendTaskFailure, SendTaskHeartbeat, and the extension
// Stepwise.RestartExecution, routed by the original execution): the request's members become the
// matching gRPC request, ClusterRouter (server/cluster_router.h) runs the
// action here (the usual handler) or forwards it to the owner of the
// execution's shard, whose gRPC answer is turned back into AWS's response
// members; an owner's error keeps its AWS name and message. Any other
// action, and a request whose members do not read (the handler then
// answers AWS's error), runs here unchanged.
//
// Threads: called on AwsJsonApi's pool; `done` is called once from any
// thread (a gRPC callback thread when forwarded).
#ifndef SW_SERVER_AWS_JSON_FORWARD_H_
#define SW_SERVER_AWS_JSON_FORWARD_H_

#include <string>
#include <string_view>

#include "common/json.h"
#include "server/aws_json_actions.h"
#include "server/cluster_forwarder.h"
#include "server/cluster_router.h"

namespace stepwise::server {

// Runs `action` (handler `local`) through `router`; `caller` is the
// audit log's name for the client, passed to the owner.
void RouteAwsAction(ClusterRouter* router, ClusterForwarder* forwarder,
                    const AwsActionContext& ctx, std::string_view action, AwsAction local,
                    const json::object& request, const std::string& caller, AwsActionDone done);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_FORWARD_H_
