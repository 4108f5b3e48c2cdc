// The AWS JSON GetActivityTask in cluster mode: the same rounds over every
// node as the gRPC one (server/cluster_task_poller.h), a take sent to a
// peer as a forwarded gRPC GetActivityTask whose answer becomes AWS's
// response members. A request whose members do not read runs the usual
// handler, which answers AWS's error.
//
// Threads: called on AwsJsonApi's pool; `done` is called once from any
// thread.
#ifndef SW_SERVER_AWS_JSON_CLUSTER_POLL_H_
#define SW_SERVER_AWS_JSON_CLUSTER_POLL_H_

#include <string>

#include "common/json.h"
#include "server/aws_json_actions.h"
#include "server/cluster_forwarder.h"
#include "server/cluster_task_poller.h"

namespace stepwise::server {

// Serves GetActivityTask (`request`, handler `local`) through `poller`;
// `caller` is the audit log's name for the client, passed to the peers.
void PollActivityOnAnyNode(ClusterTaskPoller* poller,
                           ClusterForwarder* forwarder,
                           const AwsActionContext& ctx, AwsAction local,
                           const json::object& request,
                           const std::string& caller, AwsActionDone done);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_CLUSTER_POLL_H_
