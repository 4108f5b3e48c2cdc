// TaskNotifications: the cluster's "a task is waiting" wake-ups over
// PostgreSQL LISTEN/NOTIFY (docs/postgres.md "Task polls on any node").
// A node whose engine queues a task that no local poll took Announces the
// task's worker queue (an activity ARN or a function queue key); every
// other node LISTENing on kChannel hears it and its `on_queued` wakes the
// polls waiting there for that queue, which then ask the other nodes for a
// task (server/cluster_task_poller.h). A notification is only a hint: the
// hand-out itself is committed by the node owning the task, and a lost one
// (a node dying between its commit and its NOTIFY, a listener reconnecting
// after PostgreSQL restarted) costs a poller at most its periodic retry.
//
// One dedicated libpq connection (the store's conninfo) and one thread
// ("sw-task-notify") that LISTENs, sends the announced notifications (one
// NOTIFY each, so PostgreSQL does not fold two tasks of one queue into one
// wake-up) and reconnects with a back-off when the connection breaks.
// Notifications this node sent itself are not passed on.
//
// Threads: Announce and stats from any thread, never blocking; `on_queued`
// runs on the notification thread and must not block.
#ifndef SW_STORAGE_POSTGRES_TASK_NOTIFICATIONS_H_
#define SW_STORAGE_POSTGRES_TASK_NOTIFICATIONS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace stepwise::storage {

struct TaskNotificationStats {
  uint64_t sent = 0;      // NOTIFYs sent
  uint64_t received = 0;  // other nodes' notifications passed to on_queued
  uint64_t dropped =
      0;  // announcements not sent (connection down, or over the cap)
  uint64_t reconnects = 0;  // connections re-opened after a failure
};

class TaskNotifications {
 public:
  static constexpr char kChannel[] = "stepwise_task_queued";
  // Most notifications waiting to be sent for one queue: past it one more
  // wake-up per node would not find more pollers to wake.
  static constexpr int kMaxPendingPerQueue = 64;

  // Connects to `conninfo`, LISTENs, and starts the thread. kUnavailable
  // (naming the host, never the password) when PostgreSQL cannot be reached.
  static absl::StatusOr<std::unique_ptr<TaskNotifications>> Start(
      const std::string& conninfo,
      std::function<void(const std::string& queue)> on_queued);
  ~TaskNotifications();  // Stop()

  // Stops the thread (no `on_queued` after it returns). Idempotent; later
  // announcements are dropped.
  void Stop();
  TaskNotifications(const TaskNotifications&) = delete;
  TaskNotifications& operator=(const TaskNotifications&) = delete;

  // Tells the other nodes a task of `queue` waits here. Never blocks.
  void Announce(const std::string& queue);

  TaskNotificationStats stats() const;

 private:
  class Connection;
  TaskNotifications(std::string conninfo,
                    std::function<void(const std::string&)> on_queued,
                    std::unique_ptr<Connection> connection);
  void Run();
  // Sends what Announce queued; false when the connection broke.
  bool SendPending();

  const std::string conninfo_;
  const std::function<void(const std::string&)> on_queued_;
  std::unique_ptr<Connection> connection_;  // the thread's only
  int wake_pipe_[2] = {-1, -1};             // Announce/stop → the thread

  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by mu_
  std::map<std::string, int>
      pending_;  // queue -> notifications to send; guarded by mu_

  std::atomic<uint64_t> sent_{0}, received_{0}, dropped_{0}, reconnects_{0};
  std::mutex join_mu_;  // serialises Stop's join
  std::thread thread_;
};

}  // namespace stepwise::storage

#endif  // SW_STORAGE_POSTGRES_TASK_NOTIFICATIONS_H_
