// The step: a Decision of the interpreter becomes one storage::Transition
// (the new execution record, its history chunk, task, timer and visibility
// rows) plus the Effects released once the committer has it on disk (tasks
// queued, timers armed, polls answered, watchers notified). Each scheduled
// Task goes to its dispatcher (engine/dispatch/) inside this commit. Also
// the activity hand-out that rides on a commit (PollOnce, HandOut):
// Release → PollOnce → HandOut → Commit is recursive, so they live here
// together. Runs on the thread that runs the execution's shard
// work; the committer's outcome is posted back to that shard.
#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/check.h"
#include "common/logging.h"
#include "engine/dispatch/task_dispatcher.h"
#include "engine/engine_impl.h"
#include "engine/execution_codec.h"
#include "engine/execution_record.h"
#include "engine/mock_config/time_scale.h"
#include "engine/search/index_writes.h"
#include "storage/keys.h"

namespace stepwise::engine {

namespace {

using storage::Table;

}  // namespace

// What a commit releases once it is on disk; only then may anyone see it.
struct EngineImpl::Effects {
  // Polls answered by this commit's hand-outs, and polls to resume.
  std::vector<std::pair<std::shared_ptr<PollClaim>, ActivityTaskGrant>> grants;
  std::vector<std::shared_ptr<PollClaim>> repoll;
  std::vector<TimerEntry> arm;
  std::vector<std::pair<std::string, int64_t>> disarm;  // execution, timer id
  // The dispatchers' work (PendingCommit::AfterCommit), in the order given.
  std::vector<std::function<void()>> after_commit;
  std::string execution_id;
  std::vector<RawHistoryEvent> watched;  // the events, for WatchExecution
  std::optional<ExecutionDescription> closed;  // for on_execution_closed
};

// The commit being built, as a dispatcher sees it (task_dispatcher.h).
class EngineImpl::StepCommit : public PendingCommit {
 public:
  StepCommit(const LoadedExecution& ex, std::vector<storage::Write>& writes, Effects& fx)
      : ex_(ex), writes_(writes), fx_(fx) {}
  const std::string& execution_id() const override { return ex_.id; }
  bool execution_running() const override {
    return ex_.record.state->status == ExecutionStatus::kRunning;
  }
  void Write(storage::Write w) override { writes_.push_back(std::move(w)); }
  void AfterCommit(std::function<void()> fn) override {
    fx_.after_commit.push_back(std::move(fn));
  }

