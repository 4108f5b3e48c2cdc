// StatesService::WatchReactor (see watch_reactor.h).
#include "server/watch_reactor.h"

#include <algorithm>
#include <utility>

#include "common/logging.h"
#include "engine/cluster_ownership.h"
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

// Errors of a database read worth another try (the database restarting,
// a connection lost); any other ends the stream with it.
bool Retryable(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsAborted(s);
}

}  // namespace

using WatchReactor = StatesService::WatchReactor;

WatchReactor::WatchReactor(StatesService* service, std::string arn, int64_t after)
    : service_(service), shared_(std::make_shared<Shared>()) {
  shared_->reactor = this;
  shared_->last_id = after;
  shared_->arn = arn;
  shared_->engine = service_->engine_;
  shared_->pool = &service_->pool_;
  shared_->timer = &service_->watch_timer_;
  {
    std::lock_guard<std::mutex> l(service_->mu_);
    service_->watches_.insert(this);
  }
  std::shared_ptr<Shared> shared = shared_;
  std::weak_ptr<Shared> weak = shared;
  // The engine attaches the watch without blocking this gRPC thread; the
  // reactor may be gone when `done` runs: it uses only `shared` and `engine`.
  engine::Engine* engine = service_->engine_;
  engine->WatchExecutionRawAsync(
      arn, after,
      [shared](std::vector<engine::RawHistoryEvent> events, bool closed) {
        return OnEvents(shared, std::move(events), closed);
      },
      [weak] {
        // The execution left this node's memory: the rest comes from the
        // database, from the last event id queued.
        std::shared_ptr<Shared> s = weak.lock();
        if (s == nullptr) return;
        std::lock_guard<std::mutex> l(s->mu);
        if (OverLocked(*s)) return;
        spdlog::info("watch of {}: the execution left this node after event {}; following it "
                     "from the database",
                     s->arn, s->last_id);
        FollowLocked(s);
      },
      [engine, shared](absl::StatusOr<int64_t> id) {
        std::lock_guard<std::mutex> l(shared->mu);
        if (!id.ok()) {
          // Another node runs it (cluster mode): served from the database.
          if (engine::ShardOwnerOf(id.status()).has_value()) return FollowLocked(shared);
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
  QueueLocked(*shared, std::move(events));
  if (closed) shared->closed = true;
  PumpLocked(*shared);
  return !closed;
}

void WatchReactor::QueueLocked(Shared& shared, std::vector<engine::RawHistoryEvent> events) {
  for (engine::RawHistoryEvent& e : events) {
    if (e.id <= shared.last_id) continue;  // sent already (a switch of source)
    shared.last_id = e.id;
    FillRawEvent(e, &shared.queue.emplace_back());
  }
}

bool WatchReactor::OverLocked(const Shared& shared) {
  return shared.reactor == nullptr || shared.cancelled || shared.finished || shared.closed;
}

void WatchReactor::FollowLocked(const std::shared_ptr<Shared>& shared) {
  if (shared->following || OverLocked(*shared)) return;
  shared->following = true;
  shared->pool->Submit([shared] { ReadOnce(shared); });
}

void WatchReactor::WaitLocked(const std::shared_ptr<Shared>& shared) {
  shared->timer->RunAfter(shared->wait, [shared] {
    shared->pool->Submit([shared] { ReadOnce(shared); });
  });
}

void WatchReactor::ReadOnce(const std::shared_ptr<Shared>& shared) {
  int64_t after;
  {
    std::lock_guard<std::mutex> l(shared->mu);
    if (OverLocked(*shared)) return;
    if (shared->queue.size() >= kMaxQueued) {
      // The client is behind: read again once it has caught up.
      shared->wait = kFirstWait;
      return WaitLocked(shared);
    }
    after = shared->last_id;
  }
  absl::StatusOr<engine::HistoryTail> tail =
      shared->engine->ReadHistoryTail(shared->arn, after);
  std::lock_guard<std::mutex> l(shared->mu);
  if (OverLocked(*shared)) return;
  if (!tail.ok()) {
    if (!Retryable(tail.status())) return FinishLocked(*shared, ToGrpcStatus(tail.status()));
    shared->wait = std::min(shared->wait * 2, kLongestWait);
    return WaitLocked(shared);
  }
  const bool found = !tail->events.empty();
  QueueLocked(*shared, std::move(tail->events));
  // Closed as of the record read first: its last event is in this read.
  if (tail->closed) shared->closed = true;
  PumpLocked(*shared);
  if (shared->closed) return;
  shared->wait = found ? kFirstWait : std::min(shared->wait * 2, kLongestWait);
  WaitLocked(shared);
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
