// The console's versions and aliases of a machine (see versions_json.h).
// Console pool threads.
#include "server/console/versions_json.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "common/status_macros.h"

namespace stepwise::server::console {

namespace {

// N of a version ARN MACHINE:N; 0 when it does not end in a number.
int64_t VersionNumber(const std::string& version_arn) {
  size_t colon = version_arn.rfind(':');
  int64_t n = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(version_arn.substr(colon + 1), &n)) return 0;
  return n;
}

}  // namespace

absl::StatusOr<json::object> VersionsJson(engine::Engine* engine, const std::string& machine_arn,
                                          int max_versions) {
  SW_ASSIGN_OR_RETURN(std::vector<engine::StateMachineVersionItem> versions,
                      engine->ListStateMachineVersions(machine_arn));
  json::array version_list;
  for (const engine::StateMachineVersionItem& v : versions) {
    if (static_cast<int>(version_list.size()) == max_versions) break;
    json::object o;
    o["stateMachineVersionArn"] = v.arn;
    o["version"] = VersionNumber(v.arn);
    o["creationDate"] = v.creation_date;
    // The description lives on the version itself; a version deleted
    // meanwhile is simply shown without one.
    absl::StatusOr<engine::StateMachineDescription> d = engine->DescribeStateMachine(v.arn);
    o["description"] = d.ok() ? d->description : "";
    version_list.push_back(std::move(o));
  }
  SW_ASSIGN_OR_RETURN(std::vector<engine::StateMachineAliasDescription> aliases,
                      engine->ListStateMachineAliases(machine_arn));
  json::array alias_list;
  for (const engine::StateMachineAliasDescription& a : aliases) {
    json::object o;
    o["stateMachineAliasArn"] = a.arn;
    o["name"] = a.name;
    o["description"] = a.description;
    o["creationDate"] = a.creation_date;
    o["updateDate"] = a.update_date;
    json::array routing;
    for (const engine::AliasRoute& r : a.routing) {
      routing.push_back(json::object{{"stateMachineVersionArn", r.version_arn},
                                     {"version", VersionNumber(r.version_arn)},
                                     {"weight", r.weight}});
    }
    o["routingConfiguration"] = std::move(routing);
    alias_list.push_back(std::move(o));
  }
  json::object out;
  out["versionsCapped"] = static_cast<int>(versions.size()) > max_versions;
  out["versions"] = std::move(version_list);
  out["aliases"] = std::move(alias_list);
  return out;
}

}  // namespace stepwise::server::console
