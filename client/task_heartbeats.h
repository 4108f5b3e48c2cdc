// TaskHeartbeats: keeps tasks alive while they are being worked on. For
// every task token registered it sends SendTaskHeartbeat each `interval`,
// from one thread of its own, until the token is removed. Used by the
// ActivityWorker (activity and function tasks) and `stepwise lambda-runtime`
// (an invocation in flight in a Lambda runtime process), so a Task's
// HeartbeatSeconds only fires when the worker is gone, not because the
// work is long. Add/Remove/Stop are thread-safe.
#ifndef SW_CLIENT_TASK_HEARTBEATS_H_
#define SW_CLIENT_TASK_HEARTBEATS_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/client.h"

namespace stepwise::client {

class TaskHeartbeats {
 public:
  // `client` must outlive this object. A zero or negative `interval` sends
  // nothing (Add and Remove do nothing). `on_error` is called from the
  // heartbeat thread when a heartbeat fails (e.g. TaskTimedOut).
  TaskHeartbeats(Client* client, absl::Duration interval,
                 std::function<void(const absl::Status&)> on_error);
  ~TaskHeartbeats();  // Stops.

  TaskHeartbeats(const TaskHeartbeats&) = delete;
  TaskHeartbeats& operator=(const TaskHeartbeats&) = delete;

  // Starts heartbeating `token`: the first one is sent `interval` from now,
  // the last one before `until` (then the token is dropped: e.g. a Lambda
  // invocation past its deadline, whose runtime may be gone).
  void Add(const std::string& token, absl::Time until = absl::InfiniteFuture());
  // Stops heartbeating `token` (a heartbeat being sent now still finishes).
  void Remove(const std::string& token);
  // Ends the thread; later Adds do nothing.
  void Stop();

 private:
  void Loop();

  Client* const client_;
  const absl::Duration interval_;
  const std::function<void(const absl::Status&)> on_error_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  struct Entry {
    std::string token;
    absl::Time until;
  };
  // Tokens by the time their next heartbeat is due.
  std::multimap<absl::Time, Entry> due_;
  std::thread thread_;
};

}  // namespace stepwise::client

#endif  // SW_CLIENT_TASK_HEARTBEATS_H_
