// StatesService: the search RPCs (PutIndexedFields, GetIndexedFields,
// SearchExecutions, CountExecutions), each one blocking engine call on the
// service's pool (engine/search/). gRPC callback threads hand off; the pool
// runs them.
#include <utility>
#include <vector>

#include "server/states_service.h"

namespace stepwise::server {

grpc::ServerUnaryReactor* StatesService::PutIndexedFields(grpc::CallbackServerContext* ctx,
                                                          const v1::PutIndexedFieldsRequest* req,
                                                          v1::PutIndexedFieldsResponse*) {
  return RunBlocking(
      ctx,
      [this, req]() -> absl::Status {
        std::vector<engine::IndexedField> fields;
        for (const v1::IndexedField& f : req->indexed_fields()) {
          fields.push_back({f.name(), f.source(), f.path(), f.expression()});
        }
        return engine_->PutIndexedFields(req->state_machine_arn(), fields);
      },
      {"PutIndexedFields", req->state_machine_arn(), nullptr});
}

grpc::ServerUnaryReactor* StatesService::GetIndexedFields(grpc::CallbackServerContext* ctx,
                                                          const v1::GetIndexedFieldsRequest* req,
                                                          v1::GetIndexedFieldsResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto fields = engine_->GetIndexedFields(req->state_machine_arn());
    if (!fields.ok()) return fields.status();
    for (const engine::IndexedField& f : *fields) {
      v1::IndexedField* o = resp->add_indexed_fields();
      o->set_name(f.name);
      o->set_source(f.source);
      o->set_path(f.path);
      o->set_expression(f.expression);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::SearchExecutions(grpc::CallbackServerContext* ctx,
                                                          const v1::SearchExecutionsRequest* req,
                                                          v1::SearchExecutionsResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto l = engine_->SearchExecutions(req->query(), req->state_machine_arn(), req->max_results(),
                                       req->next_token());
    if (!l.ok()) return l.status();
    for (const auto& d : l->executions) {
      v1::SearchedExecution* found = resp->add_executions();
      FillExecutionListItem(d, found->mutable_execution());
      for (const auto& [name, value] : d.indexed_fields) {
        (*found->mutable_indexed_fields())[name] = value;
      }
    }
    resp->set_next_token(l->next_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::CountExecutions(grpc::CallbackServerContext* ctx,
                                                         const v1::CountExecutionsRequest* req,
                                                         v1::CountExecutionsResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto n = engine_->CountExecutions(req->query(), req->state_machine_arn());
    if (!n.ok()) return n.status();
    resp->set_count(*n);
    return absl::OkStatus();
  });
}

}  // namespace stepwise::server
