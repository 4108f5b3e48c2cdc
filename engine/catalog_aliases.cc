// Catalog: aliases of state machines (Create/Describe/Update/Delete/
// ListStateMachineAliases). An alias routes StartExecution to one or two
// published versions by weight (catalog_versions.cc resolves it); it is
// kept in the machine's record:
//   "aliases": [{"name", "description", "routes": [{"version": N, "weight": W}...],
//                "creation_date", "update_date"}...]
// Any thread: writes hold machines_mu_ and go through ModifyMachine (a
// compare-and-set over the record read from the store, catalog_records.cc),
// as the catalog's other writes do.
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/catalog.h"
#include "engine/service_error.h"
#include "engine/tags.h"

namespace stepwise::engine {

namespace {

constexpr char kAliasPattern[] = "^(?=.*[a-zA-Z_\\-\\.])[a-zA-Z0-9_\\-\\.]+$";

absl::Status Invalid(std::string_view message) {
  return ServiceError("ValidationException", message);
}

// AWS's alias name rule: 1-80 of [a-zA-Z0-9_.-], not only digits.
absl::Status CheckAliasName(const std::string& name) {
  if (name.empty() || name.size() > 80) {
    return Invalid(absl::StrCat("1 validation error detected: Value '", name,
                                "' at 'name' failed to satisfy constraint: Member must have "
                                "length ",
                                name.empty() ? "greater than or equal to 1"
                                             : "less than or equal to 80"));
  }
  bool non_digit = false;
  bool allowed = true;
  for (char c : name) {
    bool digit = c >= '0' && c <= '9';
    bool other = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' ||
                 c == '.';
    allowed = allowed && (digit || other);
    non_digit = non_digit || other;
  }
  if (!allowed || !non_digit) {
    return Invalid(absl::StrCat("1 validation error detected: Value '", name,
                                "' at 'name' failed to satisfy constraint: Member must satisfy "
                                "regular expression pattern: ",
                                kAliasPattern));
  }
  return absl::OkStatus();
}

absl::Status CheckDescription(const std::string& description) {
  if (description.size() > 256) {
    return Invalid("1 validation error detected: Value at 'description' failed to satisfy "
                   "constraint: Member must have length less than or equal to 256");
  }
  return absl::OkStatus();
}

json::object* FindAlias(json::object& rec, const std::string& name) {
  json::value* as = rec.if_contains("aliases");
  if (as == nullptr) return nullptr;
  for (json::value& a : as->as_array()) {
    if (a.as_object().at("name").as_string() == name) return &a.as_object();
  }
  return nullptr;
}

bool HasAlias(const json::object& rec, const std::string& name) {
  const json::value* as = rec.if_contains("aliases");
  if (as == nullptr) return false;
  for (const json::value& a : as->as_array()) {
    if (a.as_object().at("name").as_string() == name) return true;
  }
  return false;
}

bool HasVersion(const json::object& rec, int64_t n) {
  const json::value* vs = rec.if_contains("versions");
  if (vs == nullptr) return false;
  for (const json::value& v : vs->as_array()) {
    if (v.as_object().at("n").as_int64() == n) return true;
  }
  return false;
}

json::array RoutesJson(const std::vector<std::pair<int64_t, int64_t>>& routes) {
  json::array out;
  for (const auto& [n, w] : routes) out.push_back(json::object{{"version", n}, {"weight", w}});
  return out;
}

StateMachineAliasDescription AliasFromRecord(const std::string& machine_arn,
                                             const json::object& a) {
  StateMachineAliasDescription d;
  d.name = std::string(a.at("name").as_string());
  d.arn = absl::StrCat(machine_arn, ":", d.name);
  d.description = std::string(a.at("description").as_string());
  for (const json::value& r : a.at("routes").as_array()) {
    const json::object& o = r.as_object();
    d.routing.push_back(AliasRoute{absl::StrCat(machine_arn, ":", o.at("version").as_int64()),
                                   o.at("weight").as_int64()});
  }
  d.creation_date = a.at("creation_date").as_int64();
  d.update_date = a.at("update_date").as_int64();
  return d;
}

// A routing configuration checked as AWS does: its machine's ARN and its
// (version number, weight) entries.
struct CheckedRouting {
  std::string machine_arn;
  std::vector<std::pair<int64_t, int64_t>> routes;
};

// "[a, b]": the routing's version ARNs as AWS's messages list them.
std::string Received(const std::vector<AliasRoute>& routing) {
  std::string out = "[";
  for (size_t i = 0; i < routing.size(); ++i) {
    absl::StrAppend(&out, i > 0 ? ", " : "", routing[i].version_arn);
  }
  return out + "]";
}

// AWS's messages are the recorded ones (CreateStateMachineAlias with an
// empty, too long, out-of-range, unversioned, repeated or unbalanced
// routingConfiguration), checked in the order AWS reports them: the
// model's constraints first, then what the routing means.
absl::StatusOr<CheckedRouting> CheckRouting(
    const std::vector<AliasRoute>& routing,
    const std::function<absl::StatusOr<std::pair<std::string, std::string>>(
        const std::string&)>& split) {
  if (routing.empty() || routing.size() > 2) {
    std::string value = "[";
    for (size_t i = 0; i < routing.size(); ++i) {
      absl::StrAppend(&value, i > 0 ? ", " : "",
                      "RoutingConfigurationListItem(stateMachineVersionArn=",
                      routing[i].version_arn, ", weight=", routing[i].weight, ")");
    }
    value += "]";
    return Invalid(absl::StrCat("1 validation error detected: Value '", value,
                                "' at 'routingConfiguration' failed to satisfy constraint: "
                                "Member must have length ",
                                routing.empty() ? "greater than or equal to 1"
                                                : "less than or equal to 2"));
  }
  for (size_t i = 0; i < routing.size(); ++i) {
    const AliasRoute& r = routing[i];
    if (r.weight < 0 || r.weight > 100) {
      return Invalid(absl::StrCat("1 validation error detected: Value '", r.weight,
                                  "' at 'routingConfiguration.", i + 1,
                                  ".member.weight' failed to satisfy constraint: Member must "
                                  "have value ",
                                  r.weight < 0 ? "greater than or equal to 0"
                                               : "less than or equal to 100"));
    }
  }
  CheckedRouting out;
  int64_t sum = 0;
  std::set<int64_t> seen;
  for (size_t i = 0; i < routing.size(); ++i) {
    const AliasRoute& r = routing[i];
    SW_ASSIGN_OR_RETURN(auto parts, split(r.version_arn));
    int64_t n = 0;
    if (parts.second.empty() ||
        parts.second.find_first_not_of("0123456789") != std::string::npos ||
        !absl::SimpleAtoi(parts.second, &n) || n <= 0) {
      return Invalid("Routing configuration must contain state machine version ARNs. Received: " +
                     Received(routing));
    }
    if (i > 0 && parts.first != out.machine_arn) {
      return Invalid(
          "Routing configuration must contain versions of the same state machine. Received: " +
          Received(routing));
    }
    if (!seen.insert(n).second) {
      return Invalid(
          "Routing configuration must contain distinct state machine version ARNs. Received: " +
          Received(routing));
    }
    out.machine_arn = parts.first;
    out.routes.emplace_back(n, r.weight);
    sum += r.weight;
  }
  if (sum != 100) {
    std::string weights = "[";
    for (size_t i = 0; i < routing.size(); ++i) {
      absl::StrAppend(&weights, i > 0 ? ", " : "", routing[i].weight);
    }
    return Invalid("Sum of routing configuration weights must equal 100. Received: " + weights +
                   "]");
  }
  return out;
}

}  // namespace

absl::StatusOr<StateMachineAliasDescription> Catalog::CreateStateMachineAlias(
    const std::string& name, const std::string& description,
    const std::vector<AliasRoute>& routing) {
  SW_RETURN_IF_ERROR(CheckAliasName(name));
  SW_RETURN_IF_ERROR(CheckDescription(description));
  SW_ASSIGN_OR_RETURN(CheckedRouting checked,
                      CheckRouting(routing, [this](const std::string& a) {
                        return SplitMachineArn(a);
                      }));
  SW_ASSIGN_OR_RETURN(std::string machine_name, MachineName(checked.machine_arn));
  std::lock_guard<std::mutex> l(machines_mu_);
  StateMachineAliasDescription out;
  auto mutate = [&](std::optional<json::object>& found) -> absl::StatusOr<bool> {
    SW_RETURN_IF_ERROR(RequireMachine(found, checked.machine_arn));
    json::object& rec = *found;
    for (const auto& [n, w] : checked.routes) {
      if (!HasVersion(rec, n)) {
        return TaggedResourceNotFound(absl::StrCat(checked.machine_arn, ":", n));
      }
    }
    json::array routes = RoutesJson(checked.routes);
    if (json::object* existing = FindAlias(rec, name)) {
      if (existing->at("description").as_string() == description &&
          existing->at("routes").as_array() == routes) {
        out = AliasFromRecord(checked.machine_arn, *existing);  // idempotent
        return false;
      }
      return ServiceError("ConflictException",
                          "Failed to create alias because an alias with the same name and a "
                          "different routing configuration already exists.");
    }
    if (!rec.contains("aliases")) rec["aliases"] = json::array();
    json::array& aliases = rec["aliases"].as_array();
    if (static_cast<int64_t>(aliases.size()) >= options_->max_aliases_per_machine) {
      return ServiceError("ServiceQuotaExceededException",
                          absl::StrCat("Maximum number of aliases (",
                                       options_->max_aliases_per_machine,
                                       ") reached for state machine '", checked.machine_arn,
                                       "'"));
    }
    TimeMs now = clock_->NowMs();
    json::object a{{"name", name},
                   {"description", description},
                   {"routes", std::move(routes)},
                   {"creation_date", now},
                   {"update_date", now}};
    out = AliasFromRecord(checked.machine_arn, a);
    aliases.push_back(std::move(a));
    return true;
  };
  SW_RETURN_IF_ERROR(ModifyMachine(machine_name, mutate));
  return out;
}

absl::Status Catalog::RequireAlias(const std::optional<json::object>& rec,
                                   const std::string& alias_arn, const std::string& alias) {
  // AWS's words (recorded for UpdateStateMachineAlias of a missing alias).
  if (!rec.has_value() || rec->at("status").as_string() != "ACTIVE" ||
      !HasAlias(*rec, alias)) {
    return TaggedResourceNotFound(alias_arn,
                                  "Request references a resource that does not exist.");
  }
  return absl::OkStatus();
}

absl::StatusOr<Catalog::Qualified> Catalog::LoadAlias(const std::string& alias_arn) {
  auto q = LoadQualified(alias_arn);
  if (!q.ok()) {
    if (ServiceErrorName(q.status()) == "StateMachineDoesNotExist") {
      return RequireAlias(std::nullopt, alias_arn, "");
    }
    return q.status();
  }
  SW_RETURN_IF_ERROR(RequireAlias(q->rec, alias_arn, q->qualifier));
  return q;
}

absl::StatusOr<StateMachineAliasDescription> Catalog::DescribeStateMachineAlias(
    const std::string& alias_arn) {
  SW_ASSIGN_OR_RETURN(auto split, SplitMachineArn(alias_arn));
  SW_ASSIGN_OR_RETURN(Qualified q, LoadAlias(alias_arn));
  json::object* a = FindAlias(q.rec, q.qualifier);
  return AliasFromRecord(split.first, *a);
}

absl::StatusOr<StateMachineAliasDescription> Catalog::UpdateStateMachineAlias(
    const std::string& alias_arn, const std::optional<std::string>& description,
    const std::optional<std::vector<AliasRoute>>& routing) {
  if (!description.has_value() && !routing.has_value()) {
    return Invalid("Either the description or the routingConfiguration must be specified");
  }
  if (description.has_value()) SW_RETURN_IF_ERROR(CheckDescription(*description));
  std::optional<CheckedRouting> checked;
  if (routing.has_value()) {
    SW_ASSIGN_OR_RETURN(checked, CheckRouting(*routing, [this](const std::string& a) {
                          return SplitMachineArn(a);
                        }));
  }
  SW_ASSIGN_OR_RETURN(auto split, SplitMachineArn(alias_arn));
  if (split.second.empty()) {
    return ServiceError("InvalidArn", "Invalid Arn: '" + alias_arn +
                                          "': a version or alias ARN was expected");
  }
  const std::string& machine_arn = split.first;
  const std::string& alias = split.second;
  SW_ASSIGN_OR_RETURN(std::string machine_name, MachineName(machine_arn));
  std::lock_guard<std::mutex> l(machines_mu_);
  StateMachineAliasDescription out;
  auto mutate = [&](std::optional<json::object>& found) -> absl::StatusOr<bool> {
    SW_RETURN_IF_ERROR(RequireAlias(found, alias_arn, alias));
    json::object& rec = *found;
    json::object* a = FindAlias(rec, alias);
    bool changed = false;
    if (checked.has_value()) {
      if (checked->machine_arn != machine_arn) {
        return Invalid(
            "Routing configuration must contain versions of the alias's state machine");
      }
      for (const auto& [n, w] : checked->routes) {
        if (!HasVersion(rec, n)) {
          return TaggedResourceNotFound(absl::StrCat(machine_arn, ":", n));
        }
      }
      json::array routes = RoutesJson(checked->routes);
      if ((*a)["routes"].as_array() != routes) {
        (*a)["routes"] = std::move(routes);
        changed = true;
      }
    }
    if (description.has_value() && (*a)["description"].as_string() != *description) {
      (*a)["description"] = json::string(*description);
      changed = true;
    }
    if (changed) (*a)["update_date"] = clock_->NowMs();
    out = AliasFromRecord(machine_arn, *a);
    return changed;  // unchanged: idempotent, nothing written
  };
  SW_RETURN_IF_ERROR(ModifyMachine(machine_name, mutate));
  return out;
}

absl::Status Catalog::DeleteStateMachineAlias(const std::string& alias_arn) {
  SW_ASSIGN_OR_RETURN(auto split, SplitMachineArn(alias_arn));
  if (split.second.empty()) {
    return ServiceError("InvalidArn", "Invalid Arn: '" + alias_arn +
                                          "': a version or alias ARN was expected");
  }
  const std::string alias = split.second;
  SW_ASSIGN_OR_RETURN(std::string machine_name, MachineName(split.first));
  std::lock_guard<std::mutex> l(machines_mu_);
  return ModifyMachine(machine_name, [&](std::optional<json::object>& found)
                                         -> absl::StatusOr<bool> {
    SW_RETURN_IF_ERROR(RequireAlias(found, alias_arn, alias));
    json::array kept;
    for (json::value& a : (*found)["aliases"].as_array()) {
      if (a.as_object().at("name").as_string() != alias) kept.push_back(std::move(a));
    }
    (*found)["aliases"] = std::move(kept);
    return true;
  });
}

absl::StatusOr<std::vector<StateMachineAliasDescription>> Catalog::ListStateMachineAliases(
    const std::string& arn) {
  SW_ASSIGN_OR_RETURN(auto split, SplitMachineArn(arn));
  if (!split.second.empty()) {
    return ServiceError("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'");
  }
  SW_ASSIGN_OR_RETURN(json::object rec, LoadMachineToDescribe(arn));
  std::vector<StateMachineAliasDescription> out;
  if (const json::value* as = rec.if_contains("aliases")) {
    for (const json::value& a : as->as_array()) out.push_back(AliasFromRecord(arn, a.as_object()));
  }
  return out;
}

}  // namespace stepwise::engine
