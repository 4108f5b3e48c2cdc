// The inputs on one execution: start, stop, task reports, heartbeats, the
// GetActivityTask entry, fired timers and watches. Each one validates, posts
// to the execution's shard, runs the interpreter there and commits
// (step.cc). Entry points are called from any thread and never block;
// the posted work runs on the shard (shards.h); OnTimer comes from the
// TimerQueue's thread.
#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "common/json.h"
#include "engine/arn.h"
#include "engine/dispatch/lambda_function.h"
#include "engine/engine_impl.h"
#include "engine/execution_codec.h"
#include "engine/map_run/express_child_outcome.h"
#include "engine/mock_config/mock_config.h"
#include "engine/mock_config/time_scale.h"
#include "storage/keys.h"

namespace stepwise::engine {

namespace {

using storage::Table;

// How long after its last heartbeat task `t` of `ex` times out, on the
// execution's time scale (mock-config test cases; 1 otherwise).
int64_t HeartbeatDelayMs(const LoadedExecution& ex, const OpenTask& t) {
  return ScaledDelayMs(t.heartbeat_seconds * 1000, ex.record.state->info.time_scale);
}

}  // namespace

absl::Status EngineImpl::CheckExecutionArn(const std::string& arn) const {
  return engine::CheckExecutionArn(opts_.region, opts_.account, arn);
}

void EngineImpl::StartExecutionAsync(
    const std::string& requested_arn, const std::string& name_in, const std::string& input,
    std::function<void(absl::StatusOr<StartExecutionResult>)> done, ClosedFn on_closed) {
  // Mock-config testing: `stateMachineArn#TestCase` runs that test case.
  TestCaseArn test_target = SplitTestCaseArn(requested_arn);
  if (!opts_.mock_config) test_target = TestCaseArn{requested_arn, std::nullopt};
  const std::string& target_arn = test_target.machine_arn;
  std::string name = name_in;
  if (name.empty()) {
    std::lock_guard<std::mutex> l(rng_mu_);
    name = NewUuid(rng_);
  }
  if (!ValidName(name)) return done(ServiceError("InvalidName", "Invalid Name: '" + name + "'"));
  auto parsed_input = ParseJson(input.empty() ? "{}" : input);
  if (!parsed_input.ok()) {
    return done(ServiceError("InvalidExecutionInput",
                             absl::StrCat("Invalid State Machine Execution Input: '",
                                          parsed_input.status().message(), "'")));
  }
  if (input.size() > opts_.max_payload_bytes) {
    return done(ServiceError("InvalidExecutionInput",
                             absl::StrCat("Input exceeds the maximum size of ",
                                          opts_.max_payload_bytes, " bytes")));
  }
  double pick;  // an alias's weighted choice of version
  {
    std::lock_guard<std::mutex> l(rng_mu_);
    pick = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }
  // A machine, version or alias ARN (engine/catalog_versions.cc).
  auto target = catalog_.ResolveStartTarget(target_arn, pick);
  if (!target.ok()) return done(target.status());
  std::string test_case = test_target.test_case.value_or("");
  if (test_target.test_case.has_value()) {
    std::string machine_name(target->rec["name"].as_string());
    absl::Status s = CheckTestCase(*opts_.mock_config, requested_arn, machine_name, test_case);
    if (!s.ok()) return done(s);
  }
  StartResolvedAsync(*std::move(target), name, input.empty() ? "{}" : input,
                     *std::move(parsed_input), test_case, std::move(done), std::move(on_closed));
}

void EngineImpl::StartResolvedAsync(
    Catalog::StartTarget target, const std::string& name, const std::string& input_text,
    json::value input_value, const std::string& test_case,
    std::function<void(absl::StatusOr<StartExecutionResult>)> done, ClosedFn on_closed,
    std::optional<StartPoint> from) {
  json::object* machine = &target.rec;
  const std::string machine_arn = target.machine_arn;
  const int64_t revision = target.revision;
  auto parsed = catalog_.ParsedRevision(*machine, revision);
  if (!parsed.ok()) return done(parsed.status());
  std::string machine_name((*machine)["name"].as_string());
  bool express = (*machine)["type"].as_string() == "EXPRESS";
  std::string arn;
  if (express && Catalog::IsMapRunMachineName(machine_name)) {
    // A Map Run's Express child: its ARN is known before the start
    // (engine/map_run/map_run_driver.h).
    arn = MapRunExpressChildArn(opts_.region, opts_.account, machine_name, name);
  } else if (express) {
    // AWS gives each Express execution its own id after the name.
    std::string uuid;
    {
      std::lock_guard<std::mutex> l(rng_mu_);
      uuid = NewUuid(rng_);
    }
    arn = ExpressExecutionArn(opts_.region, opts_.account, machine_name, name, uuid);
  } else {
    arn = ExecutionArn(opts_.region, opts_.account, machine_name, name);
  }
  std::string role((*machine)["role_arn"].as_string());
  std::shared_ptr<const asl::StateMachine> sm = *parsed;
  PostRunHereIfIdle(arn, [this, arn, machine_arn, machine_name, name, role, express, revision,
                          version_arn = target.version_arn, alias_arn = target.alias_arn,
                          sm, input_text, input_value, test_case, done,
                          on_closed = std::move(on_closed),
                          from = std::move(from)](LoadedExecution* ex) mutable {
    if (!ex->load_error.ok()) return done(ex->load_error);
    ExecutionRecord& rec = ex->record;
    if (ex->exists) {
      // Idempotent while running with the same input (AWS, Standard); a
      // restart decides about an existing name itself (restart_execution.cc).
      if (!from && ex->status == ExecutionStatus::kRunning && rec.input == input_text) {
        return done(StartExecutionResult{arn, rec.start_date});
      }
      return done(ServiceError("ExecutionAlreadyExists",
                               "Execution Already Exists: '" + arn + "'"));
    }
    TimeMs now = clock_->NowMs();
    ex->exists = true;
    ex->machine = sm;
    rec.machine_arn = machine_arn;
    rec.revision = revision;
    rec.version_arn = version_arn;
    rec.alias_arn = alias_arn;
    rec.input = input_text;
    rec.start_date = now;
    rec.state = std::make_unique<ExecutionState>();
    ExecutionInfo& info = rec.state->info;
    info.execution_arn = arn;
    info.execution_name = name;
    info.state_machine_arn = machine_arn;
    info.state_machine_name = machine_name;
    info.role_arn = role;
    info.start_time = now;
    info.express = express;
    info.test_case = test_case;
    if (!test_case.empty()) {
      info.time_scale = opts_.mock_config->TimeScaleFor(machine_name, test_case);
    }
    info.express_async = express && !on_closed;
    Decision d;
    Interp(*ex).Start(*rec.state, std::move(input_value), now, d, from ? &*from : nullptr);
    if (on_closed) {
      // Before the commit: its outcome may already close the execution.
      std::lock_guard<std::mutex> l(sync_mu_);
      sync_waiters_[arn] = std::move(on_closed);
    }
    Commit(ex, std::move(d), /*created=*/true, {}, [this, arn, now, done](absl::Status s) {
      if (!s.ok()) {
        std::lock_guard<std::mutex> l(sync_mu_);
        sync_waiters_.erase(arn);
      }
      if (!s.ok()) return done(s);
      done(StartExecutionResult{arn, now});
    });
  });
}

void EngineImpl::StopExecutionAsync(const std::string& arn, const std::string& error,
                                    const std::string& cause,
                                    std::function<void(absl::StatusOr<TimeMs>)> done) {
  PostExisting(arn, [this, error, cause, done](LoadedExecution* ex) {
    if (ex->status != ExecutionStatus::kRunning) {
      return done(ServiceError("ValidationException",
                               "Execution is not running: '" + ex->id + "'"));
    }
    TimeMs now = clock_->NowMs();
    Decision d;
    absl::Status s = Interp(*ex).Stop(*ex->record.state, error, cause, now, d);
    if (!s.ok()) return done(s);
    Commit(ex, std::move(d), false, {}, [now, done](absl::Status c) {
      if (!c.ok()) return done(c);
      done(now);
    });
  }, done);
}

// ------------------------------------------------------------- task reports

void EngineImpl::GetActivityTaskAsync(const std::string& activity_arn, const std::string& worker,
                                      int64_t timeout_ms,
                                      std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                                      std::function<bool()> is_cancelled) {
  if (!catalog_.KnownActivity(activity_arn)) {
    auto desc = catalog_.DescribeActivity(activity_arn);
    if (!desc.ok()) return done(desc.status());
    catalog_.RememberActivity(activity_arn);
  }
  // Long polls wait in real time (the TaskQueue's own clock).
  int64_t wait = std::clamp<int64_t>(timeout_ms, 0, opts_.max_poll_ms);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait);
  PollOnce(activity_arn, worker, deadline, std::move(done), std::move(is_cancelled));
}

