// ClusterForwarder: the client side of forwarding (server/cluster_router.h):
// sends one unary call of the public stepwise.v1.States service to another
// node, signed with the cluster secret (server/cluster_auth.h:
// x-stepwise-forwarded, plus x-stepwise-forwarded-caller for the owner's
// audit log), and hands back the owner's response message and status: the
// gRPC code and message, the AWS error name from its ErrorInfo details,
// and the shard-moved marker from its trailing metadata (IsShardMoved).
// Requests and responses cross as serialized bytes over a generic stub, so
// one code path serves every forwarded RPC.
//
// Threads: Forward may be called from any thread and never blocks (gRPC's
// callback API); `done` runs on a gRPC callback thread. One channel per
// owner address, kept for the life of the forwarder. Destroy after every
// forwarded call has finished (server/main.cc: after the services).
#ifndef SW_SERVER_CLUSTER_FORWARDER_H_
#define SW_SERVER_CLUSTER_FORWARDER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "server/cluster_auth.h"

namespace stepwise::server {

struct ClusterForwarderOptions {
  // Signs every forwarded call (must outlive the forwarder).
  const ClusterAuth* auth = nullptr;
  // This node's id, named in the signature.
  std::string node_id;
  // How the other nodes are reached: insecure when null (nodes serving
  // plaintext gRPC); TLS credentials when they serve TLS.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Deadline of one forwarded call.
  std::chrono::milliseconds timeout{30000};
};

class ClusterForwarder {
 public:
  explicit ClusterForwarder(ClusterForwarderOptions options);
  ~ClusterForwarder();
  ClusterForwarder(const ClusterForwarder&) = delete;
  ClusterForwarder& operator=(const ClusterForwarder&) = delete;

  // Calls `/stepwise.v1.States/<method>` on `address` with `request`;
  // on success `response` (which must stay valid until `done`) holds the
  // owner's answer. `caller` is the original caller as the audit log names
  // it. kUnavailable when the owner cannot be reached. `timeout` (when
  // positive) replaces ClusterForwarderOptions::timeout for this call.
  void Forward(const std::string& address, std::string_view method,
               const google::protobuf::Message& request, google::protobuf::Message* response,
               const std::string& caller, std::function<void(absl::Status)> done,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

 private:
  grpc::GenericStub* StubFor(const std::string& address);

  const ClusterForwarderOptions options_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<grpc::GenericStub>> stubs_;  // guarded by mu_
};

}  // namespace stepwise::server

#endif  // SW_SERVER_CLUSTER_FORWARDER_H_
