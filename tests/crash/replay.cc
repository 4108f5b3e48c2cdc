#include "tests/crash/replay.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "asl/eval_context.h"
#include "engine/execution_codec.h"

namespace stepwise::crash {

using engine::Decision;
using engine::ExecutionState;
using engine::Frame;
using engine::HistoryEvent;
using engine::Interpreter;
using engine::TaskResult;

namespace {

std::string Truncate(std::string s, size_t n = 400) {
  if (s.size() > n) s = s.substr(0, n) + "...";
  return s;
}

bool SameEvent(const HistoryEvent& a, const HistoryEvent& b) {
  return a.id == b.id && a.previous_event_id == b.previous_event_id &&
         a.timestamp == b.timestamp && a.type == b.type && a.details == b.details;
}

// Number of leading events of `produced` equal to history[pos...].
size_t MatchPrefix(const std::vector<HistoryEvent>& produced,
                   const std::vector<HistoryEvent>& history, size_t pos) {
  size_t n = 0;
  while (n < produced.size() && pos + n < history.size() &&
         SameEvent(produced[n], history[pos + n])) {
    ++n;
  }
  return n;
}

struct Candidate {
  std::string name;
  std::function<absl::Status(const Interpreter&, ExecutionState&, TimeMs, Decision&)> apply;
};

std::string StringField(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
}

// Which triggers could have produced `next` from `st`.
std::vector<Candidate> Candidates(const ExecutionState& st, const HistoryEvent& next,
                                  bool yielded) {
  std::vector<Candidate> out;
  if (yielded) {
    out.push_back({"Continue", [](const Interpreter& in, ExecutionState& s, TimeMs now,
                                  Decision& d) {
                     in.Continue(s, now, d);
                     return absl::OkStatus();
                   }});
  }
  const std::string& t = next.type;
  auto ends_with = [&](std::string_view suffix) {
    return t.size() >= suffix.size() && t.compare(t.size() - suffix.size(), suffix.size(),
                                                  suffix) == 0;
  };
  bool is_task_event = t.rfind("Activity", 0) == 0 || t.rfind("Task", 0) == 0 ||
                       t.rfind("LambdaFunction", 0) == 0;
  std::vector<int64_t> pending_tasks;
  std::vector<int64_t> timers;
  for (const auto& [id, f] : st.frames) {
    if (f.phase == Frame::Phase::kAwaitTask && f.task_id != 0) pending_tasks.push_back(f.task_id);
    if (f.timer_id != 0 && f.phase != Frame::Phase::kDone) timers.push_back(f.timer_id);
  }
  if (is_task_event && ends_with("Started")) {
    std::string worker = StringField(next.details, "workerName");
    for (int64_t task : pending_tasks) {
      out.push_back({absl::StrCat("TaskStarted(", task, ")"),
                     [task, worker](const Interpreter& in, ExecutionState& s, TimeMs now,
                                    Decision& d) { return in.TaskStarted(s, task, worker, now, d); }});
    }
  }
  if (is_task_event && (ends_with("Succeeded") || ends_with("Failed") || ends_with("TimedOut"))) {
    TaskResult r;
    if (ends_with("Succeeded")) {
      auto v = ParseJson(ToAbsl(StringField(next.details, "output")));
      if (v.ok()) r.output = *std::move(v);
    } else if (ends_with("Failed")) {
      r.kind = TaskResult::Kind::kFailed;
      r.error = StringField(next.details, "error");
      r.cause = StringField(next.details, "cause");
    } else {
      r.kind = TaskResult::Kind::kTimedOut;
    }
    for (int64_t task : pending_tasks) {
      out.push_back({absl::StrCat("CompleteTask(", task, ")"),
                     [task, r](const Interpreter& in, ExecutionState& s, TimeMs now,
                               Decision& d) { return in.CompleteTask(s, task, r, now, d); }});
    }
  }
  if (is_task_event && ends_with("Submitted")) {
    json::value output;
    if (auto v = ParseJson(ToAbsl(StringField(next.details, "output"))); v.ok()) {
      output = *std::move(v);
    }
    for (int64_t task : pending_tasks) {
      out.push_back({absl::StrCat("TaskSubmitted(", task, ")"),
                     [task, output](const Interpreter& in, ExecutionState& s, TimeMs now,
                                    Decision& d) {
                       return in.TaskSubmitted(s, task, output, now, d);
                     }});
    }
  }
  if (t == "ExecutionAborted") {
    std::string error = StringField(next.details, "error");
    std::string cause = StringField(next.details, "cause");
    out.push_back({"Stop", [error, cause](const Interpreter& in, ExecutionState& s, TimeMs now,
                                          Decision& d) {
                     return in.Stop(s, error, cause, now, d);
                   }});
  }
  if (st.execution_timer_id != 0) timers.push_back(st.execution_timer_id);
  std::sort(timers.begin(), timers.end());
  for (int64_t timer : timers) {
    out.push_back({absl::StrCat("FireTimer(", timer, ")"),
                   [timer](const Interpreter& in, ExecutionState& s, TimeMs now, Decision& d) {
                     return in.FireTimer(s, timer, now, d);
                   }});
  }
  return out;
}

}  // namespace

std::string DescribeEvent(const HistoryEvent& e) {
  return absl::StrCat("#", e.id, " (prev ", e.previous_event_id, ", t ", e.timestamp, ") ",
                      e.type, " ", Truncate(SerializeJson(json::value(e.details))));
}

std::string JsonDiff(const json::value& a, const json::value& b, const std::string& path) {
  if (a == b) return "";
  if (a.is_object() && b.is_object()) {
    const json::object& oa = a.get_object();
    const json::object& ob = b.get_object();
    for (const auto& kv : oa) {
      std::string p = absl::StrCat(path, ".", ToAbsl(std::string_view(kv.key())));
      const json::value* other = ob.if_contains(kv.key());
      if (other == nullptr) return p + ": missing on the right";
      std::string d = JsonDiff(kv.value(), *other, p);
      if (!d.empty()) return d;
    }
    for (const auto& kv : ob) {
      if (!oa.contains(kv.key())) {
        return absl::StrCat(path, ".", ToAbsl(std::string_view(kv.key())),
                            ": missing on the left");
      }
    }
  }
  if (a.is_array() && b.is_array()) {
    const json::array& aa = a.get_array();
    const json::array& ab = b.get_array();
    for (size_t i = 0; i < std::min(aa.size(), ab.size()); ++i) {
      std::string d = JsonDiff(aa[i], ab[i], absl::StrCat(path, "[", i, "]"));
      if (!d.empty()) return d;
    }
    return absl::StrCat(path, ": array sizes ", aa.size(), " != ", ab.size());
  }
  return absl::StrCat(path, ": ", Truncate(SerializeJson(a), 200),
                      " != ", Truncate(SerializeJson(b), 200));
}

absl::Status ReplayHistory(std::shared_ptr<const asl::StateMachine> machine,
                           const std::vector<HistoryEvent>& history,
                           const json::value& stored_state, const ReplayOptions& options,
                           ReplayStats* stats) {
  ReplayStats local;
  if (stats == nullptr) stats = &local;
  if (history.empty() || history.front().type != "ExecutionStarted") {
    return absl::DataLossError("history does not begin with ExecutionStarted");
  }
  auto stored = engine::DecodeExecutionState(stored_state, *machine);
  if (!stored.ok()) {
    return absl::DataLossError(absl::StrCat("stored state does not decode: ",
                                            stored.status().message()));
  }
  // The interpreter's randomness is not recorded; the workloads replayed here
  // draw none (no jitter, no States.UUID / MathRandom).
  asl::SeededRandom random(0x5eed);
  engine::InterpreterOptions io;
  io.max_steps_per_trigger = options.max_steps_per_trigger;
  io.max_events = options.max_events;
  io.max_payload_bytes = options.max_payload_bytes;
  io.tokens = options.tokens;
  Interpreter interp(machine, &random, io);

  ExecutionState st;
  st.info = stored->info;
  if (st.info.start_time != history.front().timestamp) {
    return absl::DataLossError(absl::StrCat("stored start_time ", st.info.start_time,
                                            " != ExecutionStarted timestamp ",
                                            history.front().timestamp));
  }
  auto input = ParseJson(ToAbsl(StringField(history.front().details, "input")));
  if (!input.ok()) return absl::DataLossError("ExecutionStarted input does not parse");
  Decision first;
  interp.Start(st, *std::move(input), history.front().timestamp, first);
  stats->triggers = 1;
  size_t pos = MatchPrefix(first.events, history, 0);
  if (pos != first.events.size()) {
    return absl::DataLossError(absl::StrCat(
        "Start: produced event ",
        DescribeEvent(first.events[pos]), " but history has ",
        pos < history.size() ? DescribeEvent(history[pos]) : std::string("nothing")));
  }
  bool yielded = first.yielded;

  while (pos < history.size()) {
    const HistoryEvent& next = history[pos];
    std::vector<Candidate> cands = Candidates(st, next, yielded);
    json::value encoded(engine::EncodeExecutionState(st));
    bool matched = false;
    std::string tried;
    for (const Candidate& c : cands) {
      auto copy = engine::DecodeExecutionState(encoded, *machine);
      if (!copy.ok()) {
        return absl::DataLossError(absl::StrCat("replayed state does not round-trip: ",
                                                copy.status().message()));
      }
      Decision d;
      absl::Status s = c.apply(interp, *copy, next.timestamp, d);
      size_t n = s.ok() ? MatchPrefix(d.events, history, pos) : 0;
      if (s.ok() && !d.events.empty() && n == d.events.size()) {
        st = *std::move(copy);
        pos += n;
        yielded = d.yielded;
        ++stats->triggers;
        if (c.name == "Continue") ++stats->continues;
        if (c.name.rfind("FireTimer", 0) == 0) ++stats->timers;
        if (c.name.rfind("TaskStarted", 0) == 0) ++stats->tasks_started;
        if (c.name.rfind("CompleteTask", 0) == 0) ++stats->tasks_completed;
        if (c.name.rfind("TaskSubmitted", 0) == 0) ++stats->tasks_submitted;
        matched = true;
        break;
      }
      absl::StrAppend(&tried, "\n    ", c.name, ": ");
      if (!s.ok()) {
        absl::StrAppend(&tried, "error ", s.message());
      } else if (d.events.empty()) {
        absl::StrAppend(&tried, "no events");
      } else {
        absl::StrAppend(&tried, "event ", n + 1, " of ", d.events.size(), " differs: ",
                        DescribeEvent(d.events[n]));
      }
    }
    if (!matched) {
      return absl::DataLossError(absl::StrCat(
          "no trigger reproduces stored event ", DescribeEvent(next),
          cands.empty() ? " (no candidate trigger)" : "; tried:", tried));
    }
  }
  if (yielded) {
    // Legal only if the execution is still running (the Continue is due).
    if (st.status == engine::ExecutionStatus::kSucceeded) {
      return absl::DataLossError("replay ends on a yield but the execution succeeded");
    }
  }
  json::value replayed(engine::EncodeExecutionState(st));
  std::string diff = JsonDiff(replayed, stored_state);
  if (!diff.empty()) {
    return absl::DataLossError(absl::StrCat("replayed state != stored state at ", diff,
                                            " (replayed left, stored right)"));
  }
  return absl::OkStatus();
}

}  // namespace stepwise::crash