void EngineImpl::GetFunctionTaskAsync(const std::string& function_name,
                                      const std::string& worker, int64_t timeout_ms,
                                      std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                                      std::function<bool()> is_cancelled) {
  if (!ValidFunctionName(function_name)) {
    return done(ServiceError("InvalidArn", "Invalid function name: '" + function_name +
                                               "': 1-64 letters, digits, '-' or '_'"));
  }
  int64_t wait = std::clamp<int64_t>(timeout_ms, 0, opts_.max_poll_ms);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait);
  PollOnce(FunctionQueueKey(function_name), worker, deadline, std::move(done),
           std::move(is_cancelled));
}

// TaskInputs: a dispatcher's own outcome for a task, as its own step.
void EngineImpl::ReportTaskResult(const std::string& execution, int64_t task_id,
                                  TaskResult result) {
  Post(execution, [this, task_id, result = std::move(result)](LoadedExecution* ex) {
    if (!ex->exists || ex->status != ExecutionStatus::kRunning) return;
    auto it = ex->record.tasks.find(task_id);
    if (it == ex->record.tasks.end()) return;
    Decision d;
    Interpreter in = Interp(*ex);
    TimeMs now = clock_->NowMs();
    if (!it->second.started && !in.TaskStarted(*ex->record.state, task_id, "", now, d).ok()) {
      return;
    }
    if (!in.CompleteTask(*ex->record.state, task_id, result, now, d).ok()) return;
    Commit(ex, std::move(d), false, {}, [](absl::Status) {});
  });
}

