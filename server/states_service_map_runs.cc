// StatesService: the Map Run RPCs (DescribeMapRun, ListMapRuns,
// UpdateMapRun; see states_service.h). Blocking engine calls on the
// service's pool, like the catalog's other RPCs; UpdateMapRun is audited.
#include <optional>
#include <string>
#include <vector>

#include "common/status_macros.h"
#include "server/paging.h"
#include "server/proto_time.h"
#include "server/states_service.h"

namespace stepwise::server {

namespace {

void CountsToProto(const engine::MapRunCounts& c, v1::MapRunCounts* out) {
  out->set_pending(c.pending);
  out->set_running(c.running);
  out->set_succeeded(c.succeeded);
  out->set_failed(c.failed);
  out->set_timed_out(c.timed_out);
  out->set_aborted(c.aborted);
  out->set_total(c.total);
  out->set_results_written(c.results_written);
  out->set_failures_not_redrivable(c.failures_not_redrivable);
  out->set_pending_redrive(c.pending_redrive);
}

}  // namespace

grpc::ServerUnaryReactor* StatesService::DescribeMapRun(grpc::CallbackServerContext* ctx,
                                                        const v1::DescribeMapRunRequest* req,
                                                        v1::DescribeMapRunResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto d = engine_->DescribeMapRun(req->map_run_arn());
    if (!d.ok()) return d.status();
    resp->set_map_run_arn(d->map_run_arn);
    resp->set_execution_arn(d->execution_arn);
    resp->set_status(d->status);
    SetTime(d->start_date, resp->mutable_start_date());
    if (d->stop_date != 0) SetTime(d->stop_date, resp->mutable_stop_date());
    resp->set_max_concurrency(static_cast<int32_t>(d->max_concurrency));
    resp->set_tolerated_failure_percentage(d->tolerated_failure_percentage);
    resp->set_tolerated_failure_count(d->tolerated_failure_count);
    CountsToProto(d->items, resp->mutable_item_counts());
    CountsToProto(d->executions, resp->mutable_execution_counts());
    resp->set_redrive_count(static_cast<int32_t>(d->redrive_count));
    if (d->redrive_date != 0) SetTime(d->redrive_date, resp->mutable_redrive_date());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::ListMapRuns(grpc::CallbackServerContext* ctx,
                                                     const v1::ListMapRunsRequest* req,
                                                     v1::ListMapRunsResponse* resp) {
  return RunBlocking(ctx, [this, req, resp]() -> absl::Status {
    auto all = engine_->ListMapRuns(req->execution_arn());
    if (!all.ok()) return all.status();
    SW_ASSIGN_OR_RETURN(PageRange page,
                        PageBounds(req->max_results(), req->next_token(), all->size()));
    for (size_t i = page.begin; i < page.end; ++i) {
      const engine::MapRunDescription& d = (*all)[i];
      v1::MapRunListItem* item = resp->add_map_runs();
      item->set_execution_arn(d.execution_arn);
      item->set_map_run_arn(d.map_run_arn);
      item->set_state_machine_arn(d.state_machine_arn);
      SetTime(d.start_date, item->mutable_start_date());
      if (d.stop_date != 0) SetTime(d.stop_date, item->mutable_stop_date());
    }
    resp->set_next_token(NextPageToken(page, all->size()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* StatesService::UpdateMapRun(grpc::CallbackServerContext* ctx,
                                                      const v1::UpdateMapRunRequest* req,
                                                      v1::UpdateMapRunResponse* /*resp*/) {
  return RunBlocking(
      ctx,
      [this, req]() -> absl::Status {
        engine::MapRunSettings s;
        if (req->has_max_concurrency()) s.max_concurrency = req->max_concurrency();
        if (req->has_tolerated_failure_percentage()) {
          s.tolerated_failure_percentage = req->tolerated_failure_percentage();
        }
        if (req->has_tolerated_failure_count()) {
          s.tolerated_failure_count = req->tolerated_failure_count();
        }
        return engine_->UpdateMapRun(req->map_run_arn(), s);
      },
      {"UpdateMapRun", req->map_run_arn(), nullptr});
}

}  // namespace stepwise::server
