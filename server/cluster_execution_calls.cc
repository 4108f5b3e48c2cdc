// ClusterExecutionCalls (cluster_execution_calls.h): the engine's calls on
// other nodes' executions, as forwarded public calls.
#include "server/cluster_execution_calls.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "stepwise/v1/service.pb.h"
#include "server/proto_time.h"

namespace stepwise::server {

namespace {
// A lost answer is retried by the engine (every call is safe to repeat);
// shutdown waits for calls in flight, so keep them short.
constexpr std::chrono::milliseconds kCallTimeout{10000};
}  // namespace

void ClusterExecutionCalls::Bind(ClusterRouter* router, ClusterForwarder* forwarder,
                                 std::string node_id) {
  std::lock_guard<std::mutex> l(mu_);
  router_ = router;
  forwarder_ = forwarder;
  caller_ = "node:" + node_id;
}

void ClusterExecutionCalls::Unbind() {
  std::unique_lock<std::mutex> l(mu_);
  router_ = nullptr;
  forwarder_ = nullptr;
  idle_.wait(l, [this] { return in_flight_ == 0; });
}

void ClusterExecutionCalls::Call(const char* method, std::string arn,
                                 std::shared_ptr<const google::protobuf::Message> request,
                                 std::shared_ptr<google::protobuf::Message> response,
                                 std::function<void(absl::Status)> done) {
  ClusterRouter* router;
  ClusterForwarder* forwarder;
  std::string caller;
  {
    std::lock_guard<std::mutex> l(mu_);
    router = router_;
    forwarder = forwarder_;
    caller = caller_;
    if (router != nullptr) ++in_flight_;
  }
  if (router == nullptr) {
    return done(absl::UnavailableError("cluster calls are not ready yet (starting or stopping)"));
  }
  RoutedCall call;
  call.execution_arn = std::move(arn);
  // The router found this node holding the shard (it moved here since the
  // engine asked): the engine runs it here on its retry.
  call.run_here = [](std::function<void(absl::Status)> d) {
    d(absl::UnavailableError("the execution's shard moved to this node"));
  };
  call.forward = [forwarder, method, request, response, caller](
                     const std::string& address, std::function<void(absl::Status)> d) {
    forwarder->Forward(address, method, *request, response.get(), caller, std::move(d),
                       kCallTimeout);
  };
  router->Route(std::move(call), [this, done = std::move(done)](absl::Status s) {
    done(std::move(s));
    std::lock_guard<std::mutex> l(mu_);
    if (--in_flight_ == 0) idle_.notify_all();
  });
}

void ClusterExecutionCalls::Start(
    const std::string& machine_arn, const std::string& name, const std::string& input,
    std::function<void(absl::StatusOr<engine::StartExecutionResult>)> done) {
  auto req = std::make_shared<v1::StartExecutionRequest>();
  req->set_state_machine_arn(machine_arn);
  req->set_name(name);
  req->set_input(input);
  auto resp = std::make_shared<v1::StartExecutionResponse>();
  Call("StartExecution", StartedExecutionArn(machine_arn, name), req, resp,
       [resp, done = std::move(done)](absl::Status s) {
         if (!s.ok()) return done(s);
         done(engine::StartExecutionResult{resp->execution_arn(), MsOfTime(resp->start_date())});
       });
}

void ClusterExecutionCalls::Stop(const std::string& arn, const std::string& error,
                                 const std::string& cause,
                                 std::function<void(absl::StatusOr<TimeMs>)> done) {
  auto req = std::make_shared<v1::StopExecutionRequest>();
  req->set_execution_arn(arn);
  req->set_error(error);
  req->set_cause(cause);
  auto resp = std::make_shared<v1::StopExecutionResponse>();
  Call("StopExecution", arn, req, resp, [resp, done = std::move(done)](absl::Status s) {
    if (!s.ok()) return done(s);
    done(MsOfTime(resp->stop_date()));
  });
}

void ClusterExecutionCalls::Redrive(const std::string& arn, const std::string& client_token,
                                    std::function<void(absl::StatusOr<TimeMs>)> done) {
  auto req = std::make_shared<v1::RedriveExecutionRequest>();
  req->set_execution_arn(arn);
  req->set_client_token(client_token);
  auto resp = std::make_shared<v1::RedriveExecutionResponse>();
  Call("RedriveExecution", arn, req, resp, [resp, done = std::move(done)](absl::Status s) {
    if (!s.ok()) return done(s);
    done(MsOfTime(resp->redrive_date()));
  });
}

}  // namespace stepwise::server
