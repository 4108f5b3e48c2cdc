// ClusterTaskPoller: in cluster mode, a worker's long poll (GetActivityTask,
// GetFunctionTask) on any node gets tasks of executions on every node's
// shards. One poll goes in rounds:
//   1. this node's queue, without waiting (the engine commits the hand-out);
//   2. each live peer in turn (DescribeCluster's live nodes, cached for
//      kPeersMaxAge) with a "take": the same RPC forwarded, signed with the
//      cluster secret, which the peer answers from its own queue without
//      waiting and without forwarding it again, its hand-out (ActivityStarted,
//      or the function's Started event) committed there before it answers;
//   3. if nothing was found, a wait on this node's queue for at most the
//      retry interval, ended early when a task is queued here (the engine
//      hands it over directly) or when another node announces a task of
//      this queue (OnQueuedElsewhere, from storage::TaskNotifications'
//      LISTEN), after which the next round starts.
// A poll whose caller has gone takes no remote task (asked before each
// take). Each task is handed out at most once: only its owner's engine
// hands it out, in a commit. Single-node servers never build one.
//
// What "this node's queue" and "take at ADDRESS" mean is given per poll
// (ClusterPollCall), so the gRPC front end (server/states_service.cc) and
// the AWS JSON one (server/aws_json_cluster_poll.cc) share it.
//
// Threads: Poll and OnQueuedElsewhere from any thread, never blocking; the
// peer lookup (a database read) and each round's start run on the
// poller's own pool. Destroy after the engine has shut down (which ends
// every waiting poll) and after the services.
#ifndef SW_SERVER_CLUSTER_TASK_POLLER_H_
#define SW_SERVER_CLUSTER_TASK_POLLER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/blocking_pool.h"

namespace stepwise::server {

// Called once with a poll's (or a take's) outcome: its status and whether
// a task was handed out (the caller's response then holds it).
using PollDone = std::function<void(absl::Status, bool handed_out)>;

// One worker's poll, as its front end runs it.
struct ClusterPollCall {
  // The engine's worker queue: the activity ARN, or the function queue key
  // (engine/dispatch/lambda_function.h FunctionQueueKey).
  std::string queue;
  // How long the caller waits in all.
  int64_t timeout_ms = 0;
  // True once the caller has gone.
  std::function<bool()> is_cancelled;
  // Polls this node's engine for at most `timeout_ms` (0: now, never
  // waiting), filling the caller's response when it hands a task out.
  std::function<void(int64_t timeout_ms, PollDone done)> local;
  // Asks the node at `address` to hand one task out now, filling the
  // caller's response when it does; an answer not back within `timeout` is
  // an error.
  std::function<void(const std::string& address,
                     std::chrono::milliseconds timeout, PollDone done)>
      take;
};

struct ClusterTaskPollerStats {
  uint64_t remote_takes = 0;       // takes sent to other nodes
  uint64_t remote_handed_out = 0;  // of them, answered with a task
  uint64_t remote_take_errors =
      0;                 // of them, failed (node unreachable, refused)
  uint64_t wakeups = 0;  // announcements of other nodes heard
};

class ClusterTaskPoller {
 public:
  // How long a live-peer list is reused.
  static constexpr std::chrono::milliseconds kPeersMaxAge{2000};
  // Deadline of one take (a peer answers at once; a paused or unreachable
  // one must not hold the poll's round for the forwarder's 30 s), cut to
  // the poll's time left. No take starts with less than kMinTakeTime left
  // (the poll waits on this node's queue for the rest instead).
  static constexpr std::chrono::milliseconds kTakeTimeout{5000};
  static constexpr std::chrono::milliseconds kMinTakeTime{100};

  struct Options {
    // Ends one poll waiting on this node's `queue` (the engine's
    // WakeTaskPollers(queue, 1)), which then starts its next round.
    std::function<void(const std::string& queue)> wake_one;
    // The advertise addresses of the live nodes other than this one. May
    // block (a database read): called on the poller's pool only.
    std::function<absl::StatusOr<std::vector<std::string>>()> live_peers;
    // Longest a poll waits on this node before asking the other nodes again
    // without being told of a task (the safety net for a lost notification).
    std::chrono::milliseconds retry{3000};
    int pool_threads = 2;
  };

  explicit ClusterTaskPoller(Options options);
  ~ClusterTaskPoller();  // runs what is queued, then joins the pool
  ClusterTaskPoller(const ClusterTaskPoller&) = delete;
  ClusterTaskPoller& operator=(const ClusterTaskPoller&) = delete;

  // Runs `call` as described in the file comment; `done` is called exactly
  // once, from any thread: with the first error of this node's engine (an
  // unknown activity, too many pollers, shutting down), with a task, or
  // with no task once `call.timeout_ms` has passed or the caller has gone.
  void Poll(ClusterPollCall call, PollDone done);

  // Another node announced a task of `queue`: one poll waiting on it here
  // starts its next round now.
  void OnQueuedElsewhere(const std::string& queue);

  ClusterTaskPollerStats stats() const;

 private:
  struct PollState;
  void Round(std::shared_ptr<PollState> st);
  void AskPeers(std::shared_ptr<PollState> st,
                std::shared_ptr<const std::vector<std::string>> peers,
                size_t next, uint64_t seen);
  void Wait(std::shared_ptr<PollState> st, uint64_t seen);
  std::shared_ptr<const std::vector<std::string>> Peers();
  // Announcements heard for `queue` so far.
  uint64_t Heard(const std::string& queue);

  const Options options_;
  std::atomic<uint64_t> remote_takes_{0}, remote_handed_out_{0},
      remote_take_errors_{0}, wakeups_{0};

  std::mutex mu_;
  std::map<std::string, uint64_t> heard_;                   // guarded by mu_
  std::shared_ptr<const std::vector<std::string>> peers_;   // guarded by mu_
  std::chrono::steady_clock::time_point peers_read_at_{};   // guarded by mu_
  std::chrono::steady_clock::time_point last_error_log_{};  // guarded by mu_

  // Last member: destroyed (joined) first.
  BlockingPool pool_;
};

}  // namespace stepwise::server

#endif  // SW_SERVER_CLUSTER_TASK_POLLER_H_
