// `stepwise machine publish|versions` and `stepwise alias ...` (see
// versions_cmd.h). Main thread.
#include "cli/versions_cmd.h"

#include <charconv>
#include <iostream>
#include <utility>

#include "absl/status/status.h"
#include "cli/cli_format.h"
#include "cli/cli_remote.h"
#include "cli/resolve_names.h"
#include "common/json.h"

namespace stepwise::client {

namespace {

json::array RoutingJson(
    const google::protobuf::RepeatedPtrField<v1::RoutingConfigurationListItem>& routes) {
  json::array out;
  for (const auto& r : routes) {
    out.push_back(json::object{{"stateMachineVersionArn", r.state_machine_version_arn()},
                               {"weight", r.weight()}});
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<v1::RoutingConfigurationListItem>> ParseRouteOperands(
    const std::string& machine_arn, const std::vector<std::string>& operands) {
  std::vector<v1::RoutingConfigurationListItem> out;
  for (const std::string& op : operands) {
    size_t eq = op.rfind('=');
    int weight = 0;
    const char* end = op.data() + op.size();
    if (eq == std::string::npos || eq == 0 ||
        std::from_chars(op.data() + eq + 1, end, weight).ptr != end || eq + 1 == op.size()) {
      return absl::InvalidArgumentError("alias routes are VERSION=WEIGHT operands, not '" + op +
                                        "'");
    }
    std::string version = op.substr(0, eq);
    v1::RoutingConfigurationListItem r;
    r.set_state_machine_version_arn(version.rfind("arn:", 0) == 0 ? version
                                                                  : machine_arn + ":" + version);
    r.set_weight(weight);
    out.push_back(std::move(r));
  }
  return out;
}

bool IsVersionsCommand(const std::string& command) {
  return command == "machine publish" || command == "machine versions" ||
         command.rfind("alias ", 0) == 0;
}

int VersionsCommand(const RemoteArgs& a, Client& c) {
  const std::string& cmd = a.command;
  auto machine = ResolveStateMachine(c, a.positional[0]);
  if (!machine.ok()) return CallFailed(machine.status());
  bool as_json = a.Has("json");
  if (cmd == "machine publish") {
    v1::PublishStateMachineVersionRequest req;
    req.set_state_machine_arn(*machine);
    req.set_description(a.Get("description"));
    if (a.Has("revision-id")) req.set_revision_id(a.Get("revision-id"));
    auto resp = c.PublishStateMachineVersion(req);
    if (!resp.ok()) return CallFailed(resp.status());
    if (as_json) {
      std::cout << PrettyJson(json::object{
          {"stateMachineVersionArn", resp->state_machine_version_arn()},
          {"creationDate", FormatTimestamp(resp->creation_date())}});
    } else {
      std::cout << resp->state_machine_version_arn() << "\n";
    }
    return kExitOk;
  }
  if (cmd == "machine versions") {
    v1::ListStateMachineVersionsRequest req;
    req.set_state_machine_arn(*machine);
    std::vector<std::vector<std::string>> rows;
    json::array items;
    while (true) {
      auto resp = c.ListStateMachineVersions(req);
      if (!resp.ok()) return CallFailed(resp.status());
      for (const auto& v : resp->state_machine_versions()) {
        rows.push_back({v.state_machine_version_arn(), FormatTimestamp(v.creation_date())});
        items.push_back(json::object{{"stateMachineVersionArn", v.state_machine_version_arn()},
                                     {"creationDate", FormatTimestamp(v.creation_date())}});
      }
      if (resp->next_token().empty()) break;
      req.set_next_token(resp->next_token());
    }
    if (as_json) {
      std::cout << PrettyJson(json::object{{"stateMachineVersions", std::move(items)}});
    } else {
      std::cout << FormatTable({"VERSION", "CREATED"}, rows);
    }
    return kExitOk;
  }
  if (cmd == "alias list") {
    v1::ListStateMachineAliasesRequest req;
    req.set_state_machine_arn(*machine);
    std::vector<std::vector<std::string>> rows;
    json::array items;
    while (true) {
      auto resp = c.ListStateMachineAliases(req);
      if (!resp.ok()) return CallFailed(resp.status());
      for (const auto& al : resp->state_machine_aliases()) {
        rows.push_back({al.state_machine_alias_arn(), FormatTimestamp(al.creation_date())});
        items.push_back(json::object{{"stateMachineAliasArn", al.state_machine_alias_arn()},
                                     {"creationDate", FormatTimestamp(al.creation_date())}});
      }
      if (resp->next_token().empty()) break;
      req.set_next_token(resp->next_token());
    }
    if (as_json) {
      std::cout << PrettyJson(json::object{{"stateMachineAliases", std::move(items)}});
    } else {
      std::cout << FormatTable({"ALIAS", "CREATED"}, rows);
    }
    return kExitOk;
  }
  const std::string alias_arn = *machine + ":" + a.positional[1];
  std::vector<std::string> rest(a.positional.begin() + 2, a.positional.end());
  auto routes = ParseRouteOperands(*machine, rest);
  if (!routes.ok()) {
    std::cerr << "error: " << routes.status().message() << "\n";
    return kExitUsage;
  }
  if (cmd == "alias create") {
    v1::CreateStateMachineAliasRequest req;
    req.set_name(a.positional[1]);
    req.set_description(a.Get("description"));
    for (auto& r : *routes) *req.add_routing_configuration() = std::move(r);
    auto resp = c.CreateStateMachineAlias(req);
    if (!resp.ok()) return CallFailed(resp.status());
    std::cout << resp->state_machine_alias_arn() << "\n";
    return kExitOk;
  }
  if (cmd == "alias update") {
    v1::UpdateStateMachineAliasRequest req;
    req.set_state_machine_alias_arn(alias_arn);
    if (a.Has("description")) req.set_description(a.Get("description"));
    for (auto& r : *routes) *req.add_routing_configuration() = std::move(r);
    auto resp = c.UpdateStateMachineAlias(req);
    if (!resp.ok()) return CallFailed(resp.status());
    std::cout << "updated " << alias_arn << "\n";
    return kExitOk;
  }
  if (cmd == "alias delete") {
    v1::DeleteStateMachineAliasRequest req;
    req.set_state_machine_alias_arn(alias_arn);
    if (absl::Status s = c.DeleteStateMachineAlias(req); !s.ok()) return CallFailed(s);
    std::cout << "deleted " << alias_arn << "\n";
    return kExitOk;
  }
  v1::DescribeStateMachineAliasRequest req;  // alias describe
  req.set_state_machine_alias_arn(alias_arn);
  auto resp = c.DescribeStateMachineAlias(req);
  if (!resp.ok()) return CallFailed(resp.status());
  json::object o{{"stateMachineAliasArn", resp->state_machine_alias_arn()},
                 {"name", resp->name()},
                 {"description", resp->description()},
                 {"routingConfiguration", RoutingJson(resp->routing_configuration())},
                 {"creationDate", FormatTimestamp(resp->creation_date())},
                 {"updateDate", FormatTimestamp(resp->update_date())}};
  if (as_json) {
    std::cout << PrettyJson(o);
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : resp->routing_configuration()) {
      rows.push_back({r.state_machine_version_arn(), std::to_string(r.weight())});
    }
    std::cout << resp->state_machine_alias_arn() << "\n"
              << FormatTable({"VERSION", "WEIGHT"}, rows);
  }
  return kExitOk;
}

}  // namespace stepwise::client
