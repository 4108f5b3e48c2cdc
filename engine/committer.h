// Committer: the group-commit thread ("sw-commit"). Shards hand it one
// storage::Transition per step (Submit); it writes up to
// EngineOptions::max_batch of them as one synced batch and calls each
// `done` with that transition's outcome, on the committer thread (the
// engine's `done` posts the answer back to the execution's shard, which
// keeps one writer per execution). Fail-stop: after the first failed batch
// nothing more is written and every commit answers kUnavailable.
// Submit and InFlight are thread-safe; Start and Stop are called once each,
// by the engine's owner thread.
#ifndef SW_ENGINE_COMMITTER_H_
#define SW_ENGINE_COMMITTER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "engine/api_types.h"
#include "storage/store.h"
#include "storage/transition.h"

namespace stepwise::engine {

class Committer {
 public:
  // `store` and `options` (max_batch, on_storage_failure) must outlive it.
  Committer(storage::Store* store, const EngineOptions* options);

  // Starts the committer thread.
  void Start();
  // Writes what is queued, then joins the thread.
  void Stop();

  // Queues `t`; `done` gets its outcome from the committer thread (OK means
  // it is on disk) and must not block.
  void Submit(storage::Transition t, std::function<void(absl::Status)> done);
  // Transitions submitted whose `done` has not returned yet.
  size_t InFlight();

  uint64_t commits() const { return commits_.load(); }
  uint64_t batches() const { return batches_.load(); }

 private:
  struct PendingCommit {
    storage::Transition t;
    std::function<void(absl::Status)> done;
  };

  void Loop();

  storage::Store* const store_;          // immutable; thread-safe
  const EngineOptions* const options_;   // immutable

  std::mutex mu_;                 // guards queue_, in_flight_, stop_
  std::condition_variable cv_;    // signalled on Submit and Stop
  std::deque<PendingCommit> queue_;
  size_t in_flight_ = 0;
  bool stop_ = false;
  // Committer thread only: set on the first failed write.
  absl::Status storage_failure_;
  std::thread thread_;            // started by Start, joined by Stop

  std::atomic<uint64_t> commits_{0};   // transitions written; any thread reads
  std::atomic<uint64_t> batches_{0};   // synced writes; any thread reads
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_COMMITTER_H_
