#include "engine/engine.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/check.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/thread_name.h"
#include "asl/definition.h"
#include "asl/validator.h"
#include "engine/execution_codec.h"
#include "engine/interpreter.h"
#include "engine/service_error.h"
#include "engine/task_queue.h"
#include "engine/task_token.h"
#include "engine/timer_queue.h"
#include "storage/keys.h"

namespace stepwise::engine {

namespace {

using storage::Table;

json::value Str(std::string_view s) { return json::value(json::string(s)); }

// AWS's name rule: 1-80 characters, none of whitespace, brackets, wildcards,
// the listed punctuation or control characters.
bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 80) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c == 0x7f) return false;
    if (std::string_view("<>{}[]?*\"#%\\^|~`$&,;:/").find(static_cast<char>(c)) !=
        std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string NewUuid(std::mt19937_64& rng) {
  uint64_t hi = rng(), lo = rng();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0x0fff),
                static_cast<unsigned>(0x8000 | ((lo >> 48) & 0x3fff)),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

// Last ':'-separated part of an ARN.
std::string ArnTail(const std::string& arn, int parts_from_end = 1) {
  size_t pos = arn.size();
  for (int i = 0; i < parts_from_end; ++i) {
    pos = arn.rfind(':', pos == 0 ? 0 : pos - 1);
    if (pos == std::string::npos) return "";
  }
  return arn.substr(pos + 1);
}

std::string TaskRowKey(const std::string& activity, const std::string& execution,
                       int64_t task_id) {
  std::string k;
  storage::AppendString(&k, ToAbsl(activity));
  storage::AppendString(&k, ToAbsl(execution));
  storage::AppendOrderedInt64(&k, task_id);
  return k;
}

std::string TimerRowKey(int64_t due, absl::string_view execution, int64_t timer_id) {
  return storage::TimerKey(due, execution, std::to_string(timer_id));
}

// Timer id 0: continue a run that yielded after max_steps_per_commit steps.
constexpr int64_t kContinueTimerId = 0;

// Engine-level timers (task timeout, heartbeat) live in the same per-
// execution timer space as the interpreter's, as negative ids.
int64_t TaskTimeoutTimerId(int64_t task_id) { return -(task_id * 2); }
int64_t HeartbeatTimerId(int64_t task_id) { return -(task_id * 2 + 1); }

// An activity task of an execution, as the engine tracks it.
struct OpenTask {
  int64_t task_id = 0;
  int64_t attempt = 0;
  std::string activity;  // "" for resources Stepwise cannot run
  std::string input;
  bool started = false;
  int64_t timeout_seconds = 0;
  int64_t heartbeat_seconds = 0;
  TimeMs last_heartbeat = 0;
};

}  // namespace

class Engine::Impl {
 public:
  Impl(storage::Store* store, EngineOptions options)
      : store_(store),
        opts_(std::move(options)),
        clock_(opts_.clock != nullptr ? opts_.clock : SystemClock::Get()),
        rng_(opts_.seed != 0 ? opts_.seed : std::random_device{}()),
        timers_(clock_, [this](const TimerEntry& e) { OnTimer(e); }) {}

  ~Impl() { Shutdown(); }

  absl::Status Init() {
    SW_ASSIGN_OR_RETURN(std::optional<std::string> key, store_->Get(Table::kMeta, "token_key"));
    if (!key.has_value()) {
      key = TaskTokenCodec::NewKey();
      SW_RETURN_IF_ERROR(store_->Put(Table::kMeta, "token_key", *key));
    }
    tokens_ = std::make_unique<TaskTokenCodec>(*key);
    committer_ = std::thread([this] {
      SetThreadName("sw-commit");
      CommitLoop();
    });
    for (int i = 0; i < std::max(1, opts_.shards); ++i) {
      auto s = std::make_unique<Shard>();
      Shard* raw = s.get();
      s->thread = std::thread([this, raw, i] {
        SetThreadName("sw-shard-" + std::to_string(i));
        ShardLoop(*raw);
      });
      shards_.push_back(std::move(s));
    }
    return Recover();
  }

  void Shutdown() {
    if (stopped_.exchange(true)) return;
    tasks_.Stop();
    timers_.Stop();
    for (auto& s : shards_) {
      {
        std::lock_guard<std::mutex> l(s->mu);
        s->stop = true;
      }
      s->cv.notify_all();
    }
    for (auto& s : shards_) {
      if (s->thread.joinable()) s->thread.join();
    }
    {
      std::lock_guard<std::mutex> l(commit_mu_);
      commit_stop_ = true;
    }
    commit_cv_.notify_all();
    if (committer_.joinable()) committer_.join();
  }

  // ---------------------------------------------------------------- machines

  absl::StatusOr<StateMachineDescription> CreateStateMachine(const std::string& name,
                                                             const std::string& definition,
                                                             const std::string& role_arn,
                                                             const std::string& type_in) {
    SW_RETURN_IF_ERROR(Alive());
    if (!ValidName(name)) return ServiceError("InvalidName", "Invalid Name: '" + name + "'");
    std::string type = type_in.empty() ? "STANDARD" : type_in;
    if (type != "STANDARD" && type != "EXPRESS") {
      return ServiceError("ValidationException", "type must be STANDARD or EXPRESS");
    }
    SW_RETURN_IF_ERROR(CheckDefinition(definition, type));
    std::lock_guard<std::mutex> l(machines_mu_);
    SW_ASSIGN_OR_RETURN(std::optional<json::object> existing, GetMachineRecord(name));
    TimeMs now = clock_->NowMs();
    if (existing.has_value()) {
      json::object& rec = *existing;
      const json::array& revs = rec["revisions"].as_array();
      const json::object& last = revs.back().as_object();
      if (rec["status"].as_string() == "ACTIVE" &&
          last.at("definition").as_string() == definition &&
          rec["role_arn"].as_string() == role_arn && rec["type"].as_string() == type) {
        return Describe(rec, static_cast<int64_t>(revs.size()));  // idempotent
      }
      return ServiceError("StateMachineAlreadyExists",
                          "State Machine Already Exists: '" + MachineArn(name) + "'");
    }
    json::object rec;
    rec["name"] = Str(name);
    rec["arn"] = Str(MachineArn(name));
    rec["type"] = Str(type);
    rec["role_arn"] = Str(role_arn);
    rec["status"] = "ACTIVE";
    rec["creation_date"] = now;
    json::array revs;
    revs.push_back(RevisionRecord(definition, now));
    rec["revisions"] = std::move(revs);
    SW_RETURN_IF_ERROR(PutMachineRecord(name, rec));
    return Describe(rec, 1);
  }

  absl::StatusOr<StateMachineDescription> DescribeStateMachine(const std::string& arn) {
    SW_ASSIGN_OR_RETURN(json::object rec, LoadMachine(arn));
    return Describe(rec, static_cast<int64_t>(rec["revisions"].as_array().size()));
  }

  absl::StatusOr<StateMachineDescription> UpdateStateMachine(
      const std::string& arn, const std::optional<std::string>& definition,
      const std::optional<std::string>& role_arn) {
    SW_RETURN_IF_ERROR(Alive());
    if (!definition.has_value() && !role_arn.has_value()) {
      return ServiceError("MissingRequiredParameter",
                          "Either the definition or the roleArn must be specified");
    }
    std::lock_guard<std::mutex> l(machines_mu_);
    SW_ASSIGN_OR_RETURN(json::object rec, LoadMachine(arn));
    json::array& revs = rec["revisions"].as_array();
    std::string def = definition.value_or(
        std::string(revs.back().as_object().at("definition").as_string()));
    if (definition.has_value()) {
      SW_RETURN_IF_ERROR(CheckDefinition(def, std::string(rec["type"].as_string())));
    }
    if (role_arn.has_value()) rec["role_arn"] = Str(*role_arn);
    revs.push_back(RevisionRecord(def, clock_->NowMs()));
    SW_RETURN_IF_ERROR(PutMachineRecord(std::string(rec["name"].as_string()), rec));
    return Describe(rec, static_cast<int64_t>(revs.size()));
  }

  absl::Status DeleteStateMachine(const std::string& arn) {
    SW_RETURN_IF_ERROR(Alive());
    std::lock_guard<std::mutex> l(machines_mu_);
    auto rec = LoadMachine(arn);
    if (!rec.ok()) {
      // AWS answers deletes of unknown machines with success.
      return ServiceErrorName(rec.status()) == "StateMachineDoesNotExist" ? absl::OkStatus()
                                                                          : rec.status();
    }
    // Revisions stay: executions still running need their definition.
    (*rec)["status"] = "DELETING";
    return PutMachineRecord(std::string((*rec)["name"].as_string()), *rec);
  }

