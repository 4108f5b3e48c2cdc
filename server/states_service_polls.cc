// StatesService::PollAnyNode: where a worker's GetActivityTask or
// GetFunctionTask is served (server/cluster_task_poller.h). Called on a
// gRPC callback thread; never blocks it (the engine's poll and the
// forwarded takes are asynchronous, the peer lookup runs on the poller's
// pool).
#include <chrono>
#include <memory>
#include <utility>

#include "server/states_service.h"

namespace stepwise::server {

namespace {
// A take with less time left than this is answered "none" at once.
constexpr std::chrono::milliseconds kLateTake{50};
}  // namespace

void StatesService::PollAnyNode(
    grpc::CallbackServerContext* ctx, const char* method, std::string queue,
    const google::protobuf::Message& request,
    google::protobuf::Message* response, std::function<bool()> handed_out,
    int64_t timeout_ms, std::function<bool()> is_cancelled,
    std::function<void(int64_t timeout_ms, PollDone done)> here,
    std::function<void(absl::Status, bool)> done) {
  if (options_.task_poller == nullptr || options_.forwarder == nullptr) {
    return here(timeout_ms, std::move(done));
  }
  // Another node's take (LongPoll admitted its signature): this node's
  // queue only, now; never forwarded again.
  if (ctx->client_metadata().count(kForwardedMetadataKey) > 0) {
    // One that arrives with its asker's time (nearly) gone, e.g. at a node
    // that was paused, hands nothing out: its answer could not arrive.
    if (ctx->deadline() < std::chrono::system_clock::now() + kLateTake) {
      return done(absl::OkStatus(), false);
    }
    return here(0, std::move(done));
  }
  ClusterPollCall call;
  call.queue = std::move(queue);
  call.timeout_ms = timeout_ms;
  call.is_cancelled = std::move(is_cancelled);
  call.local = std::move(here);
  call.take = [forwarder = options_.forwarder, method, &request, response,
               handed_out = std::move(handed_out), caller = CallerOf(ctx)](
                  const std::string& address, std::chrono::milliseconds timeout,
                  PollDone taken) {
    forwarder->Forward(
        address, method, request, response, caller,
        [handed_out, taken = std::move(taken)](absl::Status s) {
          if (!s.ok()) return taken(std::move(s), false);
          taken(absl::OkStatus(), handed_out());
        },
        timeout);
  };
  options_.task_poller->Poll(std::move(call), std::move(done));
}

}  // namespace stepwise::server
