// Shards and the cache of loaded executions. Executions are hashed to
// shards; each shard runs its work one item at a time, in order, on its own
// thread ("sw-shard-N") or, when it is idle, on the thread that posts the
// work (EngineImpl::RunOrEnqueue). A shard keeps the executions it has
// loaded (LoadedExecution) until they are parked or finished.
// Threads: a Shard's queue/stop/running are guarded by its `mu`; its
// `loaded` map and every LoadedExecution in it belong to whichever thread
// set `running` (one at a time). The functions working on them are
// EngineImpl members, in shards.cc.
#ifndef SW_ENGINE_SHARDS_H_
#define SW_ENGINE_SHARDS_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "absl/status/status.h"
#include "asl/definition.h"
#include "asl/eval_context.h"
#include "common/clock.h"
#include "engine/execution_record.h"
#include "engine/history_event.h"
#include "engine/interpreter.h"
#include "engine/recently_closed.h"

namespace stepwise::engine {

// WatchExecution's callback (Engine::RawWatchFn).
using RawEventsFn = std::function<bool(std::vector<RawHistoryEvent> events, bool closed)>;

// A WatchExecution: its callback and the event id it wants events after.
struct Watcher {
  RawEventsFn fn;
  int64_t after = 0;
  // Called instead of `fn` when the execution leaves memory while the watch
  // is active (EngineImpl::DetachWatchers); may be null.
  std::function<void()> on_detached;
};

// One execution as its shard holds it: the stored record (`record`, what
// the next commit writes back) and what only lives in memory.
struct LoadedExecution {
  std::string id;  // the execution ARN
  bool exists = false;
  bool loaded = false;
  std::shared_ptr<const asl::StateMachine> machine;
  ExecutionRecord record;
  ExecutionStatus status = ExecutionStatus::kRunning;  // as last committed
  int64_t version = 0;
  bool committing = false;
  absl::Status load_error;  // why the stored execution could not be loaded
  // Work for this execution that came while a commit was in flight.
  std::deque<std::function<void(LoadedExecution*)>> waiting;
  std::map<int64_t, Watcher> watchers;  // WatchExecution, by watch id
};

struct Shard {
  // How many finished executions' ids a shard remembers (RecentlyClosed):
  // ~0.5 MB a shard at ARNs of ~100 bytes.
  static constexpr size_t kRecentlyClosed = 4096;
  explicit Shard(uint64_t seed) : random(seed), closed(kRecentlyClosed) {}
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;  // guarded by mu
  bool stop = false;                        // guarded by mu
  // True while some thread runs this shard's work: its own thread, or a
  // caller running a step in place (RunOrEnqueue). Work for a shard runs
  // one item at a time, in order, whichever thread runs it. Guarded by mu.
  bool running = false;
  // Only the thread that set `running` touches these.
  std::unordered_map<std::string, std::unique_ptr<LoadedExecution>> loaded;
  asl::SeededRandom random;  // the interpreter's randomness for this shard's steps
  // Finished executions evicted from `loaded` and not loaded since.
  RecentlyClosed closed;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_SHARDS_H_
