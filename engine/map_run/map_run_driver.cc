// MapRunDriver (map_run_driver.h): child executions of Map Runs started,
// adopted, counted and reported, on the thread "sw-maprun".
#include "engine/map_run/map_run_driver.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <iterator>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "common/thread_name.h"
#include "engine/map_run/express_child_outcome.h"
#include "engine/map_run/item_reader_config.h"
#include "engine/map_run/result_writer.h"
#include "engine/map_run/result_writer_files.h"
#include "engine/service_error.h"

namespace stepwise::engine {

struct MapRunDriver::RunState {
  std::string key;
  std::string parent;
  int64_t task_id = 0;
  std::string run_id;
  MapRunSpec spec;
  std::string machine_arn;  // the hidden child machine's
  std::vector<ChildStatus> status;
  std::vector<uint32_t> items_of_child;  // items in each child's input (a batch has several)
  // What the run's record counts (DescribeMapRun).
  MapRunCounts item_counts;
  MapRunCounts execution_counts;
  int64_t ends_since_save = 0;
  // Children started before a restart (the stored record's count): counts
  // are not saved until the resumed run has passed them again.
  int64_t resume_until = 0;
  size_t next = 0;  // no pending child before it
  int64_t open = 0;  // starting or running
  int64_t ended = 0;
  int64_t failed = 0;  // failed, timed out or aborted
  std::string first_error;
  std::string first_cause;
  bool finished = false;
  std::unique_ptr<MapRunItems> items;  // the child inputs, pulled a page at a time
  std::deque<json::value> buffered;   // read, not started: indexes next.. of status
  bool source_done = false;

  bool Express() const { return spec.execution_type == "EXPRESS"; }
  std::string ChildArn(size_t index) const {
    std::string arn = machine_arn;
    size_t at = arn.find(":stateMachine:");
    if (Express()) {
      // arn:aws:states:REGION:ACCOUNT:stateMachine:… → REGION, ACCOUNT.
      std::vector<std::string> parts = absl::StrSplit(arn.substr(0, at), ':');
      return MapRunExpressChildArn(parts.size() > 3 ? parts[3] : "",
                                   parts.size() > 4 ? parts[4] : "", spec.child_machine,
                                   spec.ChildName(index));
    }
    return absl::StrCat(arn.substr(0, at), ":execution:", arn.substr(at + 14), ":",
                        spec.ChildName(index));
  }
  int64_t Cap(int fallback) const {
    return spec.max_concurrency > 0 ? spec.max_concurrency : fallback;
  }
};

MapRunDriver::MapRunDriver(TaskInputs& inputs, MapRunRecords& records,
                           EnsureMachineFn ensure_machine, MapRunLimits limits,
                           map_run::S3Objects* s3, integrations::AwsApi* aws,
                           std::string region)
    : inputs_(inputs),
      records_(records),
      s3_(s3),
      aws_(aws),
      region_(std::move(region)),
      ensure_machine_(std::move(ensure_machine)),
      default_max_concurrency_(std::max(1, limits.default_max_concurrency)),
      max_open_children_(std::max(1, limits.max_open_children)),
      thread_([this] {
        SetThreadName("sw-maprun");
        Loop();
      }) {}

MapRunDriver::~MapRunDriver() { Stop(); }

void MapRunDriver::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  std::lock_guard<std::mutex> l(join_mu_);
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
    LaunchWaiting();
  }
}

int64_t MapRunDriver::PeakOpen() const {
  std::lock_guard<std::mutex> l(mu_);
  return peak_open_;
}

int64_t MapRunDriver::PeakOpenTotal() const {
  std::lock_guard<std::mutex> l(mu_);
  return peak_open_total_;
}

void MapRunDriver::ChildOpened(RunState& r) {
  ++r.open;
  ++open_total_;
  std::lock_guard<std::mutex> l(mu_);
  peak_open_ = std::max(peak_open_, r.open);
  peak_open_total_ = std::max(peak_open_total_, open_total_);
}

