// `stepwise bench`: a load generator against a running stepwised. Workloads:
// start-only (StartExecution of a one-state Pass machine, as fast as C
// threads go, or paced at --rate), pass-chain (10-state Pass chains, C
// threads starting and waiting for each), activity (3 activity states, K
// in-process workers), lambda (one Lambda Task per execution, served by
// whatever polls --function: e.g. `stepwise lambda-runtime` running AWS's
// runtime interface client; not part of "all"), express-sync (10-state Pass
// chains on an EXPRESS machine, C threads each calling StartSyncExecution,
// which answers when the execution closed), parked (--executions N
// executions of a one-Task machine on an activity nobody polls, started by C
// threads; the server's VmRSS before and after; not in "all"), rpc-floor
// (C threads calling DescribeStateMachine, a unary RPC that touches no
// execution: what one gRPC round trip costs the server and the client on
// this box, the floor under every other figure; not in "all"). --input SPEC
// (the text, or @FILE) is every execution's input instead of {}; the
// activity workload adds its "id" member in front of the input's members.
// Prints one JSON object with a member per workload.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>
#include <sys/resource.h>
#include <unistd.h>

#include "client/activity_worker.h"
#include "cli/cli_format.h"
#include "cli/cli_remote.h"
#include "cli/search_cmd.h"

namespace stepwise::client {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

json::object Percentiles(std::vector<double> micros) {
  json::object o;
  std::sort(micros.begin(), micros.end());
  auto at = [&](double p) {
    if (micros.empty()) return 0.0;
    size_t i = static_cast<size_t>(p * static_cast<double>(micros.size() - 1));
    return micros[i] / 1000.0;
  };
  o["samples"] = static_cast<int64_t>(micros.size());
  o["p50_ms"] = at(0.50);
  o["p95_ms"] = at(0.95);
  o["p99_ms"] = at(0.99);
  return o;
}

struct ProcSample {
  bool ok = false;
  double cpu_us = 0;
  int64_t rss_kb = 0;
};

ProcSample ReadProc(int64_t pid) {
  ProcSample s;
  if (pid <= 0) return s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)),
                   std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  double utime = 0, stime = 0;
  // Fields after the name start at 3 (state); utime is 14, stime 15.
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stod(f);
    if (i == 15) stime = std::stod(f);
  }
  s.cpu_us = (utime + stime) * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kb = std::atoll(line.c_str() + 6);
  }
  s.ok = true;
  return s;
}

std::string PassChain(int n) {
  std::string d = R"({"StartAt":"S0","States":{)";
  for (int i = 0; i < n; ++i) {
    if (i > 0) d += ",";
    d += "\"S" + std::to_string(i) + "\":{\"Type\":\"Pass\",";
    d += i + 1 < n ? "\"Next\":\"S" + std::to_string(i + 1) + "\"}"
                   : std::string("\"End\":true}");
  }
  return d + "}}";
}

std::string ActivityChain(const std::string& arn, int n) {
  std::string d = R"({"StartAt":"T0","States":{)";
  for (int i = 0; i < n; ++i) {
    if (i > 0) d += ",";
    d += "\"T" + std::to_string(i) + "\":{\"Type\":\"Task\",\"Resource\":\"" +
         arn + "\",";
    d += i + 1 < n ? "\"Next\":\"T" + std::to_string(i + 1) + "\"}"
                   : std::string("\"End\":true}");
  }
  return d + "}}";
}

absl::StatusOr<std::string> CreateMachine(Client& c, const std::string& name,
                                          const std::string& definition,
                                          const std::string& type = "STANDARD") {
  v1::CreateStateMachineRequest req;
  req.set_name(name);
  req.set_definition(definition);
  req.set_type(type);
  auto resp = c.CreateStateMachine(req);
  if (!resp.ok()) return resp.status();
  return resp->state_machine_arn();
}

// How a caller learns that its execution closed.
enum class WaitMode {
  kNone,         // does not wait
  kClose,        // WatchExecution from the tail: the stream ends at the close
  kFullHistory,  // WatchExecution of every event (what `history --follow` does)
  kSync,         // StartSyncExecution (Express): the start answers at the close
};

absl::Status WaitClosed(Client& c, const std::string& arn, WaitMode mode) {
  v1::WatchExecutionRequest req;
  req.set_execution_arn(arn);
  if (mode == WaitMode::kClose) req.set_after_event_id(std::numeric_limits<int64_t>::max());
  return c.WatchExecution(req, [](const v1::HistoryEvent&) { return true; });
}

// This process's CPU time so far (user + system), in microseconds: the
// client's side of a figure (callers, workers, their gRPC threads).
double OwnCpuUs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

