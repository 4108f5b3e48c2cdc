// StatesService: the version and alias RPCs (PublishStateMachineVersion,
// List/DeleteStateMachineVersion, Create/Describe/Update/Delete/
// ListStateMachineAliases; see states_service.h). Blocking engine calls on
// the service's pool, like the catalog's other RPCs; the writes are audited.
#include <optional>
#include <string>
#include <vector>

#include "common/status_macros.h"
#include "server/paging.h"
#include "server/proto_time.h"
#include "server/states_service.h"

namespace stepwise::server {

namespace {

using RoutingProto = google::protobuf::RepeatedPtrField<v1::RoutingConfigurationListItem>;

std::vector<engine::AliasRoute> RoutingFromProto(const RoutingProto& in) {
  std::vector<engine::AliasRoute> out;
  for (const auto& r : in) out.push_back({r.state_machine_version_arn(), r.weight()});
  return out;
}

void RoutingToProto(const std::vector<engine::AliasRoute>& in, RoutingProto* out) {
  for (const engine::AliasRoute& r : in) {
    v1::RoutingConfigurationListItem* item = out->Add();
    item->set_state_machine_version_arn(r.version_arn);
    item->set_weight(static_cast<int32_t>(r.weight));
  }
}

}  // namespace

grpc::ServerUnaryReactor* StatesService::PublishStateMachineVersion(
    grpc::CallbackServerContext* ctx, const v1::PublishStateMachineVersionRequest* req,
    v1::PublishStateMachineVersionResponse* resp) {
  return RunBlocking(
      ctx,
      [this, req, resp]() -> absl::Status {
        std::optional<std::string> revision_id;
        if (req->has_revision_id()) revision_id = req->revision_id();
        auto v = engine_->PublishStateMachineVersion(req->state_machine_arn(), revision_id,
                                                     req->description());
        if (!v.ok()) return v.status();
        resp->set_state_machine_version_arn(v->arn);
        SetTime(v->creation_date, resp->mutable_creation_date());
        return absl::OkStatus();
      },
      {"PublishStateMachineVersion", req->state_machine_arn(),
       [resp] { return resp->state_machine_version_arn(); }});
}

grpc::ServerUnaryReactor* StatesService::ListStateMachineVersions(
    grpc::CallbackServerContext* ctx, const v1::ListStateMachineVersionsRequest* req,
    v1::ListStateMachineVersionsResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto all = engine_->ListStateMachineVersions(req->state_machine_arn());
    if (!all.ok()) return all.status();
    SW_ASSIGN_OR_RETURN(PageRange page,
                        PageBounds(req->max_results(), req->next_token(), all->size()));
    for (size_t i = page.begin; i < page.end; ++i) {
      v1::StateMachineVersionListItem* item = resp->add_state_machine_versions();
      item->set_state_machine_version_arn((*all)[i].arn);
      SetTime((*all)[i].creation_date, item->mutable_creation_date());
    }
    resp->set_next_token(NextPageToken(page, all->size()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::DeleteStateMachineVersion(
    grpc::CallbackServerContext* ctx, const v1::DeleteStateMachineVersionRequest* req,
    v1::DeleteStateMachineVersionResponse* /*resp*/) {
  return RunBlocking(
      ctx,
      [this, req]() -> absl::Status {
        return engine_->DeleteStateMachineVersion(req->state_machine_version_arn());
      },
      {"DeleteStateMachineVersion", req->state_machine_version_arn(), nullptr});
}

grpc::ServerUnaryReactor* StatesService::CreateStateMachineAlias(
    grpc::CallbackServerContext* ctx, const v1::CreateStateMachineAliasRequest* req,
    v1::CreateStateMachineAliasResponse* resp) {
  return RunBlocking(
      ctx,
      [this, req, resp]() -> absl::Status {
        auto a = engine_->CreateStateMachineAlias(req->name(), req->description(),
                                                  RoutingFromProto(req->routing_configuration()));
        if (!a.ok()) return a.status();
        resp->set_state_machine_alias_arn(a->arn);
        SetTime(a->creation_date, resp->mutable_creation_date());
        return absl::OkStatus();
      },
      {"CreateStateMachineAlias", req->name(),
       [resp] { return resp->state_machine_alias_arn(); }});
}

grpc::ServerUnaryReactor* StatesService::DescribeStateMachineAlias(
    grpc::CallbackServerContext* ctx, const v1::DescribeStateMachineAliasRequest* req,
    v1::DescribeStateMachineAliasResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto a = engine_->DescribeStateMachineAlias(req->state_machine_alias_arn());
    if (!a.ok()) return a.status();
    resp->set_state_machine_alias_arn(a->arn);
    resp->set_name(a->name);
    resp->set_description(a->description);
    RoutingToProto(a->routing, resp->mutable_routing_configuration());
    SetTime(a->creation_date, resp->mutable_creation_date());
    SetTime(a->update_date, resp->mutable_update_date());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::UpdateStateMachineAlias(
    grpc::CallbackServerContext* ctx, const v1::UpdateStateMachineAliasRequest* req,
    v1::UpdateStateMachineAliasResponse* resp) {
  return RunBlocking(
      ctx,
      [this, req, resp]() -> absl::Status {
        std::optional<std::string> description;
        if (req->has_description()) description = req->description();
        std::optional<std::vector<engine::AliasRoute>> routing;
        if (req->routing_configuration_size() > 0) {
          routing = RoutingFromProto(req->routing_configuration());
        }
        auto a = engine_->UpdateStateMachineAlias(req->state_machine_alias_arn(), description,
                                                  routing);
        if (!a.ok()) return a.status();
        SetTime(a->update_date, resp->mutable_update_date());
        return absl::OkStatus();
      },
      {"UpdateStateMachineAlias", req->state_machine_alias_arn(), nullptr});
}

grpc::ServerUnaryReactor* StatesService::DeleteStateMachineAlias(
    grpc::CallbackServerContext* ctx, const v1::DeleteStateMachineAliasRequest* req,
    v1::DeleteStateMachineAliasResponse* /*resp*/) {
  return RunBlocking(
      ctx,
      [this, req]() -> absl::Status {
        return engine_->DeleteStateMachineAlias(req->state_machine_alias_arn());
      },
      {"DeleteStateMachineAlias", req->state_machine_alias_arn(), nullptr});
}

grpc::ServerUnaryReactor* StatesService::ListStateMachineAliases(
    grpc::CallbackServerContext* ctx, const v1::ListStateMachineAliasesRequest* req,
    v1::ListStateMachineAliasesResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto all = engine_->ListStateMachineAliases(req->state_machine_arn());
    if (!all.ok()) return all.status();
    SW_ASSIGN_OR_RETURN(PageRange page,
                        PageBounds(req->max_results(), req->next_token(), all->size()));
    for (size_t i = page.begin; i < page.end; ++i) {
      v1::StateMachineAliasListItem* item = resp->add_state_machine_aliases();
      item->set_state_machine_alias_arn((*all)[i].arn);
      SetTime((*all)[i].creation_date, item->mutable_creation_date());
    }
    resp->set_next_token(NextPageToken(page, all->size()));
    return absl::OkStatus();
  });
}

}  // namespace stepwise::server
