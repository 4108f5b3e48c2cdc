// engine_bench: end-to-end throughput of the durable Engine on a real
// RocksStore (temp directory, WAL synced on every batch). Plain program, not
// Google Benchmark: each phase runs for a wall-clock duration and prints its
// figures against issue 3's targets. Phases:
//   pass      executions of a 10-state Pass chain started with
//             StartExecutionAsync by a few client threads that keep many in
//             flight: executions/s, transitions/s, commits per fsync,
//             states per commit, p50/p99 start→commit latency, CPU µs per
//             transition;
//   activity  Pass → activity Task → Pass, served by in-process worker
//             threads (poll → SendTaskSuccess): activity tasks/s;
//   parked    N executions parked on an activity task nobody polls: VmRSS
//             before and after.
//   engine_bench [--phases pass,activity,parked] [--seconds 30]
//                [--activity-seconds 10] [--parked 100000] [--clients 4]
//                [--in-flight 512] [--workers 64] [--shards 2]
//                [--max-batch 512] [--max-steps 100] [--no-sync] [--dir DIR]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/engine.h"
#include "storage/rocks_store.h"

namespace stepwise {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Flags {
  std::string phases = "pass,activity,parked";
  double seconds = 30;
  double activity_seconds = 10;
  int parked = 100000;
  int clients = 4;
  int in_flight = 512;  // per client (pass) / total running executions (activity)
  int workers = 64;
  int shards = 2;
  size_t max_batch = 512;
  int max_steps = 100;
  bool sync = true;
  std::string dir;
};

constexpr char kActivity[] = "arn:aws:states:us-east-1:123456789012:activity:bench";

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long VmRssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

std::string PassChain(int n) {
  std::string s = R"({"StartAt":"S0","States":{)";
  for (int i = 0; i < n; ++i) {
    s += absl::StrCat("\"S", i, R"(":{"Type":"Pass","Result":)", i, R"(,"ResultPath":"$.s)", i,
                      "\",");
    s += i + 1 < n ? absl::StrCat("\"Next\":\"S", i + 1, "\"},") : R"("End":true}}})";
  }
  return s;
}

std::string ActivityFlow() {
  return absl::StrCat(R"({"StartAt":"Prepare","States":{
    "Prepare":{"Type":"Pass","Result":"ready","ResultPath":"$.prep","Next":"Work"},
    "Work":{"Type":"Task","Resource":")", kActivity, R"(","ResultPath":"$.work","Next":"Finish"},
    "Finish":{"Type":"Pass","End":true}}})");
}

// A store and an engine in a fresh directory, removed afterwards.
struct Env {
  std::string dir;
  std::unique_ptr<storage::RocksStore> store;
  std::unique_ptr<engine::Engine> engine;

  Env(const Flags& f, const std::string& name) {
    dir = (f.dir.empty() ? fs::temp_directory_path().string() : f.dir) + "/engine_bench_" +
          name + "_" + std::to_string(::getpid());
    fs::remove_all(dir);
    storage::RocksOptions ro;
    ro.sync = f.sync;
    auto s = storage::RocksStore::Open(dir, ro);
    if (!s.ok()) Die(s.status().ToString());
    store = *std::move(s);
    engine::EngineOptions eo;
    eo.shards = f.shards;
    eo.max_batch = f.max_batch;
    eo.max_steps_per_commit = f.max_steps;
    eo.seed = 1;
    auto e = engine::Engine::Open(store.get(), eo);
    if (!e.ok()) Die(e.status().ToString());
    engine = *std::move(e);
  }
  ~Env() {
    engine.reset();
    store.reset();
    fs::remove_all(dir);
  }
  static void Die(const std::string& msg) {
    std::fprintf(stderr, "engine_bench: %s\n", msg.c_str());
    std::exit(1);
  }
  std::string Machine(const std::string& name, const std::string& def) {
    auto m = engine->CreateStateMachine(name, def, "arn:aws:iam::123456789012:role/b", "");
    if (!m.ok()) Die(m.status().ToString());
    return m->arn;
  }
};

// Counting gate for "at most N in flight".
class Gate {
 public:
  explicit Gate(int n) : free_(n) {}
  void Acquire() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return free_ > 0; });
    --free_;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> l(mu_);
      ++free_;
    }
    cv_.notify_one();
  }
  void AwaitAll(int n) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return free_ == n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

const char* Met(bool ok) { return ok ? "MET" : "NOT MET"; }

