// StatesService: the batch operation RPCs (StartBatchOperation,
// DescribeBatchOperation, ListBatchOperations, CancelBatchOperation; see
// states_service.h and engine/batch/). Blocking engine calls on the
// service's pool; Start and Cancel are audited.
#include <string>

#include "server/proto_time.h"
#include "server/states_service.h"

namespace stepwise::server {

namespace {

void BatchToProto(const engine::BatchOperation& op, v1::BatchOperation* out) {
  out->set_batch_operation_id(op.id);
  out->set_operation(op.operation);
  out->set_query(op.query);
  out->set_state_machine_arn(op.state_machine_arn);
  out->set_status_filter(op.status_filter);
  out->set_status(op.status);
  out->set_status_reason(op.status_reason);
  out->set_selected_count(op.selected);
  out->set_processed_count(op.processed());
  out->set_succeeded_count(op.succeeded);
  out->set_skipped_count(op.skipped);
  out->set_failed_count(op.failed);
  SetTime(op.start_date, out->mutable_start_date());
  if (op.stop_date != 0) SetTime(op.stop_date, out->mutable_stop_date());
  for (const engine::BatchFailure& f : op.failures) {
    v1::BatchOperationFailure* p = out->add_failures();
    p->set_execution_arn(f.execution_arn);
    p->set_error(f.error);
    p->set_cause(f.cause);
  }
}

}  // namespace

grpc::ServerUnaryReactor* StatesService::StartBatchOperation(
    grpc::CallbackServerContext* ctx, const v1::StartBatchOperationRequest* req,
    v1::StartBatchOperationResponse* resp) {
  return RunBlocking(
      ctx,
      [this, req, resp]() -> absl::Status {
        auto op = engine_->StartBatchOperation(
            {req->operation(), req->state_machine_arn(), req->status_filter(), req->query(),
             req->error(), req->cause(), req->client_token()});
        if (!op.ok()) return op.status();
        resp->set_batch_operation_id(op->id);
        SetTime(op->start_date, resp->mutable_start_date());
        return absl::OkStatus();
      },
      {"StartBatchOperation", req->state_machine_arn(),
       [resp] { return resp->batch_operation_id(); }});
}

grpc::ServerUnaryReactor* StatesService::DescribeBatchOperation(
    grpc::CallbackServerContext* ctx, const v1::DescribeBatchOperationRequest* req,
    v1::BatchOperation* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto op = engine_->DescribeBatchOperation(req->batch_operation_id());
    if (!op.ok()) return op.status();
    BatchToProto(*op, resp);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::ListBatchOperations(
    grpc::CallbackServerContext* ctx, const v1::ListBatchOperationsRequest* /*req*/,
    v1::ListBatchOperationsResponse* resp) {
  return RunBlocking(ctx, [this, resp]() -> absl::Status {
    auto all = engine_->ListBatchOperations();
    if (!all.ok()) return all.status();
    for (const engine::BatchOperation& op : *all) BatchToProto(op, resp->add_batch_operations());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::CancelBatchOperation(
    grpc::CallbackServerContext* ctx, const v1::CancelBatchOperationRequest* req,
    v1::CancelBatchOperationResponse* /*resp*/) {
  return RunBlocking(
      ctx, [this, req]() -> absl::Status {
        return engine_->CancelBatchOperation(req->batch_operation_id());
      },
      {"CancelBatchOperation", req->batch_operation_id(), nullptr});
}

}  // namespace stepwise::server