  absl::StatusOr<std::vector<StateMachineDescription>> ListStateMachines() {
    storage::ScanOptions o;
    SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, store_->Scan(Table::kMachines, o));
    std::vector<StateMachineDescription> out;
    for (const auto& kv : rows) {
      SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(kv.value, "state machine " + kv.key));
      if (rec["status"].as_string() != "ACTIVE") continue;
      out.push_back(Describe(rec, static_cast<int64_t>(rec["revisions"].as_array().size())));
    }
    return out;
  }

  absl::StatusOr<StateMachineDescription> DescribeStateMachineForExecution(
      const std::string& execution_arn) {
    SW_ASSIGN_OR_RETURN(ExecutionDescription d, DescribeExecution(execution_arn));
    std::string name = ArnTail(d.state_machine_arn);
    SW_ASSIGN_OR_RETURN(std::optional<json::object> rec, GetMachineRecord(name));
    if (!rec.has_value()) return ServiceError("StateMachineDoesNotExist", d.state_machine_arn);
    return Describe(*rec, d.revision);
  }

  // -------------------------------------------------------------- executions

  void StartExecutionAsync(const std::string& machine_arn, const std::string& name_in,
                           const std::string& input,
                           std::function<void(absl::StatusOr<StartExecutionResult>)> done) {
    if (absl::Status s = Alive(); !s.ok()) return done(s);
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
                               "Input exceeds the maximum size of 262144 bytes"));
    }
    auto machine = LoadMachine(machine_arn);
    if (!machine.ok()) return done(machine.status());
    int64_t revision = static_cast<int64_t>((*machine)["revisions"].as_array().size());
    auto parsed = ParsedRevision(*machine, revision);
    if (!parsed.ok()) return done(parsed.status());
    std::string machine_name(( *machine)["name"].as_string());
    bool express = (*machine)["type"].as_string() == "EXPRESS";
    std::string arn = absl::StrCat("arn:aws:states:", opts_.region, ":", opts_.account,
                                   express ? ":express:" : ":execution:", machine_name, ":", name);
    std::string role(( *machine)["role_arn"].as_string());
    std::string input_text = input.empty() ? "{}" : input;
    json::value input_value = *std::move(parsed_input);
    std::shared_ptr<const asl::StateMachine> sm = *parsed;
    PostHere(arn, [this, arn, machine_arn, machine_name, name, role, express, revision, sm,
                   input_text, input_value, done](Slot* slot) mutable {
      if (!slot->load_error.ok()) return done(slot->load_error);
      if (slot->exists) {
        // Idempotent while running with the same input (AWS, Standard).
        if (slot->status == ExecutionStatus::kRunning && slot->input == input_text) {
          return done(StartExecutionResult{arn, slot->start_date});
        }
        return done(ServiceError("ExecutionAlreadyExists",
                                 "Execution Already Exists: '" + arn + "'"));
      }
      TimeMs now = clock_->NowMs();
      slot->exists = true;
      slot->machine = sm;
      slot->machine_arn = machine_arn;
      slot->revision = revision;
      slot->input = input_text;
      slot->start_date = now;
      slot->state = std::make_unique<ExecutionState>();
      ExecutionInfo& info = slot->state->info;
      info.execution_arn = arn;
      info.execution_name = name;
      info.state_machine_arn = machine_arn;
      info.state_machine_name = machine_name;
      info.role_arn = role;
      info.start_time = now;
      info.express = express;
      Decision d;
      Interp(*slot).Start(*slot->state, std::move(input_value), now, d);
      Commit(slot, std::move(d), /*created=*/true, {},
             [arn, now, done](absl::Status s) {
               if (!s.ok()) return done(s);
               done(StartExecutionResult{arn, now});
             });
    });
  }

  absl::StatusOr<TimeMs> StopExecution(const std::string& arn, const std::string& error,
                                       const std::string& cause) {
    SW_RETURN_IF_ERROR(CheckExecutionArn(arn));
    return Wait<TimeMs>([&](auto done) {
      PostExisting(arn, [this, error, cause, done](Slot* slot) {
        if (slot->status != ExecutionStatus::kRunning) {
          return done(ServiceError("ValidationException",
                                   "Execution is not running: '" + slot->id + "'"));
        }
        TimeMs now = clock_->NowMs();
        Decision d;
        absl::Status s = Interp(*slot).Stop(*slot->state, error, cause, now, d);
        if (!s.ok()) return done(s);
        Commit(slot, std::move(d), false, {}, [now, done](absl::Status c) {
          if (!c.ok()) return done(c);
          done(now);
        });
      }, done);
    });
  }

  // A well-formed execution ARN of this region and account, else InvalidArn.
  absl::Status CheckExecutionArn(const std::string& arn) const {
    std::string base = absl::StrCat("arn:aws:states:", opts_.region, ":", opts_.account, ":");
    for (const char* kind : {"execution:", "express:"}) {
      std::string prefix = base + kind;
      if (arn.rfind(prefix, 0) == 0) {
        std::string rest = arn.substr(prefix.size());
        size_t colon = rest.find(':');
        if (colon != std::string::npos && colon > 0 && colon + 1 < rest.size()) {
          return absl::OkStatus();
        }
      }
    }
    return ServiceError("InvalidArn", "Invalid Arn: '" + arn + "'");
  }

  absl::StatusOr<ExecutionDescription> DescribeExecution(const std::string& arn) {
    SW_RETURN_IF_ERROR(Alive());
    SW_RETURN_IF_ERROR(CheckExecutionArn(arn));
    SW_ASSIGN_OR_RETURN(std::optional<storage::VersionedValue> v, store_->GetExecution(arn));
    if (!v.has_value()) {
      return ServiceError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'");
    }
    SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(v->value, "execution " + arn));
    return DescribeFromRecord(arn, rec);
  }

  absl::StatusOr<ExecutionList> ListExecutions(const std::string& machine_arn,
                                               const std::string& status_filter,
                                               int max_results, const std::string& next_token) {
    SW_RETURN_IF_ERROR(Alive());
    SW_ASSIGN_OR_RETURN(json::object machine, LoadMachine(machine_arn, /*allow_deleting=*/true));
    if (max_results < 0 || max_results > 1000) {
      return ServiceError("ValidationException", "maxResults must be between 0 and 1000");
    }
    size_t limit = max_results == 0 ? 100 : static_cast<size_t>(max_results);
    storage::ScanOptions o;
    o.prefix = storage::VisibilityPrefix(ToAbsl(machine_arn));
    if (!next_token.empty()) {
      std::string key;
      if (!absl::WebSafeBase64Unescape(next_token, &key) || key.rfind(o.prefix, 0) != 0) {
        return ServiceError("InvalidToken", "Invalid Token: '" + next_token + "'");
      }
      o.start_after = key;
    }
    ExecutionList out;
    std::string last_key;
    while (out.executions.size() < limit) {
      o.limit = limit * 2;
      SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                          store_->Scan(Table::kVisibility, o));
      if (rows.empty()) break;
      for (const auto& kv : rows) {
        o.start_after = kv.key;
        SW_ASSIGN_OR_RETURN(json::object row, ParseRecord(kv.value, "visibility row"));
        if (!status_filter.empty() && row["status"].as_string() != status_filter) continue;
        ExecutionDescription d;
        d.execution_arn = std::string(row["arn"].as_string());
        d.state_machine_arn = machine_arn;
        d.name = std::string(row["name"].as_string());
        d.status = std::string(row["status"].as_string());
        d.start_date = row["start_date"].as_int64();
        d.stop_date = row["stop_date"].as_int64();
        out.executions.push_back(std::move(d));
        last_key = kv.key;
        if (out.executions.size() == limit) break;
      }
      if (rows.size() < o.limit) break;
    }
    if (out.executions.size() == limit) {
      storage::ScanOptions more = o;
      more.start_after = last_key;
      more.limit = 1;
      SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rest,
                          store_->Scan(Table::kVisibility, more));
      if (!rest.empty()) out.next_token = absl::WebSafeBase64Escape(last_key);
    }
    return out;
  }

  absl::StatusOr<HistoryPage> GetExecutionHistory(const std::string& arn, int max_results,
                                                  const std::string& next_token, bool reverse,
                                                  bool include_data) {
    SW_RETURN_IF_ERROR(Alive());
    if (max_results < 0 || max_results > 1000) {
      return ServiceError("ValidationException", "maxResults must be between 0 and 1000");
    }
    size_t limit = max_results == 0 ? 100 : static_cast<size_t>(max_results);
    SW_RETURN_IF_ERROR(CheckExecutionArn(arn));
    SW_ASSIGN_OR_RETURN(std::optional<storage::VersionedValue> v, store_->GetExecution(arn));
    if (!v.has_value()) {
      return ServiceError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'");
    }
    int64_t after = 0;  // token: id of the last event returned
    if (!next_token.empty()) {
      std::string raw;
      if (!absl::WebSafeBase64Unescape(next_token, &raw) || !absl::SimpleAtoi(raw, &after) ||
          after <= 0) {
        return ServiceError("InvalidToken", "Invalid Token: '" + next_token + "'");
      }
    }
    SW_ASSIGN_OR_RETURN(std::vector<storage::HistoryChunk> chunks,
                        store_->ReadHistory(arn, 1, 0));
    std::vector<HistoryEvent> all;
    for (const auto& c : chunks) {
      SW_ASSIGN_OR_RETURN(std::vector<HistoryEvent> evs, DecodeHistoryChunk(c.value));
      for (auto& e : evs) all.push_back(std::move(e));
    }
    if (reverse) std::reverse(all.begin(), all.end());
    HistoryPage page;
    size_t i = 0;
    if (after > 0) {
      while (i < all.size() && all[i].id != after) ++i;
      if (i == all.size()) {
        return ServiceError("InvalidToken", "Invalid Token: '" + next_token + "'");
      }
      ++i;
    }
    for (; i < all.size() && page.events.size() < limit; ++i) {
      json::object e = ToAwsJson(all[i]);
      if (!include_data) StripData(e);
      page.events.push_back(std::move(e));
    }
    if (i < all.size()) {
      page.next_token = absl::WebSafeBase64Escape(std::to_string(all[i - 1].id));
    }
    return page;
  }

  // -------------------------------------------------------------- activities

  absl::StatusOr<ActivityDescription> CreateActivity(const std::string& name) {
    SW_RETURN_IF_ERROR(Alive());
    if (!ValidName(name)) return ServiceError("InvalidName", "Invalid Name: '" + name + "'");
    std::lock_guard<std::mutex> l(machines_mu_);
    SW_ASSIGN_OR_RETURN(std::optional<std::string> existing, store_->Get(Table::kActivities, name));
    if (existing.has_value()) {  // idempotent on name
      SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(*existing, "activity " + name));
      return ActivityFromRecord(rec);
    }
    json::object rec;
    rec["name"] = Str(name);
    rec["arn"] = Str(ActivityArn(name));
    rec["creation_date"] = clock_->NowMs();
    SW_RETURN_IF_ERROR(store_->Put(Table::kActivities, name, SerializeJson(rec)));
    return ActivityFromRecord(rec);
  }

  absl::StatusOr<ActivityDescription> DescribeActivity(const std::string& arn) {
    SW_RETURN_IF_ERROR(Alive());
    SW_ASSIGN_OR_RETURN(std::string name, ActivityName(arn));
    SW_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_->Get(Table::kActivities, name));
    if (!raw.has_value()) {
      return ServiceError("ActivityDoesNotExist", "Activity Does Not Exist: '" + arn + "'");
    }
    SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(*raw, "activity " + name));
    return ActivityFromRecord(rec);
  }

  absl::Status DeleteActivity(const std::string& arn) {
    SW_RETURN_IF_ERROR(Alive());
    SW_ASSIGN_OR_RETURN(std::string name, ActivityName(arn));
    {
      std::lock_guard<std::mutex> l(activities_mu_);
      known_activities_.erase(arn);
    }
    return store_->Put(Table::kActivities, name, std::nullopt);
  }

  absl::StatusOr<std::vector<ActivityDescription>> ListActivities() {
    SW_RETURN_IF_ERROR(Alive());
    SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                        store_->Scan(Table::kActivities, storage::ScanOptions{}));
    std::vector<ActivityDescription> out;
    for (const auto& kv : rows) {
      SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(kv.value, "activity " + kv.key));
      out.push_back(ActivityFromRecord(rec));
    }
    return out;
  }

  void GetActivityTaskAsync(const std::string& activity_arn, const std::string& worker,
                            int64_t timeout_ms,
                            std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                            std::function<bool()> is_cancelled) {
    if (absl::Status s = Alive(); !s.ok()) return done(s);
    if (!KnownActivity(activity_arn)) {
      auto desc = DescribeActivity(activity_arn);
      if (!desc.ok()) return done(desc.status());
      std::lock_guard<std::mutex> l(activities_mu_);
      known_activities_.insert(activity_arn);
    }
    // Long polls wait in real time (the TaskQueue's own clock).
    int64_t wait = std::clamp<int64_t>(timeout_ms, 0, opts_.max_poll_ms);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait);
    PollOnce(activity_arn, worker, deadline, std::move(done), std::move(is_cancelled));
  }

  bool KnownActivity(const std::string& arn) {
    std::lock_guard<std::mutex> l(activities_mu_);
    return known_activities_.count(arn) > 0;
  }

  using StatusFn = std::function<void(absl::Status)>;

  void SendTaskResultAsync(const std::string& token, TaskResult result, StatusFn done) {
    if (absl::Status s = Alive(); !s.ok()) return done(s);
    absl::StatusOr<TaskTokenClaims> decoded = DecodeToken(token);
    if (!decoded.ok()) return done(decoded.status());
    TaskTokenClaims claims = *std::move(decoded);
    PostExisting(claims.execution_id, [this, claims, result = std::move(result),
                                       done](Slot* slot) {
      auto it = slot->tasks.find(claims.task_id);
      if (slot->status != ExecutionStatus::kRunning || it == slot->tasks.end() ||
          it->second.attempt != claims.attempt) {
        return done(ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not "
                                                 "exist anymore'"));
      }
      Decision d;
      absl::Status s = Interp(*slot).CompleteTask(*slot->state, claims.task_id, result,
                                                  clock_->NowMs(), d);
      if (!s.ok()) {
        return done(ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not "
                                                 "exist anymore'"));
      }
      Commit(slot, std::move(d), false, {}, done);
    }, [done](absl::Status s) {
      // The execution is gone: the token names no task that exists.
      done(ServiceErrorName(s) == "ExecutionDoesNotExist"
               ? ServiceError("TaskDoesNotExist", "Task Does Not Exist")
               : s);
    }, /*here=*/true);
  }

  void SendTaskSuccessAsync(const std::string& token, const std::string& output,
                            StatusFn done) {
    auto v = ParseJson(output);
    if (!v.ok()) {
      return done(ServiceError(
          "InvalidOutput", absl::StrCat("Invalid Output: '", v.status().message(), "'")));
    }
    if (output.size() > opts_.max_payload_bytes) {
      return done(
          ServiceError("InvalidOutput", "Output exceeds the maximum size of 262144 bytes"));
    }
    TaskResult r;
    r.output = *std::move(v);
    SendTaskResultAsync(token, std::move(r), std::move(done));
  }

  void SendTaskFailureAsync(const std::string& token, const std::string& error,
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

  void SendTaskHeartbeatAsync(const std::string& token, StatusFn done) {
    if (absl::Status s = Alive(); !s.ok()) return done(s);
    absl::StatusOr<TaskTokenClaims> decoded = DecodeToken(token);
    if (!decoded.ok()) return done(decoded.status());
    TaskTokenClaims claims = *std::move(decoded);
    PostExisting(claims.execution_id, [this, claims, done](Slot* slot) {
      auto it = slot->tasks.find(claims.task_id);
      if (slot->status != ExecutionStatus::kRunning || it == slot->tasks.end() ||
          it->second.attempt != claims.attempt || !it->second.started) {
        return done(ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not "
                                                 "exist anymore'"));
      }
      OpenTask& t = it->second;
      if (t.heartbeat_seconds <= 0) return done(absl::OkStatus());  // nothing to extend
      // Durable: the new deadline is committed (no history event, as AWS).
      TimeMs now = clock_->NowMs();
      TimeMs old_due = t.last_heartbeat + t.heartbeat_seconds * 1000;
      t.last_heartbeat = now;
      std::vector<storage::Write> writes;
      writes.push_back({Table::kTimers,
                        TimerRowKey(old_due, ToAbsl(slot->id), HeartbeatTimerId(t.task_id)),
                        std::nullopt});
      TimerEntry e{now + t.heartbeat_seconds * 1000, slot->id, HeartbeatTimerId(t.task_id)};
      writes.push_back({Table::kTimers, TimerRowKey(e.due, ToAbsl(slot->id), e.timer_id),
                        std::string()});
      slot->timer_dues[e.timer_id] = e.due;
      Commit(slot, Decision(), false, std::move(writes), [this, e, done](absl::Status c) {
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

  // Blocks on an async operation answering with a status.
  template <typename Start>
  absl::Status WaitStatus(Start start) {
    return Wait<bool>([&](auto done) {
      start([done](absl::Status s) {
        if (!s.ok()) return done(s);
        done(true);
      });
    }).status();
  }

  absl::StatusOr<int64_t> WatchExecution(const std::string& arn, int64_t after,
                                         Engine::RawWatchFn fn) {
    SW_RETURN_IF_ERROR(Alive());
    SW_RETURN_IF_ERROR(CheckExecutionArn(arn));
    int64_t id = next_watch_id_.fetch_add(1);
    {
      std::lock_guard<std::mutex> l(watch_mu_);
      watch_exec_[id] = arn;
    }
    absl::StatusOr<bool> r = Wait<bool>([&](auto done) {
      PostExisting(arn, [this, id, after, fn, done](Slot* slot) {
        done(true);
        // Serialised with this execution's commits: nothing is missed or
        // sent twice between the stored history and the live events. Only
        // the chunks from the one holding `after` + 1 are read, and their
        // details stay text.
        std::vector<RawHistoryEvent> events;
        int64_t from = after < std::numeric_limits<int64_t>::max() ? after + 1 : after;
        auto chunks = store_->ReadHistory(slot->id, std::max<int64_t>(1, from), 0);
        if (chunks.ok()) {
          for (const auto& c : *chunks) {
            if (!DecodeHistoryChunkRaw(c.value, after, &events).ok()) break;
          }
        }
        bool closed = slot->status != ExecutionStatus::kRunning;
        if (!WatchActive(id)) return;
        if (!fn(std::move(events), closed) || closed) {
          EndWatch(id);
          return;
        }
        slot->watchers[id] = Watcher{fn, after};
      }, done);
    });
    if (!r.ok()) {
      EndWatch(id);
      return r.status();
    }
    return id;
  }

  void CancelWatch(int64_t id) { EndWatch(id); }

  Engine::Stats stats() const {
    Engine::Stats s;
    s.commits = commits_.load();
    s.batches = batches_.load();
    s.events = events_.load();
    s.timers_armed = timers_.size();
    s.timer_lag_ms = timer_lag_ms_.load();
    for (const TaskQueue::Depth& d : tasks_.Depths()) {
      s.activity_queues.push_back({d.activity_arn, d.pending, d.pollers});
    }
    return s;
  }

  // Blocks on an async operation: `start(done)` must call done exactly once.
  template <typename T, typename Start>
  absl::StatusOr<T> Wait(Start start) {
    auto p = std::make_shared<std::promise<absl::StatusOr<T>>>();
    auto f = p->get_future();
    start([p](absl::StatusOr<T> r) { p->set_value(std::move(r)); });
    return f.get();
  }

 private:
  // A WatchExecution: its callback and the event id it wants events after.
  struct Watcher {
    Engine::RawWatchFn fn;
    int64_t after = 0;
  };

  // One execution as its shard holds it.
  struct Slot {
    std::string id;
    bool exists = false;
    bool loaded = false;
    std::shared_ptr<const asl::StateMachine> machine;
    std::string machine_arn;
    int64_t revision = 0;
    std::string input;
    TimeMs start_date = 0;
    TimeMs stop_date = 0;
    ExecutionStatus status = ExecutionStatus::kRunning;
    std::unique_ptr<ExecutionState> state;
    int64_t version = 0;
    bool committing = false;
    absl::Status load_error;  // why the stored execution could not be loaded
    std::deque<std::function<void(Slot*)>> waiting;
    std::map<int64_t, OpenTask> tasks;       // open tasks by task id
    std::map<int64_t, TimeMs> timer_dues;    // armed timers by id
    std::map<int64_t, Watcher> watchers;  // WatchExecution, by watch id
  };

  struct Shard {
    std::thread thread;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;
    bool stop = false;
    // True while some thread runs this shard's work: its own thread, or a
    // caller running a step in place (RunOrEnqueue). Work for a shard runs
    // one item at a time, in order, whichever thread runs it.
    bool running = false;
    // Only the thread that set `running` touches these.
    std::unordered_map<std::string, std::unique_ptr<Slot>> slots;
  };

  struct PendingCommit {
    storage::Transition t;
    std::function<void(absl::Status)> done;
  };

  absl::Status Alive() const {
    return stopped_.load() ? absl::UnavailableError("the engine is shutting down")
                           : absl::OkStatus();
  }

  std::string MachineArn(const std::string& name) const {
    return absl::StrCat("arn:aws:states:", opts_.region, ":", opts_.account, ":stateMachine:",
                        name);
  }
  std::string ActivityArn(const std::string& name) const {
    return absl::StrCat("arn:aws:states:", opts_.region, ":", opts_.account, ":activity:", name);
  }

  absl::StatusOr<std::string> ActivityName(const std::string& arn) const {
    std::string prefix = ActivityArn("");
    if (arn.rfind(prefix, 0) != 0 || arn.size() == prefix.size()) {
      return ServiceError("InvalidArn", "Invalid Arn: '" + arn + "'");
    }
    return arn.substr(prefix.size());
  }

  // State machine records, cached: every write goes through this process.
  absl::StatusOr<std::optional<json::object>> GetMachineRecord(const std::string& name) {
    {
      std::lock_guard<std::mutex> l(machine_cache_mu_);
      auto it = machine_cache_.find(name);
      if (it != machine_cache_.end()) return std::optional<json::object>(it->second);
    }
    SW_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_->Get(Table::kMachines, name));
    if (!raw.has_value()) return std::optional<json::object>();
    SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(*raw, "state machine " + name));
    std::lock_guard<std::mutex> l(machine_cache_mu_);
    machine_cache_[name] = rec;
    return std::optional<json::object>(std::move(rec));
  }

  absl::Status PutMachineRecord(const std::string& name, const json::object& rec) {
    SW_RETURN_IF_ERROR(store_->Put(Table::kMachines, name, SerializeJson(rec)));
    std::lock_guard<std::mutex> l(machine_cache_mu_);
    machine_cache_[name] = rec;
    return absl::OkStatus();
  }

  static absl::StatusOr<json::object> ParseRecord(const std::string& text,
                                                  const std::string& what) {
    auto v = ParseJson(text);
    if (!v.ok() || !v->is_object()) {
      return absl::DataLossError("stored record of " + what + " is malformed");
    }
    return std::move(v->get_object());
  }

  static json::object RevisionRecord(const std::string& definition, TimeMs now) {
    json::object r;
    r["definition"] = Str(definition);
    r["update_date"] = now;
    return r;
  }

  static absl::Status CheckDefinition(const std::string& definition, const std::string& type) {
    auto found = ValidateStateMachineDefinition(definition, type);
    if (!found.ok()) return found.status();
    std::string msg;
    for (const auto& d : *found) {
      if (d.severity != "ERROR") continue;
      absl::StrAppend(&msg, d.code, ": ", d.message, " at ", d.location, "; ");
    }
    if (!msg.empty()) {
      return ServiceError("InvalidDefinition", "Invalid State Machine Definition: '" + msg + "'");
    }
    return absl::OkStatus();
  }

  StateMachineDescription Describe(json::object& rec, int64_t revision) const {
    StateMachineDescription d;
    d.name = std::string(rec["name"].as_string());
    d.arn = std::string(rec["arn"].as_string());
    d.type = std::string(rec["type"].as_string());
    d.role_arn = std::string(rec["role_arn"].as_string());
    d.status = std::string(rec["status"].as_string());
    d.creation_date = rec["creation_date"].as_int64();
    const json::array& revs = rec["revisions"].as_array();
    size_t i = static_cast<size_t>(std::clamp<int64_t>(revision, 1,
                                                       static_cast<int64_t>(revs.size())) - 1);
    const json::object& r = revs[i].as_object();
    d.definition = std::string(r.at("definition").as_string());
    d.update_date = r.at("update_date").as_int64();
    d.revision = static_cast<int64_t>(i + 1);
    d.revision_id = absl::StrCat(d.name, "-", d.revision);
    return d;
  }

  absl::StatusOr<json::object> LoadMachine(const std::string& arn, bool allow_deleting = false) {
    std::string prefix = MachineArn("");
    if (arn.rfind(prefix, 0) != 0 || arn.size() == prefix.size()) {
      return ServiceError("InvalidArn", "Invalid Arn: '" + arn + "'");
    }
    std::string name = arn.substr(prefix.size());
    SW_ASSIGN_OR_RETURN(std::optional<json::object> found, GetMachineRecord(name));
    if (!found.has_value()) {
      return ServiceError("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'");
    }
    json::object& rec = *found;
    if (!allow_deleting && rec["status"].as_string() != "ACTIVE") {
      return ServiceError("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'");
    }
    return rec;
  }

  // The parsed definition of one revision, cached (revisions are immutable).
  absl::StatusOr<std::shared_ptr<const asl::StateMachine>> ParsedRevision(json::object& rec,
                                                                         int64_t revision) {
    std::string key = absl::StrCat(rec["name"].as_string().c_str(), "#", revision);
    {
      std::lock_guard<std::mutex> l(parsed_mu_);
      auto it = parsed_.find(key);
      if (it != parsed_.end()) return it->second;
    }
    const json::array& revs = rec["revisions"].as_array();
    if (revision < 1 || static_cast<size_t>(revision) > revs.size()) {
      return absl::DataLossError("execution refers to a missing state machine revision");
    }
    auto def = ParseJson(std::string(revs[static_cast<size_t>(revision - 1)]
                                         .as_object()
                                         .at("definition")
                                         .as_string()));
    if (!def.ok()) return absl::DataLossError("stored definition is malformed");
    auto sm = asl::ParseStateMachine(*def);
    if (!sm.ok()) return ServiceError("InvalidDefinition", ToStd(sm.status().message()));
    std::lock_guard<std::mutex> l(parsed_mu_);
    parsed_[key] = *sm;
    return *sm;
  }

  ActivityDescription ActivityFromRecord(json::object& rec) const {
    ActivityDescription d;
    d.name = std::string(rec["name"].as_string());
    d.arn = std::string(rec["arn"].as_string());
    d.creation_date = rec["creation_date"].as_int64();
    return d;
  }

  static void StripData(json::object& event) {
    for (auto& kv : event) {
      if (json::object* d = kv.value().if_object()) {
        for (const char* k : {"input", "output", "parameters"}) {
          if (d->contains(k)) d->erase(k);
        }
      }
    }
  }

  absl::StatusOr<TaskTokenClaims> DecodeToken(const std::string& token) const {
    if (token.empty() || token.size() > 2048) {
      return ServiceError("InvalidToken", "Invalid Token: 'Invalid token'");
    }
    auto c = tokens_->Decode(token);
    if (!c.ok()) return ServiceError("InvalidToken", "Invalid Token: 'Invalid token'");
    return *c;
  }

  ExecutionDescription DescribeFromRecord(const std::string& arn, json::object& rec) {
    ExecutionDescription d;
    d.execution_arn = arn;
    d.state_machine_arn = std::string(rec["machine_arn"].as_string());
    d.revision = rec["revision"].as_int64();
    d.start_date = rec["start_date"].as_int64();
    d.stop_date = rec["stop_date"].as_int64();
    d.input = std::string(rec["input"].as_string());
    const json::object& st = rec["state"].as_object();
    d.name = std::string(st.at("info").as_object().at("execution_name").as_string());
    d.status = std::string(
        ExecutionStatusName(static_cast<ExecutionStatus>(st.at("status").as_int64())));
    if (st.at("output").is_string()) d.output = std::string(st.at("output").as_string());
    if (!st.at("error").as_string().empty()) d.error = std::string(st.at("error").as_string());
    if (!st.at("cause").as_string().empty()) d.cause = std::string(st.at("cause").as_string());
    return d;
  }

  Interpreter Interp(const Slot& slot) {
    InterpreterOptions io;
    io.max_events = opts_.max_history_events;
    io.max_payload_bytes = opts_.max_payload_bytes;
    io.max_steps_per_trigger = opts_.max_steps_per_commit;
    return Interpreter(slot.machine, &random_, io);
  }

  // ------------------------------------------------------------ shard plumbing

  Shard& ShardOf(const std::string& id) {
    return *shards_[std::hash<std::string>{}(id) % shards_.size()];
  }

  void Enqueue(Shard& s, std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> l(s.mu);
      s.queue.push_back(std::move(fn));
    }
    s.cv.notify_one();
  }

  // Runs `fn` on the calling thread when the shard is idle (nothing queued,
  // nobody running it), saving a wake-up and a thread switch on the way to
  // the commit; otherwise queues it like Enqueue. For the entry points of
  // API calls (a gRPC or pool thread): `fn` must not block.
  void RunOrEnqueue(Shard& s, std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> l(s.mu);
      if (s.running || s.stop || !s.queue.empty()) {
        s.queue.push_back(std::move(fn));
        s.cv.notify_one();
        return;
      }
      s.running = true;
    }
    fn();
    bool more;
    {
      std::lock_guard<std::mutex> l(s.mu);
      s.running = false;
      more = !s.queue.empty() || s.stop;
    }
    if (more) s.cv.notify_one();  // what came meanwhile is the shard thread's
  }

  void ShardLoop(Shard& s) {
    while (true) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> l(s.mu);
        s.cv.wait(l, [&] { return s.stop || (!s.running && !s.queue.empty()); });
        if (s.running || s.queue.empty()) {
          // Stopping: wait for a caller still running a step here and for
          // in-flight commits of this shard to land.
          if (!s.running && InFlight() == 0) return;
          s.cv.wait_for(l, std::chrono::milliseconds(5));
          continue;
        }
        fn = std::move(s.queue.front());
        s.queue.pop_front();
        s.running = true;
      }
      fn();
      std::lock_guard<std::mutex> l(s.mu);
      s.running = false;
    }
  }

  size_t InFlight() {
    std::lock_guard<std::mutex> l(commit_mu_);
    return in_flight_;
  }

  // Runs `fn` on the execution's shard with its slot loaded (a slot that
  // does not exist in the store comes with exists == false). Calls for an
  // execution run one at a time, never while its previous commit is in
  // flight.
  void Post(const std::string& id, std::function<void(Slot*)> fn) {
    Shard& s = ShardOf(id);
    Enqueue(s, [this, &s, id, fn = std::move(fn)]() mutable { RunOnSlot(s, id, std::move(fn)); });
  }

  // Like Post, running `fn` on the calling thread when the shard is idle
  // (see RunOrEnqueue): for API calls that start or answer work.
  void PostHere(const std::string& id, std::function<void(Slot*)> fn) {
    Shard& s = ShardOf(id);
    RunOrEnqueue(s,
                 [this, &s, id, fn = std::move(fn)]() mutable { RunOnSlot(s, id, std::move(fn)); });
  }

  // Like Post, for an execution that must exist; `missing` gets
  // ExecutionDoesNotExist (or the load error) otherwise.
  // `here`: run on the calling thread when the shard is idle (PostHere).
  template <typename Missing>
  void PostExisting(const std::string& id, std::function<void(Slot*)> fn, Missing missing,
                    bool here = false) {
    auto run = [this, id, fn = std::move(fn), missing](Slot* slot) mutable {
      if (!slot->load_error.ok()) {
        absl::Status e = slot->load_error;
        DropSlot(id);
        return missing(e);
      }
      if (!slot->exists) {
        DropSlot(id);
        return missing(ServiceError("ExecutionDoesNotExist",
                                    "Execution Does Not Exist: '" + id + "'"));
      }
      fn(slot);
    };
    if (here) {
      PostHere(id, std::move(run));
    } else {
      Post(id, std::move(run));
    }
  }

  void RunOnSlot(Shard& s, const std::string& id, std::function<void(Slot*)> fn) {
    auto it = s.slots.find(id);
    if (it == s.slots.end()) {
      auto slot = std::make_unique<Slot>();
      slot->id = id;
      absl::Status st = LoadSlot(*slot);
      if (!st.ok()) {
        // A record that does not decode is reported (kDataLoss naming the
        // execution) to whoever asks, never skipped silently.
        slot->exists = false;
        slot->load_error = st;
      }
      it = s.slots.emplace(id, std::move(slot)).first;
    }
    Slot* slot = it->second.get();
    if (slot->committing) {
      slot->waiting.push_back(std::move(fn));
      return;
    }
    fn(slot);
  }

  absl::Status LoadSlot(Slot& slot) {
    SW_ASSIGN_OR_RETURN(std::optional<storage::VersionedValue> v, store_->GetExecution(slot.id));
    if (!v.has_value()) return absl::OkStatus();
    SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(v->value, "execution " + slot.id));
    slot.exists = true;
    slot.version = v->version;
    slot.machine_arn = std::string(rec["machine_arn"].as_string());
    slot.revision = rec["revision"].as_int64();
    slot.input = std::string(rec["input"].as_string());
    slot.start_date = rec["start_date"].as_int64();
    slot.stop_date = rec["stop_date"].as_int64();
    std::string name = ArnTail(slot.machine_arn);
    SW_ASSIGN_OR_RETURN(std::optional<json::object> mrec, GetMachineRecord(name));
    if (!mrec.has_value()) {
      return absl::DataLossError("state machine of execution " + slot.id + " is missing");
    }
    SW_ASSIGN_OR_RETURN(slot.machine, ParsedRevision(*mrec, slot.revision));
    SW_ASSIGN_OR_RETURN(ExecutionState st, DecodeExecutionState(rec["state"], *slot.machine));
    slot.status = st.status;
    slot.state = std::make_unique<ExecutionState>(std::move(st));
    for (const json::value& tv : rec["tasks"].as_array()) {
      const json::object& to = tv.as_object();
      OpenTask t;
      t.task_id = to.at("task_id").as_int64();
      t.attempt = to.at("attempt").as_int64();
      t.activity = std::string(to.at("activity").as_string());
      t.input = std::string(to.at("input").as_string());
      t.started = to.at("started").as_bool();
      t.timeout_seconds = to.at("timeout_seconds").as_int64();
      t.heartbeat_seconds = to.at("heartbeat_seconds").as_int64();
      t.last_heartbeat = to.at("last_heartbeat").as_int64();
      slot.tasks[t.task_id] = std::move(t);
    }
    for (const json::value& tv : rec["timers"].as_array()) {
      const json::array& a = tv.as_array();
      slot.timer_dues[a[0].as_int64()] = a[1].as_int64();
    }
    slot.loaded = true;
    return absl::OkStatus();
  }

  void DropSlot(const std::string& id) {
    Shard& s = ShardOf(id);
    auto it = s.slots.find(id);
    if (it != s.slots.end() && !it->second->committing && it->second->waiting.empty()) {
      s.slots.erase(it);
    }
  }

  // ------------------------------------------------------------------ commit

  // Turns `d` into one Transition, hands it to the committer, and once it is
  // on disk releases its effects (tasks, timers) and calls `done`. The slot
  // takes no other work until then.
  void Commit(Slot* slot, Decision d, bool created, std::vector<storage::Write> extra,
              std::function<void(absl::Status)> done) {
    ExecutionState& st = *slot->state;
    TimeMs now = clock_->NowMs();
    if (d.yielded && st.status == ExecutionStatus::kRunning) {
      // More internal steps to run: a durable "continue" timer due now, so
      // a crash before the next group commits still resumes it.
      d.start_timers.push_back({kContinueTimerId, now});
    }
    storage::Transition t;
    t.execution_id = slot->id;
    t.expected_version = created ? 0 : slot->version;
    t.new_version = slot->version + 1;
    t.writes = std::move(extra);

    // Effects to release after the commit.
    auto effects = std::make_shared<Effects>();
    std::vector<std::pair<int64_t, std::shared_ptr<PollClaim>>> claimed;  // task id, poll
    effects->execution_id = slot->id;
    for (const ScheduleTaskCommand& c : d.schedule_tasks) {
      OpenTask task;
      task.task_id = c.task_id;
      task.attempt = c.attempt;
      task.input = SerializeJson(c.input);
      task.timeout_seconds = c.timeout_seconds;
      task.heartbeat_seconds = c.heartbeat_seconds;
      if (c.kind == TaskKind::kActivity) {
        task.activity = c.resource;
        // A worker already waiting gets the task in this same commit
        // (ActivityStarted beside ActivityScheduled): one synced write
        // instead of two before it runs.
        std::shared_ptr<void> claim;
        if (st.status == ExecutionStatus::kRunning) claim = tasks_.TakePoller(task.activity);
        if (claim != nullptr) {
          claimed.emplace_back(task.task_id, std::static_pointer_cast<PollClaim>(claim));
        } else {
          QueueTask(slot->id, task, t.writes, *effects);
        }
      } else {
        effects->unsupported.push_back({c.task_id, c.resource});
      }
      slot->tasks[task.task_id] = std::move(task);
    }
    for (auto& [task_id, claim] : claimed) {
      OpenTask& ot = slot->tasks[task_id];
      if (!Interp(*slot).TaskStarted(st, task_id, claim->worker, now, d).ok()) {
        // Not startable after all: queued as usual, the poll waits again.
        QueueTask(slot->id, ot, t.writes, *effects);
        effects->repoll.push_back(std::move(claim));
        continue;
      }
      ot.started = true;
      ot.last_heartbeat = now;
      AddTaskClockTimers(ot, now, d);
      effects->grants.emplace_back(
          std::move(claim),
          ActivityTaskGrant{tokens_->Encode({slot->id, task_id, ot.attempt}), ot.input});
    }
    for (int64_t task_id : d.cancel_tasks) CloseTask(slot, task_id, t.writes, *effects);
    for (const StartTimerCommand& c : d.start_timers) {
      slot->timer_dues[c.timer_id] = c.due;
      t.writes.push_back(
          {Table::kTimers, TimerRowKey(c.due, ToAbsl(slot->id), c.timer_id), std::string()});
      effects->arm.push_back(TimerEntry{c.due, slot->id, c.timer_id});
    }
    for (int64_t timer_id : d.cancel_timers) DisarmTimer(slot, timer_id, t.writes, *effects);
    // Tasks the interpreter completed (success, failure, timeout) are closed.
    for (auto it = slot->tasks.begin(); it != slot->tasks.end();) {
      if (!TaskStillOpen(st, it->first)) {
        int64_t id = it->first;
        ++it;
        CloseTask(slot, id, t.writes, *effects);
      } else {
        ++it;
      }
    }
    if (st.status != ExecutionStatus::kRunning) {
      // Everything left open closes with the execution.
      std::vector<int64_t> open;
      for (auto& [id, task] : slot->tasks) open.push_back(id);
      for (int64_t id : open) CloseTask(slot, id, t.writes, *effects);
      std::vector<int64_t> armed;
      for (auto& [id, due] : slot->timer_dues) armed.push_back(id);
      for (int64_t id : armed) DisarmTimer(slot, id, t.writes, *effects);
      if (slot->stop_date == 0) slot->stop_date = now;
    }
    if (!d.events.empty()) {
      t.first_event_id = d.events.front().id;
      t.last_event_id = d.events.back().id;
      t.history_chunk = EncodeHistoryChunk(d.events);
    }
    bool status_changed = created || st.status != slot->status;
    if (status_changed && st.status != ExecutionStatus::kRunning && opts_.on_execution_closed) {
      ExecutionDescription closed;
      closed.execution_arn = slot->id;
      closed.state_machine_arn = slot->machine_arn;
      closed.name = st.info.execution_name;
      closed.status = std::string(ExecutionStatusName(st.status));
      closed.start_date = slot->start_date;
      closed.stop_date = slot->stop_date;
      closed.revision = slot->revision;
      if (st.output) closed.output = st.output;
      if (!st.error.empty()) closed.error = st.error;
      if (!st.cause.empty()) closed.cause = st.cause;
      effects->closed = std::move(closed);
    }
    slot->status = st.status;
    if (status_changed) {
      json::object row;
      row["arn"] = Str(slot->id);
      row["name"] = Str(st.info.execution_name);
      row["status"] = Str(ExecutionStatusName(st.status));
      row["start_date"] = slot->start_date;
      row["stop_date"] = slot->stop_date;
      t.writes.push_back({Table::kVisibility,
                          storage::VisibilityKey(ToAbsl(slot->machine_arn), slot->start_date,
                                                 ToAbsl(slot->id)),
                          SerializeJson(row)});
    }
    t.execution_record = RecordText(*slot);
    size_t n_events = d.events.size();
    if (!slot->watchers.empty() && !d.events.empty()) {
      // The details as the chunk just encoded them (a scan, no re-encoding).
      SW_CHECK(DecodeHistoryChunkRaw(t.history_chunk, 0, &effects->watched).ok());
    }
    slot->committing = true;
    Submit(std::move(t), [this, slot_id = slot->id, effects, n_events,
                          done = std::move(done)](absl::Status s) mutable {
      Shard& sh = ShardOf(slot_id);
      Enqueue(sh, [this, &sh, slot_id, effects, n_events, s,
                   done = std::move(done)]() mutable {
        auto it = sh.slots.find(slot_id);
        SW_CHECK(it != sh.slots.end());
        Slot* committed = it->second.get();
        committed->committing = false;
        if (!s.ok()) {
          // Nothing was written: forget the in-memory state (it is ahead of
          // the store) and let the next call reload it.
          auto waiting = std::move(committed->waiting);
          sh.slots.erase(it);
          for (auto& [claim, grant] : effects->grants) claim->done(s);
          for (auto& claim : effects->repoll) claim->done(s);
          done(s);
          for (auto& w : waiting) Post(slot_id, std::move(w));
          return;
        }
        committed->version += 1;
        events_ += n_events;
        Release(*effects);
        if (!committed->watchers.empty()) Notify(committed, effects->watched);
        if (effects->closed) opts_.on_execution_closed(*effects->closed);
        done(absl::OkStatus());
        DrainWaiting(sh, slot_id);
      });
    });
  }

  using PollDeadline = std::chrono::steady_clock::time_point;

  // A waiting GetActivityTask, as TaskQueue::TakePoller hands it to a
  // commit that schedules a task of its activity.
  struct PollClaim {
    std::string activity;
    std::string worker;
    PollDeadline deadline;
    std::function<void(absl::StatusOr<ActivityTaskGrant>)> done;
    std::function<bool()> is_cancelled;
  };

  struct Effects {
    std::vector<ActivityTask> push;
    // Polls answered by this commit's hand-outs, and polls to resume.
    std::vector<std::pair<std::shared_ptr<PollClaim>, ActivityTaskGrant>> grants;
    std::vector<std::shared_ptr<PollClaim>> repoll;
    std::vector<std::pair<int64_t, std::string>> unsupported;  // task id, resource
    std::vector<TimerEntry> arm;
    std::vector<std::pair<std::string, int64_t>> disarm;  // execution, timer id
    std::vector<ActivityTask> remove;
    std::string execution_id;
    std::vector<RawHistoryEvent> watched;  // the events, for WatchExecution
    std::optional<ExecutionDescription> closed;  // for on_execution_closed
  };

  // Puts a new, not yet started activity task in the store's task table
  // and (after the commit) in the queue.
  void QueueTask(const std::string& exec, const OpenTask& task,
                 std::vector<storage::Write>& writes, Effects& fx) {
    writes.push_back({Table::kTasks, TaskRowKey(task.activity, exec, task.task_id), task.input});
    fx.push.push_back(ActivityTask{task.activity, exec, task.task_id, task.attempt, task.input});
  }

  // The task's own clocks start at ActivityStarted (AWS).
  static void AddTaskClockTimers(const OpenTask& t, TimeMs now, Decision& d) {
    if (t.timeout_seconds > 0) {
      d.start_timers.push_back({TaskTimeoutTimerId(t.task_id), now + t.timeout_seconds * 1000});
    }
    if (t.heartbeat_seconds > 0) {
      d.start_timers.push_back({HeartbeatTimerId(t.task_id), now + t.heartbeat_seconds * 1000});
    }
  }

  static bool TaskStillOpen(const ExecutionState& st, int64_t task_id) {
    for (const auto& [id, f] : st.frames) {
      if (f.task_id == task_id && f.phase == Frame::Phase::kAwaitTask) return true;
    }
    return false;
  }

  void CloseTask(Slot* slot, int64_t task_id, std::vector<storage::Write>& writes,
                 Effects& fx) {
    auto it = slot->tasks.find(task_id);
    if (it == slot->tasks.end()) return;
    const OpenTask& task = it->second;
    if (!task.activity.empty()) {
      if (!task.started) {
        writes.push_back({Table::kTasks, TaskRowKey(task.activity, slot->id, task_id),
                          std::nullopt});
        fx.remove.push_back(ActivityTask{task.activity, slot->id, task_id, task.attempt, ""});
      }
    }
    DisarmTimer(slot, TaskTimeoutTimerId(task_id), writes, fx);
    DisarmTimer(slot, HeartbeatTimerId(task_id), writes, fx);
    slot->tasks.erase(it);
  }

  void DisarmTimer(Slot* slot, int64_t timer_id, std::vector<storage::Write>& writes,
                   Effects& fx) {
    auto it = slot->timer_dues.find(timer_id);
    if (it == slot->timer_dues.end()) return;
    writes.push_back({Table::kTimers, TimerRowKey(it->second, ToAbsl(slot->id), timer_id),
                      std::nullopt});
    fx.disarm.push_back({slot->id, timer_id});
    slot->timer_dues.erase(it);
  }

  // The execution's stored record, written as text directly (every commit
  // writes one): machine, revision, input, dates, the interpreter's state,
  // open tasks and armed timers.
  static std::string RecordText(const Slot& slot) {
    std::string out;
    out.reserve(1024);
    JsonObjectWriter rec(out);
    rec.String("machine_arn", slot.machine_arn);
    rec.Int("revision", slot.revision);
    rec.String("input", slot.input);
    rec.Int("start_date", slot.start_date);
    rec.Int("stop_date", slot.stop_date);
    rec.Key("state");
    AppendExecutionStateJson(*slot.state, out);
    rec.Key("tasks");
    JsonArrayWriter tasks(out);
    for (const auto& [id, t] : slot.tasks) {
      tasks.Next();
      JsonObjectWriter o(out);
      o.Int("task_id", t.task_id);
      o.Int("attempt", t.attempt);
      o.String("activity", t.activity);
      o.String("input", t.input);
      o.Bool("started", t.started);
      o.Int("timeout_seconds", t.timeout_seconds);
      o.Int("heartbeat_seconds", t.heartbeat_seconds);
      o.Int("last_heartbeat", t.last_heartbeat);
      o.End();
    }
    tasks.End();
    rec.Key("timers");
    JsonArrayWriter timers(out);
    for (const auto& [id, due] : slot.timer_dues) {
      timers.Next();
      JsonArrayWriter pair(out);
      pair.Int(id);
      pair.Int(due);
      pair.End();
    }
    timers.End();
    rec.End();
    return out;
  }


  // Releases a commit's effects: only now may anyone see them.
  void Release(const Effects& fx) {
    for (const auto& [exec, id] : fx.disarm) timers_.Cancel(exec, id);
    for (const ActivityTask& t : fx.remove) tasks_.Remove(t.activity_arn, t.execution_id,
                                                          t.task_id);
    for (const TimerEntry& e : fx.arm) timers_.Add(e);
    for (const ActivityTask& t : fx.push) tasks_.Push(t);
    for (const auto& [claim, grant] : fx.grants) claim->done(grant);
    for (const auto& claim : fx.repoll) {
      PollOnce(claim->activity, claim->worker, claim->deadline, claim->done, claim->is_cancelled);
    }
    // Stepwise runs activities only (so far): other resources fail the task,
    // as the local runner does, through Retry/Catch like any failure. Posted
    // as its own step so the scheduling commit lands first.
    for (const auto& [task_id, resource] : fx.unsupported) {
      FailUnsupported(fx.execution_id, task_id, resource);
    }
  }

  void DrainWaiting(Shard& sh, const std::string& id) {
    auto it = sh.slots.find(id);
    if (it == sh.slots.end()) return;
    Slot* slot = it->second.get();
    while (!slot->committing && !slot->waiting.empty()) {
      auto fn = std::move(slot->waiting.front());
      slot->waiting.pop_front();
      fn(slot);
    }
    if (!slot->committing && slot->waiting.empty() && slot->watchers.empty() &&
        (slot->status != ExecutionStatus::kRunning || sh.slots.size() > opts_.max_cached_executions)) {
      sh.slots.erase(it);  // parked or finished: reloaded on demand
    }
  }

  void Submit(storage::Transition t, std::function<void(absl::Status)> done) {
    {
      std::lock_guard<std::mutex> l(commit_mu_);
      commit_queue_.push_back(PendingCommit{std::move(t), std::move(done)});
      ++in_flight_;
    }
    commit_cv_.notify_one();
  }

  void CommitLoop() {
    while (true) {
      std::vector<PendingCommit> batch;
      {
        std::unique_lock<std::mutex> l(commit_mu_);
        commit_cv_.wait(l, [&] { return commit_stop_ || !commit_queue_.empty(); });
        if (commit_queue_.empty()) return;
        while (!commit_queue_.empty() && batch.size() < opts_.max_batch) {
          batch.push_back(std::move(commit_queue_.front()));
          commit_queue_.pop_front();
        }
      }
      std::vector<const storage::Transition*> ptrs;
      for (auto& p : batch) ptrs.push_back(&p.t);
      // Fail-stop: once a write failed, what is on disk is uncertain and
      // nothing more is written or acknowledged (see on_storage_failure).
      // (A StatusOr must not be built from an OK status: absl aborts.)
      absl::StatusOr<std::vector<absl::Status>> results =
          storage_failure_.ok() ? store_->CommitBatch(ptrs)
                                : absl::StatusOr<std::vector<absl::Status>>(storage_failure_);
      batches_ += 1;
      bool first_failure = !results.ok() && storage_failure_.ok();
      if (first_failure) {
        storage_failure_ = absl::UnavailableError(absl::StrCat(
            "the server cannot persist changes and is stopping (", results.status().message(),
            ")"));
        results = storage_failure_;
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        absl::Status s = results.ok() ? (*results)[i] : results.status();
        if (s.ok()) commits_ += 1;
        batch[i].done(s);
      }
      if (first_failure && opts_.on_storage_failure) opts_.on_storage_failure(results.status());
      {
        std::lock_guard<std::mutex> l(commit_mu_);
        in_flight_ -= batch.size();
      }
    }
  }

  // ------------------------------------------------------- tasks and timers

  void PollOnce(const std::string& activity, const std::string& worker, PollDeadline deadline,
                std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                std::function<bool()> is_cancelled) {
    int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(
                       deadline - std::chrono::steady_clock::now())
                       .count();
    if (left <= 0 || (is_cancelled && is_cancelled())) return done(ActivityTaskGrant{});
    auto claim = std::make_shared<PollClaim>(PollClaim{activity, worker, deadline, done,
                                                       is_cancelled});
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
  void HandOut(ActivityTask task, std::string worker, PollDeadline deadline,
               std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
               std::function<bool()> is_cancelled) {
    std::string exec = task.execution_id;
    PostHere(exec, [this, task, worker, deadline, done, is_cancelled](Slot* slot) mutable {
      auto it = slot->exists ? slot->tasks.find(task.task_id) : slot->tasks.end();
      if (it == slot->tasks.end() || it->second.started ||
          slot->status != ExecutionStatus::kRunning) {
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
      if (!Interp(*slot).TaskStarted(*slot->state, task.task_id, worker, now, d).ok()) {
        return PollOnce(task.activity_arn, worker, deadline, std::move(done),
                        std::move(is_cancelled));
      }
      OpenTask& t = it->second;
      t.started = true;
      t.last_heartbeat = now;
      std::vector<storage::Write> writes;
      writes.push_back({Table::kTasks, TaskRowKey(t.activity, slot->id, t.task_id),
                        std::nullopt});
      AddTaskClockTimers(t, now, d);
      std::string token = tokens_->Encode({slot->id, t.task_id, t.attempt});
      std::string input = t.input;
      Commit(slot, std::move(d), false, std::move(writes),
             [done, token, input](absl::Status s) {
               if (!s.ok()) return done(s);
               done(ActivityTaskGrant{token, input});
             });
    });
  }

  void OnTimer(const TimerEntry& e) {
    if (stopped_.load()) return;
    timer_lag_ms_.store(std::max<int64_t>(0, clock_->NowMs() - e.due));
    Post(e.execution_id, [this, e](Slot* slot) {
      if (!slot->exists || slot->status != ExecutionStatus::kRunning) return;
      auto due = slot->timer_dues.find(e.timer_id);
      if (due == slot->timer_dues.end()) return;  // cancelled or already fired
      TimeMs now = clock_->NowMs();
      std::vector<storage::Write> writes;
      writes.push_back({Table::kTimers, TimerRowKey(due->second, ToAbsl(slot->id),
                                                          e.timer_id),
                        std::nullopt});
      slot->timer_dues.erase(due);
      Decision d;
      if (e.timer_id == kContinueTimerId) {
        Interp(*slot).Continue(*slot->state, now, d);
      } else if (e.timer_id < 0) {
        int64_t task_id = (-e.timer_id) / 2;
        bool heartbeat = (-e.timer_id) % 2 == 1;
        auto it = slot->tasks.find(task_id);
        if (it == slot->tasks.end()) return Commit(slot, std::move(d), false, std::move(writes),
                                                   [](absl::Status) {});
        OpenTask& t = it->second;
        if (heartbeat && t.last_heartbeat + t.heartbeat_seconds * 1000 > now) {
          // A heartbeat moved the deadline: re-arm.
          TimeMs next = t.last_heartbeat + t.heartbeat_seconds * 1000;
          d.start_timers.push_back({e.timer_id, next});
        } else {
          TaskResult r;
          r.kind = TaskResult::Kind::kTimedOut;
          Interp(*slot).CompleteTask(*slot->state, task_id, r, now, d).IgnoreError();  // closed
        }
      } else {
        Interp(*slot).FireTimer(*slot->state, e.timer_id, now, d).IgnoreError();  // no-op if stale
      }
      Commit(slot, std::move(d), false, std::move(writes), [](absl::Status) {});
    });
  }

  // Fails tasks whose resource Stepwise cannot run, as their own step.
  void FailUnsupported(const std::string& exec, int64_t task_id, const std::string& resource) {
    Post(exec, [this, task_id, resource](Slot* slot) {
      if (!slot->exists || slot->status != ExecutionStatus::kRunning) return;
      TaskResult r;
      r.kind = TaskResult::Kind::kFailed;
      r.error = "States.TaskFailed";
      r.cause = absl::StrCat("Stepwise cannot run resource '", resource,
                             "': only activity tasks are supported");
      Decision d;
      Interpreter in = Interp(*slot);
      if (!in.TaskStarted(*slot->state, task_id, "", clock_->NowMs(), d).ok()) return;
      if (!in.CompleteTask(*slot->state, task_id, r, clock_->NowMs(), d).ok()) return;
      Commit(slot, std::move(d), false, {}, [](absl::Status) {});
    });
  }

  // ---------------------------------------------------------------- recovery

  absl::Status Recover() {
    storage::ScanOptions all;
    SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> timers, store_->Scan(Table::kTimers, all));
    for (const auto& kv : timers) {
      SW_ASSIGN_OR_RETURN(storage::TimerKeyParts p, storage::DecodeTimerKey(kv.key));
      int64_t timer_id = 0;
      if (!absl::SimpleAtoi(p.timer_id, &timer_id)) {
        return absl::DataLossError("malformed stored timer key " + storage::EscapeKey(kv.key));
      }
      // A timer that fell due while the server was down fires at once.
      timers_.Add(TimerEntry{p.due_ms, p.execution_id, timer_id});
    }
    SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> tasks, store_->Scan(Table::kTasks, all));
    for (const auto& kv : tasks) {
      absl::string_view in = kv.key;
      auto activity = storage::ConsumeString(&in);
      auto exec = storage::ConsumeString(&in);
      auto task_id = storage::ConsumeOrderedInt64(&in);
      if (!activity || !exec || !task_id) {
        return absl::DataLossError("malformed stored task key " + storage::EscapeKey(kv.key));
      }
      // The attempt number is in the execution record; the worker's token
      // is made at hand-out from it.
      Post(*exec, [this, activity = *activity, id = *task_id, input = kv.value](Slot* slot) {
        auto it = slot->tasks.find(id);
        if (!slot->exists || it == slot->tasks.end() || it->second.started) return;
        tasks_.Push(ActivityTask{activity, slot->id, id, it->second.attempt, input});
      });
    }
    return absl::OkStatus();
  }

  storage::Store* store_;
  EngineOptions opts_;
  const Clock* clock_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
  asl::SeededRandom random_{0x5eed};
  std::atomic<bool> stopped_{false};

  std::unique_ptr<TaskTokenCodec> tokens_;
  TaskQueue tasks_;
  TimerQueue timers_;

  std::mutex machines_mu_;
  std::mutex activities_mu_;
  std::unordered_set<std::string> known_activities_;  // exist in the store
  std::mutex parsed_mu_;
  std::mutex machine_cache_mu_;
  std::unordered_map<std::string, json::object> machine_cache_;
  std::unordered_map<std::string, std::shared_ptr<const asl::StateMachine>> parsed_;

  std::vector<std::unique_ptr<Shard>> shards_;

  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::deque<PendingCommit> commit_queue_;
  size_t in_flight_ = 0;
  bool commit_stop_ = false;
  // Set by the committer thread only, on the first failed write.
  absl::Status storage_failure_;
  std::thread committer_;

  bool WatchActive(int64_t id) {
    std::lock_guard<std::mutex> l(watch_mu_);
    return watch_exec_.count(id) > 0;
  }
  void EndWatch(int64_t id) {
    std::lock_guard<std::mutex> l(watch_mu_);
    watch_exec_.erase(id);
  }

  // Sends a commit's events to the execution's watchers (shard thread).
  void Notify(Slot* slot, const std::vector<RawHistoryEvent>& events) {
    bool closed = slot->status != ExecutionStatus::kRunning;
    for (auto it = slot->watchers.begin(); it != slot->watchers.end();) {
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
        it = slot->watchers.erase(it);
      } else {
        ++it;
      }
    }
  }

  std::mutex watch_mu_;
  std::unordered_map<int64_t, std::string> watch_exec_;
  std::atomic<int64_t> next_watch_id_{1};

  std::atomic<int64_t> timer_lag_ms_{0};
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> events_{0};
};

