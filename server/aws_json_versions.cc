// The AWS JSON actions on state machine versions and aliases (see
// aws_json_versions.h). Any pool thread.
#include "server/aws_json_versions.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"
#include "engine/service_error.h"
#include "server/aws_json_members.h"
#include "server/paging.h"

namespace stepwise::server {

namespace {

// A string member: nullopt when absent (ValidationException if `required`),
// SerializationException when not a string.
absl::StatusOr<std::optional<std::string>> StrMember(const json::object& req,
                                                     std::string_view name, bool required) {
  Members m(req);
  std::optional<std::string> v = required ? std::optional<std::string>(m.Need(name)) : m.Str(name);
  if (!m.status().ok()) return m.status();
  return v;
}

absl::StatusOr<std::string> NeedStr(const json::object& req, std::string_view name) {
  auto v = StrMember(req, name, true);
  if (!v.ok()) return v.status();
  return **v;
}

// routingConfiguration: [{"stateMachineVersionArn", "weight"}...].
// SerializationException for wrong JSON types; the engine checks the rest.
absl::StatusOr<std::optional<std::vector<engine::AliasRoute>>> Routing(const json::object& req,
                                                                       bool required) {
  const json::value* v = Members(req).Get("routingConfiguration");
  if (v == nullptr) {
    if (required) return AwsMissingMember("routingConfiguration");
    return std::optional<std::vector<engine::AliasRoute>>();
  }
  if (!v->is_array()) return AwsSerializationError("member 'routingConfiguration' must be a list");
  std::vector<engine::AliasRoute> out;
  for (const json::value& e : v->get_array()) {
    std::string at = absl::StrCat("routingConfiguration[", out.size(), "]");
    const json::object* o = e.if_object();
    if (o == nullptr) {
      return AwsSerializationError(
          absl::StrCat("member '", at, "' must be a RoutingConfigurationListItem object"));
    }
    const json::value* arn = Members(*o).Get("stateMachineVersionArn");
    const json::value* weight = Members(*o).Get("weight");
    if (arn == nullptr) return AwsMissingMember(at + ".stateMachineVersionArn");
    if (weight == nullptr) return AwsMissingMember(at + ".weight");
    if (!arn->is_string()) {
      return AwsSerializationError(
          absl::StrCat("member '", at, ".stateMachineVersionArn' must be a string"));
    }
    if (!IsIntegral(*weight) || std::abs(ToDouble(*weight)) > 1e9) {
      return AwsSerializationError(absl::StrCat("member '", at, ".weight' must be an integer"));
    }
    out.push_back({std::string(arn->get_string()),
                   static_cast<int64_t>(ToDouble(*weight))});
  }
  return std::optional<std::vector<engine::AliasRoute>>(std::move(out));
}

json::array RoutingJson(const std::vector<engine::AliasRoute>& routing) {
  json::array out;
  for (const engine::AliasRoute& r : routing) {
    out.push_back(json::object{{"stateMachineVersionArn", r.version_arn}, {"weight", r.weight}});
  }
  return out;
}

// A page of `items` ({arn member, creationDate}) under `list_member`.
template <typename T>
absl::StatusOr<AwsActionResult> Page(const json::object& req, const std::vector<T>& items,
                                     std::string_view list_member, std::string_view arn_member) {
  Members m(req);
  int max = m.MaxResults(1000);
  if (!m.status().ok()) return m.status();
  std::optional<std::string> token = m.NextToken();
  if (!m.status().ok()) return m.status();
  absl::StatusOr<PageRange> page = PageBounds(max, token.value_or(""), items.size());
  if (!page.ok()) return page.status();
  json::array out;
  for (size_t i = page->begin; i < page->end; ++i) {
    out.push_back(json::object{{arn_member, items[i].arn},
                               {"creationDate", AwsSeconds(items[i].creation_date)}});
  }
  json::object o{{list_member, std::move(out)}};
  if (std::string next = NextPageToken(*page, items.size()); !next.empty()) o["nextToken"] = next;
  return AwsActionResult(AwsBody(o));
}

#define SW_TRY(var, expr)            \
  auto var = (expr);                 \
  if (!var.ok()) return var.status()

absl::StatusOr<AwsActionResult> Publish(engine::Engine* e, const json::object& req) {
  SW_TRY(arn, NeedStr(req, "stateMachineArn"));
  SW_TRY(revision_id, StrMember(req, "revisionId", false));
  SW_TRY(description, StrMember(req, "description", false));
  SW_TRY(v, e->PublishStateMachineVersion(*arn, *revision_id, description->value_or("")));
  return AwsActionResult(AwsBody(json::object{{"creationDate", AwsSeconds(v->creation_date)},
                                           {"stateMachineVersionArn", v->arn}}),
                         v->arn);
}

absl::StatusOr<AwsActionResult> ListVersions(engine::Engine* e, const json::object& req) {
  SW_TRY(arn, NeedStr(req, "stateMachineArn"));
  SW_TRY(versions, e->ListStateMachineVersions(*arn));
  return Page(req, *versions, "stateMachineVersions", "stateMachineVersionArn");
}

absl::StatusOr<AwsActionResult> DeleteVersion(engine::Engine* e, const json::object& req) {
  SW_TRY(arn, NeedStr(req, "stateMachineVersionArn"));
  if (absl::Status s = e->DeleteStateMachineVersion(*arn); !s.ok()) return s;
  return AwsActionResult("{}");
}

json::object AliasJson(const engine::StateMachineAliasDescription& d) {
  json::object o{{"stateMachineAliasArn", d.arn},
                 {"name", d.name},
                 {"routingConfiguration", RoutingJson(d.routing)},
                 {"creationDate", AwsSeconds(d.creation_date)},
                 {"updateDate", AwsSeconds(d.update_date)}};
  if (!d.description.empty()) o["description"] = d.description;
  return o;
}

absl::StatusOr<AwsActionResult> CreateAlias(engine::Engine* e, const json::object& req) {
  SW_TRY(name, NeedStr(req, "name"));
  SW_TRY(description, StrMember(req, "description", false));
  SW_TRY(routing, Routing(req, true));
  SW_TRY(a, e->CreateStateMachineAlias(*name, description->value_or(""), **routing));
  return AwsActionResult(AwsBody(json::object{{"stateMachineAliasArn", a->arn},
                                           {"creationDate", AwsSeconds(a->creation_date)}}),
                         a->arn);
}

absl::StatusOr<AwsActionResult> DescribeAlias(engine::Engine* e, const json::object& req) {
  SW_TRY(arn, NeedStr(req, "stateMachineAliasArn"));
  SW_TRY(a, e->DescribeStateMachineAlias(*arn));
  return AwsActionResult(AwsBody(AliasJson(*a)));
}

absl::StatusOr<AwsActionResult> UpdateAlias(engine::Engine* e, const json::object& req) {
  SW_TRY(arn, NeedStr(req, "stateMachineAliasArn"));
  SW_TRY(description, StrMember(req, "description", false));
  SW_TRY(routing, Routing(req, false));
  SW_TRY(a, e->UpdateStateMachineAlias(*arn, *description, *routing));
  return AwsActionResult(AwsBody(json::object{{"updateDate", AwsSeconds(a->update_date)}}));
}

absl::StatusOr<AwsActionResult> DeleteAlias(engine::Engine* e, const json::object& req) {
  SW_TRY(arn, NeedStr(req, "stateMachineAliasArn"));
  if (absl::Status s = e->DeleteStateMachineAlias(*arn); !s.ok()) return s;
  return AwsActionResult("{}");
}

absl::StatusOr<AwsActionResult> ListAliases(engine::Engine* e, const json::object& req) {
  SW_TRY(arn, NeedStr(req, "stateMachineArn"));
  SW_TRY(aliases, e->ListStateMachineAliases(*arn));
  return Page(req, *aliases, "stateMachineAliases", "stateMachineAliasArn");
}

#undef SW_TRY

}  // namespace

AwsAction FindVersionAwsAction(std::string_view action) {
  static const std::array<std::pair<std::string_view, AwsAction>, 8> kActions = {{
      {"PublishStateMachineVersion", &Blocking<&Publish>},
      {"ListStateMachineVersions", &Blocking<&ListVersions>},
      {"DeleteStateMachineVersion", &Blocking<&DeleteVersion>},
      {"CreateStateMachineAlias", &Blocking<&CreateAlias>},
      {"DescribeStateMachineAlias", &Blocking<&DescribeAlias>},
      {"UpdateStateMachineAlias", &Blocking<&UpdateAlias>},
      {"DeleteStateMachineAlias", &Blocking<&DeleteAlias>},
      {"ListStateMachineAliases", &Blocking<&ListAliases>},
  }};
  for (const auto& [name, fn] : kActions) {
    if (name == action) return fn;
  }
  return nullptr;
}

}  // namespace stepwise::server
