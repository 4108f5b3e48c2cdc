#include "server/states_service.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "engine/arn.h"
#include "engine/dispatch/lambda_function.h"
#include "engine/service_error.h"
#include "engine/test_state/test_state.h"
#include "server/paging.h"
#include "server/proto_tags.h"
#include "server/proto_time.h"
#include "server/status_conversion.h"
#include "server/watch_reactor.h"

namespace stepwise::server {

void FillExecutionListItem(const engine::ExecutionDescription& d, v1::ExecutionListItem* item) {
  item->set_execution_arn(d.execution_arn);
  item->set_state_machine_arn(d.state_machine_arn);
  item->set_name(d.name);
  item->set_status(d.status);
  SetTime(d.start_date, item->mutable_start_date());
  if (d.stop_date != 0) SetTime(d.stop_date, item->mutable_stop_date());
  item->set_redrive_count(d.redrive_count);
  item->set_state_machine_version_arn(d.version_arn);
  item->set_state_machine_alias_arn(d.alias_arn);
  item->set_map_run_arn(d.map_run_arn);
  if (d.item_count) item->set_item_count(*d.item_count);
}

namespace {

void FillMachine(const engine::StateMachineDescription& d, v1::DescribeStateMachineResponse* r) {
  r->set_state_machine_arn(d.arn);
  r->set_name(d.name);
  r->set_status(d.status);
  r->set_definition(d.definition);
  r->set_role_arn(d.role_arn);
  r->set_type(d.type);
  SetTime(d.creation_date, r->mutable_creation_date());
  SetTime(d.update_date != 0 ? d.update_date : d.creation_date, r->mutable_update_date());
  r->set_revision_id(d.revision_id);
  r->set_description(d.description);
  v1::LoggingConfiguration* l = r->mutable_logging_configuration();
  l->set_level(d.logging_configuration.level);
  l->set_include_execution_data(d.logging_configuration.include_execution_data);
  for (const std::string& arn : d.logging_configuration.log_group_arns) l->add_log_group_arns(arn);
}

engine::LoggingConfiguration FromProto(const v1::LoggingConfiguration& p) {
  engine::LoggingConfiguration c;
  if (!p.level().empty()) c.level = p.level();
  c.include_execution_data = p.include_execution_data();
  c.log_group_arns.assign(p.log_group_arns().begin(), p.log_group_arns().end());
  return c;
}

void FillActivity(const engine::ActivityDescription& d, v1::DescribeActivityResponse* r) {
  r->set_activity_arn(d.arn);
  r->set_name(d.name);
  SetTime(d.creation_date, r->mutable_creation_date());
}

int64_t Int(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  if (it->value().is_int64()) return it->value().as_int64();
  if (it->value().is_uint64()) return static_cast<int64_t>(it->value().as_uint64());
  if (it->value().is_double()) return static_cast<int64_t>(it->value().as_double());
  return 0;
}

// Converts one event in AWS's GetExecutionHistory shape to the proto.
void FillEvent(const json::object& e, v1::HistoryEvent* out) {
  out->set_id(Int(e, "id"));
  out->set_previous_event_id(Int(e, "previousEventId"));
  if (auto it = e.find("timestamp"); it != e.end() && IsNumber(it->value())) {
    // Epoch seconds, fractional.
    SetTime(static_cast<TimeMs>(std::llround(ToDouble(it->value()) * 1000.0)),
            out->mutable_timestamp());
  }
  if (auto it = e.find("type"); it != e.end() && it->value().is_string()) {
    out->set_type(std::string(it->value().as_string()));
  }
  for (const auto& kv : e) {
    std::string_view key = kv.key();
    if (key == "id" || key == "previousEventId" || key == "timestamp" || key == "type") continue;
    out->set_details_member(std::string(key));
    out->set_details_json(SerializeJson(kv.value()));
    break;
  }
}

// Compares SHA-256 digests with CRYPTO_memcmp, so the time taken depends
// neither on where the texts differ nor on their lengths.
bool TokenEquals(std::string_view a, std::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof(da)) == 0;
}

std::string ErrorNameOf(const absl::Status& s) {
  return s.ok() ? "OK" : AwsErrorName(s);
}

// A request the gRPC call owns (valid until it finishes), for Routed.
std::shared_ptr<const google::protobuf::Message> Unowned(const google::protobuf::Message* req) {
  return std::shared_ptr<const google::protobuf::Message>(std::shared_ptr<void>(), req);
}

}  // namespace

// ------------------------------------------------------------ StatesService

StatesService::StatesService(engine::Engine* engine, StatesServiceOptions options)
    : engine_(engine), options_(std::move(options)), pool_(options_.pool_threads) {}

StatesService::~StatesService() { watch_timer_.Stop(); }