void EngineImpl::IfTaskOpen(const std::string& execution, int64_t task_id,
                            std::function<void(const OpenTask&)> fn) {
  Post(execution, [task_id, fn = std::move(fn)](LoadedExecution* ex) {
    auto it = ex->record.tasks.find(task_id);
    if (!ex->exists || ex->status != ExecutionStatus::kRunning ||
        it == ex->record.tasks.end()) {
      return;
    }
    fn(it->second);
  });
}

void EngineImpl::ReportTaskSubmitted(const std::string& execution, int64_t task_id,
                                     json::value output) {
  Post(execution, [this, task_id, output = std::move(output)](LoadedExecution* ex) {
    if (!ex->exists || ex->status != ExecutionStatus::kRunning) return;
    auto it = ex->record.tasks.find(task_id);
    if (it == ex->record.tasks.end() || it->second.submitted) return;
    Decision d;
    Interpreter in = Interp(*ex);
    TimeMs now = clock_->NowMs();
    if (!it->second.started) {
      if (!in.TaskStarted(*ex->record.state, task_id, "", now, d).ok()) return;
      it->second.last_heartbeat = now;
      AddTaskClockTimers(it->second, now, d);  // the task's clocks start now (AWS)
    }
    it->second.started = true;
    if (!in.TaskSubmitted(*ex->record.state, task_id, output, now, d).ok()) return;
    it->second.submitted = true;
    Commit(ex, std::move(d), false, {}, [](absl::Status) {});
  });
}

void EngineImpl::IfTaskWaiting(const std::string& execution, int64_t task_id,
                               std::function<void(const OpenTask&)> fn) {
  Post(execution, [task_id, fn = std::move(fn)](LoadedExecution* ex) {
    auto it = ex->record.tasks.find(task_id);
    if (!ex->exists || it == ex->record.tasks.end() || it->second.started) return;
    fn(it->second);
  });
}

absl::StatusOr<TaskTokenClaims> EngineImpl::DecodeToken(const std::string& token) const {
  if (token.empty() || token.size() > 2048) {
    return ServiceError("InvalidToken", "Invalid Token: 'Invalid token'");
  }
  auto c = tokens_->Decode(token);
  if (!c.ok()) return ServiceError("InvalidToken", "Invalid Token: 'Invalid token'");
  return *c;
}

