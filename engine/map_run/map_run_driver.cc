// MapRunDriver (map_run_driver.h): child executions of Map Runs started,
// adopted, counted and reported, on the thread "sw-maprun".
#include "engine/map_run/map_run_driver.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/thread_name.h"
#include "engine/service_error.h"

namespace stepwise::engine {

struct MapRunDriver::RunState {
  std::string key;
  std::string parent;
  int64_t task_id = 0;
  MapRunSpec spec;
  std::string machine_arn;  // the hidden child machine's
  std::vector<ChildStatus> status;
  size_t next = 0;  // no pending child before it
  int64_t open = 0;  // starting or running
  int64_t ended = 0;
  int64_t failed = 0;  // failed, timed out or aborted
  std::string first_error;
  std::string first_cause;
  bool finished = false;
  bool resuming = false;  // Begin is reading the children's records: no launch

  std::string ChildArn(size_t index) const {
    std::string arn = machine_arn;
    size_t at = arn.find(":stateMachine:");
    return absl::StrCat(arn.substr(0, at), ":execution:", arn.substr(at + 14), ":",
                        spec.ChildName(index));
  }
  int64_t Cap(int fallback) const {
    return spec.max_concurrency > 0 ? spec.max_concurrency : fallback;
  }
};

MapRunDriver::MapRunDriver(TaskInputs& inputs, EnsureMachineFn ensure_machine,
                           int default_max_concurrency)
    : inputs_(inputs),
      ensure_machine_(std::move(ensure_machine)),
      default_max_concurrency_(std::max(1, default_max_concurrency)),
      thread_([this] {
        SetThreadName("sw-maprun");
        Loop();
      }) {}

MapRunDriver::~MapRunDriver() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MapRunDriver::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_) return;
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void MapRunDriver::Loop() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

int64_t MapRunDriver::PeakOpen() const {
  std::lock_guard<std::mutex> l(mu_);
  return peak_open_;
}

void MapRunDriver::Run(const std::string& parent, int64_t task_id, MapRunSpec spec) {
  std::string key = absl::StrCat(parent, "#", task_id);
  Post([this, key, parent, task_id, spec = std::move(spec)]() mutable {
    Begin(key, parent, task_id, std::move(spec));
  });
}

void MapRunDriver::Cancel(const std::string& parent, int64_t task_id) {
  std::string key = absl::StrCat(parent, "#", task_id);
  Post([this, key] {
    auto it = runs_.find(key);
    if (it == runs_.end()) return;
    if (!it->second->finished) {
      StopOpenChildren(*it->second, "The Map Run's parent state ended before it");
    }
    Forget(key);
  });
}

void MapRunDriver::ChildClosed(const ExecutionDescription& closed) {
  // Children run on hidden MACHINE/LABEL machines; nothing else concerns us.
  if (closed.state_machine_arn.find('/') == std::string::npos) return;
  Post([this, closed] {
    auto c = children_.find(closed.execution_arn);
    if (c == children_.end()) return;
    auto r = runs_.find(c->second.first);
    if (r == runs_.end()) return;
    OnEnd(*r->second, c->second.second, closed);
  });
}

void MapRunDriver::Begin(const std::string& key, const std::string& parent, int64_t task_id,
                         MapRunSpec spec) {
  if (runs_.contains(key)) return;  // already running
  auto run = std::make_unique<RunState>();
  RunState& r = *run;
  r.key = key;
  r.parent = parent;
  r.task_id = task_id;
  r.spec = std::move(spec);
  r.status.assign(r.spec.items.size(), ChildStatus::kPending);
  // Children are STANDARD executions for now (map_run/README.md).
  absl::StatusOr<std::string> machine =
      ensure_machine_(r.spec.child_machine, r.spec.definition, "STANDARD");
  if (!machine.ok()) {
    inputs_.ReportTaskResult(parent, task_id,
                             TaskResult::Failed("States.Runtime",
                                                absl::StrCat("The Map Run could not create its "
                                                             "child state machine: ",
                                                             machine.status().message())));
    return;
  }
  r.machine_arn = *machine;
  runs_[key] = std::move(run);
  // A resumed run: children started before a restart are adopted from
  // their records (ended ones counted, running ones waited for).
  r.resuming = true;
  for (size_t i = 0; i < r.status.size(); ++i) {
    std::string arn = r.ChildArn(i);
    absl::StatusOr<ExecutionDescription> d = inputs_.DescribeExecution(arn);
    if (!d.ok()) continue;  // never started
    children_[arn] = {key, i};
    r.status[i] = ChildStatus::kRunning;
    ++r.open;
    if (d->status != "RUNNING") OnEnd(r, i, *d);
    if (r.finished) return;
  }
  r.resuming = false;
  if (r.ended == static_cast<int64_t>(r.status.size())) return SucceedRun(r);
  Launch(r);
}

void MapRunDriver::Launch(RunState& r) {
  int64_t cap = r.Cap(default_max_concurrency_);
  while (!r.finished && r.open < cap && r.next < r.status.size()) {
    size_t i = r.next++;
    if (r.status[i] != ChildStatus::kPending) continue;
    r.status[i] = ChildStatus::kStarting;
    ++r.open;
    {
      std::lock_guard<std::mutex> l(mu_);
      peak_open_ = std::max(peak_open_, r.open);
    }
    std::string arn = r.ChildArn(i);
    children_[arn] = {r.key, i};
    inputs_.StartExecution(r.machine_arn, r.spec.ChildName(i), SerializeJson(r.spec.items[i]),
                           [this, key = r.key, i](absl::StatusOr<StartExecutionResult> s) {
                             Post([this, key, i, s = std::move(s)]() mutable {
                               OnStart(key, i, std::move(s));
                             });
                           });
  }
}

