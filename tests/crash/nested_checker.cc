// VerifyNested (nested_checker.h): the checks of the Lambda, callback and
// child workload of the daemon crash harness.
#include "tests/crash/nested_checker.h"

#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"
#include "engine/interpreter.h"

namespace stepwise::crash {
namespace {

std::string Str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
}

// The JSON object in string field `key` of `details`, if it is one.
std::optional<json::object> JsonField(const json::object& details, const char* key) {
  auto v = ParseJson(ToAbsl(Str(details, key)));
  if (!v.ok() || !v->is_object()) return std::nullopt;
  return std::move(v->get_object());
}

// One attempt of a parent's states:startExecution Task.
struct ChildAttempt {
  int parent = 0;
  std::string state;          // Child or Fire
  std::set<std::string> arns;  // child ARNs its events name
};

}  // namespace

void VerifyNested(storage::Store& store, const NestedWorkflow& flow, int parents,
                  const std::set<int>& start_acked, FunctionLog& log, const ReplayOptions& opts,
                  CheckTotals* totals, NestedTotals* nested, Report* rep) {
  auto parent_machine = LoadMachine(store, flow.parent_machine(), rep);
  auto child_machine = LoadMachine(store, flow.child_machine(), rep);
  if (!parent_machine.ok() || !child_machine.ok()) {
    rep->Problem("nested workload: state machines missing");
    return;
  }
  std::map<std::string, std::string> final_by;                // key -> nonce in the output
  std::map<std::string, std::set<std::string>> succeeded_by;  // key -> nonces in the history
  std::vector<ChildAttempt> attempts;
  const std::map<std::string, int> entered = flow.ParentEntered();

  for (int i = 0; i < parents; ++i) {
    const std::string who = NestedWorkflow::ParentName(i);
    std::optional<json::object> rec =
        ReadRecord(store, flow.ParentArn(i), who,
                   start_acked.count(i) ? " (its StartExecution was acknowledged)" : "", rep);
    if (!rec) continue;
    const json::object& so = rec->at("state").as_object();
    bool succeeded = StoredStatus(so) == engine::ExecutionStatus::kSucceeded;
    if (!succeeded) {
      rep->Problem(absl::StrCat(who, ": status ",
                                ToAbsl(engine::ExecutionStatusName(StoredStatus(so))),
                                " error '", Str(so, "error"), "' cause '", Str(so, "cause"), "'"));
    } else {
      ++nested->parents_succeeded;
      auto out = ParseJson(ToAbsl(Str(so, "output")));
      json::value want = flow.ParentOutput(i);
      if (out.ok() && out->is_object()) NestedWorkflow::ParentStrip(i, out->get_object(), &final_by);
      if (!out.ok() || !(*out == want)) {
        rep->Problem(absl::StrCat(who, ": output ", Str(so, "output"), " differs from expected ",
                                  SerializeJson(want), " at ", out.ok() ? JsonDiff(*out, want) : "?"));
      }
    }
    std::vector<engine::HistoryEvent> events =
        CheckClosedExecution(store, flow.ParentArn(i), who, *rec, *parent_machine, opts,
                             succeeded ? &entered : nullptr, totals, rep);
    std::string state;  // the state the events belong to (the parent runs one at a time)
    ChildAttempt* attempt = nullptr;
    for (const auto& ev : events) {
      const std::string& t = ev.type;
      const json::object& d = ev.details;
      if (t == "TaskStateEntered") {
        state = Str(d, "name");
        attempt = nullptr;
      }
      const std::string type = Str(d, "resourceType");
      const std::string resource = Str(d, "resource");
      const std::string key = absl::StrCat(who, "/", state);
      if (t == "LambdaFunctionStarted" || (t == "TaskStarted" && type == "lambda")) {
        ++nested->function_started;
      }
      if (t == "LambdaFunctionTimedOut" || (t == "TaskTimedOut" && type == "lambda")) {
        ++nested->function_timed_out;
      }
      if (t == "TaskSubmitted" && type == "lambda") ++nested->callbacks_submitted;
      std::string by;
      if (t == "LambdaFunctionSucceeded") {
        if (auto o = JsonField(d, "output")) by = Str(*o, "by");
      } else if (t == "TaskSucceeded" && type == "lambda") {
        if (auto o = JsonField(d, "output")) {
          if (resource == "invoke") {
            const json::value* p = o->if_contains("Payload");
            if (p != nullptr && p->is_object()) by = Str(p->get_object(), "by");
          } else {
            by = Str(*o, "by");
          }
        }
      }
      if ((t == "LambdaFunctionSucceeded" || (t == "TaskSucceeded" && type == "lambda"))) {
        if (by.empty()) {
          rep->Problem(absl::StrCat(who, ": ", DescribeEvent(ev), " carries no answer nonce"));
        } else {
          succeeded_by[key].insert(by);
          nested->history_nonces.insert(by);
        }
      }
      if (type == "states") {
        if (t == "TaskScheduled") {
          attempts.push_back(ChildAttempt{i, state, {}});
          attempt = &attempts.back();
        } else if (t == "TaskSubmitted" || t == "TaskSucceeded") {
          std::optional<json::object> o = JsonField(d, "output");
          std::string arn = o ? Str(*o, "ExecutionArn") : "";
          if (attempt == nullptr || arn.empty()) {
            rep->Problem(absl::StrCat(who, ": ", DescribeEvent(ev),
                                      " names no child of a scheduled attempt"));
          } else {
            attempt->arns.insert(arn);
          }
        }
      }
    }
  }

  // Children: each one the child of exactly one parent attempt, and each
  // attempt that got as far as naming its child has exactly one.
  std::map<std::string, const ChildAttempt*> parent_of;
  for (const ChildAttempt& a : attempts) {
    const std::string who = absl::StrCat(NestedWorkflow::ParentName(a.parent), "/", a.state);
    if (a.arns.size() > 1) {
      rep->Problem(absl::StrCat(who, ": one attempt names ", a.arns.size(), " children"));
    }
    if (a.arns.empty()) rep->Problem(who + ": an attempt that names no child");
    for (const std::string& arn : a.arns) {
      auto [it, inserted] = parent_of.emplace(arn, &a);
      if (!inserted) rep->Problem(absl::StrCat(arn, ": named by two parent attempts"));
    }
  }
  storage::ScanOptions scan;
  scan.prefix = flow.ChildArnPrefix();
  auto rows = store.Scan(storage::Table::kExecutions, scan);
  if (!rows.ok()) {
    rep->Problem("cannot scan child executions: " + rows.status().ToString());
    return;
  }
  const std::map<std::string, int> child_entered = NestedWorkflow::ChildEntered();
  std::set<std::string> children;
  for (const storage::KeyValue& row : *rows) {
    const std::string& arn = row.key;
    children.insert(arn);
    ++nested->children;
    const std::string who = absl::StrCat("child ", arn.substr(scan.prefix.size()));
    std::optional<json::object> rec = ReadRecord(store, arn, who, "", rep);
    if (!rec) continue;
    const json::object& so = rec->at("state").as_object();
    bool succeeded = StoredStatus(so) == engine::ExecutionStatus::kSucceeded;
    std::vector<engine::HistoryEvent> events =
        CheckClosedExecution(store, arn, who, *rec, *child_machine, opts,
                             succeeded ? &child_entered : nullptr, totals, rep);
    if (!succeeded) {
      rep->Problem(absl::StrCat(who, ": status ",
                                ToAbsl(engine::ExecutionStatusName(StoredStatus(so)))));
    }
    if (events.empty()) continue;
    std::optional<json::object> input = JsonField(events.front().details, "input");
    if (!input) {
      rep->Problem(who + ": input is not an object");
      continue;
    }
    std::string mode = Str(*input, "mode");
    (mode == "sync" ? nested->children_sync : nested->children_fire) += 1;
    if (succeeded) {
      auto out = ParseJson(ToAbsl(Str(so, "output")));
      json::value want = NestedWorkflow::ChildOutput(*input);
      if (!out.ok() || !(*out == want)) {
        rep->Problem(absl::StrCat(who, ": output ", Str(so, "output"), " differs from expected ",
                                  SerializeJson(want)));
      }
    }
    auto p = parent_of.find(arn);
    if (p == parent_of.end()) {
      rep->Problem(absl::StrCat(who, " (input ", SerializeJson(json::value(*input)),
                                ") was started by no parent attempt"));
      continue;
    }
    const ChildAttempt& a = *p->second;
    std::string want_mode = a.state == NestedWorkflow::kChildState ? "sync" : "fire";
    if (Str(*input, "parent") != NestedWorkflow::ParentName(a.parent) || mode != want_mode) {
      rep->Problem(absl::StrCat(who, ": input ", SerializeJson(json::value(*input)),
                                " but named by ", NestedWorkflow::ParentName(a.parent), "/",
                                a.state));
    }
  }
  for (const auto& [arn, a] : parent_of) {
    if (children.count(arn) == 0) {
      rep->Problem(absl::StrCat(NestedWorkflow::ParentName(a->parent), "/", a->state,
                                ": its child ", arn, " does not exist"));
    }
  }

  // Function and callback answers against what the workers saw.
  for (const auto& [key, nonces] : log.acked) {
    nested->acked_successes += static_cast<int64_t>(nonces.size());
    if (nonces.size() > 1) {
      rep->Problem(absl::StrCat(key, ": ", nonces.size(), " SendTaskSuccess acknowledged"));
    }
    const auto& got = succeeded_by[key];
    for (const std::string& n : nonces) {
      if (got.count(n) == 0) {
        rep->Problem(absl::StrCat(key, ": acknowledged SendTaskSuccess ", n,
                                  " is not in the history"));
      }
      auto fb = final_by.find(key);
      if (fb != final_by.end() && fb->second != n) {
        rep->Problem(absl::StrCat(key, ": output carries answer ", fb->second,
                                  " but the acknowledged one was ", n));
      }
    }
  }
  // An output's answer is the task's success in the history (answers from
  // servers whose acknowledgements the harness does not see included).
  for (const auto& [key, nonce] : final_by) {
    if (succeeded_by[key].count(nonce) == 0) {
      rep->Problem(absl::StrCat(key, ": output carries answer ", nonce,
                                " that is no success in the history"));
    }
  }
  for (const auto& [key, nonces] : succeeded_by) {
    if (nonces.size() > 1) {
      rep->Problem(absl::StrCat(key, ": ", nonces.size(), " successes in the history"));
    }
    for (const std::string& n : nonces) {
      if (log.sent[key].count(n) == 0) {
        rep->Problem(absl::StrCat(key, ": success ", n, " in the history was never sent"));
      }
    }
  }
  for (const std::string& s : log.second_answers_accepted) {
    rep->Problem("a second answer to a closed task was acknowledged: " + s);
  }
  for (const std::string& d : log.double_grants) {
    rep->Problem("function task token handed out twice: to " + d);
  }
  if (static_cast<int64_t>(log.grants.size()) > nested->function_started) {
    rep->Problem(absl::StrCat(log.grants.size(), " function tokens handed to workers but only ",
                              nested->function_started, " function task starts"));
  }
}

}  // namespace stepwise::crash
