// The search extensions on the AWS JSON endpoint (see aws_json_search.h).
// Any pool thread.
#include "server/aws_json_search.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "engine/engine.h"
#include "server/aws_json_members.h"

namespace stepwise::server {

namespace {

// indexedFields: [{"name", "source", "path"?, "expression"?}...]. Wrong JSON
// types are SerializationException; the engine checks the values.
absl::StatusOr<std::vector<engine::IndexedField>> FieldsMember(const json::object& req) {
  const json::value* v = Members(req).Get("indexedFields");
  if (v == nullptr) return AwsMissingMember("indexedFields");
  if (!v->is_array()) return AwsSerializationError("member 'indexedFields' must be a list");
  std::vector<engine::IndexedField> out;
  for (const json::value& e : v->get_array()) {
    std::string at = absl::StrCat("indexedFields[", out.size(), "]");
    const json::object* o = e.if_object();
    if (o == nullptr) {
      return AwsSerializationError(absl::StrCat("member '", at, "' must be an IndexedField object"));
    }
    Members m(*o);
    engine::IndexedField f;
    f.name = m.Need("name");
    f.source = m.Need("source");
    f.path = m.Str("path").value_or("");
    f.expression = m.Str("expression").value_or("");
    if (!m.status().ok()) return m.status();
    out.push_back(std::move(f));
  }
  return out;
}

json::array FieldsJson(const std::vector<engine::IndexedField>& fields) {
  json::array out;
  for (const engine::IndexedField& f : fields) {
    json::object o{{"name", f.name}, {"source", f.source}};
    if (!f.path.empty()) o["path"] = f.path;
    if (!f.expression.empty()) o["expression"] = f.expression;
    out.push_back(std::move(o));
  }
  return out;
}

// A ListExecutions item plus the execution's indexed field values.
json::object ExecutionItem(const engine::ExecutionDescription& d) {
  json::object o = AwsExecutionListItem(d);
  json::object fields;
  for (const auto& [name, text] : d.indexed_fields) {
    auto v = ParseJson(text);
    fields[name] = v.ok() ? std::move(*v) : json::value(json::string(text));
  }
  o["indexedFields"] = std::move(fields);
  return o;
}

absl::StatusOr<AwsActionResult> PutIndexedFields(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("stateMachineArn");
  if (!m.status().ok()) return m.status();
  auto fields = FieldsMember(req);
  if (!fields.ok()) return fields.status();
  if (absl::Status s = e->PutIndexedFields(arn, *fields); !s.ok()) return s;
  return AwsBody(json::object{});
}

absl::StatusOr<AwsActionResult> GetIndexedFields(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("stateMachineArn");
  if (!m.status().ok()) return m.status();
  auto fields = e->GetIndexedFields(arn);
  if (!fields.ok()) return fields.status();
  return AwsBody(json::object{{"indexedFields", FieldsJson(*fields)}});
}

absl::StatusOr<AwsActionResult> SearchExecutions(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::optional<std::string> query = m.Str("query");
  std::optional<std::string> arn = m.Str("stateMachineArn");
  int max_results = m.MaxResults(1000);
  std::optional<std::string> token = m.NextToken(3096);
  if (!m.status().ok()) return m.status();
  auto l = e->SearchExecutions(query.value_or(""), arn.value_or(""), max_results,
                               token.value_or(""));
  if (!l.ok()) return l.status();
  json::array items;
  for (const auto& d : l->executions) items.push_back(ExecutionItem(d));
  json::object o{{"executions", std::move(items)}};
  if (!l->next_token.empty()) o["nextToken"] = l->next_token;
  return AwsBody(o);
}

absl::StatusOr<AwsActionResult> CountExecutions(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::optional<std::string> query = m.Str("query");
  std::optional<std::string> arn = m.Str("stateMachineArn");
  if (!m.status().ok()) return m.status();
  auto n = e->CountExecutions(query.value_or(""), arn.value_or(""));
  if (!n.ok()) return n.status();
  return AwsBody(json::object{{"count", *n}});
}

}  // namespace

AwsAction FindSearchAwsAction(std::string_view action) {
  if (action == "PutIndexedFields") return &Blocking<&PutIndexedFields>;
  if (action == "GetIndexedFields") return &Blocking<&GetIndexedFields>;
  if (action == "SearchExecutions") return &Blocking<&SearchExecutions>;
  if (action == "CountExecutions") return &Blocking<&CountExecutions>;
  return nullptr;
}

}  // namespace stepwise::server
