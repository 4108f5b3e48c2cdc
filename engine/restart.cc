// Restart from any state: the pure part (see restart.h). Any thread.
#include "engine/restart.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "engine/service_error.h"

namespace stepwise::engine {

namespace {

constexpr size_t kMaxNameLength = 80;  // AWS's execution name limit

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(),
                                                suffix.data(), suffix.size()) == 0;
}

// Whether `scope` or a scope nested in it has a state `name`.
bool HasStateAnywhere(const asl::Scope& scope, const std::string& name) {
  if (scope.Find(name) >= 0) return true;
  for (const asl::State& s : scope.states) {
    for (const auto& b : s.branches) {
      if (b != nullptr && HasStateAnywhere(*b, name)) return true;
    }
    if (s.processor != nullptr && HasStateAnywhere(*s.processor, name)) return true;
  }
  return false;
}

std::string StringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "";
}

}  // namespace

absl::StatusOr<RestartEntry> FindRestartEntry(const std::vector<HistoryEvent>& history,
                                              const asl::StateMachine& machine,
                                              const std::string& state_name, int64_t event_id) {
  int index = machine.root->Find(state_name);
  if (index < 0) {
    if (HasStateAnywhere(*machine.root, state_name)) {
      return ServiceError("ValidationException",
                          absl::StrCat("Invalid stateName: '", state_name,
                                       "' is inside a Parallel or Map state; only top-level "
                                       "states can be restarted"));
    }
    return ServiceError("ValidationException",
                        absl::StrCat("Invalid stateName: the state machine has no state '",
                                     state_name, "'"));
  }
  // State names are unique across the whole definition (asl validator), so
  // every entry of a top-level state's name is a top-level entry.
  const HistoryEvent* found = nullptr;
  for (const HistoryEvent& e : history) {
    if (!EndsWith(e.type, "StateEntered")) continue;
    if (StringMember(e.details, "name") != state_name) continue;
    if (event_id == 0 || e.id == event_id) found = &e;
  }
  if (found == nullptr) {
    if (event_id != 0) {
      return ServiceError("ValidationException",
                          absl::StrCat("Invalid eventId: event ", event_id,
                                       " is not an entry of state '", state_name, "'"));
    }
    return ServiceError("ValidationException",
                        absl::StrCat("Invalid stateName: the execution never entered state '",
                                     state_name, "'"));
  }
  RestartEntry r;
  r.event_id = found->id;
  r.state_index = index;
  // Variables assigned inside a Map or Parallel stay there, so only the
  // top-level states' assignments (their StateExited events, values as
  // JSON text) make the scope the entry saw.
  for (const HistoryEvent& e : history) {
    if (e.id >= found->id) break;
    if (!EndsWith(e.type, "StateExited")) continue;
    if (machine.root->Find(StringMember(e.details, "name")) < 0) continue;
    const json::value* assigned = e.details.if_contains("assignedVariables");
    if (assigned == nullptr || !assigned->is_object()) continue;
    for (const auto& kv : assigned->as_object()) {
      if (!kv.value().is_string()) continue;
      auto v = ParseJson(std::string(kv.value().as_string()));
      if (v.ok()) r.variables[kv.key()] = std::move(*v);
    }
  }
  const json::value* input = found->details.if_contains("input");
  r.input = input != nullptr && input->is_string() ? std::string(input->as_string()) : "{}";
  return r;
}

json::object RestartedFromDetails(const RestartOrigin& o) {
  json::object d;
  d["executionArn"] = json::string(o.execution_arn);
  d["stateName"] = json::string(o.state_name);
  d["eventId"] = o.event_id;
  return d;
}

std::optional<RestartOrigin> RestartedFrom(const json::object& started_details) {
  const json::value* v = started_details.if_contains(kRestartedFromMember);
  if (v == nullptr || !v->is_object()) return std::nullopt;
  const json::object& o = v->as_object();
  RestartOrigin r;
  r.execution_arn = StringMember(o, "executionArn");
  r.state_name = StringMember(o, "stateName");
  const json::value* id = o.if_contains("eventId");
  if (id != nullptr && id->is_int64()) r.event_id = id->as_int64();
  return r;
}

json::object ExecutionRestartedDetails(const std::string& new_execution_arn,
                                       const std::string& state_name, int64_t event_id) {
  json::object d;
  d["executionArn"] = json::string(new_execution_arn);
  d["stateName"] = json::string(state_name);
  d["eventId"] = event_id;
  return d;
}

std::vector<std::string> RestartedInto(const std::vector<HistoryEvent>& history) {
  std::vector<std::string> out;
  for (const HistoryEvent& e : history) {
    if (e.type == kExecutionRestartedType) out.push_back(StringMember(e.details, "executionArn"));
  }
  return out;
}

namespace {
std::string WithSuffix(const std::string& name, const std::string& suffix) {
  return name.substr(0, kMaxNameLength - suffix.size()) + suffix;
}
}  // namespace

std::string RestartName(const std::string& name, int64_t n) {
  return WithSuffix(name, absl::StrCat("-restart-", n));
}

std::optional<std::string> RestartNameWhere(const std::string& name, int64_t n,
                                            absl::FunctionRef<bool(const std::string&)> fits) {
  std::string plain = RestartName(name, n);
  if (fits(plain)) return plain;
  for (int k = 1; k < 100000; ++k) {
    std::string salted = WithSuffix(name, absl::StrCat("-restart-", n, "-", k));
    if (fits(salted)) return salted;
  }
  return std::nullopt;
}

}  // namespace stepwise::engine
