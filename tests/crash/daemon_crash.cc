// daemon_crash: the crash harness on the real daemon (issue 6, section 1).
// It runs `stepwised` as a child process on a data directory and drives a
// mixed workload through the real gRPC client library: Pass chains, Choice,
// Waits, activity Tasks with heartbeats served by real workers (raw
// GetActivityTask/SendTask* loops that log every token, plus one library
// ActivityWorker), inline Map, Parallel, Retry and Catch, and StopExecution
// of every tenth execution; and a second workload (nested_workflow.h) of
// parents whose Lambda Tasks run on function queues served by raw
// GetFunctionTask workers and, with --stepwise, by a real `stepwise worker
// --function` process and a real `stepwise lambda-runtime` process running a
// Runtime API client (function_servers.h), whose .waitForTaskToken Task is
// completed by a callback sender, and which start child executions (.sync:2
// and fire-and-forget). Meanwhile it kills the daemon with SIGKILL at
// random instants, and lets some lives die at a named point around a group
// commit (STEPWISE_TEST_CRASH_POINT=before_write:N / after_write:N, see
// storage/crash_point_store.h), restarting it each time on the same directory.
// Once the kills are done the last life runs until every execution is
// closed, is stopped with SIGTERM, and the checker opens the data directory
// and verifies every execution (see README.md, "On the real daemon").
//
//
// Cluster mode (`--cluster N`, cluster_nodes.h, README.md "Three nodes on
// PostgreSQL"): the same workload (without the child executions) on N
// nodes over one PostgreSQL started from initdb in DIR; every call goes to
// the next node in turn (a call failing on a node that is down goes to the
// next), workers poll the nodes in turn; one node chosen at random is
// SIGKILLed every --kill-every-ms and started again after --down-ms
// (--kills times), then PostgreSQL is stopped with `pg_ctl stop -m
// immediate` and started again --pg-restarts times; the harness measures
// how long until every shard of a killed node is held again and how long
// until a StartExecution is acknowledged after PostgreSQL is back, and the
// checker reads the database.
//
//   daemon_crash --stepwised PATH --dir DIR [--executions N] [--kills K]
//                [--max-gap-ms G] [--start-rate R] [--workers W]
//                [--max-steps S] [--deadline-s T] [--seed X] [--parents P]
//                [--function-workers F] [--stepwise CLI_PATH]
//                [--cluster N [--shards S] [--lease-ttl T] [--kill-every-ms I]
//                 [--down-ms D] [--pg-restarts P] [--pg-down-ms E]]
// Defaults come from CRASH_* environment variables (README.md). Exits 0
// when every check holds, 2 on violations, 1 when the run itself failed.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/activity_worker.h"
#include "client/client.h"
#include "common/json.h"
#include "common/strings.h"
#include "asl/definition.h"
#include "engine/execution_codec.h"
#include "engine/interpreter.h"
#include "grpcpp/grpcpp.h"
#include "common/status_macros.h"
#include "tests/crash/checker.h"
#include "tests/crash/cluster_nodes.h"
#include "tests/crash/function_servers.h"
#include "tests/crash/function_workers.h"
#include "tests/crash/harness_daemon.h"
#include "tests/crash/nested_checker.h"
#include "tests/crash/nested_workflow.h"
#include "tests/crash/replay.h"
#include "tests/crash/workflow.h"

