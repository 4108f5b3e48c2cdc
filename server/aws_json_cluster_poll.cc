// PollActivityOnAnyNode (see aws_json_cluster_poll.h). AwsJsonApi's pool;
// completions from any thread.
#include "server/aws_json_cluster_poll.h"

#include <memory>
#include <optional>
#include <utility>

#include "server/aws_json_members.h"
#include "stepwise/v1/service.pb.h"

namespace stepwise::server {

namespace {
// AWS's GetActivityTask long poll.
constexpr int64_t kPollMs = 60000;
}  // namespace

void PollActivityOnAnyNode(ClusterTaskPoller* poller,
                           ClusterForwarder* forwarder,
                           const AwsActionContext& ctx, AwsAction local,
                           const json::object& request,
                           const std::string& caller, AwsActionDone done) {
  Members m(request);
  std::string arn = m.Need("activityArn");
  std::optional<std::string> worker = m.Str("workerName");
  if (!m.status().ok()) return local(ctx, request, std::move(done));
  auto req = std::make_shared<v1::GetActivityTaskRequest>();
  req->set_activity_arn(arn);
  req->set_worker_name(worker.value_or(""));
  // Filled by whichever node hands the task out.
  auto resp = std::make_shared<v1::GetActivityTaskResponse>();
  ClusterPollCall call;
  call.queue = arn;
  call.timeout_ms = kPollMs;
  call.is_cancelled = ctx.client_gone;
  call.local = [engine = ctx.engine, req, resp, gone = ctx.client_gone](
                   int64_t wait_ms, PollDone polled) {
    engine->GetActivityTaskAsync(
        req->activity_arn(), req->worker_name(), wait_ms,
        [resp, polled = std::move(polled)](
            absl::StatusOr<engine::ActivityTaskGrant> g) {
          if (!g.ok()) return polled(g.status(), false);
          resp->set_task_token(g->task_token);
          resp->set_input(g->input);
          polled(absl::OkStatus(), !g->task_token.empty());
        },
        gone);
  };
  call.take = [forwarder, req, resp, caller](const std::string& address,
                                             std::chrono::milliseconds timeout,
                                             PollDone taken) {
    forwarder->Forward(
        address, "GetActivityTask", *req, resp.get(), caller,
        [resp, taken = std::move(taken)](absl::Status s) {
          if (!s.ok()) return taken(std::move(s), false);
          taken(absl::OkStatus(), !resp->task_token().empty());
        },
        timeout);
  };
  poller->Poll(std::move(call), [resp, done = std::move(done)](
                                    absl::Status s, bool handed_out) {
    if (!s.ok()) return done(s);
    // No task before the poll ended: AWS answers with no token.
    if (!handed_out) return done(AwsActionResult("{}"));
    done(AwsActionResult(AwsBody(json::object{{"taskToken", resp->task_token()},
                                              {"input", resp->input()}})));
  });
}

}  // namespace stepwise::server
