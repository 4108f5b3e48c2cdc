// crash_driver: the process the crash test kills. It embeds the Engine on a
// real RocksDB directory and runs a mixed workload (Pass chains, Choice,
// 1-second Waits, activity Tasks served by in-process workers with a failing
// first attempt and Retry, Map of 10, Parallel of 3, Catch) until every
// execution is closed. Killed with SIGKILL at any instant and restarted on
// the same directory, it recreates nothing: it re-starts the same executions
// by name (idempotent) and serves activity tasks until all are closed.
//
//   crash_driver --dir DIR [--executions N] [--workers W] [--scale S]
//                [--max-steps K] [--deadline-s T] [--start-rate R]
//   crash_driver --verify --dir DIR [--executions N] [--max-steps K]
//
// DIR holds db/ (RocksDB), clock (the epoch of the scaled clock, so time is
// monotonic across restarts), setup.done, grants.log (one fsync'd line per
// task token a worker received) and lives.log (one line per start).
// --verify checks the invariants of issue 3 ("Proof") and exits 0 when all
// hold; see README.md.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/strings.h"
#include "asl/definition.h"
#include "engine/engine.h"
#include "engine/execution_codec.h"
#include "engine/service_error.h"
#include "storage/rocks_store.h"
#include "tests/crash/checker.h"
#include "tests/crash/replay.h"
#include "tests/crash/workflow.h"

namespace stepwise::crash {
namespace {

namespace fs = std::filesystem;

constexpr char kMachineName[] = "crash-mixed";
constexpr char kActivityName[] = "crash-work";

// The workflow with 30 s task timeouts, no heartbeats (workflow.h).
const Workflow& Flow() {
  static const Workflow* flow = new Workflow(WorkflowOptions{
      .machine_name = kMachineName,
      .activity_name = kActivityName,
      .comment = "crash test workload",
  });
  return *flow;
}

// Time that runs `scale` times faster than the wall clock from an epoch kept
// in the directory, so it never goes back across restarts (a ScaledClock
// would restart from the wall time and leave stored timers far ahead).
class PersistentScaledClock final : public Clock {
 public:
  PersistentScaledClock(TimeMs epoch, double scale) : epoch_(epoch), scale_(scale) {}
  TimeMs NowMs() const override {
    TimeMs wall = SystemClock::Get()->NowMs();
    return epoch_ + static_cast<TimeMs>(static_cast<double>(wall - epoch_) * scale_);
  }

