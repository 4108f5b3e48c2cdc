// Catalog: the indexed fields a state machine declares for search
// (Stepwise.PutIndexedFields / GetIndexedFields), kept in the machine's
// record under "indexed_fields", and their compiled form the step reads on
// every visibility write (cached per machine: forgotten on a write here,
// re-read after EngineOptions::catalog_cache_ttl_ms when another node may
// write, catalog.h). Any thread.
#include <utility>

#include "common/status_macros.h"
#include "engine/catalog.h"
#include "engine/search/indexed_fields.h"
#include "engine/service_error.h"

namespace stepwise::engine {

namespace {

absl::Status RefuseQualified(const std::string& arn) {
  return ServiceError("ValidationException",
                      "Invalid Arn: indexed fields belong to the state machine, not to a version "
                      "or alias: '" + arn + "'");
}

}  // namespace

absl::Status Catalog::PutIndexedFields(const std::string& arn,
                                       const std::vector<IndexedField>& fields) {
  SW_ASSIGN_OR_RETURN(auto split, SplitMachineArn(arn));
  if (!split.second.empty()) return RefuseQualified(arn);
  SW_RETURN_IF_ERROR(CheckIndexedFields(fields));
  SW_ASSIGN_OR_RETURN(std::string name, MachineName(arn));
  std::lock_guard<std::mutex> l(machines_mu_);
  auto mutate = [&](std::optional<json::object>& found) -> absl::StatusOr<bool> {
    SW_RETURN_IF_ERROR(RequireMachine(found, arn));
    json::object& rec = *found;
    if (rec["type"].as_string() == "EXPRESS") {
      // Express executions keep no visibility, so nothing would be indexed.
      return ServiceError("StateMachineTypeNotSupported",
                          "This operation is not supported by this type of state machine");
    }
    if (fields.empty()) {
      rec.erase("indexed_fields");
    } else {
      rec["indexed_fields"] = IndexedFieldsRecord(fields);
    }
    return true;
  };
  SW_RETURN_IF_ERROR(ModifyMachine(name, mutate));
  ForgetIndexedFields(arn);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<IndexedField>> Catalog::GetIndexedFields(const std::string& arn) {
  SW_ASSIGN_OR_RETURN(auto split, SplitMachineArn(arn));
  if (!split.second.empty()) return RefuseQualified(arn);
  SW_ASSIGN_OR_RETURN(json::object rec, LoadMachineToDescribe(arn));
  const json::value* v = rec.if_contains("indexed_fields");
  if (v == nullptr) return std::vector<IndexedField>();
  return IndexedFieldsFromRecord(*v);
}

absl::StatusOr<std::shared_ptr<const CompiledIndexedFields>> Catalog::CompiledIndexedFieldsOf(
    const std::string& machine_arn) {
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> c(indexed_mu_);
    auto it = indexed_.find(machine_arn);
    if (it != indexed_.end() && !Expired(it->second.cached_ms)) return it->second.compiled;
    generation = indexed_generation_;
  }
  std::shared_ptr<const CompiledIndexedFields> compiled;
  SW_ASSIGN_OR_RETURN(json::object rec, LoadMachine(machine_arn, /*allow_deleting=*/true));
  if (const json::value* v = rec.if_contains("indexed_fields")) {
    SW_ASSIGN_OR_RETURN(std::vector<IndexedField> fields, IndexedFieldsFromRecord(*v));
    SW_ASSIGN_OR_RETURN(compiled, CompiledIndexedFields::Compile(fields));
  }
  std::lock_guard<std::mutex> c(indexed_mu_);
  // A declaration changed meanwhile: what was read may be the old one, so it
  // is used this once but not cached.
  if (generation == indexed_generation_) {
    TimeMs now = options_->catalog_cache_ttl_ms > 0 ? clock_->NowMs() : 0;
    indexed_[machine_arn] = CachedIndexedFields{compiled, now};
  }
  return compiled;
}

void Catalog::ForgetIndexedFields(const std::string& machine_arn) {
  std::lock_guard<std::mutex> c(indexed_mu_);
  indexed_.erase(machine_arn);
  ++indexed_generation_;
}

}  // namespace stepwise::engine
