// StatesService::WatchReactor (see watch_reactor.h).
#include "server/watch_reactor.h"

#include <utility>

#include "engine/history_event.h"
#include "server/proto_time.h"
#include "server/status_conversion.h"

namespace stepwise::server {

namespace {

// One event whose details are still the stored text, as the proto.
void FillRawEvent(engine::RawHistoryEvent& e, v1::HistoryEvent* out) {
  out->set_id(e.id);
  out->set_previous_event_id(e.previous_event_id);
  SetTime(e.timestamp, out->mutable_timestamp());
  std::string member = engine::DetailsMemberName(e.type);
  out->set_type(std::move(e.type));
  if (!member.empty()) {
    out->set_details_member(std::move(member));
    out->set_details_json(std::move(e.details_json));
  }
}

}  // namespace

using WatchReactor = StatesService::WatchReactor;

WatchReactor::WatchReactor(StatesService* service, std::string arn, int64_t after)
    : service_(service), shared_(std::make_shared<Shared>()) {
  shared_->reactor = this;
  {
    std::lock_guard<std::mutex> l(service_->mu_);
    service_->watches_.insert(this);
  }
  std::shared_ptr<Shared> shared = shared_;
  // The reactor may be gone when this runs: use only `shared` and `engine`.
  engine::Engine* engine = service_->engine_;
  service_->pool_.Submit([engine, shared, arn = std::move(arn), after] {
    absl::StatusOr<int64_t> id = engine->WatchExecutionRaw(
        arn, after, [shared](std::vector<engine::RawHistoryEvent> events, bool closed) {
          return OnEvents(shared, std::move(events), closed);
        });
    std::lock_guard<std::mutex> l(shared->mu);
    if (!id.ok()) {
      FinishLocked(*shared, ToGrpcStatus(id.status()));
      return;
    }
    shared->watch_id = *id;
    // OnDone may already have run (the reactor is then gone): cancel here.
    if (shared->reactor == nullptr) engine->CancelWatch(*id);
  });
}

void WatchReactor::Abort(const grpc::Status& s) {
  std::lock_guard<std::mutex> l(shared_->mu);
  shared_->cancelled = true;
  FinishLocked(*shared_, s);
}

void WatchReactor::OnWriteDone(bool ok) {
  std::lock_guard<std::mutex> l(shared_->mu);
  shared_->writing = false;
  if (!ok) shared_->cancelled = true;
  if (shared_->pending_finish.has_value()) {
    grpc::Status s = *shared_->pending_finish;
    shared_->pending_finish.reset();
    Finish(s);
    return;
  }
  if (!ok) {
    FinishLocked(*shared_, grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
    return;
  }
  PumpLocked(*shared_);
}

void WatchReactor::OnCancel() {
  std::lock_guard<std::mutex> l(shared_->mu);
  shared_->cancelled = true;
  FinishLocked(*shared_, grpc::Status::CANCELLED);
}

void WatchReactor::OnDone() {
  int64_t id = -1;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    shared_->reactor = nullptr;
    shared_->cancelled = true;
    id = shared_->watch_id;
  }
  if (id >= 0) service_->engine_->CancelWatch(id);
  service_->RemoveWatch(this);
  delete this;
}

bool WatchReactor::OnEvents(const std::shared_ptr<Shared>& shared,
                            std::vector<engine::RawHistoryEvent> events, bool closed) {
  std::lock_guard<std::mutex> l(shared->mu);
  if (shared->reactor == nullptr || shared->cancelled) return false;
  for (engine::RawHistoryEvent& e : events) FillRawEvent(e, &shared->queue.emplace_back());
  if (closed) shared->closed = true;
  PumpLocked(*shared);
  return !closed;
}

void WatchReactor::PumpLocked(Shared& shared) {
  if (shared.reactor == nullptr || shared.writing || shared.finished) return;
  if (!shared.queue.empty()) {
    shared.current = std::move(shared.queue.front());
    shared.queue.pop_front();
    shared.writing = true;
    // (No buffer hint: a hinted write completes only once a later write
    // flushes it, and the next write waits for this one's completion.)
    shared.reactor->StartWrite(&shared.current);
    return;
  }
  if (shared.closed) FinishLocked(shared, grpc::Status::OK);
}

void WatchReactor::FinishLocked(Shared& shared, const grpc::Status& s) {
  if (shared.reactor == nullptr || shared.finished) return;
  shared.finished = true;
  if (shared.writing) {
    shared.pending_finish = s;
    return;
  }
  shared.reactor->Finish(s);
}

}  // namespace stepwise::server