 private:
  TimeMs epoch_;
  double scale_;
};

void WriteFileSynced(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) std::abort();
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
  ::fsync(fd);
  ::close(fd);
  fs::rename(tmp, path);
  int dfd = ::open(fs::path(path).parent_path().c_str(), O_RDONLY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Append-only, one fsync'd line per call.
class LineLog {
 public:
  explicit LineLog(const std::string& path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd_ < 0) std::abort();
  }
  ~LineLog() { ::close(fd_); }
  void Append(const std::string& line) {
    std::string l = line + "\n";
    std::lock_guard<std::mutex> lock(mu_);
    if (::write(fd_, l.data(), l.size()) != static_cast<ssize_t>(l.size())) std::abort();
    ::fdatasync(fd_);
  }

 private:
  std::mutex mu_;
  int fd_ = -1;
};

struct Flags {
  std::string dir;
  bool verify = false;
  int executions = 300;
  int workers = 8;
  double scale = 20;
  int max_steps = 100;
  int deadline_s = 300;
  int in_flight = 64;
  double start_rate = 0;  // executions started per second of the run; 0: all at once
};

int Fail(const std::string& msg) {
  std::fprintf(stderr, "crash_driver: %s\n", msg.c_str());
  return 1;
}

// ------------------------------------------------------------------- run

int Run(const Flags& f) {
  fs::create_directories(f.dir);
  std::string clock_file = f.dir + "/clock";
  TimeMs epoch = 0;
  if (fs::exists(clock_file)) {
    epoch = std::stoll(ReadFile(clock_file));
  } else {
    epoch = SystemClock::Get()->NowMs();
    WriteFileSynced(clock_file, std::to_string(epoch));
  }
  PersistentScaledClock clock(epoch, f.scale);
  LineLog lives(f.dir + "/lives.log");
  lives.Append(absl::StrCat("pid ", ::getpid(), " at ", SystemClock::Get()->NowMs()));

  storage::RocksOptions ro;
  ro.sync = true;
  auto store = storage::RocksStore::Open(f.dir + "/db", ro);
  if (!store.ok()) return Fail(absl::StrCat("open store: ", store.status().ToString()));
  engine::EngineOptions eo;
  eo.clock = &clock;
  eo.seed = 42;
  eo.max_steps_per_commit = f.max_steps;
  auto eng = engine::Engine::Open(store->get(), eo);
  if (!eng.ok()) return Fail(absl::StrCat("open engine: ", eng.status().ToString()));
  engine::Engine& e = **eng;

  std::string done_marker = f.dir + "/setup.done";
  bool fresh = !fs::exists(done_marker);
  if (fresh) {
    // A kill during setup leaves no marker; both calls are idempotent on
    // the same arguments, so the next life simply repeats them.
    auto a = e.CreateActivity(kActivityName);
    if (!a.ok()) return Fail(absl::StrCat("create activity: ", a.status().ToString()));
    auto m = e.CreateStateMachine(kMachineName, Flow().Definition(),
                                  "arn:aws:iam::123456789012:role/crash", "STANDARD");
    if (!m.ok()) return Fail(absl::StrCat("create machine: ", m.status().ToString()));
    WriteFileSynced(done_marker, "ok");
  }

  std::atomic<bool> stop{false};
  std::atomic<int64_t> granted{0}, answered{0}, stale{0};
  LineLog grants(f.dir + "/grants.log");
  // Tasks whose first attempt was already failed, across lives.
  std::mutex failed_mu;
  std::set<std::string> failed_once;
  {
    std::ifstream in(f.dir + "/failed.log");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) failed_once.insert(line);
    }
  }
  LineLog failed_log(f.dir + "/failed.log");
  auto first_time = [&](const std::string& key) {
    std::lock_guard<std::mutex> l(failed_mu);
    if (!failed_once.insert(key).second) return false;
    failed_log.Append(key);
    return true;
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < f.workers; ++w) {
    workers.emplace_back([&, w] {
      std::string name = absl::StrCat("w", ::getpid(), "-", w);
      while (!stop.load()) {
        auto t = e.GetActivityTask(Flow().ActivityArn(), name, 1000);
        if (!t.ok()) {
          if (stop.load()) return;
          std::fprintf(stderr, "poll: %s\n", t.status().ToString().c_str());
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        if (t->task_token.empty()) continue;
        grants.Append(absl::StrCat(t->task_token, " ", name));
        ++granted;
        auto in = ParseJson(t->input);
        if (!in.ok() || !in->is_object()) {
          std::fprintf(stderr, "bad task input %s\n", t->input.c_str());
          std::abort();
        }
        WorkerAnswer a = Workflow::Answer(in->get_object(), "", first_time);
        absl::Status s = a.success ? e.SendTaskSuccess(t->task_token, a.output)
                                   : e.SendTaskFailure(t->task_token, a.error, a.cause);
        if (s.ok()) {
          ++answered;
        } else if (engine::ServiceErrorName(s) == "TaskTimedOut") {
          ++stale;  // timed out meanwhile: the retry hands out a new attempt
        } else if (!stop.load()) {
          std::fprintf(stderr, "report: %s\n", s.ToString().c_str());
        }
      }
    });
  }

  // (Re-)start every execution; a name that exists is fine either way.
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0, started = 0, existed = 0, failed = 0;
  for (int i = 0; i < f.executions; ++i) {
    if (f.start_rate > 0) {
      // Execution i starts epoch + i / rate into the run (wall time), in
      // every life, so the load spreads over the run whatever the kills.
      TimeMs due = epoch + static_cast<TimeMs>(1000.0 * i / f.start_rate);
      TimeMs now = SystemClock::Get()->NowMs();
      if (due > now) std::this_thread::sleep_for(std::chrono::milliseconds(due - now));
    }
    {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return in_flight < f.in_flight; });
      ++in_flight;
    }
    e.StartExecutionAsync(Flow().MachineArn(), Workflow::ExecName(i), SerializeJson(Flow().Input(i)),
                          [&, i](absl::StatusOr<engine::StartExecutionResult> r) {
                            std::lock_guard<std::mutex> l(mu);
                            --in_flight;
                            if (r.ok()) {
                              ++started;
                            } else if (engine::ServiceErrorName(r.status()) ==
                                       "ExecutionAlreadyExists") {
                              ++existed;
                            } else {
                              ++failed;
                              std::fprintf(stderr, "start exec-%d: %s\n", i,
                                           r.status().ToString().c_str());
                            }
                            cv.notify_all();
                          });
  }
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return in_flight == 0; });
  }
  if (failed > 0) return Fail(absl::StrCat(failed, " starts failed"));

  auto t0 = std::chrono::steady_clock::now();
  std::vector<int> open;
  for (int i = 0; i < f.executions; ++i) open.push_back(i);
  int exit_code = 0;
  while (!open.empty()) {
    std::vector<int> still;
    for (int i : open) {
      auto d = e.DescribeExecution(Flow().ExecArn(i));
      if (!d.ok()) return Fail(absl::StrCat("describe exec-", i, ": ", d.status().ToString()));
      if (d->status == "RUNNING") still.push_back(i);
    }
    open = std::move(still);
    if (open.empty()) break;
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(f.deadline_s)) {
      std::string names;
      for (size_t k = 0; k < open.size() && k < 20; ++k) absl::StrAppend(&names, " exec-", open[k]);
      std::fprintf(stderr, "crash_driver: %zu executions still RUNNING after %d s:%s\n",
                   open.size(), f.deadline_s, names.c_str());
      exit_code = 3;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  for (auto& w : workers) w.join();
  engine::Engine::Stats st = e.stats();
  std::printf("crash_driver: pid %d: %d started, %d already existed; %lld tasks granted, "
              "%lld answered, %lld stale; %llu commits in %llu batches, %llu events; %s\n",
              ::getpid(), started, existed, static_cast<long long>(granted.load()),
              static_cast<long long>(answered.load()), static_cast<long long>(stale.load()),
              static_cast<unsigned long long>(st.commits),
              static_cast<unsigned long long>(st.batches),
              static_cast<unsigned long long>(st.events),
              exit_code == 0 ? "all executions closed" : "gave up");
  e.Shutdown();
  return exit_code;
}