// ------------------------------------------------------------------ Engine

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() { impl_->Shutdown(); }

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(storage::Store* store,
                                                     EngineOptions options) {
  auto impl = std::make_unique<Impl>(store, std::move(options));
  SW_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

void Engine::Shutdown() { impl_->Shutdown(); }

absl::StatusOr<StateMachineDescription> Engine::CreateStateMachine(const std::string& name,
                                                                   const std::string& definition,
                                                                   const std::string& role_arn,
                                                                   const std::string& type) {
  return impl_->CreateStateMachine(name, definition, role_arn, type);
}
absl::StatusOr<StateMachineDescription> Engine::DescribeStateMachine(const std::string& arn) {
  return impl_->DescribeStateMachine(arn);
}
absl::StatusOr<StateMachineDescription> Engine::UpdateStateMachine(
    const std::string& arn, const std::optional<std::string>& definition,
    const std::optional<std::string>& role_arn) {
  return impl_->UpdateStateMachine(arn, definition, role_arn);
}
absl::Status Engine::DeleteStateMachine(const std::string& arn) {
  return impl_->DeleteStateMachine(arn);
}
absl::StatusOr<std::vector<StateMachineDescription>> Engine::ListStateMachines() {
  return impl_->ListStateMachines();
}
absl::StatusOr<StateMachineDescription> Engine::DescribeStateMachineForExecution(
    const std::string& execution_arn) {
  return impl_->DescribeStateMachineForExecution(execution_arn);
}
absl::StatusOr<StartExecutionResult> Engine::StartExecution(const std::string& machine_arn,
                                                            const std::string& name,
                                                            const std::string& input) {
  return impl_->Wait<StartExecutionResult>([&](auto done) {
    impl_->StartExecutionAsync(machine_arn, name, input, done);
  });
}
void Engine::StartExecutionAsync(const std::string& machine_arn, const std::string& name,
                                 const std::string& input,
                                 std::function<void(absl::StatusOr<StartExecutionResult>)> done) {
  impl_->StartExecutionAsync(machine_arn, name, input, std::move(done));
}
absl::StatusOr<TimeMs> Engine::StopExecution(const std::string& arn, const std::string& error,
                                             const std::string& cause) {
  return impl_->StopExecution(arn, error, cause);
}
absl::StatusOr<ExecutionDescription> Engine::DescribeExecution(const std::string& arn) {
  return impl_->DescribeExecution(arn);
}
absl::StatusOr<ExecutionList> Engine::ListExecutions(const std::string& machine_arn,
                                                     const std::string& status_filter,
                                                     int max_results,
                                                     const std::string& next_token) {
  return impl_->ListExecutions(machine_arn, status_filter, max_results, next_token);
}
absl::StatusOr<HistoryPage> Engine::GetExecutionHistory(const std::string& arn, int max_results,
                                                        const std::string& next_token,
                                                        bool reverse_order,
                                                        bool include_execution_data) {
  return impl_->GetExecutionHistory(arn, max_results, next_token, reverse_order,
                                    include_execution_data);
}
absl::StatusOr<ActivityDescription> Engine::CreateActivity(const std::string& name) {
  return impl_->CreateActivity(name);
}
absl::StatusOr<ActivityDescription> Engine::DescribeActivity(const std::string& arn) {
  return impl_->DescribeActivity(arn);
}
absl::Status Engine::DeleteActivity(const std::string& arn) { return impl_->DeleteActivity(arn); }
absl::StatusOr<std::vector<ActivityDescription>> Engine::ListActivities() {
  return impl_->ListActivities();
}
void Engine::GetActivityTaskAsync(const std::string& activity_arn, const std::string& worker_name,
                                  int64_t timeout_ms,
                                  std::function<void(absl::StatusOr<ActivityTaskGrant>)> done,
                                  std::function<bool()> is_cancelled) {
  impl_->GetActivityTaskAsync(activity_arn, worker_name, timeout_ms, std::move(done),
                              std::move(is_cancelled));
}
absl::StatusOr<ActivityTaskGrant> Engine::GetActivityTask(const std::string& activity_arn,
                                                          const std::string& worker_name,
                                                          int64_t timeout_ms) {
  return impl_->Wait<ActivityTaskGrant>([&](auto done) {
    impl_->GetActivityTaskAsync(activity_arn, worker_name, timeout_ms, done, nullptr);
  });
}
absl::Status Engine::SendTaskSuccess(const std::string& token, const std::string& output) {
  return impl_->WaitStatus([&](auto done) { impl_->SendTaskSuccessAsync(token, output, done); });
}
absl::Status Engine::SendTaskFailure(const std::string& token, const std::string& error,
                                     const std::string& cause) {
  return impl_->WaitStatus(
      [&](auto done) { impl_->SendTaskFailureAsync(token, error, cause, done); });
}
absl::Status Engine::SendTaskHeartbeat(const std::string& token) {
  return impl_->WaitStatus([&](auto done) { impl_->SendTaskHeartbeatAsync(token, done); });
}
void Engine::SendTaskSuccessAsync(const std::string& token, const std::string& output,
                                  std::function<void(absl::Status)> done) {
  impl_->SendTaskSuccessAsync(token, output, std::move(done));
}
void Engine::SendTaskFailureAsync(const std::string& token, const std::string& error,
                                  const std::string& cause,
                                  std::function<void(absl::Status)> done) {
  impl_->SendTaskFailureAsync(token, error, cause, std::move(done));
}
void Engine::SendTaskHeartbeatAsync(const std::string& token,
                                    std::function<void(absl::Status)> done) {
  impl_->SendTaskHeartbeatAsync(token, std::move(done));
}
absl::StatusOr<int64_t> Engine::WatchExecutionRaw(const std::string& arn,
                                                  int64_t after_event_id, RawWatchFn on_events) {
  return impl_->WatchExecution(arn, after_event_id, std::move(on_events));
}

absl::StatusOr<int64_t> Engine::WatchExecution(const std::string& arn, int64_t after_event_id,
                                               WatchFn on_events) {
  return impl_->WatchExecution(
      arn, after_event_id,
      [fn = std::move(on_events)](std::vector<RawHistoryEvent> raw, bool closed) {
        std::vector<json::object> events;
        events.reserve(raw.size());
        for (const RawHistoryEvent& e : raw) events.push_back(ToAwsJson(e));
        return fn(std::move(events), closed);
      });
}
void Engine::CancelWatch(int64_t watch_id) { impl_->CancelWatch(watch_id); }
Engine::Stats Engine::stats() const { return impl_->stats(); }

}  // namespace stepwise::engine