void PassPhase(const Flags& f) {
  Env env(f, "pass");
  std::string sm = env.Machine("chain10", PassChain(10));
  constexpr int kStates = 10;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0}, errors{0};
  std::vector<std::vector<int64_t>> lat(static_cast<size_t>(f.clients));
  std::mutex lat_mu;
  engine::Engine::Stats s0 = env.engine->stats();
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < f.clients; ++c) {
    clients.emplace_back([&, c] {
      Gate gate(f.in_flight);
      std::vector<int64_t>& mine = lat[static_cast<size_t>(c)];
      for (int64_t i = 0; !stop.load(); ++i) {
        gate.Acquire();
        auto start = Clock::now();
        env.engine->StartExecutionAsync(
            sm, absl::StrCat("c", c, "-", i), R"({"k":1})",
            [&, start](absl::StatusOr<engine::StartExecutionResult> r) {
              int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() -
                                                                                 start)
                               .count();
              if (r.ok()) {
                ++done;
                std::lock_guard<std::mutex> l(lat_mu);
                mine.push_back(us);
              } else {
                ++errors;
              }
              gate.Release();
            });
      }
      gate.AwaitAll(f.in_flight);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(f.seconds));
  stop = true;
  for (auto& t : clients) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  double cpu = CpuSeconds() - cpu0;
  engine::Engine::Stats s1 = env.engine->stats();
  std::vector<int64_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : static_cast<double>(all[static_cast<size_t>(p * (all.size() - 1))]) /
                             1000.0;
  };
  double execs = static_cast<double>(done.load());
  double transitions = execs * kStates;
  double batches = static_cast<double>(s1.batches - s0.batches);
  double commits = static_cast<double>(s1.commits - s0.commits);
  std::printf("\n== pass: 10-state Pass chain, %d clients x %d in flight, %.1f s, sync=%d ==\n",
              f.clients, f.in_flight, secs, f.sync ? 1 : 0);
  std::printf("executions/s        %10.0f   (%lld executions, %lld errors)\n", execs / secs,
              static_cast<long long>(done.load()), static_cast<long long>(errors.load()));
  std::printf("transitions/s       %10.0f   target >= 100000: %s\n", transitions / secs,
              Met(transitions / secs >= 100000));
  std::printf("fsyncs (batches)/s  %10.0f\n", batches / secs);
  std::printf("commits per fsync   %10.1f\n", batches > 0 ? commits / batches : 0);
  std::printf("states per commit   %10.1f\n", commits > 0 ? transitions / commits : 0);
  std::printf("transitions/fsync   %10.1f\n", batches > 0 ? transitions / batches : 0);
  std::printf("events per commit   %10.1f\n",
              commits > 0 ? static_cast<double>(s1.events - s0.events) / commits : 0);
  std::printf("start->commit p50   %10.2f ms\n", pct(0.50));
  std::printf("start->commit p99   %10.2f ms\n", pct(0.99));
  std::printf("CPU us/transition   %10.2f   target <= 10: %s (process CPU %.1f s = %.0f%% of "
              "one core)\n",
              transitions > 0 ? cpu * 1e6 / transitions : 0,
              Met(transitions > 0 && cpu * 1e6 / transitions <= 10), cpu, 100 * cpu / secs);
}