void EngineImpl::SendTaskResultAsync(const std::string& token, TaskResult result,
                                     StatusFn done, size_t oversize) {
  absl::StatusOr<TaskTokenClaims> decoded = DecodeToken(token);
  if (!decoded.ok()) return done(decoded.status());
  TaskTokenClaims claims = *std::move(decoded);
  PostExisting(claims.execution_id, [this, claims, result = std::move(result), done,
                                     oversize](LoadedExecution* ex) mutable {
    auto it = ex->record.tasks.find(claims.task_id);
    if (ex->status != ExecutionStatus::kRunning || it == ex->record.tasks.end() ||
        it->second.attempt != claims.attempt || (claims.callback && !it->second.callback)) {
      return done(ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not "
                                               "exist anymore'"));
    }
    OpenTask& task = it->second;
    TaskDispatcher* owner = dispatch_.OwnerOf(task);
    if (oversize > 0 && (claims.callback || owner == nullptr || !owner->OversizeAnswerFailsTask())) {
      return done(ServiceError("InvalidOutput", absl::StrCat("Output exceeds the maximum size of ",
                                                             opts_.max_payload_bytes, " bytes")));
    }
    Decision d;
    TimeMs now = clock_->NowMs();
    Interpreter in = Interp(*ex);
    // A callback token completes its task; a worker's answer means what the
    // task's dispatcher says (it may only submit a callback task).
    AnswerUse use = AnswerUse::kComplete;
    if (!claims.callback && owner != nullptr) use = owner->Answer(ex->id, task, result);
    absl::Status s;
    if (use == AnswerUse::kSubmit) {
      if (task.submitted) return done(absl::OkStatus());  // answered before
      s = in.TaskSubmitted(*ex->record.state, claims.task_id, result.output, now, d);
      if (s.ok()) task.submitted = true;
    } else {
      s = in.CompleteTask(*ex->record.state, claims.task_id, result, now, d);
    }
    if (!s.ok()) {
      return done(ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not "
                                               "exist anymore'"));
    }
    Commit(ex, std::move(d), false, {}, done);
  }, [done](absl::Status s) {
    // The execution is gone: the token names no task that exists.
    done(ServiceErrorName(s) == "ExecutionDoesNotExist"
             ? ServiceError("TaskDoesNotExist", "Task Does Not Exist")
             : s);
  }, /*here=*/true);
}

void EngineImpl::SendTaskSuccessAsync(const std::string& token, const std::string& output,
                                      StatusFn done) {
  TaskResult r;
  if (output.size() > opts_.max_payload_bytes) {
    // Refused (InvalidOutput), before the token is trusted, unless it is a
    // worker's token whose task's dispatcher makes it the task's failure
    // (SendTaskResultAsync decides, on the shard).
    auto claims = DecodeToken(token);
    if (!claims.ok() || claims->callback) {
      return done(ServiceError("InvalidOutput", absl::StrCat("Output exceeds the maximum size of ",
                                                             opts_.max_payload_bytes, " bytes")));
    }
    r.kind = TaskResult::Kind::kFailed;
    r.error = std::string(asl::kStatesDataLimitExceeded);
    return SendTaskResultAsync(token, std::move(r), std::move(done), output.size());
  }
  // AWS looks at the token before the output: a bad token with output that
  // is not JSON is InvalidToken (service_integrations/*sfn_send_task_outcome*).
  if (absl::StatusOr<TaskTokenClaims> claims = DecodeToken(token); !claims.ok()) {
    return done(claims.status());
  }
  auto v = ParseJson(output);
  if (!v.ok()) {
    return done(ServiceError(
        "InvalidOutput", absl::StrCat("Invalid Output: '", v.status().message(), "'")));
  }
  r.output = *std::move(v);
  r.raw_output = output;
  SendTaskResultAsync(token, std::move(r), std::move(done));
}

void EngineImpl::SendTaskFailureAsync(const std::string& token, const std::string& error,
                                      const std::string& cause, StatusFn done) {
  if (error.size() > 256 || cause.size() > 32768) {
    return done(ServiceError("ValidationException", "error or cause too long"));
  }
  TaskResult r;
  r.kind = TaskResult::Kind::kFailed;
  r.error = error;
  r.cause = cause;
  SendTaskResultAsync(token, std::move(r), std::move(done));
}

