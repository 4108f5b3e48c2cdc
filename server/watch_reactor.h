// StatesService::WatchReactor: the server-streaming reactor behind the
// WatchExecution RPC. It sends one execution's history events to the client
// in order, each event id once, one write at a time, and finishes once the
// execution has closed and every event is out, when the client goes away,
// or at shutdown (Abort).
//
// Two sources, one stream:
// - the engine's watch (Engine::WatchExecutionRawAsync): events as they are
//   committed, from memory, on the node running the execution (every node
//   but a cluster node that does not hold the execution's shard);
// - the database (Engine::ReadHistoryTail), on any node: used when the
//   engine answers that another node runs the execution (cluster mode), or
//   when the engine's watch is detached because the execution left this
//   node's memory before it closed (its shard moved away, a failed commit).
//   Reads follow from the last event id queued, on the service's pool, with
//   a wait of 50 ms growing to 500 ms between reads that find nothing
//   (reset when events arrive), timed by the service's DelayTimer; the
//   stream ends when a read finds the record closed, at the record's last
//   event, as the engine's watch ends at the commit that closes it.
// Every event goes through `last_id`, so a switch of source repeats and
// skips nothing.
//
// Threads: created on a gRPC callback thread, which asks the engine for the
// watch without blocking (a watch from the tail of an execution its shard
// knows has finished is answered there and then); events arrive on engine
// threads, that gRPC thread, or pool threads (database reads); waits run on the DelayTimer's thread, which only
// queues the next read on the pool; OnWriteDone/OnCancel/OnDone on gRPC
// threads. All state is behind Shared::mu. The engine's callbacks, the
// reads and the waits hold a shared_ptr to `Shared`, which outlives the
// reactor; `reactor` is nulled at OnDone so late calls do nothing.
#ifndef SW_SERVER_WATCH_REACTOR_H_
#define SW_SERVER_WATCH_REACTOR_H_

#include <chrono>
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
  // Waits between two database reads that found nothing new.
  static constexpr std::chrono::milliseconds kFirstWait{50};
  static constexpr std::chrono::milliseconds kLongestWait{500};
  // A database read waits while this many events are still to be written
  // (a slow client does not make the server buffer the whole history).
  static constexpr size_t kMaxQueued = 1000;

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
    // The largest event id queued (the request's after_event_id at first).
    int64_t last_id = 0;
    // Serving from the database (see the file comment).
    bool following = false;
    std::chrono::milliseconds wait = kFirstWait;
    // Set at construction; the service outlives every read and wait.
    std::string arn;
    engine::Engine* engine = nullptr;
    BlockingPool* pool = nullptr;
    DelayTimer* timer = nullptr;
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
  // Queues the events after last_id. Requires shared.mu.
  static void QueueLocked(Shared& shared, std::vector<engine::RawHistoryEvent> events);
  // Switches to the database (once) and queues the first read on the pool.
  // Requires shared.mu.
  static void FollowLocked(const std::shared_ptr<Shared>& shared);
  // One database read and what follows it (the next wait, or the end). On
  // a pool thread.
  static void ReadOnce(const std::shared_ptr<Shared>& shared);
  // Queues the next read after shared.wait. Requires shared.mu.
  static void WaitLocked(const std::shared_ptr<Shared>& shared);
  // True once nothing more is to be sent. Requires shared.mu.
  static bool OverLocked(const Shared& shared);
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
