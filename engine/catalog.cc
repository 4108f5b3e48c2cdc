// Catalog: state machines and activities (see catalog.h). Any thread.
#include "engine/catalog.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "asl/definition.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/arn.h"
#include "engine/definition_check.h"
#include "engine/logging_configuration.h"
#include "engine/service_error.h"
#include "engine/tags.h"

namespace stepwise::engine {

namespace {

// AWS: a versionDescription without publish is refused (recorded).
absl::Status CheckVersionDescription(bool publish, const std::string& version_description) {
  if (!publish && !version_description.empty()) {
    return ServiceError("ValidationException",
                        "Version description can only be set when publish is true");
  }
  return absl::OkStatus();
}

using storage::Table;

json::value Str(std::string_view s) { return json::value(json::string(s)); }

}  // namespace

absl::StatusOr<json::object> ParseRecord(const std::string& text, const std::string& what) {
  auto v = ParseJson(text);
  if (!v.ok() || !v->is_object()) {
    return absl::DataLossError("stored record of " + what + " is malformed");
  }
  return std::move(v->get_object());
}

Catalog::Catalog(storage::Store* store, const EngineOptions* options, const Clock* clock,
                 std::function<bool(std::string_view resource)> unrecognized_resource)
    : store_(store), options_(options), clock_(clock) {
  rules_.unrecognized_resource = std::move(unrecognized_resource);
}

std::string Catalog::MachineArn(const std::string& name) const {
  return engine::MachineArn(options_->region, options_->account, name);
}

std::string Catalog::ActivityArn(const std::string& name) const {
  return engine::ActivityArn(options_->region, options_->account, name);
}

// ------------------------------------------------------------ state machines

absl::StatusOr<StateMachineDescription> Catalog::CreateStateMachine(
    const std::string& name, const std::string& definition, const std::string& role_arn,
    const std::string& type_in, const std::vector<Tag>& tags, const LoggingConfiguration& logging,
    bool publish, const std::string& version_description) {
  SW_RETURN_IF_ERROR(ValidateTags(tags));
  if (!ValidName(name)) return ServiceError("InvalidName", "Invalid Name: '" + name + "'");
  SW_RETURN_IF_ERROR(CheckVersionDescription(publish, version_description));
  SW_RETURN_IF_ERROR(CheckTagCount(MergeTags({}, tags), MachineArn(name)));
  std::string type = type_in.empty() ? "STANDARD" : type_in;
  if (type != "STANDARD" && type != "EXPRESS") {
    return ServiceError("ValidationException", "type must be STANDARD or EXPRESS");
  }
  SW_RETURN_IF_ERROR(RequireValidDefinition(definition, type, rules_));
  SW_RETURN_IF_ERROR(CheckLoggingConfiguration(logging));
  std::lock_guard<std::mutex> l(machines_mu_);
  StateMachineDescription out;
  auto mutate = [&](std::optional<json::object>& existing) -> absl::StatusOr<bool> {
    TimeMs now = clock_->NowMs();
    if (existing.has_value()) {
      // AWS's idempotency check: name, definition, type, logging (and
      // publish); a different roleArn or tags is ignored, neither is updated.
      json::object& rec = *existing;
      const json::array& revs = rec["revisions"].as_array();
      const json::object& last = revs.back().as_object();
      if (rec["status"].as_string() == "ACTIVE" &&
          last.at("definition").as_string() == definition &&
          rec["type"].as_string() == type &&
          LoggingConfigurationFromRecord(rec) == logging) {
        int64_t n = static_cast<int64_t>(revs.size());
        out = Describe(rec, n);
        if (!publish) return false;  // idempotent
        size_t before = rec.contains("versions") ? rec["versions"].as_array().size() : 0;
        SW_ASSIGN_OR_RETURN(StateMachineVersionItem v, PublishInto(rec, version_description));
        out.version_arn = v.arn;
        return rec["versions"].as_array().size() != before;
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
    rec["logging_configuration"] = LoggingConfigurationRecord(logging);
    json::array revs;
    revs.push_back(RevisionRecord(definition, now));
    rec["revisions"] = std::move(revs);
    if (!tags.empty()) rec["tags"] = TagsToJson(MergeTags({}, tags));
    std::string version_arn;
    if (publish) {
      SW_ASSIGN_OR_RETURN(StateMachineVersionItem v, PublishInto(rec, version_description));
      version_arn = v.arn;
    }
    out = Describe(rec, 1);
    out.version_arn = version_arn;
    existing = std::move(rec);
    return true;
  };
  SW_RETURN_IF_ERROR(ModifyMachine(name, mutate));
  return out;
}

absl::StatusOr<StateMachineDescription> Catalog::DescribeStateMachine(const std::string& arn) {
  if (auto split = SplitMachineArn(arn); split.ok() && !split->second.empty()) {
    return DescribeVersion(arn);
  }
  SW_ASSIGN_OR_RETURN(json::object rec, LoadMachineToDescribe(arn));
  return Describe(rec, static_cast<int64_t>(rec["revisions"].as_array().size()));
}

absl::StatusOr<StateMachineDescription> Catalog::UpdateStateMachine(
    const std::string& arn, const std::optional<std::string>& definition,
    const std::optional<std::string>& role_arn,
    const std::optional<LoggingConfiguration>& logging, bool publish,
    const std::string& version_description) {
  if (!definition.has_value() && !role_arn.has_value() && !logging.has_value()) {
    return ServiceError("MissingRequiredParameter",
                        "Either the definition, the role ARN, the LoggingConfiguration, or the "
                        "TracingConfiguration must be specified");
  }
  SW_RETURN_IF_ERROR(CheckVersionDescription(publish, version_description));
  if (logging.has_value()) SW_RETURN_IF_ERROR(CheckLoggingConfiguration(*logging));
  SW_ASSIGN_OR_RETURN(std::string name, MachineName(arn));
  std::lock_guard<std::mutex> l(machines_mu_);
  StateMachineDescription out;
  auto mutate = [&](std::optional<json::object>& found) -> absl::StatusOr<bool> {
    SW_RETURN_IF_ERROR(RequireMachine(found, arn));
    json::object& rec = *found;
    json::array& revs = rec["revisions"].as_array();
    std::string def = definition.value_or(
        std::string(revs.back().as_object().at("definition").as_string()));
    if (definition.has_value()) {
      SW_RETURN_IF_ERROR(
          RequireValidDefinition(def, std::string(rec["type"].as_string()), rules_));
    }
    if (role_arn.has_value()) rec["role_arn"] = Str(*role_arn);
    if (logging.has_value()) rec["logging_configuration"] = LoggingConfigurationRecord(*logging);
    revs.push_back(RevisionRecord(def, clock_->NowMs()));
    int64_t n = static_cast<int64_t>(revs.size());
    std::string version_arn;
    if (publish) {
      SW_ASSIGN_OR_RETURN(StateMachineVersionItem v, PublishInto(rec, version_description));
      version_arn = v.arn;
    }
    out = Describe(rec, n);
    out.version_arn = version_arn;
    return true;
  };
  SW_RETURN_IF_ERROR(ModifyMachine(name, mutate));
  return out;
}

absl::Status Catalog::DeleteStateMachine(const std::string& arn) {
  if (auto split = SplitMachineArn(arn); split.ok() && !split->second.empty()) {
    // Not a silent success: versions and aliases have their own deletes.
    return ServiceError("ValidationException",
                        "Invalid Arn: a version or alias ARN cannot be deleted with "
                        "DeleteStateMachine: '" + arn + "'");
  }
  SW_ASSIGN_OR_RETURN(std::string name, MachineName(arn));
  std::lock_guard<std::mutex> l(machines_mu_);
  auto mutate = [&](std::optional<json::object>& rec) -> absl::StatusOr<bool> {
    // AWS answers deletes of unknown (or deleting) machines with success.
    if (!RequireMachine(rec, arn).ok()) return false;
    // Revisions stay: executions still running need their definition. Tags,
    // versions and aliases go (version numbers are still never reused).
    (*rec)["status"] = "DELETING";
    rec->erase("tags");
    rec->erase("versions");
    rec->erase("aliases");
    rec->erase("indexed_fields");  // closing executions drop their entries
    return true;
  };
  SW_RETURN_IF_ERROR(ModifyMachine(name, mutate));
  ForgetIndexedFields(arn);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StateMachineDescription>> Catalog::ListStateMachines() {
  storage::ScanOptions o;
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows, store_->Scan(Table::kMachines, o));
  std::vector<StateMachineDescription> out;
  for (const auto& kv : rows) {
    SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(kv.value, "state machine " + kv.key));
    if (rec["status"].as_string() != "ACTIVE") continue;
    if (IsMapRunMachineName(kv.key)) continue;  // a Map Run's children (catalog_map_run.cc)
    out.push_back(Describe(rec, static_cast<int64_t>(rec["revisions"].as_array().size())));
  }
  return out;
}

json::object Catalog::RevisionRecord(const std::string& definition, TimeMs now) {
  json::object r;
  r["definition"] = Str(definition);
  r["update_date"] = now;
  return r;
}

StateMachineDescription Catalog::Describe(json::object& rec, int64_t revision) const {
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
  d.logging_configuration = LoggingConfigurationFromRecord(rec);
  return d;
}

absl::StatusOr<std::shared_ptr<const asl::StateMachine>> Catalog::ParsedRevision(
    json::object& rec, int64_t revision) {
  std::string key = absl::StrCat(rec["name"].as_string().c_str(), "#", revision);
  {
    std::lock_guard<std::mutex> l(parsed_mu_);
    auto it = parsed_.find(key);
    if (it != parsed_.end()) return it->second;
  }
  const json::array* revs = &rec["revisions"].as_array();
  std::optional<json::object> fresh;
  if (revision > 0 && static_cast<size_t>(revision) > revs->size()) {
    // Newer than the cached record: another node's update made it.
    SW_ASSIGN_OR_RETURN(fresh, FreshMachineRecord(std::string(rec["name"].as_string())));
    if (fresh.has_value()) revs = &(*fresh)["revisions"].as_array();
  }
  if (revision < 1 || static_cast<size_t>(revision) > revs->size()) {
    return absl::DataLossError("execution refers to a missing state machine revision");
  }
  auto def = ParseJson(std::string((*revs)[static_cast<size_t>(revision - 1)]
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

// ---------------------------------------------------------------- activities

absl::StatusOr<std::string> Catalog::ActivityName(const std::string& arn) const {
  std::string prefix = ActivityArn("");
  if (arn.rfind(prefix, 0) != 0 || arn.size() == prefix.size()) {
    return InvalidArnError(arn);
  }
  return arn.substr(prefix.size());
}

ActivityDescription Catalog::ActivityFromRecord(json::object& rec) {
  ActivityDescription d;
  d.name = std::string(rec["name"].as_string());
  d.arn = std::string(rec["arn"].as_string());
  d.creation_date = rec["creation_date"].as_int64();
  return d;
}

absl::StatusOr<ActivityDescription> Catalog::CreateActivity(const std::string& name,
                                                            const std::vector<Tag>& tags) {
  SW_RETURN_IF_ERROR(ValidateTags(tags));
  if (!ValidName(name)) return ServiceError("InvalidName", "Invalid Name: '" + name + "'");
  SW_RETURN_IF_ERROR(CheckTagCount(MergeTags({}, tags), ActivityArn(name)));
  std::lock_guard<std::mutex> l(machines_mu_);
  ActivityDescription out;
  auto mutate = [&](std::optional<json::object>& rec) -> absl::StatusOr<bool> {
    if (rec.has_value()) {  // idempotent on name
      out = ActivityFromRecord(*rec);
      return false;
    }
    rec.emplace();
    (*rec)["name"] = Str(name);
    (*rec)["arn"] = Str(ActivityArn(name));
    (*rec)["creation_date"] = clock_->NowMs();
    if (!tags.empty()) (*rec)["tags"] = TagsToJson(MergeTags({}, tags));
    out = ActivityFromRecord(*rec);
    return true;
  };
  SW_RETURN_IF_ERROR(ModifyActivity(name, mutate));
  return out;
}

absl::StatusOr<ActivityDescription> Catalog::DescribeActivity(const std::string& arn) {
  SW_ASSIGN_OR_RETURN(std::string name, ActivityName(arn));
  SW_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_->Get(Table::kActivities, name));
  if (!raw.has_value()) {
    return ServiceError("ActivityDoesNotExist", "Activity Does Not Exist: '" + arn + "'");
  }
  SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(*raw, "activity " + name));
  return ActivityFromRecord(rec);
}

absl::Status Catalog::DeleteActivity(const std::string& arn) {
  SW_ASSIGN_OR_RETURN(std::string name, ActivityName(arn));
  {
    std::lock_guard<std::mutex> l(activities_mu_);
    known_activities_.erase(arn);
  }
  return store_->Put(Table::kActivities, name, std::nullopt);
}

absl::StatusOr<std::vector<ActivityDescription>> Catalog::ListActivities() {
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                      store_->Scan(Table::kActivities, storage::ScanOptions{}));
  std::vector<ActivityDescription> out;
  for (const auto& kv : rows) {
    SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(kv.value, "activity " + kv.key));
    out.push_back(ActivityFromRecord(rec));
  }
  return out;
}

bool Catalog::KnownActivity(const std::string& arn) {
  std::lock_guard<std::mutex> l(activities_mu_);
  auto it = known_activities_.find(arn);
  if (it == known_activities_.end()) return false;
  if (!Expired(it->second)) return true;
  known_activities_.erase(it);  // deleted on another node? read it again
  return false;
}

void Catalog::RememberActivity(const std::string& arn) {
  TimeMs now = options_->catalog_cache_ttl_ms > 0 ? clock_->NowMs() : 0;
  std::lock_guard<std::mutex> l(activities_mu_);
  known_activities_[arn] = now;
}

}  // namespace stepwise::engine
