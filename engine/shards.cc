// Shards and the cache of loaded executions (see shards.h): scheduling work
// on an execution's shard, loading an execution from the store, and
// evicting it once it is parked or finished; in cluster mode, refusing
// work on executions of cluster shards this node does not own. ShardLoop runs on
// "sw-shard-N"; Post/PostRunHereIfIdle on any thread; the rest on whichever
// thread runs the shard's work.
#include <utility>

#include "common/status_macros.h"
#include "engine/arn.h"
#include "engine/engine_impl.h"
#include "engine/execution_record.h"
#include "storage/express_routing_store.h"

namespace stepwise::engine {

Shard& EngineImpl::ShardOf(const std::string& id) {
  return *shards_[std::hash<std::string>{}(id) % shards_.size()];
}

void EngineImpl::Enqueue(Shard& s, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> l(s.mu);
    s.queue.push_back(std::move(fn));
  }
  s.cv.notify_one();
}

// Runs `fn` on the calling thread when the shard is idle (nothing queued,
// nobody running it), saving a wake-up and a thread switch on the way to
// the commit; otherwise queues it like Enqueue. For the entry points of
// API calls (a gRPC or pool thread): `fn` must not block.
void EngineImpl::RunOrEnqueue(Shard& s, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> l(s.mu);
    if (s.running || s.stop || !s.queue.empty()) {
      s.queue.push_back(std::move(fn));
      s.cv.notify_one();
      return;
    }
    s.running = true;
  }
  fn();
  bool more;
  {
    std::lock_guard<std::mutex> l(s.mu);
    s.running = false;
    more = !s.queue.empty() || s.stop;
  }
  if (more) s.cv.notify_one();  // what came meanwhile is the shard thread's
}

void EngineImpl::ShardLoop(Shard& s) {
  while (true) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> l(s.mu);
      s.cv.wait(l, [&] { return s.stop || (!s.running && !s.queue.empty()); });
      if (s.running || s.queue.empty()) {
        // Stopping: wait for a caller still running a step here and for
        // in-flight commits of this shard to land.
        if (!s.running && committer_.InFlight() == 0) return;
        s.cv.wait_for(l, std::chrono::milliseconds(5));
        continue;
      }
      fn = std::move(s.queue.front());
      s.queue.pop_front();
      s.running = true;
    }
    fn();
    std::lock_guard<std::mutex> l(s.mu);
    s.running = false;
  }
}

// Runs `fn` on the execution's shard with it loaded (an execution that does
// not exist in the store comes with exists == false). Calls for an
// execution run one at a time, never while its previous commit is in
// flight.
void EngineImpl::Post(const std::string& id, std::function<void(LoadedExecution*)> fn) {
  Shard& s = ShardOf(id);
  Enqueue(s, [this, &s, id, fn = std::move(fn)]() mutable { RunOnLoaded(s, id, std::move(fn)); });
}

// Like Post, running `fn` on the calling thread when the shard is idle
// (see RunOrEnqueue): for API calls that start or answer work.
void EngineImpl::PostRunHereIfIdle(const std::string& id,
                                   std::function<void(LoadedExecution*)> fn) {
  Shard& s = ShardOf(id);
  RunOrEnqueue(s, [this, &s, id, fn = std::move(fn)]() mutable {
    RunOnLoaded(s, id, std::move(fn));
  });
}

void EngineImpl::RunOnLoaded(Shard& s, const std::string& id,
                             std::function<void(LoadedExecution*)> fn) {
  auto it = s.loaded.find(id);
  if (opts_.cluster && !OwnsExecution(id)) {
    // Another node's execution (cluster mode, ownership.cc): `fn` sees it
    // as not loadable here, so work does nothing and a call is answered
    // with NotOwnedError. Work that came during a commit in flight waits
    // for its outcome as usual.
    if (it != s.loaded.end() && it->second->committing) {
      it->second->waiting.push_back(std::move(fn));
      return;
    }
    if (it != s.loaded.end()) {
      DetachWatchers(*it->second);
      s.loaded.erase(it);
    }
    LoadedExecution elsewhere;
    elsewhere.id = id;
    elsewhere.load_error = NotOwnedError(id);
    fn(&elsewhere);
    return;
  }
  if (it == s.loaded.end()) {
    auto ex = std::make_unique<LoadedExecution>();
    ex->id = id;
    absl::Status st = LoadExecution(*ex);
    if (!st.ok()) {
      // A record that does not decode is reported (kDataLoss naming the
      // execution) to whoever asks, never skipped silently.
      ex->exists = false;
      ex->load_error = st;
    }
    it = s.loaded.emplace(id, std::move(ex)).first;
    s.closed.Forget(id);
  }
  LoadedExecution* ex = it->second.get();
  if (ex->committing) {
    ex->waiting.push_back(std::move(fn));
    return;
  }
  fn(ex);
  // Work that committed nothing (a watch, a read, a refused call) leaves a
  // finished execution as DrainWaiting would: not cached. `fn` may have
  // dropped it already.
  it = s.loaded.find(id);
  if (it != s.loaded.end()) {
    ex = it->second.get();
    if (!ex->committing && ex->waiting.empty() && ex->watchers.empty() &&
        (!ex->exists || ex->status != ExecutionStatus::kRunning)) {
      EvictLoaded(s, it);
    }
  }
}

