// RouteAwsAction (see aws_json_forward.h). AwsJsonApi's pool; completions
// from any thread.
#include "server/aws_json_forward.h"

#include <memory>
#include <optional>
#include <utility>

#include "server/aws_json_members.h"
#include "server/proto_time.h"
#include "stepwise/v1/service.pb.h"

namespace stepwise::server {

namespace {

// What one routed action needs: the gRPC request and response it is
// forwarded as, and how the owner's response becomes AWS's members.
struct Routing {
  const char* method = nullptr;
  std::string execution_arn;
  std::shared_ptr<google::protobuf::Message> request;
  std::shared_ptr<google::protobuf::Message> response;
  std::function<AwsActionResult(const google::protobuf::Message&)> reply;
  // The request the local handler gets (StartExecution: with the name the
  // router made up, so both places start the same execution).
  json::object local_request;
};

AwsActionResult EmptyReply(const google::protobuf::Message&) { return AwsActionResult("{}"); }

// The answer of the actions that start an execution: its ARN and start.
template <typename Response>
AwsActionResult StartedReply(const google::protobuf::Message& msg) {
  const auto& resp = static_cast<const Response&>(msg);
  return AwsActionResult(AwsBody(json::object{{"executionArn", resp.execution_arn()},
                                              {"startDate", AwsSeconds(MsOfTime(resp.start_date()))}}),
                         resp.execution_arn());
}

// Makes `r` forward as gRPC `method` with a Request and a Response message,
// and returns the request for the caller to fill.
template <typename Request, typename Response>
Request* ForwardAs(Routing& r, const char* method) {
  auto request = std::make_shared<Request>();
  Request* fill = request.get();
  r.method = method;
  r.request = std::move(request);
  r.response = std::make_shared<Response>();
  return fill;
}

// nullopt: not a routed action, or members that do not read.
std::optional<Routing> RoutingOf(ClusterRouter* router, const AwsActionContext& ctx,
                                 std::string_view action, const json::object& req) {
  Routing r;
  r.local_request = req;
  Members m(req);
  if (action == "StartExecution") {
    std::string arn = m.Need("stateMachineArn");
    std::optional<std::string> name = m.Str("name");
    std::optional<std::string> input = m.Str("input");
    m.Str("traceHeader");  // read (type-checked) as the handler does; not forwarded
    if (!m.status().ok()) return std::nullopt;
    if (!name.has_value()) {
      name = router->NewExecutionName();
      r.local_request["name"] = *name;
    }
    auto* p = ForwardAs<v1::StartExecutionRequest, v1::StartExecutionResponse>(r, "StartExecution");
    p->set_state_machine_arn(arn);
    p->set_name(*name);
    if (input.has_value()) p->set_input(*input);
    r.execution_arn = StartedExecutionArn(arn, *name);
    r.reply = &StartedReply<v1::StartExecutionResponse>;
  } else if (action == "StopExecution") {
    std::string arn = m.Need("executionArn");
    std::optional<std::string> error = m.Str("error");
    std::optional<std::string> cause = m.Str("cause");
    if (!m.status().ok()) return std::nullopt;
    auto* p = ForwardAs<v1::StopExecutionRequest, v1::StopExecutionResponse>(r, "StopExecution");
    p->set_execution_arn(arn);
    p->set_error(error.value_or(""));
    p->set_cause(cause.value_or(""));
    r.execution_arn = arn;
    r.reply = [](const google::protobuf::Message& msg) {
      const auto& resp = static_cast<const v1::StopExecutionResponse&>(msg);
      return AwsActionResult(
          AwsBody(json::object{{"stopDate", AwsSeconds(MsOfTime(resp.stop_date()))}}));
    };
  } else if (action == "RedriveExecution") {
    std::string arn = m.Need("executionArn");
    std::optional<std::string> token = m.Str("clientToken");
    if (!m.status().ok()) return std::nullopt;
    auto* p =
        ForwardAs<v1::RedriveExecutionRequest, v1::RedriveExecutionResponse>(r, "RedriveExecution");
    p->set_execution_arn(arn);
    p->set_client_token(token.value_or(""));
    r.execution_arn = arn;
    r.reply = [](const google::protobuf::Message& msg) {
      const auto& resp = static_cast<const v1::RedriveExecutionResponse&>(msg);
      return AwsActionResult(
          AwsBody(json::object{{"redriveDate", AwsSeconds(MsOfTime(resp.redrive_date()))}}));
    };
  } else if (action == "Stepwise.RestartExecution") {
    // Members as aws_json_restart.cc reads them; that handler answers the
    // errors of the ones that do not read (here or at the owner).
    std::string arn = m.Need("executionArn");
    std::string state = m.Need("stateName");
    std::optional<int64_t> event_id = m.Int("eventId");
    std::optional<std::string> input = m.Str("input");
    std::optional<std::string> name = m.Str("name");
    if (!m.status().ok()) return std::nullopt;
    // Members outside the handler's constraints: its error, answered here.
    if (arn.empty() || arn.size() > 2048 || state.empty() || state.size() > 80 ||
        event_id.value_or(0) < 0) {
      return std::nullopt;
    }
    auto* p =
        ForwardAs<v1::RestartExecutionRequest, v1::RestartExecutionResponse>(r, "RestartExecution");
    p->set_execution_arn(arn);
    p->set_state_name(state);
    p->set_event_id(event_id.value_or(0));
    if (input.has_value()) p->set_input(*input);
    p->set_name(name.value_or(""));
    r.execution_arn = arn;
    r.reply = &StartedReply<v1::RestartExecutionResponse>;
  } else if (action == "SendTaskSuccess" || action == "SendTaskFailure" ||
             action == "SendTaskHeartbeat") {
    std::string token = m.Need("taskToken");
    if (action == "SendTaskSuccess") {
      std::string output = m.Need("output");
      if (!m.status().ok()) return std::nullopt;
      auto* p =
          ForwardAs<v1::SendTaskSuccessRequest, v1::SendTaskSuccessResponse>(r, "SendTaskSuccess");
      p->set_task_token(token);
      p->set_output(output);
    } else if (action == "SendTaskFailure") {
      std::optional<std::string> error = m.Str("error");
      std::optional<std::string> cause = m.Str("cause");
      if (!m.status().ok()) return std::nullopt;
      auto* p =
          ForwardAs<v1::SendTaskFailureRequest, v1::SendTaskFailureResponse>(r, "SendTaskFailure");
      p->set_task_token(token);
      p->set_error(error.value_or(""));
      p->set_cause(cause.value_or(""));
    } else {
      if (!m.status().ok()) return std::nullopt;
      ForwardAs<v1::SendTaskHeartbeatRequest, v1::SendTaskHeartbeatResponse>(r, "SendTaskHeartbeat")
          ->set_task_token(token);
    }
    // A token that does not decode names no execution: the handler
    // answers InvalidToken here.
    absl::StatusOr<std::string> arn = ctx.engine->ExecutionOfTaskToken(token);
    if (!arn.ok()) return std::nullopt;
    r.execution_arn = *arn;
    r.reply = &EmptyReply;
  } else {
    return std::nullopt;
  }
  return r;
}

}  // namespace

void RouteAwsAction(ClusterRouter* router, ClusterForwarder* forwarder,
                    const AwsActionContext& ctx, std::string_view action, AwsAction local,
                    const json::object& request, const std::string& caller, AwsActionDone done) {
  std::optional<Routing> routing = RoutingOf(router, ctx, action, request);
  if (!routing.has_value()) return local(ctx, request, std::move(done));
  auto shared = std::make_shared<Routing>(*std::move(routing));
  // Where the answer came from: the local handler's result, or the owner's
  // response message turned into AWS's members.
  auto here_result = std::make_shared<std::optional<AwsActionResult>>();
  RoutedCall call;
  call.execution_arn = shared->execution_arn;
  call.run_here = [ctx, local, shared, here_result](std::function<void(absl::Status)> finished) {
    local(ctx, shared->local_request,
          [here_result, finished = std::move(finished)](absl::StatusOr<AwsActionResult> r) {
            if (!r.ok()) return finished(r.status());
            *here_result = *std::move(r);
            finished(absl::OkStatus());
          });
  };
  call.forward = [forwarder, shared, caller](const std::string& address,
                                             std::function<void(absl::Status)> finished) {
    forwarder->Forward(address, shared->method, *shared->request, shared->response.get(), caller,
                       std::move(finished));
  };
  router->Route(std::move(call),
                [shared, here_result, done = std::move(done)](absl::Status s) {
                  if (!s.ok()) return done(s);
                  if (here_result->has_value()) return done(**here_result);
                  done(shared->reply(*shared->response));
                });
}

}  // namespace stepwise::server
