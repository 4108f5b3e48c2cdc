// StatesService: the RestartExecution RPC (restart from any state, a
// Stepwise extension; see states_service.h and engine/restart.h). A
// blocking engine call on the service's pool, routed in cluster mode like
// RedriveExecution, audited as Stepwise.RestartExecution.
#include <memory>
#include <optional>
#include <string>

#include "server/proto_time.h"
#include "server/states_service.h"

namespace stepwise::server {

grpc::ServerUnaryReactor* StatesService::RestartExecution(grpc::CallbackServerContext* ctx,
                                                          const v1::RestartExecutionRequest* req,
                                                          v1::RestartExecutionResponse* resp) {
  // Runs on the owner of the original execution (cluster mode), which
  // names the new one so that it lands on a shard it holds (engine/restart.h).
  return RunAsync(
      ctx,
      Routed(ctx, "RestartExecution", req->execution_arn(),
             // The request the gRPC call owns, valid until it finishes.
             std::shared_ptr<const google::protobuf::Message>(std::shared_ptr<void>(), req), resp,
             OnPool([this, req, resp]() -> absl::Status {
               std::optional<std::string> input;
               if (req->has_input()) input = req->input();
               auto r = engine_->RestartExecution(req->execution_arn(), req->state_name(),
                                                  req->event_id(), input, req->name());
               if (!r.ok()) return r.status();
               resp->set_execution_arn(r->execution_arn);
               SetTime(r->start_date, resp->mutable_start_date());
               return absl::OkStatus();
             })),
      // Audited under the extension's name, as the AWS endpoint audits it.
      {"Stepwise.RestartExecution", req->execution_arn(),
       [resp] { return resp->execution_arn(); }});
}

}  // namespace stepwise::server