void EngineImpl::SendTaskHeartbeatAsync(const std::string& token, StatusFn done) {
  absl::StatusOr<TaskTokenClaims> decoded = DecodeToken(token);
  if (!decoded.ok()) return done(decoded.status());
  TaskTokenClaims claims = *std::move(decoded);
  PostExisting(claims.execution_id, [this, claims, done](LoadedExecution* ex) {
    auto it = ex->record.tasks.find(claims.task_id);
    if (ex->status != ExecutionStatus::kRunning || it == ex->record.tasks.end() ||
        it->second.attempt != claims.attempt ||
        !(it->second.started || (claims.callback && it->second.callback))) {
      return done(ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not "
                                               "exist anymore'"));
    }
    OpenTask& t = it->second;
    if (t.heartbeat_seconds <= 0) return done(absl::OkStatus());  // nothing to extend
    // Durable: the new deadline is committed (no history event, as AWS).
    TimeMs now = clock_->NowMs();
    // The armed timer's row, as stored (a test case's time scale shortened it).
    auto armed = ex->record.timer_dues.find(HeartbeatTimerId(t.task_id));
    TimeMs old_due = armed != ex->record.timer_dues.end()
                         ? armed->second
                         : t.last_heartbeat + HeartbeatDelayMs(*ex, t);
    t.last_heartbeat = now;
    std::vector<storage::Write> writes;
    writes.push_back({Table::kTimers,
                      storage::TimerKey(old_due, ex->id, HeartbeatTimerId(t.task_id)),
                      std::nullopt});
    TimerEntry e{now + HeartbeatDelayMs(*ex, t), ex->id, HeartbeatTimerId(t.task_id)};
    writes.push_back({Table::kTimers, storage::TimerKey(e.due, ex->id, e.timer_id),
                      std::string()});
    ex->record.timer_dues[e.timer_id] = e.due;
    Commit(ex, Decision(), false, std::move(writes), [this, e, done](absl::Status c) {
      if (!c.ok()) return done(c);
      timers_.Cancel(e.execution_id, e.timer_id);
      timers_.Add(e);
      done(absl::OkStatus());
    });
  }, [done](absl::Status s) {
    done(ServiceErrorName(s) == "ExecutionDoesNotExist"
             ? ServiceError("TaskDoesNotExist", "Task Does Not Exist")
             : s);
  }, /*here=*/true);
}

// ------------------------------------------------------------------- timers

void EngineImpl::OnTimer(const TimerEntry& e) {
  if (stopped_.load()) return;
  timer_lag_ms_.store(std::max<int64_t>(0, clock_->NowMs() - e.due));
  Post(e.execution_id, [this, e](LoadedExecution* ex) {
    if (!ex->exists || ex->status != ExecutionStatus::kRunning) return;
    auto due = ex->record.timer_dues.find(e.timer_id);
    if (due == ex->record.timer_dues.end()) return;  // cancelled or already fired
    TimeMs now = clock_->NowMs();
    std::vector<storage::Write> writes;
    writes.push_back({Table::kTimers, storage::TimerKey(due->second, ex->id, e.timer_id),
                      std::nullopt});
    ex->record.timer_dues.erase(due);
    Decision d;
    ExecutionState& st = *ex->record.state;
    if (e.timer_id == kContinueTimerId) {
      Interp(*ex).Continue(st, now, d);
    } else if (e.timer_id < 0) {
      int64_t task_id = (-e.timer_id) / 2;
      bool heartbeat = (-e.timer_id) % 2 == 1;
      auto it = ex->record.tasks.find(task_id);
      if (it == ex->record.tasks.end()) {
        return Commit(ex, std::move(d), false, std::move(writes), [](absl::Status) {});
      }
      OpenTask& t = it->second;
      TimeMs next = t.last_heartbeat + HeartbeatDelayMs(*ex, t);
      if (heartbeat && next > now) {
        // A heartbeat moved the deadline: re-arm (already scaled).
        d.start_timers.push_back({e.timer_id, next, /*due_scaled=*/true});
      } else {
        TaskResult r;
        r.kind = TaskResult::Kind::kTimedOut;
        Interp(*ex).CompleteTask(st, task_id, r, now, d).IgnoreError();  // closed
      }
    } else {
      Interp(*ex).FireTimer(st, e.timer_id, now, d).IgnoreError();  // no-op if stale
    }
    Commit(ex, std::move(d), false, std::move(writes), [](absl::Status) {});
  });
}

