// Catalog::EnsureMapRunMachine (catalog.h): the hidden MACHINE/LABEL
// machines a Distributed Map's Map Run starts its child executions on
// (engine/map_run/map_run_driver.h). Any thread; under machines_mu_, written
// with ModifyMachine (catalog_records.cc).
#include <optional>
#include <string>
#include <utility>

#include "common/status_macros.h"
#include "engine/catalog.h"
#include "engine/logging_configuration.h"

namespace stepwise::engine {

absl::StatusOr<std::string> Catalog::EnsureMapRunMachine(const std::string& name,
                                                         const std::string& definition,
                                                         const std::string& type) {
  std::lock_guard<std::mutex> l(machines_mu_);
  auto mutate = [&](std::optional<json::object>& existing) -> absl::StatusOr<bool> {
    TimeMs now = clock_->NowMs();
    if (existing.has_value()) {
      json::object& rec = *existing;
      json::array& revs = rec["revisions"].as_array();
      if (revs.back().as_object().at("definition").as_string() == definition &&
          rec["type"].as_string() == type && rec["status"].as_string() == "ACTIVE") {
        return false;
      }
      rec["type"] = json::string(type);
      rec["status"] = "ACTIVE";
      revs.push_back(RevisionRecord(definition, now));
      return true;
    }
    json::object rec;
    rec["name"] = json::string(name);
    rec["arn"] = json::string(MachineArn(name));
    rec["type"] = json::string(type);
    rec["role_arn"] = "";
    rec["status"] = "ACTIVE";
    rec["creation_date"] = now;
    rec["logging_configuration"] = LoggingConfigurationRecord({});
    json::array revs;
    revs.push_back(RevisionRecord(definition, now));
    rec["revisions"] = std::move(revs);
    existing = std::move(rec);
    return true;
  };
  SW_RETURN_IF_ERROR(ModifyMachine(name, mutate));
  return MachineArn(name);
}

}  // namespace stepwise::engine
