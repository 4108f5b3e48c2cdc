// `stepwise list --where` and `stepwise machine index-fields` (see
// search_cmd.h). Main thread.
#include "cli/search_cmd.h"

#include <iostream>
#include <utility>

#include "absl/strings/ascii.h"
#include "cli/cli_format.h"
#include "cli/cli_remote.h"
#include "cli/resolve_names.h"
#include "common/json.h"

namespace stepwise::client {

namespace {

int Usage(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return kExitUsage;
}

// A field from --file's JSON: {"name", "source", "path" | "expression"}.
absl::StatusOr<std::vector<v1::IndexedField>> FieldsFromJson(const std::string& text) {
  auto v = ParseJson(text);
  if (!v.ok() || !v->is_array()) {
    return absl::InvalidArgumentError("--file must hold a JSON list of indexed fields");
  }
  std::vector<v1::IndexedField> out;
  for (const json::value& e : v->get_array()) {
    const json::object* o = e.if_object();
    v1::IndexedField f;
    auto str = [&](const char* key) -> std::string {
      const json::value* m = o == nullptr ? nullptr : o->if_contains(key);
      return m != nullptr && m->is_string() ? std::string(m->get_string()) : "";
    };
    if (o == nullptr) {
      return absl::InvalidArgumentError("--file: each indexed field must be a JSON object");
    }
    f.set_name(str("name"));
    f.set_source(str("source"));
    f.set_path(str("path"));
    f.set_expression(str("expression"));
    out.push_back(std::move(f));
  }
  return out;
}

void PrintFields(bool as_json, const v1::GetIndexedFieldsResponse& resp) {
  json::array items;
  std::vector<std::vector<std::string>> rows;
  for (const v1::IndexedField& f : resp.indexed_fields()) {
    json::object o{{"name", f.name()}, {"source", f.source()}};
    if (!f.path().empty()) o["path"] = f.path();
    if (!f.expression().empty()) o["expression"] = f.expression();
    items.push_back(std::move(o));
    rows.push_back({f.name(), f.source(),
                    f.path().empty() ? "{% " + f.expression() + " %}" : f.path()});
  }
  if (as_json) {
    std::cout << PrettyJson(items);
  } else {
    std::cout << FormatTable({"NAME", "SOURCE", "PATH"}, rows);
  }
}

int IndexFields(const RemoteArgs& a, Client& c) {
  auto machine = ResolveStateMachine(c, a.positional[0]);
  if (!machine.ok()) return CallFailed(machine.status());
  std::vector<std::string> operands(a.positional.begin() + 1, a.positional.end());
  bool set = !operands.empty() || a.Has("file") || a.Has("clear");
  if (set) {
    v1::PutIndexedFieldsRequest req;
    req.set_state_machine_arn(*machine);
    auto fields = ParseIndexFieldOperands(operands);
    if (!fields.ok()) return Usage(std::string(fields.status().message()));
    if (a.Has("file")) {
      auto text = ReadFile(a.Get("file"));
      if (!text.ok()) return Usage(std::string(text.status().message()));
      auto from_file = FieldsFromJson(*text);
      if (!from_file.ok()) return Usage(std::string(from_file.status().message()));
      for (auto& f : *from_file) fields->push_back(std::move(f));
    }
    for (auto& f : *fields) *req.add_indexed_fields() = std::move(f);
    if (absl::Status s = c.PutIndexedFields(req); !s.ok()) return CallFailed(s);
  }
  v1::GetIndexedFieldsRequest get;
  get.set_state_machine_arn(*machine);
  auto resp = c.GetIndexedFields(get);
  if (!resp.ok()) return CallFailed(resp.status());
  PrintFields(a.Has("json"), *resp);
  return kExitOk;
}

int Search(const RemoteArgs& a, Client& c) {
  std::string machine;
  if (!a.positional.empty()) {
    auto resolved = ResolveStateMachine(c, a.positional[0]);
    if (!resolved.ok()) return CallFailed(resolved.status());
    machine = *resolved;
  }
  bool as_json = a.Has("json");
  if (a.Has("count")) {
    v1::CountExecutionsRequest req;
    req.set_query(a.Get("where"));
    req.set_state_machine_arn(machine);
    auto resp = c.CountExecutions(req);
    if (!resp.ok()) return CallFailed(resp.status());
    if (as_json) {
      std::cout << PrettyJson(json::object{{"count", resp->count()}});
    } else {
      std::cout << resp->count() << "\n";
    }
    return kExitOk;
  }
  v1::SearchExecutionsRequest req;
  req.set_query(a.Get("where"));
  req.set_state_machine_arn(machine);
  int64_t max = a.GetInt("max", 0);
  std::vector<std::vector<std::string>> rows;
  json::array items;
  while (true) {
    auto resp = c.SearchExecutions(req);
    if (!resp.ok()) return CallFailed(resp.status());
    for (const v1::SearchedExecution& found : resp->executions()) {
      if (max > 0 && static_cast<int64_t>(rows.size()) >= max) break;
      const v1::ExecutionListItem& e = found.execution();
      std::string duration = "-";
      if (e.has_stop_date()) {
        duration = FormatDuration(TimestampMicros(e.stop_date()) - TimestampMicros(e.start_date()));
      }
      std::string fields;
      json::object field_values;
      // Sorted by name (a proto map has no order).
      std::map<std::string, std::string> sorted(found.indexed_fields().begin(),
                                                found.indexed_fields().end());
      for (const auto& [name, value] : sorted) {
        fields += (fields.empty() ? "" : " ") + name + "=" + value;
        auto v = ParseJson(value);
        field_values[name] = v.ok() ? std::move(*v) : json::value(json::string(value));
      }
      std::string machine_name = e.state_machine_arn().substr(e.state_machine_arn().rfind(':') + 1);
      rows.push_back({e.name(), e.status(), FormatTimestamp(e.start_date()), duration, machine_name,
                      fields.empty() ? "-" : fields});
      json::object o;
      o["executionArn"] = e.execution_arn();
      o["stateMachineArn"] = e.state_machine_arn();
      o["name"] = e.name();
      o["status"] = e.status();
      o["startDate"] = FormatTimestamp(e.start_date());
      if (e.has_stop_date()) o["stopDate"] = FormatTimestamp(e.stop_date());
      o["indexedFields"] = std::move(field_values);
      items.push_back(std::move(o));
    }
    if (resp->next_token().empty() || (max > 0 && static_cast<int64_t>(rows.size()) >= max)) {
      break;
    }
    req.set_next_token(resp->next_token());
  }
  if (as_json) {
    std::cout << PrettyJson(items);
  } else {
    std::cout << FormatTable({"NAME", "STATUS", "STARTED", "DURATION", "MACHINE", "FIELDS"}, rows);
  }
  return kExitOk;
}

}  // namespace

absl::StatusOr<std::vector<v1::IndexedField>> ParseIndexFieldOperands(
    const std::vector<std::string>& operands) {
  std::vector<v1::IndexedField> out;
  for (const std::string& op : operands) {
    size_t eq = op.find('=');
    size_t colon = eq == std::string::npos ? std::string::npos : op.find(':', eq);
    if (eq == std::string::npos || eq == 0 || colon == std::string::npos) {
      return absl::InvalidArgumentError("'" + op +
                                        "' is not NAME=SOURCE:PATH (e.g. "
                                        "customerId=input:$.customerId)");
    }
    v1::IndexedField f;
    f.set_name(op.substr(0, eq));
    f.set_source(absl::AsciiStrToUpper(op.substr(eq + 1, colon - eq - 1)));
    std::string path = op.substr(colon + 1);
    if (path.size() >= 4 && path.rfind("{%", 0) == 0 && path.compare(path.size() - 2, 2, "%}") == 0) {
      std::string expr = path.substr(2, path.size() - 4);
      expr.erase(0, expr.find_first_not_of(' '));
      expr.erase(expr.find_last_not_of(' ') + 1);
      f.set_expression(expr);
    } else {
      f.set_path(path);
    }
    out.push_back(std::move(f));
  }
  return out;
}

bool IsSearchCommand(const RemoteArgs& a) {
  if (a.command == "machine index-fields") return true;
  return a.command == "list" && (a.Has("where") || a.Has("count") || a.positional.empty());
}

int SearchCommand(const RemoteArgs& a, Client& c) {
  if (a.command == "machine index-fields") return IndexFields(a, c);
  return Search(a, c);
}

}  // namespace stepwise::client
