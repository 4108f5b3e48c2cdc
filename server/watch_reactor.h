// StatesService::WatchReactor: the server-streaming reactor behind the
// WatchExecution RPC. It feeds one execution's history events, as
// Engine::WatchExecutionRaw reports them, to the client in order, one write
// at a time, and finishes once the execution has closed and every event is
// out, when the client goes away, or at shutdown (Abort).
//
// Threads: created on a gRPC callback thread; the watch is registered on the
// service's pool; events arrive on engine threads; OnWriteDone/OnCancel/
// OnDone on gRPC threads. All state is behind Shared::mu. The engine's
// callback holds a shared_ptr to `Shared`, which outlives the reactor;
// `reactor` is nulled at OnDone so late engine calls do nothing.
#ifndef SW_SERVER_WATCH_REACTOR_H_
#define SW_SERVER_WATCH_REACTOR_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "server/states_service.h"

namespace stepwise::server {

class StatesService::WatchReactor final : public grpc::ServerWriteReactor<v1::HistoryEvent> {
 public:
  struct Shared {
    std::mutex mu;
    WatchReactor* reactor = nullptr;           // null after OnDone
    std::deque<v1::HistoryEvent> queue;        // events not yet written
    v1::HistoryEvent current;                  // the one being written
    bool writing = false;
    bool closed = false;                       // the execution closed
    bool finished = false;                     // Finish was called
    bool cancelled = false;                    // the client went away
    std::optional<grpc::Status> pending_finish;  // Finish once the write ends
    int64_t watch_id = -1;                     // from Engine::WatchExecution
  };

  // Registers with `service` and starts watching `arn` from after event
  // `after`. Deletes itself at OnDone.
  WatchReactor(StatesService* service, std::string arn, int64_t after);

  // Ends the stream with `s` (used at shutdown).
  void Abort(const grpc::Status& s);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  static bool OnEvents(const std::shared_ptr<Shared>& shared,
                       std::vector<engine::RawHistoryEvent> events, bool closed);
  // Starts the next write, or finishes once the execution closed and every
  // event went out. Requires shared.mu.
  static void PumpLocked(Shared& shared);
  // Finishes once; while a write is outstanding, after it completes.
  // Requires shared.mu.
  static void FinishLocked(Shared& shared, const grpc::Status& s);

  StatesService* const service_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace stepwise::server

#endif  // SW_SERVER_WATCH_REACTOR_H_