void MapRunDriver::OnStart(const std::string& key, size_t index,
                           absl::StatusOr<StartExecutionResult> s) {
  auto it = runs_.find(key);
  if (it == runs_.end()) return;
  RunState& r = *it->second;
  if (r.status[index] != ChildStatus::kStarting) return;  // ended already
  if (s.ok()) {
    r.status[index] = ChildStatus::kRunning;
    return;
  }
  std::string arn = r.ChildArn(index);
  if (ServiceErrorName(s.status()) == "ExecutionAlreadyExists") {
    // Started before (a restart, or a retried start): adopt it.
    absl::StatusOr<ExecutionDescription> d = inputs_.DescribeExecution(arn);
    if (d.ok()) {
      r.status[index] = ChildStatus::kRunning;
      if (d->status != "RUNNING") OnEnd(r, index, *d);
      return;
    }
  }
  // The child could not start: the run fails (nothing else can run it).
  --r.open;
  r.status[index] = ChildStatus::kPending;
  if (r.finished) return;
  FailRun(r, "States.Runtime",
          absl::StrCat("The Map Run could not start the child execution ", arn, ": ",
                       s.status().message()));
}

void MapRunDriver::OnEnd(RunState& r, size_t index, const ExecutionDescription& d) {
  ChildStatus& st = r.status[index];
  if (st != ChildStatus::kStarting && st != ChildStatus::kRunning) return;  // counted
  bool ok = d.status == "SUCCEEDED";
  st = ok ? ChildStatus::kSucceeded : ChildStatus::kFailed;
  --r.open;
  ++r.ended;
  if (r.finished) return;
  if (!ok) {
    ++r.failed;
    if (r.first_error.empty() && r.first_cause.empty()) {
      r.first_error = d.error.value_or(d.status == "TIMED_OUT" ? "States.Timeout" : "");
      r.first_cause = d.cause.value_or("");
    }
    if (!WithinTolerance(r)) {
      bool set = r.spec.tolerated_failure_count || r.spec.tolerated_failure_percentage;
      if (set) {
        FailRun(r, "States.ExceedToleratedFailureThreshold",
                "The specified tolerated failure threshold was exceeded");
      } else {
        FailRun(r, r.first_error, r.first_cause);
      }
      return;
    }
  }
  if (r.resuming) return;  // Begin goes on
  if (r.ended == static_cast<int64_t>(r.status.size())) return SucceedRun(r);
  Launch(r);
}

bool MapRunDriver::WithinTolerance(const RunState& r) const {
  if (r.spec.tolerated_failure_count && r.failed <= *r.spec.tolerated_failure_count) {
    return true;
  }
  if (r.spec.tolerated_failure_percentage && !r.status.empty()) {
    double pct = 100.0 * static_cast<double>(r.failed) / static_cast<double>(r.status.size());
    if (pct <= *r.spec.tolerated_failure_percentage) return true;
  }
  return false;
}

void MapRunDriver::FailRun(RunState& r, const std::string& error, const std::string& cause) {
  r.finished = true;
  StopOpenChildren(r, "The Map Run failed");
  inputs_.ReportTaskResult(r.parent, r.task_id, TaskResult::Failed(error, cause));
}

void MapRunDriver::SucceedRun(RunState& r) {
  r.finished = true;
  // The results in item order, read back from the children's records.
  json::array results;
  results.reserve(r.status.size());
  for (size_t i = 0; i < r.status.size(); ++i) {
    absl::StatusOr<ExecutionDescription> d = inputs_.DescribeExecution(r.ChildArn(i));
    if (!d.ok()) {
      inputs_.ReportTaskResult(
          r.parent, r.task_id,
          TaskResult::Failed("States.Runtime",
                             absl::StrCat("The Map Run could not read the child execution ",
                                          r.ChildArn(i), ": ", d.status().message())));
      return;
    }
    if (d->status == "SUCCEEDED") {
      absl::StatusOr<json::value> out = ParseJson(d->output.value_or("null"));
      results.push_back(out.ok() ? *std::move(out) : json::value());
    } else {
      json::object e;
      e["Error"] = json::string(d->error.value_or(""));
      e["Cause"] = json::string(d->cause.value_or(""));
      results.push_back(std::move(e));
    }
  }
  TaskResult res;
  res.output = json::value(std::move(results));
  inputs_.ReportTaskResult(r.parent, r.task_id, std::move(res));
}

void MapRunDriver::StopOpenChildren(RunState& r, const std::string& cause) {
  for (size_t i = 0; i < r.status.size(); ++i) {
    if (r.status[i] != ChildStatus::kStarting && r.status[i] != ChildStatus::kRunning) continue;
    inputs_.StopExecution(r.ChildArn(i), "States.Aborted", cause,
                          [](absl::StatusOr<TimeMs>) {});
  }
}

void MapRunDriver::Forget(const std::string& key) {
  auto it = runs_.find(key);
  if (it == runs_.end()) return;
  RunState& r = *it->second;
  for (size_t i = 0; i < r.status.size(); ++i) children_.erase(r.ChildArn(i));
  runs_.erase(it);
}

}  // namespace stepwise::engine