void ActivityPhase(const Flags& f) {
  Env env(f, "activity");
  auto act = env.engine->CreateActivity("bench");
  if (!act.ok()) Env::Die(act.status().ToString());
  std::string sm = env.Machine("flow3", ActivityFlow());
  std::atomic<bool> stop{false};
  std::atomic<int64_t> tasks{0}, errors{0};
  Gate running(f.in_flight * f.clients);
  std::vector<std::thread> workers;
  for (int w = 0; w < f.workers; ++w) {
    workers.emplace_back([&, w] {
      std::string name = absl::StrCat("worker-", w);
      while (!stop.load()) {
        auto t = env.engine->GetActivityTask(kActivity, name, 200);
        if (!t.ok()) {
          ++errors;
          continue;
        }
        if (t->task_token.empty()) continue;
        if (env.engine->SendTaskSuccess(t->task_token, R"({"ok":true})").ok()) {
          ++tasks;
        } else {
          ++errors;
        }
        running.Release();
      }
    });
  }
  std::vector<std::thread> clients;
  for (int c = 0; c < f.clients; ++c) {
    clients.emplace_back([&, c] {
      for (int64_t i = 0; !stop.load(); ++i) {
        running.Acquire();
        env.engine->StartExecutionAsync(sm, absl::StrCat("a", c, "-", i), R"({"k":1})",
                                        [&](absl::StatusOr<engine::StartExecutionResult> r) {
                                          if (!r.ok()) {
                                            ++errors;
                                            running.Release();
                                          }
                                        });
      }
    });
  }
  // Warm up, then measure.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  engine::Engine::Stats s0 = env.engine->stats();
  int64_t tasks0 = tasks.load();
  double cpu0 = CpuSeconds();
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(f.activity_seconds));
  int64_t n = tasks.load() - tasks0;
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  double cpu = CpuSeconds() - cpu0;
  engine::Engine::Stats s1 = env.engine->stats();
  stop = true;
  for (int i = 0; i < f.clients; ++i) running.Release();  // unblock starters
  for (auto& t : clients) t.join();
  for (auto& t : workers) t.join();
  env.engine->Shutdown();  // callbacks still in flight use the locals above
  double batches = static_cast<double>(s1.batches - s0.batches);
  double commits = static_cast<double>(s1.commits - s0.commits);
  std::printf("\n== activity: Pass -> activity Task -> Pass, %d workers, %d running, %.1f s ==\n",
              f.workers, f.in_flight * f.clients, secs);
  std::printf("activity tasks/s    %10.0f   target >= 8000: %s (%lld errors)\n",
              static_cast<double>(n) / secs, Met(static_cast<double>(n) / secs >= 8000),
              static_cast<long long>(errors.load()));
  std::printf("commits/s           %10.0f   (start, hand-out, completion per task)\n",
              commits / secs);
  std::printf("fsyncs/s            %10.0f   commits per fsync %.1f\n", batches / secs,
              batches > 0 ? commits / batches : 0);
  std::printf("CPU us per task     %10.1f   (process CPU %.0f%% of one core)\n",
              n > 0 ? cpu * 1e6 / static_cast<double>(n) : 0, 100 * cpu / secs);
}

void ParkedPhase(const Flags& f) {
  Env env(f, "parked");
  auto act = env.engine->CreateActivity("bench");
  if (!act.ok()) Env::Die(act.status().ToString());
  std::string sm = env.Machine("parked", ActivityFlow());
  long before = VmRssKb();
  auto t0 = Clock::now();
  Gate gate(f.in_flight * f.clients);
  std::atomic<int64_t> errors{0};
  for (int i = 0; i < f.parked; ++i) {
    gate.Acquire();
    env.engine->StartExecutionAsync(sm, absl::StrCat("p", i), R"({"k":1})",
                                    [&](absl::StatusOr<engine::StartExecutionResult> r) {
                                      if (!r.ok()) ++errors;
                                      gate.Release();
                                    });
  }
  gate.AwaitAll(f.in_flight * f.clients);
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  long after = VmRssKb();
  std::printf("\n== parked: %d executions waiting on an activity task nobody polls ==\n",
              f.parked);
  std::printf("started in          %10.1f s (%.0f/s, %lld errors)\n", secs, f.parked / secs,
              static_cast<long long>(errors.load()));
  std::printf("VmRSS before        %10.1f MiB\n", before / 1024.0);
  std::printf("VmRSS after         %10.1f MiB   target <= 1024: %s\n", after / 1024.0,
              Met(after <= 1024 * 1024));
  std::printf("per parked exec     %10.2f KiB\n",
              static_cast<double>(after - before) / f.parked);
}

}  // namespace
}  // namespace stepwise

int main(int argc, char** argv) {
  stepwise::Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", a.c_str());
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--phases") f.phases = val();
    else if (a == "--seconds") f.seconds = std::stod(val());
    else if (a == "--activity-seconds") f.activity_seconds = std::stod(val());
    else if (a == "--parked") f.parked = std::stoi(val());
    else if (a == "--clients") f.clients = std::stoi(val());
    else if (a == "--in-flight") f.in_flight = std::stoi(val());
    else if (a == "--workers") f.workers = std::stoi(val());
    else if (a == "--shards") f.shards = std::stoi(val());
    else if (a == "--max-batch") f.max_batch = static_cast<size_t>(std::stoul(val()));
    else if (a == "--max-steps") f.max_steps = std::stoi(val());
    else if (a == "--no-sync") f.sync = false;
    else if (a == "--dir") f.dir = val();
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 1;
    }
  }
  auto has = [&](const char* p) { return f.phases.find(p) != std::string::npos; };
  if (has("pass")) stepwise::PassPhase(f);
  if (has("activity")) stepwise::ActivityPhase(f);
  if (has("parked")) stepwise::ParkedPhase(f);
  return 0;
}
