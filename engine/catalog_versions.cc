// Catalog: published versions of state machines (PublishStateMachineVersion,
// ListStateMachineVersions, DeleteStateMachineVersion, DescribeStateMachine
// on a version ARN) and what a StartExecution on a qualified ARN runs. A
// version is a published revision with a number (1, 2, ..., never reused)
// kept in the machine's record:
//   "versions": [{"n": N, "revision": R, "description": "...", "creation_date": T}...]
//   "next_version": the number the next version gets
// Any thread: writes hold machines_mu_ and go through ModifyMachine (a
// compare-and-set over the record read from the store, catalog_records.cc),
// as the catalog's other writes do.
#include <algorithm>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/arn.h"
#include "engine/catalog.h"
#include "engine/service_error.h"

namespace stepwise::engine {

namespace {

// The version number a qualifier names, or 0 when it is not a number.
int64_t VersionNumber(const std::string& qualifier) {
  int64_t n = 0;
  if (qualifier.empty() || qualifier.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(qualifier, &n) || n <= 0) {
    return 0;
  }
  return n;
}

// The stored version `n` of `rec`, or null.
const json::object* FindVersion(const json::object& rec, int64_t n) {
  const json::value* vs = rec.if_contains("versions");
  if (vs == nullptr || !vs->is_array()) return nullptr;
  for (const json::value& v : vs->get_array()) {
    const json::object& o = v.as_object();
    if (o.at("n").as_int64() == n) return &o;
  }
  return nullptr;
}

absl::Status MachineNotFound(const std::string& arn) {
  return ServiceError("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'");
}

}  // namespace

absl::StatusOr<std::pair<std::string, std::string>> Catalog::SplitMachineArn(
    const std::string& arn) const {
  std::string prefix = MachineArn("");
  if (arn.rfind(prefix, 0) != 0 || arn.size() == prefix.size()) {
    return InvalidArnError(arn);
  }
  std::string rest = arn.substr(prefix.size());
  size_t colon = rest.find(':');
  if (colon == std::string::npos) return std::make_pair(arn, std::string());
  std::string qualifier = rest.substr(colon + 1);
  if (colon == 0 || qualifier.empty() || qualifier.find(':') != std::string::npos) {
    return InvalidArnError(arn);
  }
  return std::make_pair(prefix + rest.substr(0, colon), qualifier);
}

absl::StatusOr<Catalog::Qualified> Catalog::LoadQualified(const std::string& arn) {
  SW_ASSIGN_OR_RETURN(auto split, SplitMachineArn(arn));
  if (split.second.empty()) {
    return ServiceError("InvalidArn", "Invalid Arn: '" + arn +
                                          "': a version or alias ARN was expected");
  }
  Qualified q;
  SW_ASSIGN_OR_RETURN(q.rec, LoadMachineToDescribe(split.first));
  q.machine_arn = split.first;
  q.qualifier = split.second;
  return q;
}

absl::StatusOr<StateMachineVersionItem> Catalog::PublishInto(json::object& rec,
                                                             const std::string& description) {
  if (description.size() > 256) {
    return ServiceError("ValidationException",
                        "1 validation error detected: Value at 'versionDescription' failed to "
                        "satisfy constraint: Member must have length less than or equal to 256");
  }
  std::string machine_arn(rec["arn"].as_string());
  int64_t revision = static_cast<int64_t>(rec["revisions"].as_array().size());
  if (!rec.contains("versions")) rec["versions"] = json::array();
  json::array& versions = rec["versions"].as_array();
  for (const json::value& v : versions) {  // idempotent: the version it has
    const json::object& o = v.as_object();
    if (o.at("revision").as_int64() == revision) {
      return StateMachineVersionItem{absl::StrCat(machine_arn, ":", o.at("n").as_int64()),
                                     o.at("creation_date").as_int64()};
    }
  }
  if (static_cast<int64_t>(versions.size()) >= options_->max_versions_per_machine) {
    return ServiceError("ServiceQuotaExceededException",
                        absl::StrCat("Maximum number of versions (",
                                     options_->max_versions_per_machine,
                                     ") reached for state machine '", machine_arn, "'"));
  }
  int64_t n = 1;
  if (const json::value* next = rec.if_contains("next_version")) n = next->as_int64();
  TimeMs now = clock_->NowMs();
  json::object v;
  v["n"] = n;
  v["revision"] = revision;
  v["description"] = json::string(description);
  v["creation_date"] = now;
  versions.push_back(std::move(v));
  rec["next_version"] = n + 1;
  return StateMachineVersionItem{absl::StrCat(machine_arn, ":", n), now};
}

absl::StatusOr<StateMachineVersionItem> Catalog::PublishStateMachineVersion(
    const std::string& arn, const std::optional<std::string>& revision_id,
    const std::string& description) {
  SW_ASSIGN_OR_RETURN(auto split, SplitMachineArn(arn));
  if (!split.second.empty()) {
    return ServiceError("ValidationException",
                        "Invalid Arn: a version or alias ARN cannot be published: '" + arn + "'");
  }
  SW_ASSIGN_OR_RETURN(std::string name, MachineName(arn));
  std::lock_guard<std::mutex> l(machines_mu_);
  StateMachineVersionItem out;
  auto mutate = [&](std::optional<json::object>& found) -> absl::StatusOr<bool> {
    SW_RETURN_IF_ERROR(RequireMachine(found, arn));
    json::object& rec = *found;
    int64_t revision = static_cast<int64_t>(rec["revisions"].as_array().size());
    if (revision_id.has_value()) {
      std::string current = Describe(rec, revision).revision_id;
      bool initial = *revision_id == "INITIAL" && revision == 1;
      if (*revision_id != current && !initial) {
        return ServiceError("ConflictException",
                            "Failed to publish the State Machine version: the revision id '" +
                                *revision_id + "' is not the current revision id '" + current +
                                "'");
      }
    }
    size_t before = rec.contains("versions") ? rec["versions"].as_array().size() : 0;
    SW_ASSIGN_OR_RETURN(out, PublishInto(rec, description));
    return rec["versions"].as_array().size() != before;
  };
  SW_RETURN_IF_ERROR(ModifyMachine(name, mutate));
  return out;
}

absl::StatusOr<std::vector<StateMachineVersionItem>> Catalog::ListStateMachineVersions(
    const std::string& arn) {
  SW_ASSIGN_OR_RETURN(auto split, SplitMachineArn(arn));
  if (!split.second.empty()) return MachineNotFound(arn);
  SW_ASSIGN_OR_RETURN(json::object rec, LoadMachineToDescribe(arn));
  std::vector<StateMachineVersionItem> out;
  if (const json::value* vs = rec.if_contains("versions")) {
    for (const json::value& v : vs->as_array()) {
      const json::object& o = v.as_object();
      out.push_back({absl::StrCat(arn, ":", o.at("n").as_int64()),
                     o.at("creation_date").as_int64()});
    }
  }
  std::reverse(out.begin(), out.end());  // newest first
  return out;
}

absl::Status Catalog::DeleteStateMachineVersion(const std::string& version_arn) {
  SW_ASSIGN_OR_RETURN(auto split, SplitMachineArn(version_arn));
  int64_t n = VersionNumber(split.second);
  if (n == 0) {
    return ServiceError("ValidationException",
                        "Invalid Arn: a state machine version ARN was expected: '" + version_arn +
                            "'");
  }
  SW_ASSIGN_OR_RETURN(std::string name, MachineName(split.first));
  std::lock_guard<std::mutex> l(machines_mu_);
  return ModifyMachine(name, [&](std::optional<json::object>& found) -> absl::StatusOr<bool> {
    // AWS deletes what does not exist with success.
    if (!RequireMachine(found, split.first).ok()) return false;
    json::object& rec = *found;
    if (FindVersion(rec, n) == nullptr) return false;
    std::vector<std::string> routing_aliases;
    if (const json::value* as = rec.if_contains("aliases")) {
      for (const json::value& a : as->as_array()) {
        const json::object& o = a.as_object();
        for (const json::value& r : o.at("routes").as_array()) {
          if (r.as_object().at("version").as_int64() == n) {
            // AWS lists the aliases by name (recorded).
            routing_aliases.emplace_back(o.at("name").as_string());
          }
        }
      }
    }
    if (!routing_aliases.empty()) {
      std::string list;
      for (const std::string& a : routing_aliases) {
        if (!list.empty()) list += ", ";
        list += a;
      }
      return ServiceError("ConflictException",
                          "Version to be deleted must not be referenced by an alias. Current "
                          "list of aliases referencing this version: [" + list + "]");
    }
    json::array& versions = rec["versions"].as_array();
    json::array kept;
    for (json::value& v : versions) {
      if (v.as_object().at("n").as_int64() != n) kept.push_back(std::move(v));
    }
    rec["versions"] = std::move(kept);
    return true;
  });
}

absl::StatusOr<StateMachineDescription> Catalog::DescribeVersion(const std::string& version_arn) {
  SW_ASSIGN_OR_RETURN(Qualified q, LoadQualified(version_arn));
  int64_t n = VersionNumber(q.qualifier);
  const json::object* v = n == 0 ? nullptr : FindVersion(q.rec, n);
  if (v == nullptr) return MachineNotFound(version_arn);
  StateMachineDescription d = Describe(q.rec, v->at("revision").as_int64());
  d.arn = version_arn;
  d.description = std::string(v->at("description").as_string());
  d.creation_date = v->at("creation_date").as_int64();
  return d;
}

absl::StatusOr<Catalog::StartTarget> Catalog::ResolveStartTarget(const std::string& arn,
                                                                 double pick) {
  SW_ASSIGN_OR_RETURN(auto split, SplitMachineArn(arn));
  StartTarget t;
  t.machine_arn = split.first;
  SW_ASSIGN_OR_RETURN(t.rec, LoadMachine(split.first));
  if (split.second.empty()) {
    t.revision = static_cast<int64_t>(t.rec["revisions"].as_array().size());
    return t;
  }
  int64_t n = VersionNumber(split.second);
  if (n == 0) {  // an alias: one of its versions by weight
    const json::value* as = t.rec.if_contains("aliases");
    const json::object* alias = nullptr;
    if (as != nullptr) {
      for (const json::value& a : as->as_array()) {
        if (a.as_object().at("name").as_string() == split.second) alias = &a.as_object();
      }
    }
    if (alias == nullptr) return MachineNotFound(arn);
    const json::array& routes = alias->at("routes").as_array();
    double threshold = 0;
    for (const json::value& r : routes) {
      const json::object& o = r.as_object();
      n = o.at("version").as_int64();
      threshold += static_cast<double>(o.at("weight").as_int64()) / 100.0;
      if (pick < threshold) break;
    }
    t.alias_arn = arn;
  }
  const json::object* v = FindVersion(t.rec, n);
  if (v == nullptr) return MachineNotFound(absl::StrCat(split.first, ":", n));
  t.revision = v->at("revision").as_int64();
  t.version_arn = absl::StrCat(split.first, ":", n);
  return t;
}

}  // namespace stepwise::engine
