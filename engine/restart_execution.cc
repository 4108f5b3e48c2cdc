// RestartExecution (Stepwise extension): starts a new execution of a closed
// Standard execution's revision (the original's version and alias ARNs
// kept) at a chosen top-level state, with the input that state's entry was
// recorded with or an edited one, and links the two histories (restart.h).
//
// The new execution and the original's ExecutionRestarted event are two
// commits on two executions, made in that order: the new one first, then
// the link. A crash between them leaves a restarted execution its original
// does not name yet; the request's retry finds it (same name, same origin,
// same input) and completes it by appending the link, which is appended
// only once per new execution. Without a given name the new one is called
// NAME-restart-N for the lowest N whose execution the original does not
// link yet: a retry after such a crash walks up to the name its first try
// took even when other restarts were linked in between (a start counting
// from the links alone would take a new name and leave the first one
// unlinked); an unlinked restart of the same original found on the way
// with another origin entry or input is linked too and the walk goes on.
// In cluster mode the restart runs on the node holding the original's shard
// (the server routes it there), so the default name is NAME-restart-N[-K],
// K picked so the new execution lands on that same shard (restart.h:
// RestartNameWhere); a given name on a shard this node does not hold is
// refused with ValidationException before anything is written.
//
// Called from any thread but a shard's (it waits for the shards' answers);
// the reads and the link run on the executions' shards.
#include <future>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/arn.h"
#include "engine/engine_impl.h"
#include "engine/execution_codec.h"
#include "engine/restart.h"

