#include "tests/crash/checker.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <set>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/execution_codec.h"
#include "storage/postgres_store.h"
#include "storage/rocks_store.h"

namespace stepwise::crash {

void Report::Problem(const std::string& what) {
  if (++problems <= 50) std::fprintf(stderr, "VIOLATION: %s\n", what.c_str());
}

absl::StatusOr<std::shared_ptr<const asl::StateMachine>> LoadMachine(storage::Store& store,
                                                                     const std::string& name,
                                                                     Report* rep) {
  auto raw = store.Get(storage::Table::kMachines, name);
  if (!raw.ok() || !raw->has_value()) return absl::DataLossError("state machine record missing");
  auto record = ParseJson(**raw);
  if (!record.ok()) return absl::DataLossError("state machine record malformed");
  const json::array& revs = record->as_object().at("revisions").as_array();
  if (revs.size() != 1) rep->Problem(absl::StrCat("state machine has ", revs.size(), " revisions"));
  auto def = ParseJson(ToAbsl(std::string_view(revs[0].as_object().at("definition").as_string())));
  if (!def.ok()) return absl::DataLossError("stored definition malformed");
  auto machine = asl::ParseStateMachine(*def);
  if (!machine.ok()) return absl::DataLossError("stored definition does not parse");
  return *machine;
}

std::unique_ptr<StoredCallbackTokens> StoredCallbackTokens::Load(storage::Store& store) {
  auto key = store.Get(storage::Table::kMeta, "token_key");
  if (!key.ok() || !key->has_value() || (*key)->size() < engine::TaskTokenCodec::kMinKeyLength) {
    return nullptr;
  }
  return std::unique_ptr<StoredCallbackTokens>(new StoredCallbackTokens(**key));
}

std::string StoredCallbackTokens::Mint(const std::string& execution_arn, int64_t task_id,
                                       int64_t attempt) const {
  return codec_.Encode({execution_arn, task_id, attempt, /*callback=*/true});
}

absl::StatusOr<StoredRun> OpenStoredRun(const std::string& db_dir,
                                        const std::string& machine_name, Report* rep) {
  absl::StatusOr<std::unique_ptr<storage::Store>> store;
  if (db_dir.rfind("postgresql://", 0) == 0) {
    // A cluster's database: opened without cluster mode (no fence) and only
    // read.
    auto pg = storage::PostgresStore::Open(db_dir, storage::PostgresOptions{});
    if (pg.ok()) {
      store = std::unique_ptr<storage::Store>(std::move(*pg));
    } else {
      store = pg.status();
    }
  } else {
    auto rocks = storage::RocksStore::Open(db_dir, storage::RocksOptions{});
    if (rocks.ok()) {
      store = std::unique_ptr<storage::Store>(std::move(*rocks));
    } else {
      store = rocks.status();
    }
  }
  if (!store.ok()) {
    return absl::Status(store.status().code(),
                        absl::StrCat("open store: ", store.status().ToString()));
  }
  auto machine = LoadMachine(**store, machine_name, rep);
  if (!machine.ok()) return machine.status();
  std::unique_ptr<StoredCallbackTokens> tokens = StoredCallbackTokens::Load(**store);
  return StoredRun{std::move(*store), std::move(*machine), std::move(tokens)};
}

std::optional<json::object> ReadRecord(storage::Store& store, const std::string& arn,
                                       const std::string& who, const std::string& missing_note,
                                       Report* rep) {
  auto v = store.GetExecution(arn);
  if (!v.ok() || !v->has_value()) {
    rep->Problem(absl::StrCat(who, ": no execution record", missing_note));
    return std::nullopt;
  }
  auto rec = ParseJson((*v)->value);
  if (!rec.ok() || !rec->is_object()) {
    rep->Problem(who + ": record malformed");
    return std::nullopt;
  }
  return std::move(rec->as_object());
}

engine::ExecutionStatus StoredStatus(const json::object& state) {
  return static_cast<engine::ExecutionStatus>(state.at("status").as_int64());
}

bool CheckSucceeded(int i, const json::object& input, const json::object& state,
                    const std::function<void(json::object&)>& strip, const std::string& who,
                    Report* rep) {
  engine::ExecutionStatus status = StoredStatus(state);
  if (status != engine::ExecutionStatus::kSucceeded) {
    rep->Problem(absl::StrCat(who, ": status ", ToAbsl(engine::ExecutionStatusName(status)),
                              " error '", std::string(state.at("error").as_string()),
                              "' cause '", std::string(state.at("cause").as_string()), "'"));
    return false;
  }
  auto out = ParseJson(ToAbsl(std::string_view(state.at("output").as_string())));
  json::value want = WorkloadOutput(i, input);
  if (strip && out.ok() && out->is_object()) strip(out->get_object());
  if (!out.ok() || !(*out == want)) {
    rep->Problem(absl::StrCat(who, ": output ", std::string(state.at("output").as_string()),
                              " differs from expected ", SerializeJson(want), " at ",
                              out.ok() ? JsonDiff(*out, want) : "?"));
  }
  return true;
}

std::vector<engine::HistoryEvent> CheckClosedExecution(
    storage::Store& store, const std::string& arn, const std::string& who,
    const json::object& record, const std::shared_ptr<const asl::StateMachine>& machine,
    const ReplayOptions& opts, const std::map<std::string, int>* expected_entered,
    CheckTotals* totals, Report* rep) {
  const json::value& state = record.at("state");
  const json::object& so = state.as_object();
  if (!record.at("tasks").as_array().empty() || !record.at("timers").as_array().empty()) {
    rep->Problem(who + ": closed execution still lists open tasks or timers");
  }

  // History: chunks chain, ids 1..N, previousEventId < id.
  auto chunks = store.ReadHistory(arn, 1, 0);
  if (!chunks.ok()) {
    rep->Problem(who + ": history unreadable: " + chunks.status().ToString());
    return {};
  }
  std::vector<engine::HistoryEvent> events;
  int64_t want_first = 1;
  bool chain_ok = true;
  for (const storage::HistoryChunk& c : *chunks) {
    ++totals->chunks;
    if (c.first_event_id != want_first) {
      rep->Problem(absl::StrCat(who, ": history chunk starts at ", c.first_event_id,
                                ", expected ", want_first));
      chain_ok = false;
    }
    auto evs = engine::DecodeHistoryChunk(c.value);
    if (!evs.ok()) {
      rep->Problem(who + ": chunk does not decode");
      chain_ok = false;
      break;
    }
    for (auto& ev : *evs) events.push_back(std::move(ev));
    if (events.empty() || events.back().id != c.last_event_id) {
      rep->Problem(absl::StrCat(who, ": chunk ", c.first_event_id, "..", c.last_event_id,
                                " holds other events"));
      chain_ok = false;
    }
    want_first = c.last_event_id + 1;
  }
  totals->events += static_cast<int64_t>(events.size());
  for (size_t k = 0; k < events.size(); ++k) {
    const auto& ev = events[k];
    if (ev.id != static_cast<int64_t>(k) + 1) {
      rep->Problem(absl::StrCat(who, ": event at position ", k + 1, " has id ", ev.id));
      chain_ok = false;
      break;
    }
    if (ev.previous_event_id < 0 || ev.previous_event_id >= ev.id) {
      rep->Problem(absl::StrCat(who, ": ", DescribeEvent(ev), ": previousEventId not < id"));
    }
  }
  if (so.at("last_event_id").as_int64() != static_cast<int64_t>(events.size())) {
    rep->Problem(absl::StrCat(who, ": state last_event_id ", so.at("last_event_id").as_int64(),
                              " but history has ", events.size(), " events"));
  }
  if (!chain_ok) return {};

  // States entered as often as the path demands, never twice from the
  // same predecessor; each activity attempt started and ended at most once.
  std::map<std::string, int> entered;
  std::set<std::pair<int64_t, std::string>> entered_from;
  std::map<int64_t, const engine::HistoryEvent*> by_id;
  std::map<int64_t, int> started_after_scheduled, ended_after_started;
  int terminal = 0;
  for (const auto& ev : events) {
    by_id[ev.id] = &ev;
    const std::string& t = ev.type;
    if (t.size() > 12 && t.compare(t.size() - 12, 12, "StateEntered") == 0) {
      std::string name(ev.details.at("name").as_string());
      ++entered[name];
      if (!entered_from.insert({ev.previous_event_id, name}).second) {
        rep->Problem(absl::StrCat(who, ": state ", name, " entered twice after event ",
                                  ev.previous_event_id));
      }
    }
    // The three task event families: Activity*, LambdaFunction*, Task*.
    std::string family;
    for (const char* f : {"Activity", "LambdaFunction", "Task"}) {
      if (t.rfind(f, 0) == 0 && t.size() > std::strlen(f) &&
          std::isupper(static_cast<unsigned char>(t[std::strlen(f)])) != 0) {
        family = f;
        break;
      }
    }
    if (!family.empty() && t == family + "Started") {
      ++(family == "Activity" ? totals->activity_started : totals->other_task_started);
      auto p = by_id.find(ev.previous_event_id);
      if (p == by_id.end() || p->second->type != family + "Scheduled") {
        rep->Problem(absl::StrCat(who, ": ", DescribeEvent(ev), " does not follow its ",
                                  family, "Scheduled"));
      } else if (++started_after_scheduled[ev.previous_event_id] > 1) {
        rep->Problem(absl::StrCat(who, ": task scheduled at #", ev.previous_event_id,
                                  " started twice"));
      }
    }
    if (!family.empty() && (t == family + "Succeeded" || t == family + "Failed" ||
                            t == family + "TimedOut")) {
      if (++ended_after_started[ev.previous_event_id] > 1) {
        rep->Problem(absl::StrCat(who, ": task attempt #", ev.previous_event_id,
                                  " ended twice"));
      }
      if (t == family + "TimedOut") {
        ++(family == "Activity" ? totals->activity_timed_out : totals->other_task_timed_out);
      }
    }
    if (t.rfind("Execution", 0) == 0 && t != "ExecutionStarted") ++terminal;
  }
  if (terminal != 1) rep->Problem(absl::StrCat(who, ": ", terminal, " execution-closing events"));
  if (expected_entered != nullptr && entered != *expected_entered) {
    std::string got, want;
    for (auto& [k, n] : entered) absl::StrAppend(&got, k, "=", n, " ");
    for (auto& [k, n] : *expected_entered) absl::StrAppend(&want, k, "=", n, " ");
    rep->Problem(absl::StrCat(who, ": states entered {", got, "} expected {", want, "}"));
  }

  ReplayStats rs;
  absl::Status r = ReplayHistory(machine, events, state, opts, &rs);
  if (!r.ok()) {
    rep->Problem(absl::StrCat(who, ": replay: ", r.message()));
  } else {
    ++totals->replayed;
    totals->replay.triggers += rs.triggers;
    totals->replay.continues += rs.continues;
    totals->replay.timers += rs.timers;
    totals->replay.tasks_started += rs.tasks_started;
    totals->replay.tasks_completed += rs.tasks_completed;
    totals->replay.tasks_submitted += rs.tasks_submitted;
  }
  return events;
}

json::value WorkloadOutput(int i, json::object o) {
  int64_t n = i;
  o["p1"] = "p1";
  json::object p2;
  p2["sum"] = n + 100;
  o["p2"] = std::move(p2);
  if (i % 3 != 2) {
    json::object w;
    w["r"] = n * n;
    o["work"] = std::move(w);
  }
  json::array mapped;
  for (int k = 0; k < 10; ++k) {
    json::object m;
    m["v"] = k + n;
    m["size"] = k + n >= 10 ? "big" : "small";
    mapped.push_back(std::move(m));
  }
  o["mapped"] = std::move(mapped);
  json::array par;
  json::object b1;
  b1["b"] = 1;
  b1["n"] = n;
  par.push_back(std::move(b1));
  json::object b2;
  b2["r"] = 3 * n;
  par.push_back(std::move(b2));
  par.push_back("waited");
  o["par"] = std::move(par);
  if (n % 5 == 0) {
    json::object c;
    c["Error"] = "Permanent";
    c["Cause"] = "n divisible by 5";
    o["caught"] = std::move(c);
  } else {
    json::object r;
    r["ok"] = n;
    o["risky"] = std::move(r);
  }
  return o;
}

std::map<std::string, int> WorkloadEntered(int i) {
  std::map<std::string, int> m;
  for (const char* s : {"P1", "P2", "Route", "Fan", "Par", "B1Pass", "B2Work", "B3Wait",
                        "B3Pass", "Risky", "Done"}) {
    m[s] = 1;
  }
  if (i % 3 == 0) m["Sleep"] = 1;
  if (i % 3 != 2) m["Work"] = 1;
  m["MAdd"] = 10;
  m["MCheck"] = 10;
  int big = 0;
  for (int k = 0; k < 10; ++k) big += (k + i >= 10);
  if (big > 0) m["MBig"] = big;
  if (big < 10) m["MSmall"] = 10 - big;
  return m;
}

void CheckQueuesEmpty(storage::Store& store, Report* rep) {
  for (auto [table, name] : {std::pair{storage::Table::kTasks, "tasks"},
                             std::pair{storage::Table::kTimers, "timers"}}) {
    auto rows = store.Scan(table, storage::ScanOptions{});
    if (rows.ok() && !rows->empty()) {
      rep->Problem(absl::StrCat(rows->size(), " rows left in the ", name, " table"));
    }
  }
}

}  // namespace stepwise::crash