// ------------------------------------------------------------------ watches

int64_t EngineImpl::OpenWatch(const std::string& arn) {
  int64_t id = next_watch_id_.fetch_add(1);
  std::lock_guard<std::mutex> l(watch_mu_);
  watch_exec_[id] = arn;
  return id;
}

void EngineImpl::AttachWatch(const std::string& arn, int64_t id, int64_t after, RawEventsFn fn,
                             std::function<void()> on_detached,
                             std::function<void(absl::StatusOr<bool>)> done) {
  auto attach = [this, id, after, fn, on_detached, done](LoadedExecution* ex) {
    done(true);
    // Serialised with this execution's commits: nothing is missed or
    // sent twice between the stored history and the live events. Only
    // the chunks from the one holding `after` + 1 are read, and their
    // details stay text.
    // A watch from the tail (`after` is the largest id) has no stored
    // event to send: nothing is read.
    std::vector<RawHistoryEvent> events;
    if (after < std::numeric_limits<int64_t>::max()) {
      auto chunks = store_->ReadHistory(ex->id, std::max<int64_t>(1, after + 1), 0);
      if (chunks.ok()) {
        for (const auto& c : *chunks) {
          if (!DecodeHistoryChunkRaw(c.value, after, &events).ok()) break;
        }
      }
    }
    bool closed = ex->status != ExecutionStatus::kRunning;
    if (!WatchActive(id)) return;
    if (!fn(std::move(events), closed) || closed) {
      EndWatch(id);
      return;
    }
    ex->watchers[id] = Watcher{fn, after, on_detached};
  };
  if (after < std::numeric_limits<int64_t>::max()) {
    PostExisting(arn, std::move(attach), done);
    return;
  }
  // A watch from the tail: what a client waiting for the result sends right
  // after its StartExecution returns, often of an execution that has
  // already finished and left the cache. Its close is all there is to
  // send: answered without reading the record back (RecentlyClosed).
  Shard& s = ShardOf(arn);
  RunOrEnqueue(s, [this, &s, arn, id, fn, done, attach = std::move(attach)]() mutable {
    if (KnownClosed(s, arn)) {
      done(true);
      if (WatchActive(id)) {
        fn({}, true);
        EndWatch(id);
      }
      return;
    }
    // Otherwise it is loaded on the shard's own thread (never on the
    // caller's, which may be a gRPC thread), after this.
    PostExisting(arn, std::move(attach), done);
  });
}

void EngineImpl::DetachWatchers(LoadedExecution& ex) {
  for (auto& [id, w] : ex.watchers) {
    if (!WatchActive(id)) continue;
    EndWatch(id);
    if (w.on_detached) w.on_detached();
  }
  ex.watchers.clear();
}

bool EngineImpl::WatchActive(int64_t id) {
  std::lock_guard<std::mutex> l(watch_mu_);
  return watch_exec_.count(id) > 0;
}

void EngineImpl::EndWatch(int64_t id) {
  std::lock_guard<std::mutex> l(watch_mu_);
  watch_exec_.erase(id);
}

// Sends a commit's events to the execution's watchers (shard thread).
void EngineImpl::Notify(LoadedExecution* ex, const std::vector<RawHistoryEvent>& events) {
  bool closed = ex->status != ExecutionStatus::kRunning;
  for (auto it = ex->watchers.begin(); it != ex->watchers.end();) {
    const Watcher& w = it->second;
    bool keep = WatchActive(it->first);
    if (!keep) {
      // cancelled: not called again
    } else if (events.empty() || events.front().id > w.after) {
      keep = w.fn(events, closed);
    } else {  // the watcher asked to skip (some of) these
      std::vector<RawHistoryEvent> wanted;
      for (const RawHistoryEvent& e : events) {
        if (e.id > w.after) wanted.push_back(e);
      }
      keep = w.fn(std::move(wanted), closed);
    }
    if (!keep || closed) {
      EndWatch(it->first);
      it = ex->watchers.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace stepwise::engine
