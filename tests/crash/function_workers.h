// FunctionWorkers: the workers of the daemon crash harness's Lambda
// workload (nested_workflow.h). Raw workers long-poll GetFunctionTask
// through the generated gRPC stub (one function each) and answer with
// SendTaskSuccess/SendTaskFailure, retried across the daemon's deaths; the
// worker of the callback function hands the Task's callback token
// ($$.Task.Token in its event) to callback senders, which send the
// callback's SendTaskSuccess, retried across deaths, until it is answered.
// Now and then an acknowledged answer is sent a second time, which must be
// refused. Everything seen is logged in a FunctionLog for the checker
// (nested_checker.h).
//
// Real servers (`stepwise worker --function`, `stepwise lambda-runtime`)
// serve two of the functions beside these threads: function_servers.h.
// "First attempt" (a failFirst task's first answer is Flaky) is decided
// through a directory they share (FirstSeenDir), when one is set.
//
// Threads: Start/Stop/Join from the harness's main thread; the workers and
// senders run on their own threads; the log is guarded by its mutex.
#ifndef SW_TESTS_CRASH_FUNCTION_WORKERS_H_
#define SW_TESTS_CRASH_FUNCTION_WORKERS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "stepwise/v1/service.grpc.pb.h"

namespace stepwise::crash {

// True for what a call meets while the daemon is down, killed mid-call,
// starting or stopping.
bool TransientError(const absl::Status& s);

// What the function workers and callback senders saw.
struct FunctionLog {
  std::mutex mu;
  std::unordered_map<std::string, std::string> grants;  // hand-out token -> worker
  std::vector<std::string> double_grants;
  std::map<std::string, int64_t> handouts;  // by function
  std::set<std::string> first_seen;          // task keys seen by a worker
  // Task key ("<parent>/<state>") -> nonces of success answers sent (by a
  // function worker or a callback sender), and those acknowledged.
  std::map<std::string, std::set<std::string>> sent;
  std::map<std::string, std::set<std::string>> acked;
  // Second answers to an acknowledged task that were acknowledged too.
  std::vector<std::string> second_answers_accepted;
  int64_t second_answers_refused = 0;
  int64_t reports_stale = 0;  // answers refused (the attempt had ended)
  int64_t callbacks_queued = 0, callbacks_acked = 0, callbacks_refused = 0;
};

class FunctionWorkers {
 public:
  using StubFn = std::function<std::shared_ptr<v1::States::Stub>()>;

  // `stub` gives the current life's stub; `per_function` workers poll each
  // of the three functions; `senders` callback senders.
  FunctionWorkers(StubFn stub, int per_function, int senders, uint64_t seed)
      : stub_(std::move(stub)), per_function_(per_function), senders_(senders), seed_(seed) {}

  // Before Start: decide first attempts through FirstSeenDir(`dir`) (shared
  // with FunctionServers) instead of FunctionLog::first_seen.
  void set_first_seen_dir(std::string dir) { first_seen_dir_ = std::move(dir); }
  // Before Start: the deadline of each GetFunctionTask long poll (default
  // 70 s, beyond the server's 60 s). The cluster mode polls its nodes in
  // turn with short polls (a node hands out only its own shards' tasks).
  void set_poll_seconds(int seconds) { poll_seconds_ = seconds; }

  void Start();
  // Stops polling and sending (calls in flight end with the daemon).
  void Halt();
  void Join();

  FunctionLog& log() { return log_; }

 private:
  struct Callback {
    std::string key;    // "<parent>/Callback"
    std::string token;  // the callback token
    int64_t n = 0;
  };

  void Worker(const std::string& function, int k);
  void Sender(int k);
  void Enqueue(Callback c);
  // Calls `fn` with the current stub until it answers something other than
  // a transient error (or the workers halt).
  absl::Status Send(const std::function<grpc::Status(v1::States::Stub&, grpc::ClientContext&)>& fn);
  absl::Status SendSuccess(const std::string& token, const std::string& output);

  const StubFn stub_;
  const int per_function_;
  const int senders_;
  const uint64_t seed_;
  std::string first_seen_dir_;
  int poll_seconds_ = 70;
  std::atomic<bool> halt_{false};
  std::atomic<int64_t> nonces_{0};
  FunctionLog log_;
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Callback> queue_;  // under queue_mu_
  std::vector<std::thread> threads_;
};

}  // namespace stepwise::crash

#endif  // SW_TESTS_CRASH_FUNCTION_WORKERS_H_