struct RunFigures {
  int64_t executions = 0;
  double client_cpu_us = 0;  // this process's CPU over the run
  int64_t errors = 0;
  double seconds = 0;
  std::vector<double> start_us;
  std::vector<double> round_trip_us;  // start to close, when waiting
  std::string first_error;
};

// Runs `threads` loops for `duration`: each starts an execution of
// `machine` (input from `make_input`) and, when `wait`, waits for it.
RunFigures Drive(Client& c, const std::string& machine, int threads,
                 double duration, double rate, WaitMode wait,
                 const std::function<std::string(int64_t)>& make_input) {
  RunFigures f;
  std::mutex mu;
  std::atomic<int64_t> seq{0};
  const double cpu_start = OwnCpuUs();
  Clock::time_point start = Clock::now();
  Clock::time_point end = start + std::chrono::microseconds(
                                      static_cast<int64_t>(duration * 1e6));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::vector<double> lat;
      std::vector<double> round_trips;
      int64_t n = 0, errors = 0;
      std::string first_error;
      Clock::duration interval{};
      if (rate > 0) {
        interval = std::chrono::microseconds(
            static_cast<int64_t>(1e6 * threads / rate));
      }
      Clock::time_point next = Clock::now() + interval * t / threads;
      while (Clock::now() < end) {
        if (rate > 0) {
          std::this_thread::sleep_until(next);
          next += interval;
        }
        Clock::time_point t0 = Clock::now();
        if (wait == WaitMode::kSync) {
          v1::StartSyncExecutionRequest req;
          req.set_state_machine_arn(machine);
          req.set_input(make_input(seq.fetch_add(1)));
          auto resp = c.StartSyncExecution(req);
          lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
          if (!resp.ok() || resp->status() != "SUCCEEDED") {
            if (first_error.empty()) {
              first_error = resp.ok() ? resp->status() + ": " + resp->error() + " " + resp->cause()
                                      : resp.status().ToString();
            }
            ++errors;
            continue;
          }
          ++n;
          continue;
        }
        v1::StartExecutionRequest req;
        req.set_state_machine_arn(machine);
        req.set_input(make_input(seq.fetch_add(1)));
        auto resp = c.StartExecution(req);
        lat.push_back(std::chrono::duration<double, std::micro>(
                          Clock::now() - t0).count());
        if (!resp.ok()) {
          if (first_error.empty()) first_error = resp.status().ToString();
          ++errors;
          continue;
        }
        if (wait != WaitMode::kNone) {
          absl::Status s = WaitClosed(c, resp->execution_arn(), wait);
          if (!s.ok()) {
            if (first_error.empty()) first_error = s.ToString();
            ++errors;
            continue;
          }
          round_trips.push_back(
              std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        }
        ++n;
      }
      std::lock_guard<std::mutex> lock(mu);
      f.executions += n;
      f.errors += errors;
      f.start_us.insert(f.start_us.end(), lat.begin(), lat.end());
      f.round_trip_us.insert(f.round_trip_us.end(), round_trips.begin(), round_trips.end());
      if (f.first_error.empty()) f.first_error = first_error;
    });
  }
  for (auto& th : pool) th.join();
  f.seconds = Seconds(Clock::now() - start);
  f.client_cpu_us = OwnCpuUs() - cpu_start;
  return f;
}

json::object Summarize(const RunFigures& f, int transitions_per_execution,
                       const ProcSample& before, const ProcSample& after) {
  json::object o;
  double secs = f.seconds > 0 ? f.seconds : 1;
  int64_t transitions = f.executions * transitions_per_execution;
  o["executions"] = f.executions;
  o["errors"] = f.errors;
  if (!f.first_error.empty()) o["first_error"] = f.first_error;
  o["seconds"] = secs;
  o["executions_per_s"] = static_cast<double>(f.executions) / secs;
  o["transitions_per_s"] = static_cast<double>(transitions) / secs;
  o["start_execution_latency"] = Percentiles(f.start_us);
  if (!f.round_trip_us.empty()) o["execution_round_trip"] = Percentiles(f.round_trip_us);
  o["client_cpu_us_per_transition"] =
      transitions > 0 ? f.client_cpu_us / static_cast<double>(transitions) : 0.0;
  if (before.ok && after.ok) {
    o["server_cpu_us_per_transition"] =
        transitions > 0 ? (after.cpu_us - before.cpu_us) /
                              static_cast<double>(transitions)
                        : 0.0;
    o["server_rss_kb"] = after.rss_kb;
  }
  return o;
}

