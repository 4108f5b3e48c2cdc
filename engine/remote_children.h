// RemoteChildren: in cluster mode, the engine's way to the executions it
// starts itself (a parent's child executions, a Map Run's children) when
// their ARNs hash to shards other nodes hold.
// - Start, Stop and Redrive run the call on this node first; when this node
//   does not hold the shard (ShardNotOwnedError) the call goes to the owner
//   through RemoteExecutions (engine/remote_executions.h). A kUnavailable
//   or deadline answer (no owner while a dead node's lease lapses, a node
//   restarting, a shard moving) is retried with backoff, here first each
//   time, for up to `retry_for`; every call is safe to repeat (a start is
//   named: a repeat answers ExecutionAlreadyExists, which the dispatchers
//   adopt).
// - Closes: a child on another node closes there, and that node's engine
//   tells only its own dispatchers. So every `poll_interval` this room asks
//   the dispatchers which executions they wait for (`awaited`), reads those
//   this node does not hold from the store (`describe`: any node may read
//   any execution) and hands each one found closed to `closed` (the
//   dispatchers' ExecutionClosed), once. The store is the truth, so nothing
//   is lost when a node dies: whoever holds the parent's shard next waits
//   for the same children again (the dispatchers' Recover).
// Without cluster mode the engine does not build one.
//
// Threads: Start/Stop/Redrive from any thread, never blocking; retries and
// the poll run on this room's own thread ("sw-remote"), answers on any
// thread. Shutdown (and the destructor) joins it and drops the calls still
// waiting for a retry unanswered: an answer then would be a task failure
// committed because this node stops; the dispatchers' Recover makes the
// same calls again at the next Open, wherever the parent runs then.
#ifndef SW_ENGINE_REMOTE_CHILDREN_H_
#define SW_ENGINE_REMOTE_CHILDREN_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "engine/api_types.h"
#include "engine/remote_executions.h"

namespace stepwise::engine {

class RemoteChildren {
 public:
  template <typename T>
  using Done = std::function<void(absl::StatusOr<T>)>;

  struct Options {
    // This node's own engine calls; they answer ShardNotOwnedError for an
    // execution of a shard this node does not hold.
    std::function<void(const std::string& machine_arn, const std::string& name,
                       const std::string& input, Done<StartExecutionResult> done)>
        local_start;
    std::function<void(const std::string& arn, const std::string& error,
                       const std::string& cause, Done<TimeMs> done)>
        local_stop;
    std::function<void(const std::string& arn, const std::string& client_token,
                       Done<TimeMs> done)>
        local_redrive;
    // The owner's side of the same calls; null: nothing reaches another
    // node (the calls fail once `retry_for` runs out).
    RemoteExecutions* remote = nullptr;
    // Whether this node runs `arn` now (the engine's OwnsExecution).
    std::function<bool(const std::string& arn)> owns;
    // Appends the executions the dispatchers wait for the close of. May
    // block briefly (a dispatcher's own thread answers).
    std::function<void(std::vector<std::string>& out)> awaited;
    // The execution as the store has it.
    std::function<absl::StatusOr<ExecutionDescription>(const std::string& arn)> describe;
    // Tells the dispatchers that `closed` closed.
    std::function<void(const ExecutionDescription& closed)> closed;
    std::chrono::milliseconds poll_interval{500};
    std::chrono::milliseconds retry_for{60000};
  };

  explicit RemoteChildren(Options options);
  ~RemoteChildren();
  RemoteChildren(const RemoteChildren&) = delete;
  RemoteChildren& operator=(const RemoteChildren&) = delete;

  void Start(const std::string& machine_arn, const std::string& name, const std::string& input,
             Done<StartExecutionResult> done);
  void Stop(const std::string& arn, const std::string& error, const std::string& cause,
            Done<TimeMs> done);
  void Redrive(const std::string& arn, const std::string& client_token, Done<TimeMs> done);

  void Shutdown();

  // Calls that went to another node, and closes learnt from the store.
  struct Stats {
    uint64_t remote_calls = 0;
    uint64_t retries = 0;
    uint64_t closes_seen = 0;
  };
  Stats stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  // One call: `local` here, then (not held here) `remote`, retried until
  // `give_up`. T is the answer's type.
  template <typename T>
  void Attempt(std::function<void(Done<T>)> local, std::function<void(Done<T>)> remote,
               Done<T> done, Clock::time_point give_up, int attempt);
  // Runs `run` on this room's thread after `delay`; dropped when the room
  // shuts down first.
  void After(std::chrono::milliseconds delay, std::function<void()> run);
  void Loop();
  void Poll();

  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                                         // guarded by mu_
  std::multimap<Clock::time_point, std::function<void()>> due_;  // guarded by mu_
  Stats stats_;                                               // guarded by mu_
  // Closes already handed on (the poll thread only): arn -> when.
  std::unordered_map<std::string, Clock::time_point> reported_;
  Clock::time_point last_warning_{};  // the poll thread only
  std::thread thread_;  // last: started when the rest is ready
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_REMOTE_CHILDREN_H_