void MapRunDriver::ChildEnded(RunState& r) {
  --r.open;
  --open_total_;
}

void MapRunDriver::LaunchWaiting() {
  while (open_total_ < max_open_children_ && !waiting_.empty()) {
    std::string key = std::move(waiting_.front());
    waiting_.pop_front();
    waiting_keys_.erase(key);
    auto it = runs_.find(key);
    if (it == runs_.end() || it->second->finished) continue;
    Launch(*it->second, /*granted=*/true);  // one child, then back in the queue if it wants more
  }
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

void MapRunDriver::OpenChildren(std::vector<std::string>& out) {
  auto answer = std::make_shared<std::promise<std::vector<std::string>>>();
  std::future<std::vector<std::string>> open = answer->get_future();
  Post([this, answer] {
    std::vector<std::string> arns;
    for (const auto& [arn, where] : children_) {
      auto r = runs_.find(where.first);
      if (r == runs_.end()) continue;
      ChildStatus st = r->second->status[where.second];
      if (st == ChildStatus::kStarting || st == ChildStatus::kRunning) arns.push_back(arn);
    }
    answer->set_value(std::move(arns));
  });
  if (open.wait_for(std::chrono::seconds(2)) != std::future_status::ready) return;
  std::vector<std::string> arns;
  try {
    arns = open.get();
  } catch (const std::future_error&) {
    return;  // stopped: the task was dropped unrun
  }
  out.insert(out.end(), std::make_move_iterator(arns.begin()), std::make_move_iterator(arns.end()));
}

void MapRunDriver::ForgetRunsOf(std::function<bool(const std::string& parent)> lost) {
  Post([this, lost = std::move(lost)] {
    std::vector<std::string> keys;
    for (const auto& [key, run] : runs_) {
      if (lost(run->parent)) keys.push_back(key);
    }
    for (const std::string& key : keys) Forget(key);
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
  r.run_id = r.spec.RunId();
  MapRunRecord fresh = r.spec.FirstRecord(parent, task_id);
  absl::StatusOr<MapRunRecord> record = records_.Track(fresh);
  if (!record.ok()) {
    if (absl::IsFailedPrecondition(record.status())) return;  // closed already
    // The record could not be read: the run goes by its spec.
    record = fresh;
  }
  // UpdateMapRun's settings, stored before a restart, win over the spec's.
  r.spec.max_concurrency = record->max_concurrency;
  r.spec.tolerated_failure_percentage = record->tolerated_failure_percentage;
  r.spec.tolerated_failure_count = record->tolerated_failure_count;
  r.resume_until = record->executions.total - record->executions.pending;
  absl::StatusOr<std::unique_ptr<MapRunItems>> items = MapRunItems::Open(r.spec, s3_);
  if (!items.ok()) {
    records_.SetOutcome(r.run_id, "FAILED");
    inputs_.ReportTaskResult(parent, task_id,
                             TaskResult::Failed(map_run::kItemReaderFailed,
                                                std::string(items.status().message())));
    return;
  }
  r.items = *std::move(items);
  absl::StatusOr<std::string> machine = ensure_machine_(
      r.spec.child_machine, r.spec.definition, r.Express() ? "EXPRESS" : "STANDARD");
  if (!machine.ok()) {
    records_.SetOutcome(r.run_id, "FAILED");
    inputs_.ReportTaskResult(parent, task_id,
                             TaskResult::Failed("States.Runtime",
                                                absl::StrCat("The Map Run could not create its "
                                                             "child state machine: ",
                                                             machine.status().message())));
    return;
  }
  r.machine_arn = *machine;
  runs_[key] = std::move(run);
  // A resumed run reads its items again from the start: a child started
  // before a restart is adopted by the start that finds its name.
  Launch(r);
}

void MapRunDriver::Launch(RunState& r, bool granted) {
  int64_t cap = r.Cap(default_max_concurrency_);
  while (!r.finished && r.open < cap) {
    if (r.buffered.empty()) {
      if (r.source_done) break;
      std::vector<json::value> page;
      absl::Status s = r.items->Next(&page, kPageItems);
      if (!s.ok()) return FailRun(r, map_run::kItemReaderFailed, std::string(s.message()));
      if (page.empty()) {
        r.source_done = true;
        break;
      }
      bool batches = r.spec.batcher.is_object();
      for (auto& v : page) {
        uint32_t n = 1;
        if (const json::value* in_batch =
                batches && v.is_object() ? v.get_object().if_contains("Items") : nullptr;
            in_batch != nullptr && in_batch->is_array()) {
          n = static_cast<uint32_t>(in_batch->get_array().size());
        }
        r.buffered.push_back(std::move(v));
        r.status.push_back(ChildStatus::kPending);
        r.items_of_child.push_back(n);
        r.item_counts.total += n;
        r.item_counts.pending += n;
        ++r.execution_counts.total;
        ++r.execution_counts.pending;
      }
      // A page boundary: the counts so far to the record (not before the
      // first page: nothing has run yet).
      SaveCounts(r, /*durable=*/r.next > 0);
    }
    // A server-wide slot: free, and not owed to a run waiting before this one.
    if (open_total_ >= max_open_children_ || (!granted && !waiting_.empty())) {
      if (waiting_keys_.insert(r.key).second) waiting_.push_back(r.key);
      break;
    }
    granted = false;
    size_t i = r.next++;
    json::value input = std::move(r.buffered.front());
    r.buffered.pop_front();
    r.status[i] = ChildStatus::kStarting;
    ChildOpened(r);
    r.item_counts.pending -= r.items_of_child[i];
    r.item_counts.running += r.items_of_child[i];
    --r.execution_counts.pending;
    ++r.execution_counts.running;
    std::string arn = r.ChildArn(i);
    children_[arn] = {r.key, i};
    if (r.Express()) {
      // An Express child has no record to adopt after a restart: its stored
      // outcome says it ended (counted now, not run again); one running in
      // this process is waited for; else it (re)starts (at-least-once).
      absl::StatusOr<ExecutionDescription> known = inputs_.DescribeExecution(arn);
      if (known.ok() && !EndedBeforeRedrive(r, *known)) {
        r.status[i] = ChildStatus::kRunning;
        if (known->status != "RUNNING" && !Count(r, i, *known)) return;
        continue;
      }
    }
    inputs_.StartExecution(r.machine_arn, r.spec.ChildName(i), SerializeJson(input),
                           [this, key = r.key, i](absl::StatusOr<StartExecutionResult> s) {
                             Post([this, key, i, s = std::move(s)]() mutable {
                               OnStart(key, i, std::move(s));
                             });
                           });
  }
  if (!r.finished && r.source_done && r.open == 0 &&
      r.ended == static_cast<int64_t>(r.status.size())) {
    SucceedRun(r);
    return;
  }
  SaveCounts(r, /*durable=*/false);
}

void MapRunDriver::SaveCounts(RunState& r, bool durable) {
  if (static_cast<int64_t>(r.next) < r.resume_until) return;
  if (durable) r.ends_since_save = 0;
  records_.SetCounts(r.run_id, r.item_counts, r.execution_counts, durable);
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
    if (d.ok() && EndedBeforeRedrive(r, *d)) return RedriveChild(r, index, *d);
    if (d.ok()) {
      r.status[index] = ChildStatus::kRunning;
      if (d->status != "RUNNING") OnEnd(r, index, *d);
      return;
    }
  }
  // The child could not start: the run fails (nothing else can run it).
  ChildEnded(r);
  r.status[index] = ChildStatus::kPending;
  r.item_counts.running -= r.items_of_child[index];
  r.item_counts.pending += r.items_of_child[index];
  --r.execution_counts.running;
  ++r.execution_counts.pending;
  if (r.finished) return;
  FailRun(r, "States.Runtime",
          absl::StrCat("The Map Run could not start the child execution ", arn, ": ",
                       s.status().message()));
}

bool MapRunDriver::EndedBeforeRedrive(const RunState& r, const ExecutionDescription& d) {
  if (r.spec.redrive_count <= 0 || d.status == "RUNNING" || d.status == "SUCCEEDED") {
    return false;
  }
  // Started, or last redriven, before this redrive: it ended in an earlier
  // round. One (re)started by this redrive ended in this one: counted.
  return std::max(d.start_date, d.redrive_date) < r.spec.redrive_date;
}

void MapRunDriver::RedriveChild(RunState& r, size_t index, const ExecutionDescription& d) {
  // The token makes a repeated call (a restart of the driver soon after)
  // answer this redrive again rather than redrive the child twice.
  inputs_.RedriveExecution(
      d.execution_arn, absl::StrCat("mapRunRedrive-", r.spec.redrive_count),
      [this, key = r.key, index, d](absl::StatusOr<TimeMs> s) {
        Post([this, key, index, d, s = std::move(s)]() mutable {
          OnRedriven(key, index, d, std::move(s));
        });
      });
}

void MapRunDriver::OnRedriven(const std::string& key, size_t index,
                              const ExecutionDescription& before, absl::StatusOr<TimeMs> s) {
  auto it = runs_.find(key);
  if (it == runs_.end()) return;
  RunState& r = *it->second;
  if (r.status[index] != ChildStatus::kStarting) return;  // its end came first
  if (s.ok()) {
    r.status[index] = ChildStatus::kRunning;  // its end comes by ChildClosed
    return;
  }
  // Not redrivable (window, history, a deleted machine): counted as it
  // ended, a failure this redrive cannot rerun.
  r.status[index] = ChildStatus::kRunning;
  r.item_counts.failures_not_redrivable += r.items_of_child[index];
  ++r.execution_counts.failures_not_redrivable;
  OnEnd(r, index, before);
}

void MapRunDriver::OnEnd(RunState& r, size_t index, const ExecutionDescription& d) {
  if (Count(r, index, d)) Launch(r);  // more children, or the end
}

bool MapRunDriver::Count(RunState& r, size_t index, const ExecutionDescription& d) {
  ChildStatus& st = r.status[index];
  if (st != ChildStatus::kStarting && st != ChildStatus::kRunning) return false;  // counted
  bool ok = d.status == "SUCCEEDED";
  st = ok ? ChildStatus::kSucceeded : ChildStatus::kFailed;
  ChildEnded(r);
  ++r.ended;
  uint32_t n = r.items_of_child[index];
  r.item_counts.running -= n;
  --r.execution_counts.running;
  auto count = [&](int64_t MapRunCounts::*field) {
    r.item_counts.*field += n;
    ++(r.execution_counts.*field);
  };
  if (ok) {
    count(&MapRunCounts::succeeded);
  } else if (d.status == "TIMED_OUT") {
    count(&MapRunCounts::timed_out);
  } else if (d.status == "ABORTED") {
    count(&MapRunCounts::aborted);
  } else {
    count(&MapRunCounts::failed);
  }
  if (r.finished) return false;
  if (!ok) {
    ++r.failed;
    if (r.first_error.empty() && r.first_cause.empty()) {
      r.first_error = d.error.value_or(d.status == "TIMED_OUT" ? "States.Timeout" : "");
      r.first_cause = d.cause.value_or("");
    }
    if (FailIfBeyondTolerance(r)) return false;
  }
  // A page of children ended: the counts to the record.
  if (++r.ends_since_save >= static_cast<int64_t>(kPageItems)) SaveCounts(r, true);
  return true;
}

bool MapRunDriver::FailIfBeyondTolerance(RunState& r) {
  if (r.failed == 0 || WithinTolerance(r)) return false;
  bool set = r.spec.tolerated_failure_count || r.spec.tolerated_failure_percentage;
  if (set) {
    FailRun(r, "States.ExceedToleratedFailureThreshold",
            "The specified tolerated failure threshold was exceeded");
  } else {
    FailRun(r, r.first_error, r.first_cause);
  }
  return true;
}

void MapRunDriver::Update(const MapRunRecord& rec) {
  std::string key = absl::StrCat(rec.execution_arn, "#", rec.task_id);
  Post([this, key, rec] {
    auto it = runs_.find(key);
    if (it == runs_.end()) return;  // not begun: Begin reads the stored record
    RunState& r = *it->second;
    r.spec.max_concurrency = rec.max_concurrency;
    r.spec.tolerated_failure_percentage = rec.tolerated_failure_percentage;
    r.spec.tolerated_failure_count = rec.tolerated_failure_count;
    if (r.finished || FailIfBeyondTolerance(r)) return;
    Launch(r);  // a raised MaxConcurrency starts more now
  });
}

bool MapRunDriver::WithinTolerance(const RunState& r) const {
  if (r.spec.tolerated_failure_count && r.failed <= *r.spec.tolerated_failure_count) {
    return true;
  }
  // Of the items read so far (all of them once the source is done).
  if (r.spec.tolerated_failure_percentage && !r.status.empty()) {
    double pct = 100.0 * static_cast<double>(r.failed) / static_cast<double>(r.status.size());
    if (pct <= *r.spec.tolerated_failure_percentage) return true;
  }
  return false;
}

void MapRunDriver::FailRun(RunState& r, const std::string& error, const std::string& cause) {
  r.finished = true;
  StopOpenChildren(r, "The Map Run failed");
  records_.SetCounts(r.run_id, r.item_counts, r.execution_counts, false);
  records_.SetOutcome(r.run_id, "FAILED");
  inputs_.ReportTaskResult(r.parent, r.task_id, TaskResult::Failed(error, cause));
}

void MapRunDriver::SucceedRun(RunState& r) {
  r.finished = true;
  records_.SetCounts(r.run_id, r.item_counts, r.execution_counts, false);
  records_.SetOutcome(r.run_id, "SUCCEEDED");
  std::optional<map_run::ResultTransformation> preview;
  if (r.spec.writer.is_object()) {
    absl::StatusOr<map_run::ResultWriterConfig> wc = WriterConfig(r);
    absl::StatusOr<json::value> written =
        wc.ok() ? WriteResults(r, *wc) : absl::StatusOr<json::value>(wc.status());
    if (!written.ok()) {
      records_.SetOutcome(r.run_id, "FAILED");
      inputs_.ReportTaskResult(r.parent, r.task_id,
                               TaskResult::Failed(map_run::kResultWriterFailed,
                                                  std::string(written.status().message())));
      return;
    }
    if (!written->is_null()) {
      // Every child's result is in the files (SUCCEEDED_n, FAILED_n).
      r.item_counts.results_written = r.item_counts.total - r.item_counts.pending;
      r.execution_counts.results_written = r.execution_counts.total - r.execution_counts.pending;
      records_.SetCounts(r.run_id, r.item_counts, r.execution_counts, false);
      TaskResult res;
      res.output = *std::move(written);
      inputs_.ReportTaskResult(r.parent, r.task_id, std::move(res));
      return;
    }
    preview = wc->transformation;  // a WriterConfig alone: the inline result shaped
  }
  // The results in item order, read back from the children's records.
  json::array results;
  results.reserve(r.status.size());
  for (size_t i = 0; i < r.status.size(); ++i) {
    absl::StatusOr<map_run::MapRunChildResult> c = ChildResult(r, i);
    if (!c.ok() || c->status == "PENDING") {
      records_.SetOutcome(r.run_id, "FAILED");
      inputs_.ReportTaskResult(
          r.parent, r.task_id,
          TaskResult::Failed("States.Runtime",
                             absl::StrCat("The Map Run could not read the child execution ",
                                          r.ChildArn(i), ": ",
                                          c.ok() ? "it has no record" : c.status().message())));
      return;
    }
    if (preview.has_value()) {
      for (const std::string& rec : map_run::ResultRecords(*c, *preview)) {
        absl::StatusOr<json::value> v = ParseJson(rec);
        results.push_back(v.ok() ? *std::move(v) : json::value());
      }
    } else if (c->status == "SUCCEEDED") {
      absl::StatusOr<json::value> out = ParseJson(c->output.value_or("null"));
      results.push_back(out.ok() ? *std::move(out) : json::value());
    } else {
      json::object e;
      e["Error"] = json::string(c->error.value_or(""));
      e["Cause"] = json::string(c->cause.value_or(""));
      results.push_back(std::move(e));
    }
  }
  TaskResult res;
  res.output = json::value(std::move(results));
  inputs_.ReportTaskResult(r.parent, r.task_id, std::move(res));
}

absl::StatusOr<map_run::ResultWriterConfig> MapRunDriver::WriterConfig(const RunState& r) const {
  const json::object& w = r.spec.writer.get_object();
  json::value config = w.contains("config") ? w.at("config") : json::value();
  json::value args = w.contains("arguments") ? w.at("arguments") : json::value();
  absl::StatusOr<map_run::ResultWriterConfig> wc = map_run::ReadResultWriterConfig(config, args);
  if (!wc.ok()) return absl::FailedPreconditionError(wc.status().message());
  return wc;
}

absl::StatusOr<map_run::MapRunChildResult> MapRunDriver::ChildResult(const RunState& r,
                                                                     size_t index) {
  map_run::MapRunChildResult c;
  c.execution_arn = r.ChildArn(index);
  c.name = r.spec.ChildName(index);
  c.state_machine_arn = r.machine_arn;
  absl::StatusOr<ExecutionDescription> d = inputs_.DescribeExecution(c.execution_arn);
  if (!d.ok()) {
    if (ServiceErrorName(d.status()) != "ExecutionDoesNotExist") return d.status();
    c.status = "PENDING";
    return c;
  }
  c.status = d->status;
  c.input = d->input;
  c.output = d->output;
  c.error = d->error;
  c.cause = d->cause;
  c.start_date_ms = d->start_date;
  if (d->stop_date != 0) c.stop_date_ms = d->stop_date;
  c.redrive_count = d->redrive_count;
  c.redrive_status = d->status == "SUCCEEDED" ? "NOT_REDRIVABLE" : "REDRIVABLE_BY_MAP_RUN";
  if (d->status == "SUCCEEDED") {
    c.redrive_status_reason = "Execution is SUCCEEDED and cannot be redriven";
  }
  return c;
}

absl::StatusOr<json::value> MapRunDriver::WriteResults(RunState& r,
                                                       const map_run::ResultWriterConfig& wc) {
  if (!wc.writes_to_s3) return json::value();  // the results stay inline
  if (aws_ == nullptr) {
    return absl::FailedPreconditionError(
        "ResultWriter needs S3, and this server has no AWS client");
  }
  // Pages of the children's records, in item order.
  size_t next = 0;
  map_run::ChildResultPages pages =
      [this, &r, &next]() -> absl::StatusOr<std::vector<map_run::MapRunChildResult>> {
    std::vector<map_run::MapRunChildResult> page;
    for (; next < r.status.size() && page.size() < kPageItems; ++next) {
      absl::StatusOr<map_run::MapRunChildResult> c = ChildResult(r, next);
      if (!c.ok()) return c.status();
      page.push_back(*std::move(c));
    }
    return page;
  };
  map_run::ResultWriterOptions o;
  o.region = region_;
  return map_run::WriteMapRunResults(*aws_, wc, r.spec.map_run_arn, pages, o);
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
  open_total_ -= r.open;  // children still stopping: their slots are free now
  runs_.erase(it);
}

}  // namespace stepwise::engine