bool StatesService::BeginShutdown(std::chrono::milliseconds timeout) {
  draining_.store(true);
  std::vector<WatchReactor*> watches;
  {
    std::lock_guard<std::mutex> l(mu_);
    watches.assign(watches_.begin(), watches_.end());
    // Reactors stay alive until OnDone, which first takes mu_ in
    // RemoveWatch: abort them while holding it.
    for (WatchReactor* w : watches) {
      w->Abort(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down"));
    }
  }
  std::unique_lock<std::mutex> l(mu_);
  return idle_cv_.wait_for(l, timeout, [&] { return in_flight_ == 0; });
}

void StatesService::RemoveWatch(WatchReactor* w) {
  std::lock_guard<std::mutex> l(mu_);
  watches_.erase(w);
}

void StatesService::Enter() {
  std::lock_guard<std::mutex> l(mu_);
  ++in_flight_;
}

void StatesService::Leave() {
  std::lock_guard<std::mutex> l(mu_);
  if (--in_flight_ == 0) idle_cv_.notify_all();
}

absl::Status StatesService::Admit(grpc::ServerContextBase* ctx) const {
  if (draining_.load()) return absl::UnavailableError("the server is shutting down");
  const auto& md = ctx->client_metadata();
  if (auto fwd = md.find(kForwardedMetadataKey); fwd != md.end()) {
    // Another node's call: its cluster signature stands for the client's
    // credentials, which the forwarding node checked.
    absl::Status s = options_.cluster_auth == nullptr
                         ? ForwardRefused("this node has no --cluster-secret-file")
                         : options_.cluster_auth->Verify(
                               std::string_view(fwd->second.data(), fwd->second.size()),
                               SystemClock().NowMs() / 1000);
    if (!s.ok()) {
      forwarded_refused_.fetch_add(1);
      spdlog::warn("refused a call marked forwarded from {}: {}", ctx->peer(),
                   std::string(s.message()));
    }
    return s;
  }
  if (options_.tokens.empty()) return absl::OkStatus();
  auto it = md.find("authorization");
  if (it == md.end()) return absl::UnauthenticatedError("missing authorization metadata");
  std::string_view value(it->second.data(), it->second.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (value.substr(0, kBearer.size()) != kBearer) {
    return absl::UnauthenticatedError("authorization must be 'Bearer <token>'");
  }
  value.remove_prefix(kBearer.size());
  bool match = false;
  for (const std::string& t : options_.tokens) match |= TokenEquals(value, t);
  if (!match) return absl::UnauthenticatedError("unknown bearer token");
  return absl::OkStatus();
}

std::string StatesService::CallerOf(grpc::CallbackServerContext* ctx) const {
  const auto& md = ctx->client_metadata();
  if (auto fwd = md.find(kForwardedMetadataKey); fwd != md.end()) {
    std::string caller = "node:" + ClusterAuth::NodeOf(std::string_view(fwd->second.data(),
                                                                        fwd->second.size()));
    if (auto c = md.find(kForwardedCallerMetadataKey); c != md.end()) {
      caller += " for " + std::string(c->second.data(), c->second.size());
    }
    return caller;
  }
  if (!options_.tokens.empty()) {
    auto it = md.find("authorization");
    if (it != md.end()) {
      std::string_view v(it->second.data(), it->second.size());
      if (v.substr(0, 7) == "Bearer ") return TokenCaller(v.substr(7));
    }
  }
  if (auto auth = ctx->auth_context(); auth != nullptr) {
    for (const auto& subject : auth->FindPropertyValues("x509_subject")) {
      return "cert:" + std::string(subject.data(), subject.size());
    }
  }
  return "anonymous";
}

std::string StatesService::TaskExecution(const std::string& token) const {
  if (options_.router == nullptr) return "";
  absl::StatusOr<std::string> arn = engine_->ExecutionOfTaskToken(token);
  return arn.ok() ? *arn : "";
}

std::string StatesService::TaskTokenResource(const std::string& token) const {
  return options_.audit == nullptr ? "" : "taskToken:" + Fingerprint(token);
}

void StatesService::Audit(const std::string& caller, const std::string& peer,
                          const AuditSpec& spec, const absl::Status& status) const {
  if (options_.audit == nullptr || spec.action == nullptr) return;
  std::string resource = spec.resource;
  if (status.ok() && spec.made) {
    std::string made = spec.made();
    if (!made.empty()) resource = made;
  }
  options_.audit->Record(
      AuditRecord{"grpc", caller, peer, spec.action, resource, ErrorNameOf(status)});
}

grpc::ServerUnaryReactor* StatesService::RunBlocking(grpc::CallbackServerContext* ctx,
                                                     std::function<absl::Status()> fn,
                                                     AuditSpec audit) {
  return RunAsync(ctx, OnPool(std::move(fn)), std::move(audit));
}

std::function<void(StatesService::StatusDone)> StatesService::OnPool(
    std::function<absl::Status()> fn) {
  return [this, fn = std::move(fn)](StatusDone done) {
    pool_.Submit([fn, done = std::move(done)] { done(fn()); });
  };
}

std::function<void(StatesService::StatusDone)> StatesService::Routed(
    grpc::CallbackServerContext* ctx, const char* method, std::string execution_arn,
    std::shared_ptr<const google::protobuf::Message> request, google::protobuf::Message* response,
    std::function<void(StatusDone)> here) {
  if (options_.router == nullptr || options_.forwarder == nullptr) return here;
  const auto& md = ctx->client_metadata();
  RoutedCall call;
  call.execution_arn = std::move(execution_arn);
  call.arrived_forwarded = md.find(kForwardedMetadataKey) != md.end();
  call.run_here = std::move(here);
  call.forward = [this, method, request, response, caller = CallerOf(ctx)](
                     const std::string& address, StatusDone done) {
    options_.forwarder->Forward(address, method, *request, response, caller, std::move(done));
  };
  return [router = options_.router, call = std::move(call)](StatusDone done) mutable {
    router->Route(std::move(call), std::move(done));
  };
}

grpc::ServerUnaryReactor* StatesService::RunAsync(grpc::CallbackServerContext* ctx,
                                                   std::function<void(StatusDone)> start,
                                                   AuditSpec audit) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  std::string caller, peer;
  if (options_.audit != nullptr && audit.action != nullptr) {
    caller = CallerOf(ctx);
    peer = ctx->peer();
  }
  if (absl::Status s = Admit(ctx); !s.ok()) {
    Audit(caller, peer, audit, s);
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  Enter();
  start([this, ctx, reactor, audit = std::move(audit), caller = std::move(caller),
         peer = std::move(peer)](absl::Status s) {
    Audit(caller, peer, audit, s);
    // The forwarding node retries elsewhere on this mark.
    if (IsShardMoved(s)) ctx->AddTrailingMetadata(kShardMovedMetadataKey, "1");
    reactor->Finish(ToGrpcStatus(s));
    Leave();
  });
  return reactor;
}

// ---- state machines ----

grpc::ServerUnaryReactor* StatesService::CreateStateMachine(
    grpc::CallbackServerContext* ctx, const v1::CreateStateMachineRequest* req,
    v1::CreateStateMachineResponse* resp) {
  return RunBlocking(
      ctx,
      [this, req, resp]() -> absl::Status {
        auto d = engine_->CreateStateMachine(req->name(), req->definition(), req->role_arn(),
                                             req->type(), TagsFromProto(req->tags()),
                                             FromProto(req->logging_configuration()),
                                             req->publish(), req->version_description());
        if (!d.ok()) return d.status();
        resp->set_state_machine_arn(d->arn);
        resp->set_state_machine_version_arn(d->version_arn);
        SetTime(d->creation_date, resp->mutable_creation_date());
        return absl::OkStatus();
      },
      {"CreateStateMachine", req->name(), [resp] { return resp->state_machine_arn(); }});
}

grpc::ServerUnaryReactor* StatesService::DescribeStateMachine(
    grpc::CallbackServerContext* ctx, const v1::DescribeStateMachineRequest* req,
    v1::DescribeStateMachineResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto d = engine_->DescribeStateMachine(req->state_machine_arn());
    if (!d.ok()) return d.status();
    FillMachine(*d, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::UpdateStateMachine(
    grpc::CallbackServerContext* ctx, const v1::UpdateStateMachineRequest* req,
    v1::UpdateStateMachineResponse* resp) {
  return RunBlocking(
      ctx,
      [this, req, resp]() -> absl::Status {
        std::optional<std::string> definition, role_arn;
        if (req->has_definition()) definition = req->definition();
        if (req->has_role_arn()) role_arn = req->role_arn();
        std::optional<engine::LoggingConfiguration> logging;
        if (req->has_logging_configuration()) logging = FromProto(req->logging_configuration());
        auto d = engine_->UpdateStateMachine(req->state_machine_arn(), definition, role_arn,
                                             logging, req->publish(), req->version_description());
        if (!d.ok()) return d.status();
        SetTime(d->update_date, resp->mutable_update_date());
        resp->set_revision_id(d->revision_id);
        resp->set_state_machine_version_arn(d->version_arn);
        return absl::OkStatus();
      },
      {"UpdateStateMachine", req->state_machine_arn(), nullptr});
}

grpc::ServerUnaryReactor* StatesService::DeleteStateMachine(
    grpc::CallbackServerContext* ctx, const v1::DeleteStateMachineRequest* req,
    v1::DeleteStateMachineResponse* /*resp*/) {
  return RunBlocking(
      ctx, [this, req]() -> absl::Status {
        return engine_->DeleteStateMachine(req->state_machine_arn());
      },
      {"DeleteStateMachine", req->state_machine_arn(), nullptr});
}

grpc::ServerUnaryReactor* StatesService::ListStateMachines(
    grpc::CallbackServerContext* ctx, const v1::ListStateMachinesRequest* req,
    v1::ListStateMachinesResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto all = engine_->ListStateMachines();
    if (!all.ok()) return all.status();
    SW_ASSIGN_OR_RETURN(PageRange page,
                        PageBounds(req->max_results(), req->next_token(), all->size()));
    for (size_t i = page.begin; i < page.end; ++i) {
      const auto& d = (*all)[i];
      v1::StateMachineListItem* item = resp->add_state_machines();
      item->set_state_machine_arn(d.arn);
      item->set_name(d.name);
      item->set_type(d.type);
      SetTime(d.creation_date, item->mutable_creation_date());
    }
    resp->set_next_token(NextPageToken(page, all->size()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::DescribeStateMachineForExecution(
    grpc::CallbackServerContext* ctx, const v1::DescribeStateMachineForExecutionRequest* req,
    v1::DescribeStateMachineResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto d = engine_->DescribeStateMachineForExecution(req->execution_arn());
    if (!d.ok()) return d.status();
    FillMachine(*d, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::ValidateStateMachineDefinition(
    grpc::CallbackServerContext* ctx, const v1::ValidateStateMachineDefinitionRequest* req,
    v1::ValidateStateMachineDefinitionResponse* resp) {
  // Pure CPU (no commit): runs on the pool only to keep large definitions
  // off the gRPC threads.
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    std::string type = req->type().empty() ? "STANDARD" : req->type();
    if (type != "STANDARD" && type != "EXPRESS") {
      return absl::InvalidArgumentError("type must be STANDARD or EXPRESS");
    }
    SW_ASSIGN_OR_RETURN(std::vector<engine::DefinitionDiagnostic> found,
                        engine::Engine::ValidateStateMachineDefinition(
                            req->definition(), type, engine_->validation_options()));
    bool ok = true;
    for (const engine::DefinitionDiagnostic& d : found) {
      if (d.severity == "ERROR") ok = false;
      v1::ValidationDiagnostic* out = resp->add_diagnostics();
      out->set_severity(d.severity);
      out->set_code(d.code);
      out->set_message(d.message);
      out->set_location(d.location);
    }
    resp->set_result(ok ? "OK" : "FAIL");
    return absl::OkStatus();
  });
}

namespace {

// AWS's InspectionData (engine/test_state/test_state.h: JSON text members,
// errorDetails, the Map numbers) as the gRPC message.
void InspectionProto(const json::object& in, v1::TestStateInspectionData* d) {
  auto text = [&in](std::string_view key) -> std::optional<std::string> {
    const json::value* v = in.if_contains(key);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string(v->get_string());
  };
  auto integer = [](const json::object& o, std::string_view key) -> std::optional<int64_t> {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_number()) return std::nullopt;
    return static_cast<int64_t>(ToDouble(*v));
  };
  if (auto v = text("input")) d->set_input(*v);
  if (auto v = text("afterArguments")) d->set_after_arguments(*v);
  if (auto v = text("afterInputPath")) d->set_after_input_path(*v);
  if (auto v = text("afterParameters")) d->set_after_parameters(*v);
  if (auto v = text("result")) d->set_result(*v);
  if (auto v = text("afterResultSelector")) d->set_after_result_selector(*v);
  if (auto v = text("afterResultPath")) d->set_after_result_path(*v);
  if (auto v = text("variables")) d->set_variables(*v);
  if (auto v = text("afterItemsPath")) d->set_after_items_path(*v);
  if (auto v = text("afterItemSelector")) d->set_after_item_selector(*v);
  if (auto v = text("afterItemBatcher")) d->set_after_item_batcher(*v);
  if (auto v = text("afterItemsPointer")) d->set_after_items_pointer(*v);
  if (auto v = integer(in, "maxConcurrency")) d->set_max_concurrency(*v);
  if (auto v = integer(in, "toleratedFailureCount")) d->set_tolerated_failure_count(*v);
  if (const json::value* v = in.if_contains("toleratedFailurePercentage")) {
    if (v->is_number()) d->set_tolerated_failure_percentage(ToDouble(*v));
  }
  auto member = [](const json::object& o, std::string_view key) -> std::string {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
  };
  if (const json::value* r = in.if_contains("request"); r != nullptr && r->is_object()) {
    const json::object& o = r->get_object();
    v1::TestStateHttpRequest* p = d->mutable_request();
    p->set_protocol(member(o, "protocol"));
    p->set_method(member(o, "method"));
    p->set_url(member(o, "url"));
    p->set_headers(member(o, "headers"));
    p->set_body(member(o, "body"));
  }
  if (const json::value* r = in.if_contains("response"); r != nullptr && r->is_object()) {
    const json::object& o = r->get_object();
    v1::TestStateHttpResponse* p = d->mutable_response();
    p->set_protocol(member(o, "protocol"));
    p->set_status_code(member(o, "statusCode"));
    p->set_status_message(member(o, "statusMessage"));
    p->set_headers(member(o, "headers"));
    p->set_body(member(o, "body"));
  }
  const json::value* details = in.if_contains("errorDetails");
  if (details == nullptr || !details->is_object()) return;
  const json::object& e = details->get_object();
  v1::TestStateErrorDetails* ed = d->mutable_error_details();
  if (auto v = integer(e, "catchIndex")) ed->set_catch_index(*v);
  if (auto v = integer(e, "retryIndex")) ed->set_retry_index(*v);
  if (auto v = integer(e, "retryBackoffIntervalSeconds")) {
    ed->set_retry_backoff_interval_seconds(*v);
  }
}

}  // namespace

grpc::ServerUnaryReactor* StatesService::TestState(grpc::CallbackServerContext* ctx,
                                                   const v1::TestStateRequest* req,
                                                   v1::TestStateResponse* resp) {
  // Prepared and run on the pool; a Task without a mock answers from its
  // call's thread (engine/test_state/test_state.h: RunTestStateAsync).
  auto run = [this, req, resp](StatusDone done) {
    engine::TestStateRequest r;
    r.definition = req->definition();
    r.role_arn = req->role_arn();
    if (req->has_input()) r.input = req->input();
    if (!req->inspection_level().empty()) r.inspection_level = req->inspection_level();
    r.reveal_secrets = req->reveal_secrets();
    if (req->has_variables()) r.variables = req->variables();
    if (req->has_state_name()) r.state_name = req->state_name();
    if (req->has_context()) r.context = req->context();
    if (req->has_mock()) {
      engine::TestStateRequest::Mock m;
      if (req->mock().has_result()) m.result = req->mock().result();
      if (req->mock().has_error_output()) {
        m.has_error_output = true;
        m.error = req->mock().error_output().error();
        m.cause = req->mock().error_output().cause();
      }
      if (!req->mock().field_validation_mode().empty()) {
        m.field_validation_mode = req->mock().field_validation_mode();
      }
      r.mock = std::move(m);
    }
    if (req->has_state_configuration()) {
      const v1::TestStateConfiguration& c = req->state_configuration();
      engine::TestStateRequest::Configuration config;
      if (c.has_retrier_retry_count()) config.retrier_retry_count = c.retrier_retry_count();
      if (c.has_error_caused_by_state()) config.error_caused_by_state = c.error_caused_by_state();
      if (c.has_map_iteration_failure_count()) {
        config.map_iteration_failure_count = c.map_iteration_failure_count();
      }
      if (c.has_map_item_reader_data()) config.map_item_reader_data = c.map_item_reader_data();
      r.state_configuration = std::move(config);
    }
    thread_local std::mt19937_64 rng{std::random_device{}()};
    r.execution_name = engine::NewUuid(rng);
    r.now = SystemClock().NowMs();
    engine::RunTestStateAsync(
        r, options_.test_state_targets,
        [resp, done = std::move(done)](absl::StatusOr<engine::TestStateResult> out) {
          if (!out.ok()) return done(out.status());
          resp->set_status(out->status);
          if (out->output.has_value()) resp->set_output(*out->output);
          if (out->error.has_value()) resp->set_error(*out->error);
          if (out->cause.has_value()) resp->set_cause(*out->cause);
          if (out->next_state.has_value()) resp->set_next_state(*out->next_state);
          if (!out->inspection_data.empty()) {
            InspectionProto(out->inspection_data, resp->mutable_inspection_data());
          }
          done(absl::OkStatus());
        });
  };
  return RunAsync(ctx, [this, run = std::move(run)](StatusDone done) {
    pool_.Submit([run, done = std::move(done)]() mutable { run(std::move(done)); });
  }, {});
}

// ---- executions ----

grpc::ServerUnaryReactor* StatesService::StartExecution(grpc::CallbackServerContext* ctx,
                                                        const v1::StartExecutionRequest* req,
                                                        v1::StartExecutionResponse* resp) {
  // In cluster mode the name must be known before the call runs: it picks
  // the execution's shard, hence the node that runs it.
  std::string name = req->name();
  std::shared_ptr<const google::protobuf::Message> forwarded = Unowned(req);
  if (options_.router != nullptr && name.empty()) {
    name = options_.router->NewExecutionName();
    auto named = std::make_shared<v1::StartExecutionRequest>(*req);
    named->set_name(name);
    forwarded = std::move(named);
  }
  std::string execution_arn = StartedExecutionArn(req->state_machine_arn(), name);
  auto here = [this, req, resp, name](StatusDone done) {
    std::string input = req->input().empty() ? "{}" : req->input();
    engine_->StartExecutionAsync(
        req->state_machine_arn(), name, input,
        [this, resp, sm = req->state_machine_arn(),
         done = std::move(done)](absl::StatusOr<engine::StartExecutionResult> r) {
          if (r.ok()) {
            if (options_.on_execution_started) options_.on_execution_started(sm);
            resp->set_execution_arn(r->execution_arn);
            SetTime(r->start_date, resp->mutable_start_date());
          }
          done(r.status());
        });
  };
  return RunAsync(
      ctx,
      Routed(ctx, "StartExecution", std::move(execution_arn), std::move(forwarded), resp,
             std::move(here)),
      {"StartExecution", req->state_machine_arn(), [resp] { return resp->execution_arn(); }});
}

grpc::ServerUnaryReactor* StatesService::StartSyncExecution(
    grpc::CallbackServerContext* ctx, const v1::StartSyncExecutionRequest* req,
    v1::StartSyncExecutionResponse* resp) {
  return RunAsync(
      ctx,
      [this, req, resp](StatusDone done) {
        std::string input = req->input().empty() ? "{}" : req->input();
        engine_->StartSyncExecutionAsync(
            req->state_machine_arn(), req->name(), input,
            [this, resp, sm = req->state_machine_arn(), trace = req->trace_header(),
             done = std::move(done)](absl::StatusOr<engine::SyncExecutionResult> r) {
              if (r.ok()) {
                if (options_.on_execution_started) options_.on_execution_started(sm);
                const engine::ExecutionDescription& d = r->execution;
                resp->set_execution_arn(d.execution_arn);
                resp->set_state_machine_arn(d.state_machine_arn);
                resp->set_name(d.name);
                SetTime(d.start_date, resp->mutable_start_date());
                SetTime(d.stop_date, resp->mutable_stop_date());
                resp->set_status(d.status);
                if (d.error.has_value()) resp->set_error(*d.error);
                if (d.cause.has_value()) resp->set_cause(*d.cause);
                resp->set_input(d.input);
                if (d.output.has_value()) resp->set_output(*d.output);
                resp->set_trace_header(trace);
                resp->set_billed_memory_used_in_mb(r->billed_memory_mb);
                resp->set_billed_duration_in_milliseconds(r->billed_duration_ms);
              }
              done(r.status());
            });
      },
      {"StartSyncExecution", req->state_machine_arn(), [resp] { return resp->execution_arn(); }});
}

grpc::ServerUnaryReactor* StatesService::StopExecution(grpc::CallbackServerContext* ctx,
                                                       const v1::StopExecutionRequest* req,
                                                       v1::StopExecutionResponse* resp) {
  return RunAsync(
      ctx,
      Routed(ctx, "StopExecution", req->execution_arn(), Unowned(req), resp,
             OnPool([this, req, resp]() -> absl::Status {
               auto d = engine_->StopExecution(req->execution_arn(), req->error(), req->cause());
               if (!d.ok()) return d.status();
               SetTime(*d, resp->mutable_stop_date());
               return absl::OkStatus();
             })),
      {"StopExecution", req->execution_arn(), nullptr});
}

grpc::ServerUnaryReactor* StatesService::RedriveExecution(grpc::CallbackServerContext* ctx,
                                                          const v1::RedriveExecutionRequest* req,
                                                          v1::RedriveExecutionResponse* resp) {
  return RunAsync(
      ctx,
      Routed(ctx, "RedriveExecution", req->execution_arn(), Unowned(req), resp,
             OnPool([this, req, resp]() -> absl::Status {
               auto d = engine_->RedriveExecution(req->execution_arn(), req->client_token());
               if (!d.ok()) return d.status();
               SetTime(*d, resp->mutable_redrive_date());
               return absl::OkStatus();
             })),
      {"RedriveExecution", req->execution_arn(), nullptr});
}

grpc::ServerUnaryReactor* StatesService::DescribeExecution(
    grpc::CallbackServerContext* ctx, const v1::DescribeExecutionRequest* req,
    v1::DescribeExecutionResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto d = engine_->DescribeExecution(req->execution_arn());
    if (!d.ok()) return d.status();
    resp->set_execution_arn(d->execution_arn);
    resp->set_state_machine_arn(d->state_machine_arn);
    resp->set_name(d->name);
    resp->set_status(d->status);
    SetTime(d->start_date, resp->mutable_start_date());
    if (d->stop_date != 0) SetTime(d->stop_date, resp->mutable_stop_date());
    resp->set_input(d->input);
    if (d->output.has_value()) resp->set_output(*d->output);
    if (d->error.has_value()) resp->set_error(*d->error);
    if (d->cause.has_value()) resp->set_cause(*d->cause);
    resp->set_redrive_count(d->redrive_count);
    if (d->redrive_date != 0) SetTime(d->redrive_date, resp->mutable_redrive_date());
    resp->set_redrive_status(d->redrive_status);
    resp->set_redrive_status_reason(d->redrive_status_reason);
    resp->set_state_machine_version_arn(d->version_arn);
    resp->set_state_machine_alias_arn(d->alias_arn);
    resp->set_map_run_arn(d->map_run_arn);
    if (req->include_open_tasks() && d->status == "RUNNING") {
      auto open = engine_->ListOpenTasks(req->execution_arn());
      if (!open.ok()) return open.status();
      for (const engine::OpenTaskInfo& t : *open) {
        v1::ExecutionOpenTask* o = resp->add_open_tasks();
        o->set_task_id(t.task_id);
        o->set_activity_arn(t.activity_arn);
        o->set_function_name(t.function_name);
        o->set_started(t.started);
        o->set_callback(t.callback);
        o->set_submitted(t.submitted);
        o->set_pollers(static_cast<int64_t>(t.pollers));
      }
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::ListExecutions(grpc::CallbackServerContext* ctx,
                                                        const v1::ListExecutionsRequest* req,
                                                        v1::ListExecutionsResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    if (!req->map_run_arn().empty() && !req->state_machine_arn().empty()) {
      return engine::ServiceError(
          "ValidationException",
          "Must provide either a StateMachine ARN or a MapRun ARN, not both");
    }
    auto l = req->map_run_arn().empty()
                 ? engine_->ListExecutions(req->state_machine_arn(), req->status_filter(),
                                           req->max_results(), req->next_token(),
                                           req->redrive_filter())
                 : engine_->ListMapRunExecutions(req->map_run_arn(), req->status_filter(),
                                                 req->max_results(), req->next_token(),
                                                 req->redrive_filter());
    if (!l.ok()) return l.status();
    for (const auto& d : l->executions) FillExecutionListItem(d, resp->add_executions());
    resp->set_next_token(l->next_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::GetExecutionHistory(
    grpc::CallbackServerContext* ctx, const v1::GetExecutionHistoryRequest* req,
    v1::GetExecutionHistoryResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    bool include_data = req->has_include_execution_data() ? req->include_execution_data() : true;
    auto page = engine_->GetExecutionHistory(req->execution_arn(), req->max_results(),
                                             req->next_token(), req->reverse_order(),
                                             include_data);
    if (!page.ok()) return page.status();
    for (const json::object& e : page->events) FillEvent(e, resp->add_events());
    resp->set_next_token(page->next_token);
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::HistoryEvent>* StatesService::WatchExecution(
    grpc::CallbackServerContext* ctx, const v1::WatchExecutionRequest* req) {
  if (absl::Status s = Admit(ctx); !s.ok()) {
    // A reactor that only finishes.
    class Refused final : public grpc::ServerWriteReactor<v1::HistoryEvent> {
     public:
      explicit Refused(const grpc::Status& s) { Finish(s); }
      void OnDone() override { delete this; }
    };
    return new Refused(ToGrpcStatus(s));
  }
  return new WatchReactor(this, req->execution_arn(), req->after_event_id());
}

// ---- activities ----

grpc::ServerUnaryReactor* StatesService::CreateActivity(grpc::CallbackServerContext* ctx,
                                                        const v1::CreateActivityRequest* req,
                                                        v1::CreateActivityResponse* resp) {
  return RunBlocking(
      ctx,
      [this, req, resp]() -> absl::Status {
        auto d = engine_->CreateActivity(req->name(), TagsFromProto(req->tags()));
        if (!d.ok()) return d.status();
        resp->set_activity_arn(d->arn);
        SetTime(d->creation_date, resp->mutable_creation_date());
        return absl::OkStatus();
      },
      {"CreateActivity", req->name(), [resp] { return resp->activity_arn(); }});
}

grpc::ServerUnaryReactor* StatesService::DescribeActivity(
    grpc::CallbackServerContext* ctx, const v1::DescribeActivityRequest* req,
    v1::DescribeActivityResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto d = engine_->DescribeActivity(req->activity_arn());
    if (!d.ok()) return d.status();
    FillActivity(*d, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::DeleteActivity(grpc::CallbackServerContext* ctx,
                                                        const v1::DeleteActivityRequest* req,
                                                        v1::DeleteActivityResponse* /*resp*/) {
  return RunBlocking(
      ctx, [this, req]() -> absl::Status { return engine_->DeleteActivity(req->activity_arn()); },
      {"DeleteActivity", req->activity_arn(), nullptr});
}

grpc::ServerUnaryReactor* StatesService::ListActivities(grpc::CallbackServerContext* ctx,
                                                        const v1::ListActivitiesRequest* req,
                                                        v1::ListActivitiesResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto all = engine_->ListActivities();
    if (!all.ok()) return all.status();
    SW_ASSIGN_OR_RETURN(PageRange page,
                        PageBounds(req->max_results(), req->next_token(), all->size()));
    for (size_t i = page.begin; i < page.end; ++i) FillActivity((*all)[i], resp->add_activities());
    resp->set_next_token(NextPageToken(page, all->size()));
    return absl::OkStatus();
  });
}

// The long poll of a worker queue (activity or function), shared by
// GetActivityTask and GetFunctionTask: `poll` starts the engine's poll for
// at most the time given; `fill` writes a grant into the response.
grpc::ServerUnaryReactor* StatesService::LongPoll(
    grpc::CallbackServerContext* ctx, AuditSpec audit,
    std::function<void(int64_t timeout_ms, std::function<void(absl::Status, bool)> done,
                       std::function<bool()> is_cancelled)>
        poll) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  std::string caller, peer;
  if (options_.audit != nullptr) {
    caller = CallerOf(ctx);
    peer = ctx->peer();
  }
  if (absl::Status s = Admit(ctx); !s.ok()) {
    Audit(caller, peer, audit, s);
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  // Poll no longer than the caller waits (less a margin for the reply), so
  // a task is not handed to a caller that already gave up.
  int64_t timeout_ms = 60000;
  auto deadline = ctx->deadline();
  auto now = std::chrono::system_clock::now();
  if (deadline < now + std::chrono::milliseconds(timeout_ms + 1000)) {
    int64_t left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() - 500;
    timeout_ms = std::max<int64_t>(0, left);
  }
  // The context lives until Finish, so asking it about cancellation from
  // the engine before the reply is safe: a worker that went away is not
  // handed a task.
  poll(
      timeout_ms,
      [this, reactor, audit = std::move(audit), caller = std::move(caller),
       peer = std::move(peer)](absl::Status s, bool handed_out) {
        // An empty long poll changed nothing: not audited.
        if (!s.ok() || handed_out) Audit(caller, peer, audit, s);
        reactor->Finish(ToGrpcStatus(s));
      },
      [ctx] { return ctx->IsCancelled(); });
  return reactor;
}

grpc::ServerUnaryReactor* StatesService::GetActivityTask(
    grpc::CallbackServerContext* ctx, const v1::GetActivityTaskRequest* req,
    v1::GetActivityTaskResponse* resp) {
  return LongPoll(
      ctx, {"GetActivityTask", req->activity_arn(), nullptr},
      [this, ctx, req, resp](int64_t timeout_ms,
                             std::function<void(absl::Status, bool)> done,
                             std::function<bool()> is_cancelled) {
        auto here = [this, req, resp, is_cancelled](int64_t wait_ms,
                                                    PollDone polled) {
          engine_->GetActivityTaskAsync(
              req->activity_arn(), req->worker_name(), wait_ms,
              [resp, polled = std::move(polled)](
                  absl::StatusOr<engine::ActivityTaskGrant> g) {
                if (!g.ok()) return polled(g.status(), false);
                resp->set_task_token(g->task_token);
                resp->set_input(g->input);
                polled(absl::OkStatus(), !g->task_token.empty());
              },
              is_cancelled);
        };
        PollAnyNode(
            ctx, "GetActivityTask", req->activity_arn(), *req, resp,
            [resp] { return !resp->task_token().empty(); }, timeout_ms,
            std::move(is_cancelled), std::move(here), std::move(done));
      });
}

grpc::ServerUnaryReactor* StatesService::GetFunctionTask(
    grpc::CallbackServerContext* ctx, const v1::GetFunctionTaskRequest* req,
    v1::GetFunctionTaskResponse* resp) {
  return LongPoll(
      ctx, {"GetFunctionTask", req->function_name(), nullptr},
      [this, ctx, req, resp](int64_t timeout_ms,
                             std::function<void(absl::Status, bool)> done,
                             std::function<bool()> is_cancelled) {
        auto here = [this, req, resp, is_cancelled](int64_t wait_ms,
                                                    PollDone polled) {
          engine_->GetFunctionTaskAsync(
              req->function_name(), req->worker_name(), wait_ms,
              [resp, polled = std::move(polled)](
                  absl::StatusOr<engine::FunctionTaskGrant> g) {
                if (!g.ok()) return polled(g.status(), false);
                resp->set_task_token(g->task_token);
                resp->set_payload(g->payload);
                resp->set_request_id(g->request_id);
                resp->set_function_arn(g->function_arn);
                resp->set_deadline_ms(g->deadline_ms);
                resp->set_client_context(g->client_context);
                resp->set_qualifier(g->qualifier);
                resp->set_execution_arn(g->execution_arn);
                resp->set_state_name(g->state_name);
                polled(absl::OkStatus(), !g->task_token.empty());
              },
              is_cancelled);
        };
        PollAnyNode(
            ctx, "GetFunctionTask",
            engine::FunctionQueueKey(req->function_name()), *req, resp,
            [resp] { return !resp->task_token().empty(); }, timeout_ms,
            std::move(is_cancelled), std::move(here), std::move(done));
      });
}

grpc::ServerUnaryReactor* StatesService::SendTaskSuccess(
    grpc::CallbackServerContext* ctx, const v1::SendTaskSuccessRequest* req,
    v1::SendTaskSuccessResponse* resp) {
  return RunAsync(
      ctx,
      Routed(ctx, "SendTaskSuccess", TaskExecution(req->task_token()), Unowned(req), resp,
             [this, req](StatusDone done) {
               engine_->SendTaskSuccessAsync(req->task_token(), req->output(), std::move(done));
             }),
      {"SendTaskSuccess", TaskTokenResource(req->task_token()), nullptr});
}

grpc::ServerUnaryReactor* StatesService::SendTaskFailure(grpc::CallbackServerContext* ctx,
                                                         const v1::SendTaskFailureRequest* req,
                                                         v1::SendTaskFailureResponse* resp) {
  return RunAsync(
      ctx,
      Routed(ctx, "SendTaskFailure", TaskExecution(req->task_token()), Unowned(req), resp,
             [this, req](StatusDone done) {
               engine_->SendTaskFailureAsync(req->task_token(), req->error(), req->cause(),
                                             std::move(done));
             }),
      {"SendTaskFailure", TaskTokenResource(req->task_token()), nullptr});
}

grpc::ServerUnaryReactor* StatesService::SendTaskHeartbeat(
    grpc::CallbackServerContext* ctx, const v1::SendTaskHeartbeatRequest* req,
    v1::SendTaskHeartbeatResponse* resp) {
  return RunAsync(
      ctx,
      Routed(ctx, "SendTaskHeartbeat", TaskExecution(req->task_token()), Unowned(req), resp,
             [this, req](StatusDone done) {
               engine_->SendTaskHeartbeatAsync(req->task_token(), std::move(done));
             }),
      {"SendTaskHeartbeat", TaskTokenResource(req->task_token()), nullptr});
}

// ---- administration ----

grpc::ServerUnaryReactor* StatesService::Backup(grpc::CallbackServerContext* ctx,
                                                const v1::BackupRequest* req,
                                                v1::BackupResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    if (!options_.backup) return absl::UnimplementedError("backup is not available");
    std::filesystem::path dir(req->dir());
    if (dir.empty() || !dir.is_absolute()) {
      return absl::InvalidArgumentError(
          absl::StrCat("backup directory '", req->dir(),
                       "' must be an absolute path on the server's filesystem"));
    }
    dir = dir.lexically_normal();
    SW_RETURN_IF_ERROR(options_.backup(dir.string()));
    uint64_t bytes = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code size_ec;
      if (it->is_regular_file(size_ec)) {
        uintmax_t n = it->file_size(size_ec);
        if (!size_ec) bytes += n;
      }
    }
    resp->set_dir(dir.string());
    resp->set_bytes(bytes);
    spdlog::info("backup written to {} ({} bytes)", dir.string(), bytes);
    return absl::OkStatus();
  }, {"Backup", req->dir(), nullptr});
}

}  // namespace stepwise::server
