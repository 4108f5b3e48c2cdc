// TaskQueue holds, per activity, the activity tasks waiting for a worker and
// the workers' long-polls (GetActivityTask) waiting for a task. The engine
// pushes a task once its ActivityScheduled event is committed, removes it
// when it completes, times out or its execution stops, and rebuilds the
// queue from storage at start-up. A task is handed to at most one poller;
// tasks of one activity are handed out first in, first out, and pollers are
// served in arrival order. Poll deadlines are kept by one small thread of
// the queue's own, on the steady clock (a long-poll is network time, not
// execution time, so it follows neither a ManualClock nor a ScaledClock).
// All methods are thread-safe and never block on a poller. `done` callbacks
// are never called while the queue's lock is held, so they may call back
// into the queue.
#ifndef SW_ENGINE_TASK_QUEUE_H_
#define SW_ENGINE_TASK_QUEUE_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/api_types.h"

namespace stepwise::engine {

// A task as the queue hands it out. Its input is not here: the worker gets
// the input from the execution record when the hand-out commits
// (EngineImpl::GrantFor), so a parked task costs the queue only its key.
struct ActivityTask {
  std::string activity_arn;
  std::string execution_id;
  int64_t task_id = 0;
  int64_t attempt = 0;
};

// A waiting GetActivityTask that a commit may take over (TakePoller) to
// hand it a task in the same synced write that schedules the task: who
// polls, until when, and how to answer it. Built by the engine's poll
// entry; answered exactly once, through `done`, by whoever took it.
struct PollClaim {
  std::string activity;
  std::string worker;
  std::chrono::steady_clock::time_point deadline;
  std::function<void(absl::StatusOr<ActivityTaskGrant>)> done;
  std::function<bool()> is_cancelled;
};

class TaskQueue {
 public:
  using DoneFn = std::function<void(std::optional<ActivityTask>)>;

  static constexpr size_t kDefaultMaxPollers = 1000;
  // Longer poll timeouts are cut to this (AWS long-polls for 60 s).
  static constexpr int64_t kMaxPollTimeoutMs = 24LL * 3600 * 1000;

  // Starts the deadline thread. `max_pollers` is the number of polls that
  // may wait on one activity at once.
  explicit TaskQueue(size_t max_pollers = kDefaultMaxPollers);
  // Stops (see Stop) and joins the thread.
  ~TaskQueue();

  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  // Adds a task ready to be handed out, at the back of its activity's queue.
  // If a poller is waiting on that activity, gives it the task at once: its
  // `done` runs on the calling thread before Push returns. A task with the
  // same (activity_arn, execution_id, task_id) still pending is replaced in
  // place (same position), so pushing twice never hands it out twice.
  void Push(ActivityTask t);

  // Removes a pending task (completed, timed out, execution stopped); no-op
  // if absent or already handed out.
  void Remove(const std::string& activity_arn, const std::string& execution_id,
              int64_t task_id);

  // Removes every pending task of the executions `drop` accepts (a cluster
  // shard this node no longer owns). `drop` is called with the queue's lock
  // held: it must be quick and not call the queue.
  void RemoveIf(const std::function<bool(const std::string& execution_id)>& drop);

  // Long-polls `activity_arn`. If OK, calls `done` exactly once: with the
  // first pending task as soon as there is one, or with std::nullopt when
  // `timeout_ms` (cut to kMaxPollTimeoutMs) passes or the queue stops.
  // `done` may run on the calling thread before Poll returns (a task was
  // pending, or `timeout_ms` <= 0), on a thread calling Push or Requeue, on
  // the deadline thread, or on the thread calling Stop. Never blocks.
  // Returns, without calling `done`, kResourceExhausted when the activity
  // already has max_pollers waiting polls, and kUnavailable once stopped.
  // `is_cancelled`, when given, says whether this poll's caller has gone
  // away (connection closed, call cancelled): at the max_pollers limit,
  // such polls are ended (their `done` gets std::nullopt) to make room, so
  // callers that hung up cannot hold an activity's places until their
  // deadline. It is called with the queue's lock held: it must be quick and
  // must not call into the queue.
  // `claim`, when given, lets TakePoller take this poll over (see there).
  absl::Status Poll(const std::string& activity_arn, int64_t timeout_ms,
                    DoneFn done, std::function<bool()> is_cancelled = nullptr,
                    std::shared_ptr<PollClaim> claim = nullptr);

