// TimerQueue is the in-memory part of Stepwise's durable timers: the engine
// persists each timer (Wait, retry back-off, task and heartbeat timeouts,
// execution timeout) and adds it here; the queue's own thread calls `fire`
// when its due time, as the Clock tells it, has come. At start-up the engine
// rebuilds the queue from storage. Because the clock may be a ManualClock or
// a ScaledClock, the thread never trusts a long sleep: it sleeps until the
// earliest due time but wakes at least every 50 ms to read the clock again.
// All methods are thread-safe and may be called from `fire`, except Stop and
// the destructor.
#ifndef SW_ENGINE_TIMER_QUEUE_H_
#define SW_ENGINE_TIMER_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>

#include "common/clock.h"

namespace stepwise::engine {

struct TimerEntry {
  TimeMs due = 0;
  std::string execution_id;
  int64_t timer_id = 0;
};

class TimerQueue {
 public:
  // The longest the thread sleeps before it reads the clock again.
  static constexpr int64_t kMaxSleepMs = 50;

  // Starts the thread. `fire` is called from the queue's thread (or from
  // FireDueForTest's caller) for each due timer, in due order, never while
  // the queue's lock is held and never concurrently with itself. `clock`
  // must outlive the queue.
  TimerQueue(const Clock* clock, std::function<void(const TimerEntry&)> fire);
  ~TimerQueue();  // stops the thread (see Stop)

  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Adds a timer; a timer with the same (execution_id, timer_id) is replaced.
  // Wakes the thread if it is now the earliest. A timer already due fires
  // on the thread's next pass (at once).
  void Add(TimerEntry e);

  // Removes a timer; no-op if absent or already fired. A timer whose `fire`
  // has already begun is not recalled: the engine checks the stored timer.
  void Cancel(const std::string& execution_id, int64_t timer_id);

  // Removes every timer of the executions `drop` accepts (a cluster shard
  // this node no longer owns); same caveat as Cancel. `drop` is called
  // with the queue's lock held: it must be quick and not call the queue.
  void CancelIf(const std::function<bool(const std::string& execution_id)>& drop);

  // Returns the number of timers waiting to fire.
  size_t size() const;

  // Fires every timer due at or before clock->NowMs() now, on the calling
  // thread, including ones that `fire` adds already due. If the queue's
  // thread is firing at that moment, waits for it first, so on return every
  // timer due now has been fired by one thread or the other (for tests with
  // a ManualClock). Works after Stop too.
  void FireDueForTest();

  // Stops and joins the thread; after it returns `fire` is not called by the
  // thread again (FireDueForTest still fires). Timers are kept. Idempotent.
  // Must not be called from `fire`.
  void Stop();

 private:
  // (due, execution_id, timer_id): the firing order.
  using Key = std::tuple<TimeMs, std::string, int64_t>;

  void Run();
  // Pops the earliest timer if it is due at `now`. Requires mu_.
  bool PopDueLocked(TimeMs now, TimerEntry* out);
  void EraseLocked(const std::string& execution_id, int64_t timer_id);
  // Fires due timers one by one, in due order, until none is due at
  // `fixed_now` (or at the clock's time, re-read per timer, if nullopt), or,
  // when `stop_early`, until Stop is called.
  void FireDue(std::optional<TimeMs> fixed_now, bool stop_early);

  const Clock* clock_;
  const std::function<void(const TimerEntry&)> fire_;

  // Serialises calls of fire_ between the thread and FireDueForTest. Taken
  // before mu_, never while holding it.
  std::mutex fire_mu_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<Key> by_due_;                                          // guarded by mu_
  std::map<std::string, std::map<int64_t, TimeMs>> by_execution_;  // guarded by mu_
  bool stopping_ = false;                                          // guarded by mu_

  std::mutex stop_mu_;  // serialises Stop's join
  std::thread thread_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_TIMER_QUEUE_H_