// ---------------------------------------------------------------- verify

int Verify(const Flags& f) {
  Report rep;
  auto run = OpenStoredRun(f.dir + "/db", kMachineName, &rep);
  if (!run.ok()) return Fail(std::string(run.status().message()));
  storage::Store& store = *run->store;

  ReplayOptions opts;
  opts.max_steps_per_trigger = f.max_steps;
  CheckTotals totals;
  int succeeded = 0;
  for (int i = 0; i < f.executions; ++i) {
    std::string arn = Flow().ExecArn(i);
    std::string who = Workflow::ExecName(i);
    std::optional<json::object> rec = ReadRecord(store, arn, who, "", &rep);
    if (!rec) continue;
    const json::object& state = rec->at("state").as_object();
    bool ok = CheckSucceeded(i, Flow().Input(i).as_object(), state, nullptr, who, &rep);
    succeeded += ok;
    std::map<std::string, int> expected = WorkloadEntered(i);
    CheckClosedExecution(store, arn, who, *rec, run->machine, opts, ok ? &expected : nullptr, &totals,
                         &rep);
  }

  // Nothing left behind in the queues' tables.
  CheckQueuesEmpty(store, &rep);

  // No token handed out twice, across all lives.
  std::ifstream grants(f.dir + "/grants.log");
  std::unordered_map<std::string, std::string> seen;
  std::string line;
  int64_t grant_lines = 0;
  while (std::getline(grants, line)) {
    if (line.empty()) continue;
    ++grant_lines;
    size_t sp = line.find(' ');
    std::string token = line.substr(0, sp);
    std::string worker = sp == std::string::npos ? "" : line.substr(sp + 1);
    auto [it, inserted] = seen.emplace(token, worker);
    if (!inserted) {
      rep.Problem(absl::StrCat("task token handed out twice: to ", it->second, " and ", worker));
    }
  }
  if (grant_lines > totals.activity_started) {
    rep.Problem(absl::StrCat(grant_lines, " grants logged but only ", totals.activity_started,
                             " ActivityStarted events"));
  }
  std::ifstream lives_in(f.dir + "/lives.log");
  int lives = 0;
  while (std::getline(lives_in, line)) lives += !line.empty();

  std::printf(
      "verify: %d executions, %d succeeded with the expected output, %d replayed to the stored "
      "state (%d triggers: %d task starts, %d task ends, %d timers, %d continues); %lld events in "
      "%lld chunks; %lld ActivityStarted, %lld grants logged, %zu distinct tokens; %d lives; "
      "%d violations\n",
      f.executions, succeeded, totals.replayed, totals.replay.triggers,
      totals.replay.tasks_started, totals.replay.tasks_completed, totals.replay.timers,
      totals.replay.continues, static_cast<long long>(totals.events),
      static_cast<long long>(totals.chunks), static_cast<long long>(totals.activity_started),
      static_cast<long long>(grant_lines), seen.size(), lives, rep.problems);
  return rep.problems == 0 ? 0 : 2;
}

}  // namespace
}  // namespace stepwise::crash

int main(int argc, char** argv) {
  stepwise::crash::Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", a.c_str());
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--dir") f.dir = val();
    else if (a == "--verify") f.verify = true;
    else if (a == "--executions") f.executions = std::stoi(val());
    else if (a == "--workers") f.workers = std::stoi(val());
    else if (a == "--scale") f.scale = std::stod(val());
    else if (a == "--max-steps") f.max_steps = std::stoi(val());
    else if (a == "--deadline-s") f.deadline_s = std::stoi(val());
    else if (a == "--in-flight") f.in_flight = std::stoi(val());
    else if (a == "--start-rate") f.start_rate = std::stod(val());
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 1;
    }
  }
  if (f.dir.empty()) {
    std::fprintf(stderr, "usage: crash_driver [--verify] --dir DIR [--executions N] ...\n");
    return 1;
  }
  return f.verify ? stepwise::crash::Verify(f) : stepwise::crash::Run(f);
}