 private:
  const LoadedExecution& ex_;
  std::vector<storage::Write>& writes_;
  Effects& fx_;
};

Interpreter EngineImpl::Interp(const LoadedExecution& ex) {
  InterpreterOptions io;
  io.tokens = this;
  io.max_events = opts_.max_history_events;
  io.max_payload_bytes = opts_.max_payload_bytes;
  io.max_steps_per_trigger = opts_.max_steps_per_commit;
  io.express_max_ms = opts_.express_max_ms;
  io.map_runs_as_tasks = true;  // engine/map_run/map_run_dispatcher.h
  return Interpreter(ex.machine, &ShardOf(ex.id).random, io);
}

// Turns `d` into one Transition, hands it to the committer, and once it is
// on disk releases its effects (tasks, timers) and calls `done`. The
// execution takes no other work until then.
void EngineImpl::Commit(LoadedExecution* ex, Decision d, bool created,
                        std::vector<storage::Write> extra, StatusFn done) {
  ExecutionRecord& rec = ex->record;
  ExecutionState& st = *rec.state;
  TimeMs now = clock_->NowMs();
  if (d.yielded && st.status == ExecutionStatus::kRunning) {
    // More internal steps to run: a durable "continue" timer due now, so
    // a crash before the next group commits still resumes it.
    d.start_timers.push_back({kContinueTimerId, now});
  }
  storage::Transition t;
  t.execution_id = ex->id;
  t.expected_version = created ? 0 : ex->version;
  t.new_version = ex->version + 1;
  t.writes = std::move(extra);

  // Effects to release after the commit.
  auto effects = std::make_shared<Effects>();
  effects->execution_id = ex->id;
  StepCommit commit(*ex, t.writes, *effects);
  // Where each scheduled Task's work goes: its dispatcher hands it over in
  // this commit, or names a worker already waiting to start it in it.
  std::vector<std::pair<int64_t, std::shared_ptr<PollClaim>>> claimed;  // task id, poll
  for (const ScheduleTaskCommand& c : d.schedule_tasks) {
    OpenTask task;
    task.task_id = c.task_id;
    task.attempt = c.attempt;
    task.input = SerializeJson(c.input);
    task.timeout_seconds = c.timeout_seconds;
    task.heartbeat_seconds = c.heartbeat_seconds;
    if (std::shared_ptr<PollClaim> claim = dispatch_.For(c).Schedule(c, task, commit)) {
      claimed.emplace_back(task.task_id, std::move(claim));
    }
    rec.tasks[task.task_id] = std::move(task);
  }
  for (auto& [task_id, claim] : claimed) {
    OpenTask& ot = rec.tasks[task_id];
    if (!Interp(*ex).TaskStarted(st, task_id, claim->worker, now, d).ok()) {
      // Not startable after all: it waits as usual, the poll waits again.
      if (TaskDispatcher* owner = dispatch_.OwnerOf(ot)) owner->Requeue(ot, commit);
      effects->repoll.push_back(std::move(claim));
      continue;
    }
    ot.started = true;
    ot.last_heartbeat = now;
    AddTaskClockTimers(ot, now, d);
    effects->grants.emplace_back(std::move(claim), GrantFor(*ex, ot, now));
  }
  for (int64_t task_id : d.cancel_tasks) CloseTask(ex, task_id, t.writes, *effects);
  for (const StartTimerCommand& c : d.start_timers) {
    // A mock-config test case's time scale shortens every timer here.
    TimeMs due = c.due_scaled ? c.due : ScaledDue(c.due, now, st.info.time_scale);
    rec.timer_dues[c.timer_id] = due;
    t.writes.push_back(
        {Table::kTimers, storage::TimerKey(due, ex->id, c.timer_id), std::string()});
    effects->arm.push_back(TimerEntry{due, ex->id, c.timer_id});
  }
  for (int64_t timer_id : d.cancel_timers) DisarmTimer(ex, timer_id, t.writes, *effects);
  // Tasks the interpreter completed (success, failure, timeout) are closed.
  for (auto it = rec.tasks.begin(); it != rec.tasks.end();) {
    if (!TaskStillOpen(st, it->first)) {
      int64_t id = it->first;
      ++it;
      CloseTask(ex, id, t.writes, *effects);
    } else {
      ++it;
    }
  }
  if (st.status != ExecutionStatus::kRunning) {
    // Everything left open closes with the execution.
    std::vector<int64_t> open;
    for (auto& [id, task] : rec.tasks) open.push_back(id);
    for (int64_t id : open) CloseTask(ex, id, t.writes, *effects);
    std::vector<int64_t> armed;
    for (auto& [id, due] : rec.timer_dues) armed.push_back(id);
    for (int64_t id : armed) DisarmTimer(ex, id, t.writes, *effects);
    if (rec.stop_date == 0) rec.stop_date = now;
  }
  if (!d.events.empty()) {
    t.first_event_id = d.events.front().id;
    t.last_event_id = d.events.back().id;
    t.history_chunk = EncodeHistoryChunk(d.events);
  }
  // A redrive reopens a closed execution: its visibility row changes, and
  // should it close again within this same decision (it fails again at
  // once), that is a close the dispatchers must hear of (a Map Run waits
  // for its redriven child, a parent for its redriven child execution).
  bool redriven = std::any_of(d.events.begin(), d.events.end(), [](const HistoryEvent& e) {
    return e.type == "ExecutionRedriven";
  });
  bool status_changed = created || redriven || st.status != ex->status;
  if (status_changed && st.status != ExecutionStatus::kRunning) {
    ExecutionDescription closed;
    closed.execution_arn = ex->id;
    closed.state_machine_arn = rec.machine_arn;
    closed.name = st.info.execution_name;
    closed.status = std::string(ExecutionStatusName(st.status));
    closed.start_date = rec.start_date;
    closed.stop_date = rec.stop_date;
    closed.revision = rec.revision;
    closed.version_arn = rec.version_arn;
    closed.alias_arn = rec.alias_arn;
    closed.input = rec.input;
    if (st.output) closed.output = st.output;
    if (!st.error.empty()) closed.error = st.error;
    if (!st.cause.empty()) closed.cause = st.cause;
    effects->closed = std::move(closed);
  }
  ex->status = st.status;
  if (status_changed) {
    if (!storage::ExpressRoutingStore::IsExpress(ex->id)) {
      // The search index rides on the row (engine/search/index_writes.h).
      // Should the machine's fields not be readable now, the values stay.
      std::map<std::string, std::string> indexed = rec.indexed;
      if (auto fields = catalog_.CompiledIndexedFieldsOf(rec.machine_arn); fields.ok()) {
        indexed = IndexedValuesAt(fields->get(), st, d.closing_variables, rec.indexed);
      }
      AppendIndexWrites(rec.machine_arn, rec.start_date, ex->id, rec.indexed, indexed,
                        &t.writes);
      rec.indexed = std::move(indexed);
    }
    t.writes.push_back({Table::kVisibility,
                        storage::VisibilityKey(rec.machine_arn, rec.start_date, ex->id),
                        EncodeVisibilityRow(ex->id, st.info.execution_name,
                                            ExecutionStatusName(st.status), rec.start_date,
                                            rec.stop_date, st.info.redrive_count, rec.version_arn,
                                            rec.alias_arn, &rec.indexed)});
  }
  t.execution_record = EncodeExecutionRecord(rec);
  size_t n_events = d.events.size();
  if (!ex->watchers.empty() && !d.events.empty()) {
    // The details as the chunk just encoded them (a scan, no re-encoding).
    SW_CHECK(DecodeHistoryChunkRaw(t.history_chunk, 0, &effects->watched).ok());
  }
  ex->committing = true;
  auto landed = [this, ex_id = ex->id, effects, n_events,
                 done = std::move(done)](absl::Status s) mutable {
    // On the committer thread: the answer goes back to the shard, which
    // keeps one writer per execution.
    Shard& sh = ShardOf(ex_id);
    Enqueue(sh, [this, &sh, ex_id, effects, n_events, s, done = std::move(done)]() mutable {
      auto it = sh.loaded.find(ex_id);
      SW_CHECK(it != sh.loaded.end());
      LoadedExecution* committed = it->second.get();
      committed->committing = false;
      if (!s.ok()) {
        // Nothing was written: forget the in-memory state (it is ahead of
        // the store) and let the next call reload it. Refused by the shard
        // fence (cluster mode: the lease moved on): the caller hears whose
        // it is now, a retryable error.
        if (opts_.cluster) {
          const bool fenced = absl::IsAborted(s) && absl::StrContains(s.message(), " fenced: ");
          if (fenced) {
            // The ownership check passed but the lease moved before the
            // commit: rare (a lease lapsing mid-step); worth a line.
            spdlog::warn("cluster: commit of {} refused by the shard fence: {}", ex_id,
                         std::string(s.message()));
          }
          if (fenced || !OwnsExecution(ex_id)) s = NotOwnedError(ex_id);
        }
        auto waiting = std::move(committed->waiting);
        DetachWatchers(*committed);
        sh.loaded.erase(it);
        for (auto& [claim, grant] : effects->grants) claim->done(s);
        for (auto& claim : effects->repoll) claim->done(s);
        done(s);
        for (auto& w : waiting) Post(ex_id, std::move(w));
        return;
      }
      committed->version += 1;
      events_ += n_events;
      Release(*effects);
      if (!committed->watchers.empty()) Notify(committed, effects->watched);
      if (effects->closed) {
        dispatch_.ExecutionClosed(*effects->closed);
        if (opts_.on_execution_closed) opts_.on_execution_closed(*effects->closed);
        if (storage::ExpressRoutingStore::IsExpress(ex_id)) CloseExpress(*effects->closed);
      }
      done(absl::OkStatus());
      DrainWaiting(sh, ex_id);
    });
  };
  if (storage::ExpressRoutingStore::IsExpress(ex->id)) {
    // Express: applied in memory right here (no sync, not queued behind
    // the durable batches); the outcome takes the same way back.
    landed(store_->Commit(t));
  } else {
    committer_.Submit(std::move(t), std::move(landed));
  }
}

// Releases a commit's effects: only now may anyone see them.
void EngineImpl::Release(const Effects& fx) {
  for (const auto& [exec, id] : fx.disarm) timers_.Cancel(exec, id);
  for (const TimerEntry& e : fx.arm) timers_.Add(e);
  for (const auto& fn : fx.after_commit) fn();
  for (const auto& [claim, grant] : fx.grants) claim->done(grant);
  for (const auto& claim : fx.repoll) {
    PollOnce(claim->activity, claim->worker, claim->deadline, claim->done, claim->is_cancelled);
  }
}

// ------------------------------------------------------ task and timer rows

// The task's own clocks start at ActivityStarted (AWS).
void EngineImpl::AddTaskClockTimers(const OpenTask& t, TimeMs now, Decision& d) {
  if (t.timeout_seconds > 0) {
    d.start_timers.push_back({TaskTimeoutTimerId(t.task_id), now + t.timeout_seconds * 1000});
  }
  if (t.heartbeat_seconds > 0) {
    d.start_timers.push_back({HeartbeatTimerId(t.task_id), now + t.heartbeat_seconds * 1000});
  }
}

bool EngineImpl::TaskStillOpen(const ExecutionState& st, int64_t task_id) {
  for (const auto& [id, f] : st.frames) {
    if (f.task_id == task_id && f.phase == Frame::Phase::kAwaitTask) return true;
  }
  return false;
}

void EngineImpl::CloseTask(LoadedExecution* ex, int64_t task_id,
                           std::vector<storage::Write>& writes, Effects& fx) {
  auto it = ex->record.tasks.find(task_id);
  if (it == ex->record.tasks.end()) return;
  if (TaskDispatcher* owner = dispatch_.OwnerOf(it->second)) {
    StepCommit commit(*ex, writes, fx);
    owner->Close(it->second, commit);
  }
  DisarmTimer(ex, TaskTimeoutTimerId(task_id), writes, fx);
  DisarmTimer(ex, HeartbeatTimerId(task_id), writes, fx);
  ex->record.tasks.erase(it);
}

void EngineImpl::DisarmTimer(LoadedExecution* ex, int64_t timer_id,
                             std::vector<storage::Write>& writes, Effects& fx) {
  auto it = ex->record.timer_dues.find(timer_id);
  if (it == ex->record.timer_dues.end()) return;
  writes.push_back({Table::kTimers, storage::TimerKey(it->second, ex->id, timer_id),
                    std::nullopt});
  fx.disarm.push_back({ex->id, timer_id});
  ex->record.timer_dues.erase(it);
}

// ------------------------------------------------------------------ hand-out

ActivityTaskGrant EngineImpl::GrantFor(const LoadedExecution& ex, const OpenTask& t,
                                       TimeMs now) const {
  ActivityTaskGrant g;
  g.task_token = tokens_->Encode({ex.id, t.task_id, t.attempt});
  g.input = t.input;
  g.details = t.details;
  g.execution_arn = ex.id;
  if (t.timeout_seconds > 0) {
    g.deadline_ms =
        now + ScaledDelayMs(t.timeout_seconds * 1000, ex.record.state->info.time_scale);
  }
  return g;
}

void EngineImpl::PollOnce(const std::string& activity, const std::string& worker,
                          PollDeadline deadline,
                          std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                          std::function<bool()> is_cancelled) {
  int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(
                     deadline - std::chrono::steady_clock::now())
                     .count();
  if (is_cancelled && is_cancelled()) return done(ActivityTaskGrant{});
  // No time left (a poll of timeout 0, or one whose deadline passed while a
  // hand-out was tried): the first pending task or none, at once; such a
  // poll never waits, so no commit may claim it.
  left = std::max<int64_t>(left, 0);
  std::shared_ptr<PollClaim> claim;
  if (left > 0) {
    claim = std::make_shared<PollClaim>(PollClaim{activity, worker, deadline, done,
                                                  is_cancelled});
  }
  absl::Status s = tasks_.Poll(
      activity, left,
      [this, activity, worker, deadline, done,
       is_cancelled](std::optional<ActivityTask> task) mutable {
        if (!task.has_value()) return done(ActivityTaskGrant{});
        HandOut(*task, worker, deadline, std::move(done), std::move(is_cancelled));
      },
      is_cancelled, std::move(claim));
  if (!s.ok()) {
    done(ServiceError("ActivityWorkerLimitExceeded", "Activity worker limit exceeded"));
  }
}

// Commits ActivityStarted for `task` and then gives it to the worker; if
// the task is no longer open, polls again for the time that is left.
void EngineImpl::HandOut(ActivityTask task, std::string worker, PollDeadline deadline,
                         std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                         std::function<bool()> is_cancelled) {
  std::string exec = task.execution_id;
  PostRunHereIfIdle(exec, [this, task, worker, deadline, done,
                           is_cancelled](LoadedExecution* ex) mutable {
    auto it = ex->exists ? ex->record.tasks.find(task.task_id) : ex->record.tasks.end();
    if (it == ex->record.tasks.end() || it->second.started ||
        ex->status != ExecutionStatus::kRunning) {
      return PollOnce(task.activity_arn, worker, deadline, std::move(done),
                      std::move(is_cancelled));
    }
    if (is_cancelled && is_cancelled()) {
      // The worker went away: the task waits for the next one.
      tasks_.Requeue(task);
      return done(ActivityTaskGrant{});
    }
    TimeMs now = clock_->NowMs();
    Decision d;
    if (!Interp(*ex).TaskStarted(*ex->record.state, task.task_id, worker, now, d).ok()) {
      return PollOnce(task.activity_arn, worker, deadline, std::move(done),
                      std::move(is_cancelled));
    }
    OpenTask& t = it->second;
    t.started = true;
    t.last_heartbeat = now;
    std::vector<storage::Write> writes;
    writes.push_back({Table::kTasks, storage::TaskKey(t.queue, ex->id, t.task_id),
                      std::nullopt});
    AddTaskClockTimers(t, now, d);
    ActivityTaskGrant grant = GrantFor(*ex, t, now);
    Commit(ex, std::move(d), false, std::move(writes),
           [done, grant = std::move(grant)](absl::Status s) {
             if (!s.ok()) return done(s);
             done(grant);
           });
  });
}

}  // namespace stepwise::engine