absl::Status EngineImpl::LoadExecution(LoadedExecution& ex) {
  SW_ASSIGN_OR_RETURN(std::optional<storage::VersionedValue> v, store_->GetExecution(ex.id));
  if (!v.has_value()) return absl::OkStatus();
  ex.exists = true;
  ex.version = v->version;
  auto lookup = [&](const std::string& machine_arn, int64_t revision)
      -> absl::StatusOr<std::shared_ptr<const asl::StateMachine>> {
    std::string name = ArnTail(machine_arn);
    SW_ASSIGN_OR_RETURN(std::optional<json::object> mrec, catalog_.MachineRecord(name));
    if (!mrec.has_value()) {
      return absl::DataLossError("state machine of execution " + ex.id + " is missing");
    }
    SW_ASSIGN_OR_RETURN(ex.machine, catalog_.ParsedRevision(*mrec, revision));
    return ex.machine;
  };
  SW_ASSIGN_OR_RETURN(ex.record, DecodeExecutionRecord(v->value, ex.id, lookup));
  ex.status = ex.record.state->status;
  ex.loaded = true;
  return absl::OkStatus();
}

void EngineImpl::DropLoaded(const std::string& id) {
  Shard& s = ShardOf(id);
  auto it = s.loaded.find(id);
  if (it != s.loaded.end() && !it->second->committing && it->second->waiting.empty()) {
    s.loaded.erase(it);
  }
}

// Runs the work that waited for a commit, then evicts the execution if it
// is parked (the cache is over max_cached_executions) or finished: it is
// reloaded on demand.
void EngineImpl::DrainWaiting(Shard& sh, const std::string& id) {
  auto it = sh.loaded.find(id);
  if (it == sh.loaded.end()) return;
  LoadedExecution* ex = it->second.get();
  while (!ex->committing && !ex->waiting.empty()) {
    auto fn = std::move(ex->waiting.front());
    ex->waiting.pop_front();
    fn(ex);
  }
  if (opts_.cluster && !ex->committing && ex->waiting.empty() && !ex->watchers.empty() &&
      !OwnsExecution(id)) {
    // Its shard was lost while this commit was in flight (DropLoadedIf
    // skipped it): the watchers learn now, not at the next call.
    DetachWatchers(*ex);
    sh.loaded.erase(it);
    return;
  }
  if (!ex->committing && ex->waiting.empty() && ex->watchers.empty() &&
      (ex->status != ExecutionStatus::kRunning ||
       sh.loaded.size() > opts_.max_cached_executions)) {
    EvictLoaded(sh, it);  // parked or finished: reloaded on demand
  }
}

// Drops a loaded execution from its shard's cache, remembering it in
// `closed` when it has finished (a Standard one: Express records live in
// memory only and can leave it).
void EngineImpl::EvictLoaded(
    Shard& sh, std::unordered_map<std::string, std::unique_ptr<LoadedExecution>>::iterator it) {
  const LoadedExecution& ex = *it->second;
  if (ex.exists && ex.status != ExecutionStatus::kRunning &&
      !storage::ExpressRoutingStore::IsExpress(ex.id)) {
    sh.closed.Add(ex.id);
  }
  sh.loaded.erase(it);
}

// True when `id` finished, was evicted and has not been loaded since: for
// work that only needs to know it has closed (a watch from the tail).
bool EngineImpl::KnownClosed(Shard& sh, const std::string& id) {
  if (!sh.closed.Contains(id) || sh.loaded.count(id) != 0) return false;
  return !opts_.cluster || OwnsExecution(id);
}

}  // namespace stepwise::engine