namespace stepwise::engine {

namespace {

// Runs `start(done)` and waits for `done`'s value.
template <typename T, typename Start>
absl::StatusOr<T> Await(Start start) {
  auto p = std::make_shared<std::promise<absl::StatusOr<T>>>();
  auto f = p->get_future();
  start([p](absl::StatusOr<T> r) { p->set_value(std::move(r)); });
  return f.get();
}

absl::Status Invalid(const std::string& member, const std::string& why) {
  return ServiceError("ValidationException", absl::StrCat("Invalid ", member, ": ", why));
}

// What a restart needs of the original, read on its shard.
struct Source {
  ExecutionStatus status = ExecutionStatus::kRunning;
  bool express = false;
  std::string name;
  std::string machine_arn;
  int64_t revision = 0;
  std::string version_arn;
  std::string alias_arn;
  std::vector<HistoryEvent> history;
};

// An execution already under the name a restart wants.
struct Existing {
  std::optional<RestartOrigin> origin;
  std::string input;
  TimeMs start_date = 0;
};

absl::StatusOr<std::vector<HistoryEvent>> ReadAll(storage::Store* store, const std::string& id,
                                                  size_t max_chunks) {
  SW_ASSIGN_OR_RETURN(std::vector<storage::HistoryChunk> chunks,
                      store->ReadHistory(id, 1, max_chunks));
  std::vector<HistoryEvent> all;
  for (const auto& c : chunks) {
    SW_ASSIGN_OR_RETURN(std::vector<HistoryEvent> evs, DecodeHistoryChunk(c.value));
    for (auto& e : evs) all.push_back(std::move(e));
  }
  return all;
}

}  // namespace

absl::StatusOr<StartExecutionResult> EngineImpl::RestartExecution(
    const std::string& arn, const std::string& state_name, int64_t event_id,
    const std::optional<std::string>& input, const std::string& name) {
  if (state_name.empty()) return Invalid("stateName", "it must not be empty");
  if (state_name.size() > 80) return Invalid("stateName", "longer than 80 characters");
  if (event_id < 0) return Invalid("eventId", "it must not be negative");
  if (!name.empty() && !ValidName(name)) {
    return ServiceError("InvalidName", "Invalid Name: '" + name + "'");
  }
  if (input.has_value()) {
    if (input->size() > opts_.max_payload_bytes) {
      return Invalid("input", absl::StrCat("it exceeds the maximum size of ",
                                           opts_.max_payload_bytes, " bytes"));
    }
    auto parsed = ParseJson(*input);
    if (!parsed.ok()) return Invalid("input", absl::StrCat("not JSON: ", parsed.status().message()));
  }

  // 1. The original, as of its last commit.
  SW_ASSIGN_OR_RETURN(Source src, Await<Source>([&](auto done) {
    PostExisting(arn, [this, done](LoadedExecution* ex) {
      Source s;
      ExecutionRecord& rec = ex->record;
      s.status = ex->status;
      s.express = rec.state->info.express;
      s.name = rec.state->info.execution_name;
      s.machine_arn = rec.machine_arn;
      s.revision = rec.revision;
      s.version_arn = rec.version_arn;
      s.alias_arn = rec.alias_arn;
      if (!s.express && s.status != ExecutionStatus::kRunning) {
        auto h = ReadAll(store_, ex->id, 0);
        if (!h.ok()) return done(h.status());
        s.history = *std::move(h);
      }
      done(std::move(s));
    }, done);
  }));
  if (src.express) {
    return ServiceError("InvalidArn",
                        "Invalid Arn: 'Resource type not valid in this context: express'");
  }
  if (src.status == ExecutionStatus::kRunning) {
    return ServiceError("ExecutionNotRestartable",
                        "Execution is RUNNING: only a closed execution can be restarted: '" +
                            arn + "'");
  }

  // 2. Its revision (pinned, as a version's start is) and the entry.
  Catalog::StartTarget target;
  SW_ASSIGN_OR_RETURN(target.rec, catalog_.LoadMachine(src.machine_arn));
  target.machine_arn = src.machine_arn;
  target.revision = src.revision;
  target.version_arn = src.version_arn;
  target.alias_arn = src.alias_arn;
  SW_ASSIGN_OR_RETURN(std::shared_ptr<const asl::StateMachine> machine,
                      catalog_.ParsedRevision(target.rec, target.revision));
  SW_ASSIGN_OR_RETURN(RestartEntry entry,
                      FindRestartEntry(src.history, *machine, state_name, event_id));
  std::string input_text = input.has_value() ? *input : entry.input;
  auto input_value = ParseJson(input_text);
  if (!input_value.ok()) return Invalid("input", "the recorded input is not JSON");
  RestartOrigin origin{arn, state_name, entry.event_id};
  StartPoint from{entry.state_index, RestartedFromDetails(origin), entry.variables};
  std::vector<std::string> linked = RestartedInto(src.history);
  std::string machine_name(target.rec["name"].as_string());
  auto arn_of = [&](const std::string& new_name) {
    return ExecutionArn(opts_.region, opts_.account, machine_name, new_name);
  };
  // Cluster mode: this node runs the original (its shard is held here); the
  // new execution must land on a shard held here too, or it could not be
  // started here. A default name is picked on the original's shard; a given
  // name elsewhere is refused before anything is written.
  const ClusterOwnership* cluster = opts_.cluster.get();
  auto on_original_shard = [&](const std::string& candidate) {
    return cluster == nullptr || cluster->shard_of(arn_of(candidate)) == cluster->shard_of(arn);
  };
  if (cluster != nullptr && !name.empty() && !OwnsExecution(arn_of(name))) {
    return Invalid("name",
                   absl::StrCat("execution '", arn_of(name), "' would be on cluster shard ",
                                cluster->shard_of(arn_of(name)),
                                ", which the node running the original execution (shard ",
                                cluster->shard_of(arn),
                                ") does not hold; give another name, or none to let the server "
                                "pick one on the original's shard"));
  }

  // Links `new_arn` into the original's history, once.
  auto link = [&](const std::string& new_arn) {
    return Await<bool>([&](auto done) {
      PostExisting(arn, [this, new_arn, origin, done](LoadedExecution* ex) {
        auto h = ReadAll(store_, ex->id, 0);
        if (!h.ok()) return done(h.status());
        for (const std::string& a : RestartedInto(*h)) {
          if (a == new_arn) return done(true);
        }
        ExecutionState& st = *ex->record.state;
        HistoryEvent e;
        e.id = st.last_event_id + 1;
        e.previous_event_id = st.last_event_id;
        e.timestamp = clock_->NowMs();
        e.type = kExecutionRestartedType;
        e.details = ExecutionRestartedDetails(new_arn, origin.state_name, origin.event_id);
        st.last_event_id = e.id;
        Decision d;
        d.events.push_back(std::move(e));
        Commit(ex, std::move(d), false, {}, [done](absl::Status s) {
          if (!s.ok()) return done(s);
          done(true);
        });
      }, done);
    });
  };
  // What a taken name holds (read on its shard, after any commit in flight).
  auto existing = [&](const std::string& taken_arn) {
    return Await<Existing>([&](auto done) {
      PostExisting(taken_arn, [this, done](LoadedExecution* ex) {
        Existing x;
        x.input = ex->record.input;
        x.start_date = ex->record.start_date;
        auto first = ReadAll(store_, ex->id, 1);
        if (!first.ok()) return done(first.status());
        if (!first->empty() && first->front().type == "ExecutionStarted") {
          x.origin = RestartedFrom(first->front().details);
        }
        done(std::move(x));
      }, done);
    });
  };

  // 3. The new execution: started now, or found where a try of this same
  // restart started it.
  StartExecutionResult started;
  const std::set<std::string> linked_set(linked.begin(), linked.end());
  for (int64_t n = 1;; ++n) {
    std::string candidate = name;
    if (name.empty()) {
      std::optional<std::string> picked = RestartNameWhere(src.name, n, on_original_shard);
      if (!picked.has_value()) {
        return absl::InternalError("no restart name falls on the original's cluster shard");
      }
      candidate = *std::move(picked);
    }
    if (name.empty() && linked_set.count(arn_of(candidate))) {
      continue;  // a finished restart of the original: not this one
    }
    auto r = Await<StartExecutionResult>([&](auto done) {
      StartResolvedAsync(target, candidate, input_text, *input_value, "", done, nullptr, from);
    });
    if (r.ok()) {
      started = *r;
      break;
    }
    if (ServiceErrorName(r.status()) != "ExecutionAlreadyExists") return r.status();
    std::string taken = arn_of(candidate);
    SW_ASSIGN_OR_RETURN(Existing x, existing(taken));
    bool ours = x.origin.has_value() && x.origin->execution_arn == arn;
    if (ours && x.origin->state_name == state_name && x.origin->event_id == entry.event_id &&
        x.input == input_text) {
      started = StartExecutionResult{taken, x.start_date};  // this restart, tried before
      break;
    }
    if (!name.empty() || n > static_cast<int64_t>(linked.size()) + 1000) return r.status();
    if (ours) SW_RETURN_IF_ERROR(link(taken).status());  // another restart, left unlinked
  }

  // 4. The link in the original's history.
  SW_RETURN_IF_ERROR(link(started.execution_arn).status());
  return started;
}

}  // namespace stepwise::engine