namespace stepwise::crash {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::stepwise::v1;
using client::Client;

constexpr char kMachineName[] = "crash-daemon";
constexpr char kActivityName[] = "crash-daemon-work";
constexpr char kParentMachine[] = "crash-daemon-parent";
constexpr char kChildMachine[] = "crash-daemon-child";

// The workflow with heartbeats and held executions (workflow.h): a task
// handed out by a life that died before its reply left is given up by its
// heartbeat timeout (2 s) and retried; every tenth execution parks in a
// long Wait and is stopped by the harness.
const Workflow& Flow() {
  static const Workflow* flow = new Workflow(WorkflowOptions{
      .machine_name = kMachineName,
      .activity_name = kActivityName,
      .comment = "daemon crash test workload",
      .hold = true,
      .task_timeout_seconds = 60,
      .heartbeat_seconds = 2,
      .timeout_max_attempts = 100,
      .risky_names_its_task = true,
  });
  return *flow;
}
std::string ExecName(int i) { return Workflow::ExecName(i); }
const NestedWorkflow& Nested() {
  static const NestedWorkflow* flow = new NestedWorkflow(kParentMachine, kChildMachine);
  return *flow;
}

struct Flags {
  std::string stepwised;
  std::string dir;
  int executions = 500;
  int kills = 20;
  int max_gap_ms = 8000;
  double start_rate = 5;
  int workers = 8;
  int max_steps = 100;
  int deadline_s = 240;
  uint64_t seed = 0;
  int parents = -1;  // parents of the nested workload; -1: executions / 5
  int function_workers = 2;  // raw workers per function
  std::string stepwise;      // the CLI: runs the function servers when set
  // Cluster mode (cluster_nodes.h) when > 0: the number of nodes.
  int cluster = 0;
  int shards = 32;            // --cluster-shards
  int lease_ttl_s = 10;       // --cluster-lease-ttl
  int kill_every_ms = 20000;  // a node killed this often
  int down_ms = 5000;         // and started again after this long
  int pg_restarts = 0;        // then PostgreSQL stopped -m immediate this often
  int pg_down_ms = 3000;      // for this long each time
};

int Fail(const std::string& why) {
  std::fprintf(stderr, "daemon_crash: %s\n", why.c_str());
  return 1;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool Transient(const absl::Status& s) { return TransientError(s); }

// ------------------------------------------------------------ the workload

// What the harness saw; everything the checker compares the store with.
struct Observed {
  std::mutex mu;
  std::set<int> start_acked;                   // StartExecution answered OK
  std::set<int> stop_acked;                    // StopExecution answered OK
  std::set<int> parent_start_acked;            // the nested workload's parents
  int64_t last_start_ack_ms = 0;               // NowMs() of the latest acknowledged start
  std::unordered_map<std::string, std::string> grants;  // token -> worker
  std::vector<std::string> double_grants;
  std::set<std::string> first_seen;            // exec/state seen by a worker
  // exec/state -> nonces of answers sent (SendTaskSuccess), and the one acked.
  std::map<std::string, std::set<std::string>> sent;
  std::map<std::string, std::set<std::string>> acked;
  int64_t heartbeats_ok = 0, heartbeats_failed = 0, reports_stale = 0;
};

// A worker's answer and the task it answers ("<execution>/<state>").
struct Answer : WorkerAnswer {
  std::string key;
};

// Workflow::Answer, with the "by" nonce naming the answer; first attempts
// are remembered in `obs`.
Answer Compute(const json::object& in, const std::string& nonce, Observed& obs) {
  std::string key = Workflow::TaskKey(in);
  WorkerAnswer w = Workflow::Answer(in, nonce, [&obs](const std::string& k) {
    std::lock_guard<std::mutex> l(obs.mu);
    return obs.first_seen.insert(k).second;
  });
  return Answer{std::move(w), std::move(key)};
}

class Harness {
 public:
  explicit Harness(const Flags& f)
      : f_(f),
        clients_(std::max(1, f.cluster)),
        stubs_(std::max(1, f.cluster)),
        functions_([this] { return CurrentStub(); }, f.function_workers, /*senders=*/2, f.seed) {
    // A node hands out only its own shards' tasks: short polls, node after
    // node (the server polls 0.5 s less than the caller's deadline).
    if (f.cluster > 0) functions_.set_poll_seconds(2);
  }

  // The client of the current life of the next node in turn (one node
  // outside cluster mode): every call, and every retry of a call, of the
  // calling thread goes to the next node. The turn is the thread's own: with
  // one turn shared by every thread, pollers that poll in step (6 function
  // workers, 3 nodes) each met the same node every round and a worker kind
  // never polled one node, whose tasks then waited forever.
  std::shared_ptr<Client> Current() {
    std::lock_guard<std::mutex> l(client_mu_);
    return clients_[NextTurn() % clients_.size()];
  }
  // The raw gRPC stub of the current life of the next node in turn
  // (function workers: the client library has no GetFunctionTask yet).
  std::shared_ptr<v1::States::Stub> CurrentStub() {
    std::lock_guard<std::mutex> l(client_mu_);
    return stubs_[NextTurn() % stubs_.size()];
  }
  // The client of node `node`'s new life, on `port`.
  void SetClient(int node, std::shared_ptr<Client> c, int port) {
    std::shared_ptr<v1::States::Stub> stub = v1::States::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    std::lock_guard<std::mutex> l(client_mu_);
    clients_[node] = std::move(c);
    stubs_[node] = std::move(stub);
  }
  // The client of node `node`'s current life.
  std::shared_ptr<Client> ClientOf(int node) {
    std::lock_guard<std::mutex> l(client_mu_);
    return clients_[node];
  }
  int64_t last_start_ack_ms() {
    std::lock_guard<std::mutex> l(obs_.mu);
    return obs_.last_start_ack_ms;
  }

  // Calls `fn` with the current client until it answers something other
  // than a transient error (or the harness stops).
  template <typename F>
  auto Retry(F fn) -> decltype(fn(std::declval<Client&>())) {
    while (true) {
      std::shared_ptr<Client> c = Current();
      auto r = fn(*c);
      if (!Transient(StatusOf(r)) || halt_.load()) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  template <typename T>
  static absl::Status StatusOf(const absl::StatusOr<T>& r) { return r.status(); }
  static absl::Status StatusOf(const absl::Status& s) { return s; }

  absl::Status Setup() {
    auto a = Retry([](Client& c) {
      v1::CreateActivityRequest r;
      r.set_name(kActivityName);
      return c.CreateActivity(r);
    });
    if (!a.ok()) return a.status();
    auto m = Retry([](Client& c) {
      v1::CreateStateMachineRequest r;
      r.set_name(kMachineName);
      r.set_definition(Flow().Definition());
      r.set_role_arn("arn:aws:iam::123456789012:role/crash");
      return c.CreateStateMachine(r);
    });
    if (!m.ok()) return m.status();
    for (const auto& [name, definition] :
         {std::pair{Nested().child_machine(), Nested().ChildDefinition()},
          std::pair{Nested().parent_machine(), Nested().ParentDefinition()}}) {
      auto n = Retry([&, name = name, definition = definition](Client& c) {
        v1::CreateStateMachineRequest r;
        r.set_name(name);
        r.set_definition(definition);
        r.set_role_arn("arn:aws:iam::123456789012:role/crash");
        return c.CreateStateMachine(r);
      });
      if (!n.ok()) return n.status();
    }
    return absl::OkStatus();
  }

  // Before StartThreads.
  void SetFirstSeenDir(const std::string& dir) { functions_.set_first_seen_dir(dir); }

  void StartThreads() {
    threads_.emplace_back([this] { Starter(); });
    threads_.emplace_back([this] { ParentStarter(); });
    functions_.Start();
    threads_.emplace_back([this] { Stopper(); });
    for (int k = 0; k < f_.workers; ++k) threads_.emplace_back([this, k] { RawWorker(k); });
  }

  // One ActivityWorker from the client library, on its own Client that
  // lives across restarts (the library reconnects by itself).
  absl::Status StartLibraryWorker(int port) {
    client::ClientOptions o;
    o.endpoint = absl::StrCat("127.0.0.1:", port);
    auto c = Client::Connect(o);
    if (!c.ok()) return c.status();
    lib_client_ = std::move(*c);
    client::ActivityWorkerOptions wo;
    wo.activity_arn = Flow().ActivityArn();
    wo.worker_name = "library-worker";
    wo.concurrency = 2;
    wo.heartbeat_interval = absl::Milliseconds(500);
    wo.on_error = [](const absl::Status&) {};  // the daemon dies often
    lib_worker_ = std::make_unique<client::ActivityWorker>(
        lib_client_.get(), wo,
        [this](const std::string& input,
               const client::HeartbeatFn&) -> absl::StatusOr<std::string> {
          auto in = ParseJson(input);
          if (!in.ok() || !in->is_object()) return client::TaskFailure("Bad", "bad input");
          std::string nonce = absl::StrCat("lib-", ++nonces_);
          Answer a = Compute(in->get_object(), nonce, obs_);
          if (!a.success) return client::TaskFailure(a.error, a.cause);
          {
            std::lock_guard<std::mutex> l(obs_.mu);
            obs_.sent[a.key].insert(nonce);
          }
          // Sometimes outlive a heartbeat timeout, kept alive by heartbeats.
          if (nonces_.load() % 7 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2500));
          return a.output;
        });
    lib_worker_->Start();
    return absl::OkStatus();
  }

  // True once every execution is closed (held ones close only when stopped).
  bool WorkloadDone() {
    if (!starts_done_.load() || !parent_starts_done_.load()) return false;
    std::vector<int> open;
    {
      std::lock_guard<std::mutex> l(obs_.mu);
      for (int i = 0; i < f_.executions + parents(); ++i) {
        if (closed_.count(i) == 0) open.push_back(i);
      }
    }
    std::shared_ptr<Client> c = Current();
    for (int i : open) {
      // 0..executions-1 the first workload's, then the parents.
      v1::DescribeExecutionRequest r;
      r.set_execution_arn(i < f_.executions ? Flow().ExecArn(i)
                                            : Nested().ParentArn(i - f_.executions));
      auto d = c->DescribeExecution(r);
      // Missing although its start was acknowledged (a store that lost it):
      // nothing to wait for; the checker reports it.
      if (!d.ok() && client::AwsErrorName(d.status()) == "ExecutionDoesNotExist") {
        std::lock_guard<std::mutex> l(obs_.mu);
        closed_.insert(i);
        continue;
      }
      if (!d.ok()) return false;
      if (d->status() == "RUNNING") {
        last_open_ = i < f_.executions ? ExecName(i)
                                       : NestedWorkflow::ParentName(i - f_.executions);
        return false;
      }
      std::lock_guard<std::mutex> l(obs_.mu);
      closed_.insert(i);
    }
    // Fire-and-forget children outlive their parents.
    v1::ListExecutionsRequest lr;
    lr.set_state_machine_arn(Nested().ChildMachineArn());
    lr.set_status_filter("RUNNING");
    lr.set_max_results(1);
    auto running = c->ListExecutions(lr);
    if (!running.ok()) return false;
    if (running->executions_size() > 0) {
      last_open_ = running->executions(0).execution_arn();
      return false;
    }
    return true;
  }

  void Halt() {
    halt_ = true;
    if (lib_worker_) lib_worker_->Stop();
    functions_.Halt();
  }
  void Join() {
    for (auto& t : threads_) t.join();
    functions_.Join();
    lib_worker_.reset();
  }

  Observed& obs() { return obs_; }
  FunctionLog& function_log() { return functions_.log(); }
  int parents() const { return f_.parents; }
  const std::string& last_open() const { return last_open_; }
  int64_t started_calls() const { return start_calls_.load(); }

 private:
  void Starter() {
    int64_t t0 = NowMs();
    for (int i = 0; i < f_.executions && !halt_.load(); ++i) {
      int64_t due = t0 + static_cast<int64_t>(1000.0 * i / f_.start_rate);
      int64_t now = NowMs();
      if (due > now) std::this_thread::sleep_for(std::chrono::milliseconds(due - now));
      while (!halt_.load()) {
        auto r = Retry([this, i](Client& c) {
          ++start_calls_;
          v1::StartExecutionRequest q;
          q.set_state_machine_arn(Flow().MachineArn());
          q.set_name(ExecName(i));
          q.set_input(SerializeJson(Flow().Input(i)));
          return c.StartExecution(q);
        });
        if (r.ok()) {
          std::lock_guard<std::mutex> l(obs_.mu);
          obs_.start_acked.insert(i);
          obs_.last_start_ack_ms = NowMs();
          break;
        }
        // A retry of a start whose reply was lost, after it closed.
        if (client::AwsErrorName(r.status()) == "ExecutionAlreadyExists") break;
        std::fprintf(stderr, "daemon_crash: start exec-%d: %s\n", i,
                     r.status().ToString().c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
    starts_done_ = true;
  }

  // Starts the nested workload's parents, paced over the same span as the
  // first workload's starts.
  void ParentStarter() {
    int64_t t0 = NowMs();
    double rate = f_.start_rate * std::max(1, f_.parents) / std::max(1, f_.executions);
    for (int i = 0; i < f_.parents && !halt_.load(); ++i) {
      int64_t due = t0 + static_cast<int64_t>(1000.0 * i / rate);
      int64_t now = NowMs();
      if (due > now) std::this_thread::sleep_for(std::chrono::milliseconds(due - now));
      while (!halt_.load()) {
        auto r = Retry([this, i](Client& c) {
          ++start_calls_;
          v1::StartExecutionRequest q;
          q.set_state_machine_arn(Nested().ParentMachineArn());
          q.set_name(NestedWorkflow::ParentName(i));
          q.set_input(SerializeJson(NestedWorkflow::ParentInput(i)));
          return c.StartExecution(q);
        });
        if (r.ok()) {
          std::lock_guard<std::mutex> l(obs_.mu);
          obs_.parent_start_acked.insert(i);
          obs_.last_start_ack_ms = NowMs();
          break;
        }
        if (client::AwsErrorName(r.status()) == "ExecutionAlreadyExists") break;
        std::fprintf(stderr, "daemon_crash: start parent-%d: %s\n", i,
                     r.status().ToString().c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
    parent_starts_done_ = true;
  }

  void Stopper() {
    // Stops each held execution once its start was answered; a stop whose
    // reply was lost is retried and then finds the execution not running.
    std::set<int> done;
    while (!halt_.load()) {
      std::vector<int> todo;
      {
        std::lock_guard<std::mutex> l(obs_.mu);
        for (int i : obs_.start_acked) {
          if (Flow().Held(i) && done.count(i) == 0) todo.push_back(i);
        }
      }
      for (int i : todo) {
        auto r = Retry([i](Client& c) {
          v1::StopExecutionRequest q;
          q.set_execution_arn(Flow().ExecArn(i));
          q.set_error("Crash.Stopped");
          q.set_cause("stopped by the crash harness");
          return c.StopExecution(q);
        });
        if (r.ok()) {
          std::lock_guard<std::mutex> l(obs_.mu);
          obs_.stop_acked.insert(i);
          done.insert(i);
        } else if (client::AwsErrorName(r.status()) == "ValidationException") {
          done.insert(i);  // not running: an earlier stop went through
        } else if (!halt_.load()) {
          std::fprintf(stderr, "daemon_crash: stop exec-%d: %s\n", i,
                       r.status().ToString().c_str());
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  void RawWorker(int k) {
    std::string name = absl::StrCat("raw-", k);
    std::mt19937_64 rng(f_.seed * 1000 + k);
    while (!halt_.load()) {
      std::shared_ptr<Client> c = Current();
      v1::GetActivityTaskRequest q;
      q.set_activity_arn(Flow().ActivityArn());
      q.set_worker_name(name);
      auto t = c->GetActivityTask(q);
      if (!t.ok()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      if (t->task_token().empty()) continue;
      const std::string token = t->task_token();
      {
        std::lock_guard<std::mutex> l(obs_.mu);
        auto [it, inserted] = obs_.grants.emplace(token, name);
        if (!inserted) {
          obs_.double_grants.push_back(absl::StrCat(it->second, " and ", name));
        }
      }
      auto in = ParseJson(t->input());
      if (!in.ok() || !in->is_object()) {
        std::fprintf(stderr, "daemon_crash: task input is not an object: %s\n",
                     t->input().c_str());
        continue;
      }
      std::string nonce = absl::StrCat(name, "-", ++nonces_);
      Answer a = Compute(in->get_object(), nonce, obs_);
      if (rng() % 5 == 0) {
        // A slow task: outlives its 2 s heartbeat timeout, kept by heartbeats.
        for (int h = 0; h < 4 && !halt_.load(); ++h) {
          std::this_thread::sleep_for(std::chrono::milliseconds(700));
          v1::SendTaskHeartbeatRequest hb;
          hb.set_task_token(token);
          absl::Status s = Current()->SendTaskHeartbeat(hb);
          std::lock_guard<std::mutex> l(obs_.mu);
          (s.ok() ? obs_.heartbeats_ok : obs_.heartbeats_failed) += 1;
        }
      }
      if (a.success) {
        {
          std::lock_guard<std::mutex> l(obs_.mu);
          obs_.sent[a.key].insert(nonce);
        }
        absl::Status s = Retry([&](Client& cl) {
          v1::SendTaskSuccessRequest r;
          r.set_task_token(token);
          r.set_output(a.output);
          return cl.SendTaskSuccess(r);
        });
        std::lock_guard<std::mutex> l(obs_.mu);
        if (s.ok()) {
          obs_.acked[a.key].insert(nonce);
        } else {
          ++obs_.reports_stale;
        }
      } else {
        absl::Status s = Retry([&](Client& cl) {
          v1::SendTaskFailureRequest r;
          r.set_task_token(token);
          r.set_error(a.error);
          r.set_cause(a.cause);
          return cl.SendTaskFailure(r);
        });
        if (!s.ok()) {
          std::lock_guard<std::mutex> l(obs_.mu);
          ++obs_.reports_stale;
        }
      }
    }
  }

  // The calling thread's next turn (Current, CurrentStub); each thread
  // starts at a node of its own.
  static size_t NextTurn() {
    static std::atomic<size_t> threads{0};
    thread_local size_t turn = threads.fetch_add(1);
    return turn++;
  }

  const Flags f_;
  std::mutex client_mu_;
  std::vector<std::shared_ptr<Client>> clients_;             // by node
  std::vector<std::shared_ptr<v1::States::Stub>> stubs_;     // by node
  std::atomic<bool> halt_{false};
  std::atomic<bool> starts_done_{false};
  std::atomic<bool> parent_starts_done_{false};
  std::atomic<int64_t> nonces_{0};
  std::atomic<int64_t> start_calls_{0};
  std::set<int> closed_;  // guarded by obs_.mu
  std::string last_open_;
  Observed obs_;
  FunctionWorkers functions_;
  std::vector<std::thread> threads_;
  std::unique_ptr<Client> lib_client_;
  std::unique_ptr<client::ActivityWorker> lib_worker_;
};

// ------------------------------------------------------------ the checker

// Removes the "by" member of the task results inside `out` (in place) and
// collects them by task key (exec/state).
void TakeNonces(int i, json::object& out, std::map<std::string, std::string>* by) {
  auto take = [&](json::value* v, const std::string& state) {
    if (v == nullptr || !v->is_object()) return;
    json::object& o = v->get_object();
    if (const json::value* b = o.if_contains("by"); b != nullptr && b->is_string()) {
      (*by)[absl::StrCat(ExecName(i), "/", state)] = std::string(b->get_string());
    }
    o.erase("by");
  };
  take(out.if_contains("work"), "Work");
  take(out.if_contains("risky"), "Risky");
  if (json::value* par = out.if_contains("par"); par != nullptr && par->is_array() &&
                                                 par->get_array().size() > 1) {
    take(&par->get_array()[1], "B2Work");
  }
}

// Below this many parents, a function server that answered nothing (after
// the first death) is only noted.
constexpr int kServersMinParents = 50;

// What the function servers did, for Verify (null without them).
struct ServersSeen {
  const FunctionServers* servers = nullptr;
  int64_t first_death_ms = 0;  // UnixNowMs() of the first death
};

// Nodes serve again (a StartExecution acknowledged) within this many
// seconds of PostgreSQL's return (issue 20).
constexpr double kResumeLimitS = 10;

// What the cluster mode measured, for Verify (empty outside it).
struct ClusterSeen {
  std::vector<double> reown_s;   // per kill: seconds until its shards were held again (-1: never)
  std::vector<double> resume_s;  // per PostgreSQL restart: seconds until a start was acknowledged
  std::vector<double> nodes_back_s;  // and until every node answered a read (-1: one never did)
  std::vector<std::string> unexpected_exits;  // nodes that exited without being killed
};

int Verify(const Flags& f, const std::string& store_location, Observed& obs, FunctionLog& flog,
           const ServersSeen& seen, const ClusterSeen& cluster) {
  Report rep;
  auto run = OpenStoredRun(store_location, kMachineName, &rep);
  if (!run.ok()) return Fail(std::string(run.status().message()));
  storage::Store& store = *run->store;

  ReplayOptions opts;
  opts.max_steps_per_trigger = f.max_steps;
  opts.tokens = run->tokens.get();
  CheckTotals totals;
  int succeeded = 0, aborted = 0;
  std::map<std::string, std::string> final_by;  // exec/state -> nonce in the output
  std::map<std::string, std::set<std::string>> succeeded_by;  // from ActivitySucceeded
  for (int i = 0; i < f.executions; ++i) {
    std::string arn = Flow().ExecArn(i);
    std::string who = ExecName(i);
    std::optional<json::object> rec =
        ReadRecord(store, arn, who,
                   obs.start_acked.count(i) ? " (its StartExecution was acknowledged)" : "", &rep);
    if (!rec) continue;
    const json::object& so = rec->at("state").as_object();
    engine::ExecutionStatus status = StoredStatus(so);
    if (Flow().Held(i)) {
      if (status != engine::ExecutionStatus::kAborted) {
        rep.Problem(absl::StrCat(who, ": held and stopped, but status ",
                                 ToAbsl(engine::ExecutionStatusName(status))));
      } else {
        ++aborted;
        if (so.at("error").as_string() != "Crash.Stopped") {
          rep.Problem(absl::StrCat(who, ": aborted with error '",
                                   std::string(so.at("error").as_string()), "'"));
        }
      }
    } else if (CheckSucceeded(
                   i, Flow().Input(i).as_object(), so,
                   [&](json::object& out) { TakeNonces(i, out, &final_by); }, who, &rep)) {
      ++succeeded;
    }
    std::map<std::string, int> expected = WorkloadEntered(i);
    std::vector<engine::HistoryEvent> events = CheckClosedExecution(
        store, arn, who, *rec, run->machine, opts,
        status == engine::ExecutionStatus::kSucceeded ? &expected : nullptr, &totals, &rep);
    std::map<int64_t, const engine::HistoryEvent*> by_id;
    for (const auto& ev : events) by_id[ev.id] = &ev;
    // Map each ActivitySucceeded to its state through Started -> Scheduled.
    for (const auto& ev : events) {
      if (ev.type != "ActivitySucceeded") continue;
      auto s1 = by_id.find(ev.previous_event_id);
      if (s1 == by_id.end()) continue;
      auto s2 = by_id.find(s1->second->previous_event_id);
      if (s2 == by_id.end() || s2->second->type != "ActivityScheduled") {
        rep.Problem(absl::StrCat(who, ": ", DescribeEvent(ev), " does not chain to a schedule"));
        continue;
      }
      auto in = ParseJson(
          ToAbsl(std::string_view(s2->second->details.at("input").as_string())));
      auto out = ParseJson(ToAbsl(std::string_view(ev.details.at("output").as_string())));
      if (!in.ok() || !out.ok() || !in->is_object() || !out->is_object()) continue;
      const json::value* st = in->get_object().if_contains("state");
      const json::value* by = out->get_object().if_contains("by");
      if (st == nullptr || by == nullptr || !st->is_string() || !by->is_string()) continue;
      succeeded_by[absl::StrCat(who, "/", std::string(st->get_string()))].insert(
          std::string(by->get_string()));
    }
  }

  // Acknowledged SendTaskSuccess: its answer is the task's one success in
  // the history, and (for a task whose result is kept) in the output.
  int64_t acked_total = 0;
  for (const auto& [key, nonces] : obs.acked) {
    acked_total += static_cast<int64_t>(nonces.size());
    if (nonces.size() > 1) {
      rep.Problem(absl::StrCat(key, ": ", nonces.size(), " SendTaskSuccess acknowledged"));
    }
    const auto& got = succeeded_by[key];
    for (const std::string& n : nonces) {
      if (got.count(n) == 0) {
        rep.Problem(absl::StrCat(key, ": acknowledged SendTaskSuccess ", n,
                                 " is not in the history"));
      }
      auto fb = final_by.find(key);
      if (fb != final_by.end() && fb->second != n) {
        rep.Problem(absl::StrCat(key, ": output carries answer ", fb->second,
                                 " but the acknowledged one was ", n));
      }
    }
  }
  // Every success in a history was sent by a worker, at most one per task.
  for (const auto& [key, nonces] : succeeded_by) {
    if (nonces.size() > 1) {
      rep.Problem(absl::StrCat(key, ": ", nonces.size(), " ActivitySucceeded events"));
    }
    for (const std::string& n : nonces) {
      if (obs.sent[key].count(n) == 0) {
        rep.Problem(absl::StrCat(key, ": ActivitySucceeded ", n, " was never sent"));
      }
    }
  }
  for (const std::string& d : obs.double_grants) {
    rep.Problem("task token handed out twice: to " + d);
  }
  if (static_cast<int64_t>(obs.grants.size()) > totals.activity_started) {
    rep.Problem(absl::StrCat(obs.grants.size(), " tokens handed to raw workers but only ",
                             totals.activity_started, " ActivityStarted events"));
  }
  for (int i : obs.stop_acked) {
    if (!Flow().Held(i)) rep.Problem(absl::StrCat(ExecName(i), ": stopped but not held"));
  }
  CheckTotals nested_totals;
  NestedTotals nested;
  if (seen.servers != nullptr) seen.servers->MergeSent(&flog);
  VerifyNested(store, Nested(), f.parents, obs.parent_start_acked, flog, opts, &nested_totals,
               &nested, &rep);
  if (seen.servers != nullptr) {
    // Each real server answered tasks that closed, and went on answering
    // across the daemon's deaths (its answers after the first death).
    const std::set<std::string> after = seen.servers->SentAfter(seen.first_death_ms);
    for (const FunctionServers::Server& sv : seen.servers->servers()) {
      int64_t logged = 0, in_history = 0, after_death = 0;
      {
        std::lock_guard<std::mutex> l(flog.mu);
        logged = flog.handouts[absl::StrCat(sv.function, " (", sv.what, ")")];
      }
      for (const std::string& n : nested.history_nonces) {
        if (n.rfind(sv.prefix + "-", 0) != 0) continue;
        ++in_history;
        if (after.count(n) != 0) ++after_death;
      }
      std::printf("verify servers: stepwise %s (%s): %lld invocations, %lld successes in "
                  "histories (%lld answered after the first death); started %d time(s)\n",
                  sv.what.c_str(), sv.function.c_str(), static_cast<long long>(logged),
                  static_cast<long long>(in_history), static_cast<long long>(after_death),
                  sv.starts);
      // A server comes back seconds after a restart (its poll backoff and
      // the gRPC channel's reconnect backoff, README.md): a small run may
      // give it no work once it is back, so only a run with enough parents
      // (the CI size has 100) requires it.
      std::string missing;
      if (in_history == 0) {
        missing = "no success of its in any history";
      } else if (f.kills > 0 && after_death == 0) {
        missing = "no success in any history after the first death";
      }
      if (!missing.empty() && f.parents >= kServersMinParents) {
        rep.Problem(absl::StrCat("stepwise ", sv.what, ": ", missing));
      } else if (!missing.empty()) {
        std::printf("note: stepwise %s: %s (not a violation below %d parents)\n",
                    sv.what.c_str(), missing.c_str(), kServersMinParents);
      }
    }
  }
  CheckQueuesEmpty(store, &rep);
  if (f.cluster > 0) {
    // Every shard of a killed node held again within the lease TTL + 2 s;
    // nodes serving again within 10 s of PostgreSQL's return; no node
    // exiting by itself while PostgreSQL was up.
    const double reown_limit = f.lease_ttl_s + 2.0;
    std::string reowns, resumes, nodes_back;
    for (size_t k = 0; k < cluster.reown_s.size(); ++k) {
      double r = cluster.reown_s[k];
      absl::StrAppend(&reowns, k == 0 ? "" : " ", absl::StrFormat("%.2f", r));
      if (r < 0 || r > reown_limit) {
        rep.Problem(r < 0 ? absl::StrFormat("kill %d: the killed node's shards were not held "
                                            "again within TTL + 10 s",
                                            k + 1)
                          : absl::StrFormat("kill %d: the killed node's shards were held again "
                                            "after %.2f s, over the lease TTL + 2 s = %.0f s",
                                            k + 1, r, reown_limit));
      }
    }
    for (size_t k = 0; k < cluster.resume_s.size(); ++k) {
      double r = cluster.resume_s[k];
      absl::StrAppend(&resumes, k == 0 ? "" : " ", absl::StrFormat("%.2f", r));
      if (r < 0 || r > kResumeLimitS) {
        rep.Problem(absl::StrFormat("PostgreSQL restart %d: a StartExecution was acknowledged "
                                    "%.2f s after PostgreSQL was back (-1: none), over %.0f s",
                                    k + 1, r, kResumeLimitS));
      }
    }
    for (size_t k = 0; k < cluster.nodes_back_s.size(); ++k) {
      double r = cluster.nodes_back_s[k];
      absl::StrAppend(&nodes_back, k == 0 ? "" : " ", absl::StrFormat("%.2f", r));
      if (r < 0 || r > kResumeLimitS) {
        rep.Problem(absl::StrFormat("PostgreSQL restart %d: every node answered again %.2f s "
                                    "after PostgreSQL was back (-1: one never did), over %.0f s",
                                    k + 1, r, kResumeLimitS));
      }
    }
    for (const std::string& e : cluster.unexpected_exits) rep.Problem(e);
    std::printf("verify cluster: %d nodes, %d shards, lease TTL %d s; %zu kills, shards held "
                "again after [%s] s (limit %.0f s); %zu PostgreSQL restarts, a start "
                "acknowledged [%s] s and every node answering [%s] s after it was back (limit "
                "%.0f s); %zu unexpected exits\n",
                f.cluster, f.shards, f.lease_ttl_s, cluster.reown_s.size(), reowns.c_str(),
                reown_limit, cluster.resume_s.size(), resumes.c_str(), nodes_back.c_str(),
                kResumeLimitS, cluster.unexpected_exits.size());
  }

  std::printf(
      "verify nested: %d parents (%zu starts acknowledged): %d SUCCEEDED with the expected "
      "output; %d children (%d .sync:2, %d fire-and-forget) checked against the parents' "
      "attempts; %d replayed (%d triggers: %d task starts, %d submitted, %d task ends, %d "
      "timers); %lld events; %lld function task starts (%lld timed out), %lld hand-outs to "
      "workers (arn %lld, invoke %lld, callback %lld), none twice; %lld TaskSubmitted by the "
      "callback function; %lld callbacks queued, %lld acknowledged, %lld refused; %lld "
      "successes acknowledged; %lld second answers refused; %lld answers refused as stale\n",
      f.parents, obs.parent_start_acked.size(), nested.parents_succeeded, nested.children,
      nested.children_sync, nested.children_fire, nested_totals.replayed,
      nested_totals.replay.triggers, nested_totals.replay.tasks_started,
      nested_totals.replay.tasks_submitted, nested_totals.replay.tasks_completed,
      nested_totals.replay.timers, static_cast<long long>(nested_totals.events),
      static_cast<long long>(nested.function_started),
      static_cast<long long>(nested.function_timed_out),
      static_cast<long long>(flog.grants.size()),
      static_cast<long long>(flog.handouts[NestedWorkflow::kFnArn]),
      static_cast<long long>(flog.handouts[NestedWorkflow::kFnInvoke]),
      static_cast<long long>(flog.handouts[NestedWorkflow::kFnCallback]),
      static_cast<long long>(nested.callbacks_submitted),
      static_cast<long long>(flog.callbacks_queued), static_cast<long long>(flog.callbacks_acked),
      static_cast<long long>(flog.callbacks_refused),
      static_cast<long long>(nested.acked_successes),
      static_cast<long long>(flog.second_answers_refused),
      static_cast<long long>(flog.reports_stale));
  std::printf(
      "verify: %d executions (%zu starts acknowledged): %d SUCCEEDED with the expected output, "
      "%d ABORTED by StopExecution (%zu stops acknowledged); %d replayed to the stored state "
      "(%d triggers: %d task starts, %d task ends, %d timers, %d continues); %lld events in "
      "%lld chunks; %lld ActivityStarted (%lld timed out), %zu tokens to raw workers, "
      "%lld SendTaskSuccess acknowledged; %d violations\n",
      f.executions, obs.start_acked.size(), succeeded, aborted, obs.stop_acked.size(),
      totals.replayed, totals.replay.triggers, totals.replay.tasks_started,
      totals.replay.tasks_completed, totals.replay.timers, totals.replay.continues,
      static_cast<long long>(totals.events), static_cast<long long>(totals.chunks),
      static_cast<long long>(totals.activity_started),
      static_cast<long long>(totals.activity_timed_out),
      obs.grants.size(), static_cast<long long>(acked_total), rep.problems);
  return rep.problems == 0 ? 0 : 2;
}

// ------------------------------------------------------------ main loop

int Run(const Flags& f) {
  std::error_code ec;
  fs::remove_all(f.dir, ec);
  fs::create_directories(f.dir, ec);
  if (ec) return Fail("cannot create " + f.dir);
  int port = FreePort();
  if (port == 0) return Fail("no free port");
  HarnessDaemon daemon(f.stepwised, f.dir + "/data", f.dir + "/stepwised.log", port,
                       {"--max-steps-per-commit", absl::StrCat(f.max_steps)});
  Harness h(f);
  const std::string seen_dir = f.dir + "/first-seen";
  fs::create_directories(seen_dir, ec);
  if (ec) return Fail("cannot create " + seen_dir);
  h.SetFirstSeenDir(seen_dir);
  std::optional<FunctionServers> servers;
  ServersSeen seen;
  if (!f.stepwise.empty()) {
    servers.emplace(f.stepwise, f.dir, seen_dir, port);
    seen.servers = &*servers;
  }
  std::mt19937_64 rng(f.seed);
  auto t0 = std::chrono::steady_clock::now();

  auto start_life = [&](const std::string& crash_point) -> absl::Status {
    std::vector<std::string> env;
    if (!crash_point.empty()) env.push_back("STEPWISE_TEST_CRASH_POINT=" + crash_point);
    SW_RETURN_IF_ERROR(daemon.Start(env));
    auto c = daemon.Connect();
    if (!c.ok()) return c.status();
    h.SetClient(0, std::move(*c), port);
    return absl::OkStatus();
  };

  int lives = 0, random_kills = 0, point_deaths = 0, points_armed = 0;
  if (absl::Status s = start_life(""); !s.ok()) return Fail(std::string(s.message()));
  ++lives;
  if (absl::Status s = h.Setup(); !s.ok()) return Fail("setup: " + std::string(s.message()));
  // Ends the run early: the threads must be stopped before returning.
  auto abort_run = [&](const std::string& why) {
    h.Halt();
    if (servers) servers->Stop();
    daemon.Kill();
    h.Join();
    return Fail(why);
  };
  h.StartThreads();
  if (absl::Status s = h.StartLibraryWorker(port); !s.ok()) {
    return abort_run("library worker: " + std::string(s.message()));
  }
  if (servers) {
    if (absl::Status s = servers->Start(); !s.ok()) {
      return abort_run("function servers: " + std::string(s.message()));
    }
  }

  int deaths = 0;
  std::string point;  // the current life's crash point
  auto died_at_point = [&] {
    return !point.empty() && daemon.exit_code() == 128 + SIGKILL;
  };
  while (deaths < f.kills) {
    int64_t life_ms = static_cast<int64_t>(rng() % static_cast<uint64_t>(f.max_gap_ms));
    int64_t until = NowMs() + life_ms;
    bool died = false;
    while (NowMs() < until) {
      if (!daemon.Alive()) {
        died = true;
        break;
      }
      if (servers) servers->Check();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (deaths == 0) seen.first_death_ms = UnixNowMs();
    if (died) {
      if (!died_at_point()) {
        return abort_run(absl::StrCat("stepwised exited by itself (exit code ", daemon.exit_code(),
                                      "); see ", f.dir, "/stepwised.log"));
      }
      ++point_deaths;
      std::printf("death %d: crash point %s\n", deaths + 1, point.c_str());
    } else {
      daemon.Kill();
      ++random_kills;
      std::printf("death %d: SIGKILL after %lld ms\n", deaths + 1,
                  static_cast<long long>(life_ms));
    }
    std::fflush(stdout);
    ++deaths;
    // The next life; one at a crash point may die before the harness has
    // even connected (workers and timers commit at once), which counts.
    while (true) {
      point.clear();
      if (deaths < f.kills && rng() % 3 == 0) {
        // Every third life or so dies at a named point around a group commit.
        point =
            absl::StrCat(rng() % 2 == 0 ? "before_write:" : "after_write:", 1 + rng() % 200);
        ++points_armed;
      }
      absl::Status s = start_life(point);
      ++lives;
      if (s.ok()) break;
      if (!died_at_point()) return abort_run("restart: " + std::string(s.message()));
      ++point_deaths;
      ++deaths;
      std::printf("death %d: crash point %s (while starting)\n", deaths, point.c_str());
      std::fflush(stdout);
    }
  }
  std::printf("final life\n");
  std::fflush(stdout);
  int64_t deadline = NowMs() + 1000LL * f.deadline_s;
  while (!h.WorkloadDone()) {
    if (NowMs() > deadline) {
      return abort_run(absl::StrCat("the workload did not finish within ", f.deadline_s,
                               " s of the last kill (e.g. ", h.last_open(), " RUNNING)"));
    }
    if (!daemon.Alive()) return abort_run("stepwised died in its final life");
    if (servers) servers->Check();
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  h.Halt();
  if (servers) servers->Stop();
  int rc = daemon.Stop();
  h.Join();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("run: %d executions, %d lives, %d deaths (%d SIGKILL at random instants, %d at "
              "named crash points; %d points armed), %lld StartExecution calls, heartbeats "
              "%lld ok / %lld failed, %lld reports refused as stale; %.1f s\n",
              f.executions, lives, random_kills + point_deaths, random_kills, point_deaths,
              points_armed, static_cast<long long>(h.started_calls()),
              static_cast<long long>(h.obs().heartbeats_ok),
              static_cast<long long>(h.obs().heartbeats_failed),
              static_cast<long long>(h.obs().reports_stale), wall);
  std::fflush(stdout);
  if (rc != 0) return Fail(absl::StrCat("stepwised exited with ", rc, " on SIGTERM"));
  return Verify(f, f.dir + "/data", h.obs(), h.function_log(), seen, ClusterSeen{});
}

// ------------------------------------------------------------ cluster mode

// Prints the last events of execution `name` (exec-N or parent-N), read
// through any node: what a run that did not finish was waiting for.
void PrintHistoryTail(Harness& h, const std::string& name) {
  int i = 0;
  std::string arn;
  if (absl::SimpleAtoi(name.substr(name.find('-') + 1), &i)) {
    arn = name.rfind("parent-", 0) == 0 ? Nested().ParentArn(i) : Flow().ExecArn(i);
  }
  if (arn.empty()) return;
  v1::GetExecutionHistoryRequest r;
  r.set_execution_arn(arn);
  r.set_reverse_order(true);
  r.set_max_results(12);
  auto got = h.Retry([&r](Client& c) { return c.GetExecutionHistory(r); });
  if (!got.ok()) {
    std::printf("%s: history: %s\n", name.c_str(), got.status().ToString().c_str());
    return;
  }
  std::printf("%s: its last events, newest first:\n", name.c_str());
  for (const auto& ev : got->events()) {
    std::printf("  %lld %s (previous %lld) at %lld\n", static_cast<long long>(ev.id()),
                ev.type().c_str(), static_cast<long long>(ev.previous_event_id()),
                static_cast<long long>(ev.timestamp().seconds()));
  }
  std::fflush(stdout);
}

// The cluster mode's main loop (README.md "Three nodes on PostgreSQL"):
// the nodes started, the workload's threads on them, node kills then
// PostgreSQL restarts on a fixed period, the final run until every
// execution closed, SIGTERM to every node, and the checker on the database.
int RunCluster(const Flags& f) {
  std::error_code ec;
  fs::remove_all(f.dir, ec);
  fs::create_directories(f.dir, ec);
  if (ec) return Fail("cannot create " + f.dir);
  auto created = ClusterNodes::Create(ClusterOptions{.stepwised = f.stepwised,
                                                     .dir = f.dir,
                                                     .nodes = f.cluster,
                                                     .shards = f.shards,
                                                     .lease_ttl_s = f.lease_ttl_s,
                                                     .max_steps = f.max_steps});
  if (!created.ok()) return Fail("cluster: " + created.status().ToString());
  ClusterNodes& nodes = **created;
  const int n = nodes.size();
  std::printf("cluster: PostgreSQL 15 in %s, %d nodes, %d shards, lease TTL %d s\n",
              nodes.postgres().socket_dir().c_str(), n, f.shards, f.lease_ttl_s);
  std::fflush(stdout);
  Harness h(f);
  const std::string seen_dir = f.dir + "/first-seen";
  fs::create_directories(seen_dir, ec);
  if (ec) return Fail("cannot create " + seen_dir);
  h.SetFirstSeenDir(seen_dir);
  ClusterSeen cs;
  std::mt19937_64 rng(f.seed);
  auto t0 = std::chrono::steady_clock::now();
  const int64_t t0_ms = NowMs();
  auto at = [&] { return static_cast<double>(NowMs() - t0_ms) / 1000.0; };

  auto connect = [&](int i) -> absl::Status {
    auto c = nodes.node(i).Connect(std::chrono::seconds(30), absl::Seconds(2));
    if (!c.ok()) return c.status();
    h.SetClient(i, std::move(*c), nodes.port(i));
    return absl::OkStatus();
  };
  // The first node creates the schema and the shards, then the others join.
  for (int i = 0; i < n; ++i) {
    absl::Status s = nodes.Start(i);
    if (s.ok()) s = connect(i);
    if (!s.ok()) return Fail(absl::StrCat("node ", i + 1, ": ", s.ToString()));
  }
  // Every shard held before the workload starts.
  for (int64_t until = NowMs() + 30000; NowMs() < until;) {
    auto d = h.Current()->DescribeCluster(v1::DescribeClusterRequest());
    if (d.ok() && d->unowned_shards_size() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (absl::Status s = h.Setup(); !s.ok()) return Fail("setup: " + std::string(s.message()));
  auto abort_run = [&](const std::string& why) {
    h.Halt();
    for (int i = 0; i < n; ++i) nodes.node(i).Kill();
    h.Join();
    return Fail(why);
  };
  h.StartThreads();
  // The library worker on node 1 only: it serves that node's shards.
  if (absl::Status s = h.StartLibraryWorker(nodes.port(0)); !s.ok()) {
    return abort_run("library worker: " + std::string(s.message()));
  }

  // A node that exits without being killed is started again a second
  // later, as systemd does (deploy/stepwised.service: Restart=on-failure):
  // expected while PostgreSQL is away (fail-stop, exit code 3, README.md),
  // a violation otherwise.
  std::vector<bool> down(n, false);  // killed on purpose, not yet restarted
  std::vector<int64_t> dead_since(n, 0);
  int64_t outage_until_ms = 0;  // exits before this are the outage's
  int outage_exits = 0, supervisor_starts = 0;
  auto supervise = [&] {
    for (int i = 0; i < n; ++i) {
      if (down[i] || nodes.node(i).Alive()) continue;
      if (dead_since[i] == 0) {
        dead_since[i] = NowMs();
        std::string what = absl::StrCat("node ", i + 1, " exited by itself (exit code ",
                                        nodes.node(i).exit_code(), ") at ",
                                        absl::StrFormat("%.1f", at()), " s");
        if (NowMs() < outage_until_ms) {
          ++outage_exits;
          std::printf("%s, PostgreSQL away or just back; starting it again\n", what.c_str());
        } else {
          cs.unexpected_exits.push_back(
              absl::StrCat(what, " while PostgreSQL was up; see ", f.dir, "/node", i + 1, ".log"));
          std::printf("%s while PostgreSQL was up; starting it again\n", what.c_str());
        }
        std::fflush(stdout);
      } else if (NowMs() - dead_since[i] >= 1000) {
        dead_since[i] = 0;
        ++supervisor_starts;
        absl::Status s = nodes.Start(i);
        if (s.ok()) s = connect(i);  // a start that fails is seen as an exit again
      }
    }
  };
  auto wait_until = [&](int64_t until_ms) {
    while (NowMs() < until_ms) {
      supervise();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };

  int64_t next_event = t0_ms;
  for (int k = 0; k < f.kills; ++k) {
    next_event += f.kill_every_ms;
    wait_until(next_event);
    const int i = static_cast<int>(rng() % static_cast<uint64_t>(n));
    // Which shards it holds, asked of any node (the database's view).
    NodeShards held;
    for (int64_t until = NowMs() + 5000; NowMs() < until;) {
      auto got = ClusterNodes::HolderOf(*h.Current(), nodes.address(i));
      if (got.ok()) {
        held = std::move(*got);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const int64_t killed_at = NowMs();
    down[i] = true;
    nodes.node(i).Kill();
    std::printf("kill %d: node %d (%zu shards) SIGKILL at %.1f s\n", k + 1, i + 1,
                held.shards.size(), at());
    std::fflush(stdout);
    std::atomic<bool> stop_watch{false};
    std::atomic<bool> watched{false};
    double reown = -1;
    std::thread watch([&] {
      reown = ClusterNodes::ReownSeconds([&h] { return h.Current(); }, held.node_id, held.shards,
                                         killed_at, f.lease_ttl_s + 10.0, stop_watch);
      watched = true;
    });
    wait_until(killed_at + f.down_ms);
    down[i] = false;
    ++supervisor_starts;
    absl::Status s = nodes.Start(i);
    if (s.ok()) s = connect(i);
    if (!s.ok()) std::printf("node %d: restart: %s\n", i + 1, s.ToString().c_str());
    while (!watched.load()) {
      supervise();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    watch.join();
    cs.reown_s.push_back(reown);
    std::printf("kill %d: node %d back at %.1f s; its %zu shards held again after %.2f s\n",
                k + 1, i + 1, static_cast<double>(killed_at + f.down_ms - t0_ms) / 1000.0,
                held.shards.size(), reown);
    std::fflush(stdout);
  }
  for (int k = 0; k < f.pg_restarts; ++k) {
    next_event += f.kill_every_ms;
    wait_until(next_event);
    const int64_t stopped_at = NowMs();
    outage_until_ms = std::numeric_limits<int64_t>::max();
    if (absl::Status s = nodes.postgres().StopImmediately(); !s.ok()) {
      return abort_run("pg_ctl stop -m immediate: " + s.ToString());
    }
    std::printf("PostgreSQL restart %d: stopped (-m immediate) at %.1f s\n", k + 1, at());
    std::fflush(stdout);
    wait_until(stopped_at + f.pg_down_ms);
    if (absl::Status s = nodes.postgres().StartAgain(); !s.ok()) {
      return abort_run("pg_ctl start: " + s.ToString());
    }
    const int64_t back = NowMs();
    // Exits a little after its return are still the outage's (a commit that
    // failed while it was away, reported a second later).
    outage_until_ms = back + 5000;
    // Until a start is acknowledged, and each node answers a database
    // read (DescribeCluster through its own client).
    double resume = -1;
    std::vector<double> node_back(n, -1);
    int64_t next_probe = 0;
    for (int64_t until = back + 60000; NowMs() < until;) {
      int64_t ack = h.last_start_ack_ms();
      if (resume < 0 && ack > back) resume = static_cast<double>(ack - back) / 1000.0;
      if (NowMs() >= next_probe) {
        next_probe = NowMs() + 100;
        for (int i = 0; i < n; ++i) {
          if (node_back[i] >= 0 || !nodes.node(i).Alive()) continue;
          if (h.ClientOf(i)->DescribeCluster(v1::DescribeClusterRequest()).ok()) {
            node_back[i] = static_cast<double>(NowMs() - back) / 1000.0;
          }
        }
      }
      bool all = resume >= 0;
      for (double b : node_back) all = all && b >= 0;
      if (all) break;
      supervise();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    double slowest = 0;
    for (double b : node_back) slowest = b < 0 || slowest < 0 ? -1 : std::max(slowest, b);
    cs.resume_s.push_back(resume);
    cs.nodes_back_s.push_back(slowest);
    std::printf("PostgreSQL restart %d: back at %.1f s (down %.1f s); a start acknowledged "
                "%.2f s later, every node answering %.2f s later\n",
                k + 1, static_cast<double>(back - t0_ms) / 1000.0,
                static_cast<double>(back - stopped_at) / 1000.0, resume, slowest);
    std::fflush(stdout);
  }
  std::printf("final run at %.1f s\n", at());
  std::fflush(stdout);
  const int64_t deadline = NowMs() + 1000LL * f.deadline_s;
  while (!h.WorkloadDone()) {
    if (NowMs() > deadline) {
      PrintHistoryTail(h, h.last_open());
      return abort_run(absl::StrCat("the workload did not finish within ", f.deadline_s,
                                    " s of the last kill (e.g. ", h.last_open(), " RUNNING)"));
    }
    const int64_t until = NowMs() + 250;
    wait_until(until);
  }
  supervise();
  h.Halt();
  std::vector<int> rcs;
  for (int i = 0; i < n; ++i) rcs.push_back(nodes.node(i).Stop());
  h.Join();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("run: %d executions + %d parents on %d nodes, %d kills, %d PostgreSQL restarts, "
              "%d node exits during PostgreSQL outages, %d node starts after a kill or exit, "
              "%lld StartExecution calls, heartbeats %lld ok / %lld failed, %lld reports "
              "refused as stale; %.1f s\n",
              f.executions, f.parents, n, f.kills, f.pg_restarts, outage_exits,
              supervisor_starts, static_cast<long long>(h.started_calls()),
              static_cast<long long>(h.obs().heartbeats_ok),
              static_cast<long long>(h.obs().heartbeats_failed),
              static_cast<long long>(h.obs().reports_stale), wall);
  std::fflush(stdout);
  for (int i = 0; i < n; ++i) {
    if (rcs[i] != 0) {
      cs.unexpected_exits.push_back(
          absl::StrCat("node ", i + 1, " exited with ", rcs[i], " on SIGTERM"));
    }
  }
  return Verify(f, nodes.uri(), h.obs(), h.function_log(), ServersSeen{}, cs);
}

int EnvInt(const char* name, int def) {
  const char* v = std::getenv(name);
  return v == nullptr ? def : std::atoi(v);
}

}  // namespace
}  // namespace stepwise::crash

int main(int argc, char** argv) {
  using stepwise::crash::EnvInt;
  stepwise::crash::Flags f;
  f.executions = EnvInt("CRASH_EXECUTIONS", f.executions);
  f.kills = EnvInt("CRASH_KILLS", f.kills);
  f.max_gap_ms = EnvInt("CRASH_MAX_GAP_MS", f.max_gap_ms);
  f.workers = EnvInt("CRASH_WORKERS", f.workers);
  f.max_steps = EnvInt("CRASH_MAX_STEPS", f.max_steps);
  f.deadline_s = EnvInt("CRASH_DEADLINE_S", f.deadline_s);
  f.seed = static_cast<uint64_t>(EnvInt("CRASH_SEED", static_cast<int>(::getpid())));
  f.parents = EnvInt("CRASH_PARENTS", f.parents);
  f.function_workers = EnvInt("CRASH_FUNCTION_WORKERS", f.function_workers);
  if (const char* r = std::getenv("CRASH_START_RATE")) f.start_rate = std::atof(r);
  f.cluster = EnvInt("CRASH_CLUSTER", f.cluster);
  f.shards = EnvInt("CRASH_SHARDS", f.shards);
  f.lease_ttl_s = EnvInt("CRASH_LEASE_TTL", f.lease_ttl_s);
  f.kill_every_ms = EnvInt("CRASH_KILL_EVERY_MS", f.kill_every_ms);
  f.down_ms = EnvInt("CRASH_DOWN_MS", f.down_ms);
  f.pg_restarts = EnvInt("CRASH_PG_RESTARTS", f.pg_restarts);
  f.pg_down_ms = EnvInt("CRASH_PG_DOWN_MS", f.pg_down_ms);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", a.c_str());
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--stepwised") f.stepwised = val();
    else if (a == "--dir") f.dir = val();
    else if (a == "--executions") f.executions = std::stoi(val());
    else if (a == "--kills") f.kills = std::stoi(val());
    else if (a == "--max-gap-ms") f.max_gap_ms = std::stoi(val());
    else if (a == "--start-rate") f.start_rate = std::stod(val());
    else if (a == "--workers") f.workers = std::stoi(val());
    else if (a == "--max-steps") f.max_steps = std::stoi(val());
    else if (a == "--deadline-s") f.deadline_s = std::stoi(val());
    else if (a == "--seed") f.seed = std::stoull(val());
    else if (a == "--parents") f.parents = std::stoi(val());
    else if (a == "--function-workers") f.function_workers = std::stoi(val());
    else if (a == "--stepwise") f.stepwise = val();
    else if (a == "--cluster") f.cluster = std::stoi(val());
    else if (a == "--shards") f.shards = std::stoi(val());
    else if (a == "--lease-ttl") f.lease_ttl_s = std::stoi(val());
    else if (a == "--kill-every-ms") f.kill_every_ms = std::stoi(val());
    else if (a == "--down-ms") f.down_ms = std::stoi(val());
    else if (a == "--pg-restarts") f.pg_restarts = std::stoi(val());
    else if (a == "--pg-down-ms") f.pg_down_ms = std::stoi(val());
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 1;
    }
  }
  if (f.stepwised.empty() || f.dir.empty() || f.max_gap_ms <= 0 || f.start_rate <= 0) {
    std::fprintf(stderr, "usage: daemon_crash --stepwised PATH --dir DIR [--executions N] ...\n");
    return 1;
  }
  if (f.parents < 0) f.parents = f.executions / 5;
  std::printf("daemon_crash: seed %llu\n", static_cast<unsigned long long>(f.seed));
  ::signal(SIGPIPE, SIG_IGN);
  if (f.cluster > 0) {
    if (f.down_ms >= f.kill_every_ms) {
      std::fprintf(stderr, "--down-ms must be below --kill-every-ms\n");
      return 1;
    }
    if (!f.stepwise.empty()) {
      std::printf("cluster mode: --stepwise ignored (the function servers poll one node)\n");
    }
    return stepwise::crash::RunCluster(f);
  }
  return stepwise::crash::Run(f);
}
