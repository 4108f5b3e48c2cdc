// ActivityWorker: runs activity tasks for one activity, or the invocations
// of one function queue (Lambda Tasks served by workers, GetFunctionTask),
// with N concurrent long polls. For each task it calls a handler, heartbeats
// while the handler runs, and reports the result with SendTaskSuccess or
// SendTaskFailure. Used by `stepwise worker` and `stepwise bench`. Start/Stop/Wait are
// thread-safe; the handler is called from N threads at once. Each poll loop
// sends its reports from a thread of its own and polls again at once, so the
// next poll is already waiting when the server commits the report (and the
// next task it schedules can be handed out in that same commit); a loop
// waits for its previous report to finish before handing over the next.
#ifndef SW_CLIENT_ACTIVITY_WORKER_H_
#define SW_CLIENT_ACTIVITY_WORKER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/task_heartbeats.h"

namespace stepwise::client {

// Sends a heartbeat for the task being handled now. Returns the call's
// status (e.g. TaskTimedOut when the task is gone).
using HeartbeatFn = std::function<absl::Status()>;

// Handles one task: returns its output (JSON text) for SendTaskSuccess, or an
// error: the AWS error name attached to the status (see TaskFailure) becomes
// the task's error ("States.TaskFailed" without one), the message its cause.
using ActivityHandler = std::function<absl::StatusOr<std::string>(
    const std::string& input, const HeartbeatFn& heartbeat)>;

// Returns a status a handler returns to fail its task with `error` and
// `cause`.
absl::Status TaskFailure(const std::string& error, const std::string& cause);

struct ActivityWorkerOptions {
  // What to poll: an activity (GetActivityTask), or, when function_name is
  // set, that function's queue (GetFunctionTask; the handler's input is the
  // invocation payload). Exactly one of them.
  std::string activity_arn;
  std::string function_name;
  std::string worker_name = "stepwise-worker";
  int concurrency = 1;
  // Heartbeats are sent this often while a handler runs; zero or negative
  // sends none (the handler can still call its HeartbeatFn).
  absl::Duration heartbeat_interval = absl::Seconds(30);
  // Called (from worker threads) when a poll or report fails; default logs
  // to stderr.
  std::function<void(const absl::Status&)> on_error;
};

class ActivityWorker {
 public:
  // `client` must outlive the worker.
  ActivityWorker(Client* client, ActivityWorkerOptions options,
                 ActivityHandler handler);
  ~ActivityWorker();  // Stops and waits.

  ActivityWorker(const ActivityWorker&) = delete;
  ActivityWorker& operator=(const ActivityWorker&) = delete;

  // Starts the pollers and the heartbeat thread. Calling it twice is a no-op.
  void Start();
  // Stops polling: polls in flight are cancelled, tasks in flight run to the
  // end and are reported. Returns once every thread has finished.
  void Stop();

  int64_t tasks_succeeded() const { return succeeded_.load(); }
  int64_t tasks_failed() const { return failed_.load(); }

 private:
  // One poll loop's report sender.
  struct Reporter {
    std::mutex mu;
    std::condition_variable cv;
    std::function<void()> report;  // waiting to be sent
    bool sending = false;
    bool closed = false;
    std::thread thread;
  };

  // A task handed out by either kind of poll.
  struct Task {
    std::string token;  // empty: none arrived
    std::string input;
  };

  void PollLoop(int index);
  // One long poll of the activity or function queue.
  absl::StatusOr<Task> Poll(CallCanceller* canceller) const;
  // Runs the handler; returns the call that reports its result.
  std::function<void()> Handle(const Task& task);
  static void ReportLoop(Reporter* r);
  // Waits until `r` sent its previous report, then hands it `report`.
  static void SubmitReport(Reporter* r, std::function<void()> report);
  // Sends what is left and ends `r`'s thread.
  static void CloseReporter(Reporter* r);
  void ReportError(const absl::Status& status);
  // Counts a report the server took in `counter`, or reports why not.
  void Count(const absl::Status& sent, std::atomic<int64_t>& counter);

  Client* const client_;
  const ActivityWorkerOptions options_;
  const ActivityHandler handler_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool stopping_ = false;
  std::unique_ptr<TaskHeartbeats> heartbeats_;
  std::vector<std::unique_ptr<CallCanceller>> cancellers_;
  std::vector<std::unique_ptr<Reporter>> reporters_;
  std::vector<std::thread> threads_;
  std::atomic<int64_t> succeeded_{0};
  std::atomic<int64_t> failed_{0};
};

}  // namespace stepwise::client

#endif  // SW_CLIENT_ACTIVITY_WORKER_H_