  // Takes over the longest-waiting poll of `activity_arn` that was given a
  // `claim` and whose caller has not gone away, and returns that claim: the
  // poll leaves the queue and its `done` is never called, so the caller
  // answers it through the claim. The engine uses this to hand a task out in
  // the same commit that schedules it. Polls found gone on the way are ended
  // (`done` with std::nullopt, on the calling thread, after unlocking).
  // Null when no such poll waits.
  std::shared_ptr<PollClaim> TakePoller(const std::string& activity_arn);

  // Hands a task back to the FRONT of its activity's queue (the hand-out
  // could not be committed; if the engine found the execution stopped it
  // calls Remove instead). If a poller is waiting, it gets the task at once,
  // on the calling thread. A pending task with the same key is replaced.
  void Requeue(ActivityTask t);

  // Ends up to `count` polls waiting on `activity_arn`, longest-waiting
  // first, with std::nullopt (their `done` runs on the calling thread, after
  // unlocking); polls whose caller has gone are ended on the way without
  // counting. Returns how many live polls it ended. In a cluster a task
  // queued on another node wakes pollers this way, so that they ask the
  // other nodes (server/cluster_task_poller.h); nothing else calls it.
  size_t Wake(const std::string& activity_arn, size_t count);

  // `hook` is called with the activity of every task that Push or Requeue
  // leaves waiting because no poll took it, on the pushing thread, after
  // unlocking. Cluster mode only (the node announces the task to the other
  // nodes' pollers); must be set before the first Push and never again.
  void SetParkedHook(std::function<void(const std::string& activity_arn)> hook);

  // Returns how many tasks of `activity_arn` wait for a worker.
  size_t pending(const std::string& activity_arn) const;
  // Returns how many polls wait on `activity_arn`.
  size_t waiting_pollers(const std::string& activity_arn) const;

  // Pending tasks and waiting polls of every activity that has either.
  struct Depth {
    std::string activity_arn;
    size_t pending = 0;
    size_t pollers = 0;
  };
  std::vector<Depth> Depths() const;

  // Wakes every waiting poller with std::nullopt (on the calling thread) and
  // stops the deadline thread; later polls get kUnavailable. Pending tasks
  // are kept. Idempotent; must not be called from a `done` callback.
  void Stop();

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  // A pending task of one activity (the activity is its map key).
  struct Pending {
    std::string execution_id;
    int64_t task_id = 0;
    int64_t attempt = 0;
  };
  // (execution_id, task_id); the view points into the Pending's string,
  // which lives as long as the index entry (list nodes never move).
  using TaskKey = std::pair<std::string_view, int64_t>;

  struct Poller {
    Deadline deadline;
    DoneFn done;
    std::function<bool()> is_cancelled;  // may be null
    std::shared_ptr<PollClaim> claim;    // may be null
  };
  struct Activity {
    std::list<Pending> tasks;  // hand-out order
    std::map<TaskKey, std::list<Pending>::iterator> index;
    std::map<uint64_t, Poller> pollers;  // by poll id: arrival order
  };

  void Add(ActivityTask t, bool front);
  // Drops the activity's entry once nothing waits in it. Requires mu_.
  void MaybeEraseLocked(std::map<std::string, Activity>::iterator it);
  void RunDeadlines();

  const size_t max_pollers_;
  std::function<void(const std::string&)> parked_hook_;  // set once, before use

  mutable std::mutex mu_;
  std::condition_variable cv_;                   // wakes the deadline thread
  std::map<std::string, Activity> activities_;   // guarded by mu_
  // (deadline, poll id) -> activity arn, for every waiting poll.
  std::map<std::pair<Deadline, uint64_t>, std::string> deadlines_;  // guarded by mu_
  uint64_t next_poll_id_ = 1;                    // guarded by mu_
  bool stopped_ = false;                         // guarded by mu_

  std::mutex stop_mu_;  // serialises Stop's join
  std::thread thread_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_TASK_QUEUE_H_