// Samples the server's VmRSS once it has settled after a burst of starts:
// two samples 0.5 s apart within 1% (at most 10 s).
ProcSample SettledRss(int64_t pid) {
  ProcSample s = ReadProc(pid);
  for (int i = 0; i < 20 && s.ok; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ProcSample again = ReadProc(pid);
    bool settled = std::abs(again.rss_kb - s.rss_kb) * 100 <= s.rss_kb;
    s = again;
    if (settled) break;
  }
  return s;
}

// Starts `count` executions of a one-Task machine whose activity nobody
// polls, from `threads` threads, so each stays parked on its task. Samples
// the server's VmRSS before the first start, after the first half (settled)
// and after all (settled); the second half's growth per execution is the
// marginal cost, without the warm-up (caches, memtable, pools) the first
// executions pay.
absl::StatusOr<json::object> RunParked(Client& c, const std::string& suffix, int64_t count,
                                       int threads, int64_t pid,
                                       const std::function<std::string(int64_t)>& make_input) {
  v1::CreateActivityRequest areq;
  areq.set_name("bench-parked-" + suffix);
  auto activity = c.CreateActivity(areq);
  if (!activity.ok()) return activity.status();
  auto arn = CreateMachine(c, "bench-parked-" + suffix, ActivityChain(activity->activity_arn(), 1));
  if (!arn.ok()) return arn.status();
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> errors{0};
  std::mutex mu;
  std::string first_error;
  auto start_until = [&](int64_t end) {
    std::vector<std::thread> pool;
    for (int t = 0; t < std::max(threads, 1); ++t) {
      pool.emplace_back([&] {
        for (int64_t i = next.fetch_add(1); i < end; i = next.fetch_add(1)) {
          v1::StartExecutionRequest req;
          req.set_state_machine_arn(*arn);
          req.set_input(make_input(i));
          auto resp = c.StartExecution(req);
          if (!resp.ok()) {
            errors.fetch_add(1);
            std::lock_guard<std::mutex> lock(mu);
            if (first_error.empty()) first_error = resp.status().ToString();
          }
        }
      });
    }
    for (auto& th : pool) th.join();
    next.store(end);
  };
  ProcSample before = ReadProc(pid);
  Clock::time_point start = Clock::now();
  int64_t half = count / 2;
  start_until(half);
  Clock::duration first_half = Clock::now() - start;
  ProcSample middle = SettledRss(pid);
  Clock::time_point second_start = Clock::now();
  start_until(count);
  double seconds = Seconds(first_half + (Clock::now() - second_start));
  ProcSample after = SettledRss(pid);
  json::object o;
  int64_t parked = count - errors.load();
  o["executions"] = parked;
  o["errors"] = errors.load();
  if (!first_error.empty()) o["first_error"] = first_error;
  o["seconds"] = seconds;
  o["starts_per_s"] = static_cast<double>(count) / (seconds > 0 ? seconds : 1);
  if (before.ok && middle.ok && after.ok) {
    o["server_rss_before_kb"] = before.rss_kb;
    o["server_rss_half_kb"] = middle.rss_kb;
    o["server_rss_after_kb"] = after.rss_kb;
    o["server_rss_kb_per_execution"] =
        parked > 0 ? static_cast<double>(after.rss_kb - before.rss_kb) / static_cast<double>(parked)
                   : 0.0;
    o["server_rss_kb_per_execution_second_half"] =
        count - half > 0
            ? static_cast<double>(after.rss_kb - middle.rss_kb) / static_cast<double>(count - half)
            : 0.0;
  }
  return o;
}

// rpc-floor: `threads` loops calling DescribeStateMachine of `machine` for
// `duration` seconds; calls/s, latency, and the server's and this
// process's CPU per call.
json::object RunRpcFloor(Client& c, const std::string& machine, int threads, double duration,
                         int64_t pid) {
  std::mutex mu;
  std::vector<double> lat;
  int64_t calls = 0, errors = 0;
  std::string first_error;
  ProcSample before = ReadProc(pid);
  const double cpu_start = OwnCpuUs();
  Clock::time_point start = Clock::now();
  Clock::time_point end =
      start + std::chrono::microseconds(static_cast<int64_t>(duration * 1e6));
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(threads, 1); ++t) {
    pool.emplace_back([&] {
      std::vector<double> mine;
      int64_t n = 0, bad = 0;
      std::string err;
      v1::DescribeStateMachineRequest req;
      req.set_state_machine_arn(machine);
      while (Clock::now() < end) {
        Clock::time_point t0 = Clock::now();
        auto resp = c.DescribeStateMachine(req);
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (!resp.ok()) {
          if (err.empty()) err = resp.status().ToString();
          ++bad;
          continue;
        }
        ++n;
      }
      std::lock_guard<std::mutex> lock(mu);
      calls += n;
      errors += bad;
      lat.insert(lat.end(), mine.begin(), mine.end());
      if (first_error.empty()) first_error = err;
    });
  }
  for (auto& th : pool) th.join();
  double secs = Seconds(Clock::now() - start);
  double client_cpu = OwnCpuUs() - cpu_start;
  ProcSample after = ReadProc(pid);
  json::object o;
  o["calls"] = calls;
  o["errors"] = errors;
  if (!first_error.empty()) o["first_error"] = first_error;
  o["seconds"] = secs;
  o["calls_per_s"] = static_cast<double>(calls) / (secs > 0 ? secs : 1);
  o["latency"] = Percentiles(lat);
  o["client_cpu_us_per_call"] = calls > 0 ? client_cpu / static_cast<double>(calls) : 0.0;
  if (before.ok && after.ok) {
    o["server_cpu_us_per_call"] =
        calls > 0 ? (after.cpu_us - before.cpu_us) / static_cast<double>(calls) : 0.0;
  }
  return o;
}

}  // namespace

int RunBench(const RemoteArgs& a, Client& c) {
  std::string workload = a.Get("workload", "all");
  if (workload == "search-load" || workload == "search-query") return RunSearchBench(a, c);
  if (workload != "all" && workload != "start-only" &&
      workload != "pass-chain" && workload != "activity" && workload != "lambda" &&
      workload != "express-sync" && workload != "parked" && workload != "rpc-floor") {
    std::cerr << "stepwise: --workload must be start-only, pass-chain, "
                 "activity, lambda, express-sync, parked, rpc-floor or all\n";
    return kExitUsage;
  }
  double duration = a.GetDouble("duration", 5);
  double rate = a.GetDouble("rate", 0);
  int threads = static_cast<int>(a.GetInt("concurrency", 16));
  // --watch-history: callers stream every event of their execution instead
  // of only waiting for its close.
  WaitMode wait_mode = a.Has("watch-history") ? WaitMode::kFullHistory : WaitMode::kClose;
  int workers = static_cast<int>(a.GetInt("workers", 16));
  int64_t pid = a.GetInt("server-pid", 0);
  std::string suffix = std::to_string(getpid()) + "-" +
                       std::to_string(Clock::now().time_since_epoch().count());
  json::object out;
  out["endpoint"] = a.connection.endpoint;
  out["duration_s"] = duration;
  out["concurrency"] = threads;
  std::string bench_input = "{}";
  if (a.Has("input")) {
    auto text = ResolveInputSpec(a.Get("input"));
    if (!text.ok()) return CallFailed(text.status());
    bench_input = *std::move(text);
  }
  auto plain = [&bench_input](int64_t) { return bench_input; };
  // The activity and lambda workloads find an execution again by its "id".
  auto with_id = [&bench_input](int64_t id) {
    std::string head = "{\"id\":" + std::to_string(id);
    size_t open = bench_input.find('{');
    if (open == std::string::npos) return head + "}";
    std::string rest = bench_input.substr(open + 1);
    size_t first = rest.find_first_not_of(" \t\r\n");
    bool empty = first == std::string::npos || rest[first] == '}';
    return head + (empty ? "" : ",") + rest;
  };

  if (workload == "all" || workload == "start-only") {
    // --states N: start N-state Pass chains without waiting for them (the
    // server runs them behind the starts; its /metrics tells whether it
    // kept up).
    int states = static_cast<int>(a.GetInt("states", 1));
    if (states < 1) states = 1;
    auto arn = CreateMachine(c, "bench-start-" + suffix, PassChain(states));
    if (!arn.ok()) return CallFailed(arn.status());
    ProcSample before = ReadProc(pid);
    RunFigures f = Drive(c, *arn, threads, duration, rate, WaitMode::kNone, plain);
    ProcSample after = ReadProc(pid);
    out["start_only"] = Summarize(f, states, before, after);
    out["start_only"].as_object()["states"] = states;
  }
  if (workload == "rpc-floor") {
    auto arn = CreateMachine(c, "bench-floor-" + suffix, PassChain(1));
    if (!arn.ok()) return CallFailed(arn.status());
    out["rpc_floor"] = RunRpcFloor(c, *arn, threads, duration, pid);
  }
  if (workload == "all" || workload == "pass-chain") {
    auto arn = CreateMachine(c, "bench-pass10-" + suffix, PassChain(10));
    if (!arn.ok()) return CallFailed(arn.status());
    ProcSample before = ReadProc(pid);
    RunFigures f = Drive(c, *arn, threads, duration, rate, wait_mode, plain);
    ProcSample after = ReadProc(pid);
    out["pass_chain_10"] = Summarize(f, 10, before, after);
  }
  if (workload == "all" || workload == "express-sync") {
    // start_execution_latency is StartSyncExecution's whole round trip.
    auto arn = CreateMachine(c, "bench-express10-" + suffix, PassChain(10), "EXPRESS");
    if (!arn.ok()) return CallFailed(arn.status());
    ProcSample before = ReadProc(pid);
    RunFigures f = Drive(c, *arn, threads, duration, rate, WaitMode::kSync, plain);
    ProcSample after = ReadProc(pid);
    out["express_sync_10"] = Summarize(f, 10, before, after);
  }
  if (workload == "all" || workload == "activity") {
    v1::CreateActivityRequest areq;
    areq.set_name("bench-activity-" + suffix);
    auto activity = c.CreateActivity(areq);
    if (!activity.ok()) return CallFailed(activity.status());
    auto arn = CreateMachine(c, "bench-activity-" + suffix,
                             ActivityChain(activity->activity_arn(), 3));
    if (!arn.ok()) return CallFailed(arn.status());
    // Round trip: from a worker's SendTaskSuccess for one task of an
    // execution to a GetActivityTask returning that execution's next task.
    std::mutex mu;
    std::map<int64_t, Clock::time_point> sent;
    std::vector<double> round_trips;
    ActivityWorkerOptions options;
    options.activity_arn = activity->activity_arn();
    options.worker_name = "bench";
    options.concurrency = workers;
    options.heartbeat_interval = absl::ZeroDuration();
    ActivityWorker worker(
        &c, options,
        [&](const std::string& input,
            const HeartbeatFn&) -> absl::StatusOr<std::string> {
          Clock::time_point now = Clock::now();
          int64_t id = -1;
          auto parsed = ParseJson(input);
          if (parsed.ok() && parsed->is_object()) {
            if (auto* v = parsed->get_object().if_contains("id")) {
              if (v->is_int64()) id = v->get_int64();
            }
          }
          std::lock_guard<std::mutex> lock(mu);
          if (auto it = sent.find(id); it != sent.end()) {
            round_trips.push_back(
                std::chrono::duration<double, std::micro>(now - it->second)
                    .count());
          }
          sent[id] = Clock::now();
          return input;
        });
    worker.Start();
    ProcSample before = ReadProc(pid);
    RunFigures f = Drive(c, *arn, threads, duration, rate, wait_mode, with_id);
    ProcSample after = ReadProc(pid);
    worker.Stop();
    json::object o = Summarize(f, 3, before, after);
    o["workers"] = workers;
    o["tasks_per_s"] = static_cast<double>(worker.tasks_succeeded()) /
                       (f.seconds > 0 ? f.seconds : 1);
    o["activity_round_trip"] = Percentiles(round_trips);
    out["activity_3"] = std::move(o);
  }
  if (workload == "lambda") {
    // One Lambda Task (the function ARN form) per execution; the round trip
    // is StartExecution to the close: the start's commit, the hand-out's
    // commit, the function (through whatever serves --function), the
    // result's commit and the close seen over WatchExecution.
    std::string function = a.Get("function", "bench");
    auto arn = CreateMachine(c, "bench-lambda-" + suffix,
                             R"({"StartAt":"Fn","States":{"Fn":{"Type":"Task",)"
                             R"("Resource":"arn:aws:lambda:us-east-1:123456789012:function:)" +
                                 function + R"(","End":true}}})");
    if (!arn.ok()) return CallFailed(arn.status());
    ProcSample before = ReadProc(pid);
    RunFigures f = Drive(c, *arn, threads, duration, rate, wait_mode, with_id);
    ProcSample after = ReadProc(pid);
    json::object o = Summarize(f, 1, before, after);
    o["function"] = function;
    o["invocations_per_s"] = o["executions_per_s"];
    out["lambda_1"] = std::move(o);
  }
  if (workload == "parked") {
    int64_t count = a.GetInt("executions", 10000);
    if (count < 1) {
      std::cerr << "stepwise: --executions must be at least 1\n";
      return kExitUsage;
    }
    auto parked = RunParked(c, suffix, count, threads, pid, plain);
    if (!parked.ok()) return CallFailed(parked.status());
    out["parked"] = *std::move(parked);
  }
  if (pid > 0) {
    ProcSample s = ReadProc(pid);
    if (s.ok) out["server_rss_kb"] = s.rss_kb;
  }
  std::cout << SerializeJson(out) << "\n";
  return kExitOk;
}

}  // namespace stepwise::client
