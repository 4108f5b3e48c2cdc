// Indexed fields: checks, record codec and evaluation (see
// indexed_fields.h). Pure functions; any thread.
#include "engine/search/indexed_fields.h"

#include <cmath>
#include <exception>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "asl/path.h"
#include "engine/service_error.h"
#include "jsonata/jsonata.h"

namespace stepwise::engine {

namespace {

json::value Str(std::string_view s) { return json::value(json::string(s)); }

// AWS's wording for one failed member constraint.
absl::Status Constraint(absl::string_view value, const std::string& member,
                        absl::string_view constraint) {
  return ServiceError("ValidationException",
                      absl::StrCat("1 validation error detected: Value '", value, "' at '", member,
                                   "' failed to satisfy constraint: ", constraint));
}

bool ValidFieldName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Evaluation of one field never runs long: the commit waits for it.
jsonata::EvalLimits FieldLimits() {
  jsonata::EvalLimits l;
  l.timeout = std::chrono::milliseconds(50);
  l.max_steps = 200000;
  l.max_string_bytes = 1u << 20;
  l.max_items = 100000;
  return l;
}

}  // namespace

absl::Status CheckIndexedFields(const std::vector<IndexedField>& fields) {
  if (fields.size() > kMaxIndexedFields) {
    return ServiceError("ValidationException",
                        absl::StrCat("1 validation error detected: Value at 'indexedFields' failed "
                                     "to satisfy constraint: Member must have length less than "
                                     "or equal to ",
                                     kMaxIndexedFields));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < fields.size(); ++i) {
    const IndexedField& f = fields[i];
    std::string at = absl::StrCat("indexedFields.", i + 1, ".member.");
    if (!ValidFieldName(f.name)) {
      return Constraint(f.name, at + "name",
                        "Member must satisfy regular expression pattern: "
                        "[A-Za-z_][A-Za-z0-9_]{0,63}");
    }
    if (!seen.insert(f.name).second) {
      return ServiceError("ValidationException",
                          absl::StrCat("Duplicate indexed field name '", f.name, "' at '", at,
                                       "name'"));
    }
    if (f.source != "INPUT" && f.source != "OUTPUT" && f.source != "VARIABLES") {
      return Constraint(f.source, at + "source",
                        "Member must satisfy enum value set: [INPUT, OUTPUT, VARIABLES]");
    }
    if (f.path.empty() == f.expression.empty()) {
      return ServiceError("ValidationException",
                          absl::StrCat("Exactly one of path and expression must be given at '",
                                       at, "path'"));
    }
    if (!f.path.empty()) {
      auto p = asl::JsonPath::Parse(f.path);
      if (!p.ok()) {
        return ServiceError("ValidationException",
                            absl::StrCat("Invalid JSONPath '", f.path, "' at '", at,
                                         "path': ", p.status().message()));
      }
      if (p->IsContextPath() || p->IsVariablePath()) {
        return ServiceError("ValidationException",
                            absl::StrCat("Invalid JSONPath '", f.path, "' at '", at,
                                         "path': the path must start with '$.' or be '$'"));
      }
    } else {
      auto e = jsonata::Expression::Compile(f.expression);
      if (!e.ok()) {
        return ServiceError("ValidationException",
                            absl::StrCat("Invalid JSONata expression at '", at,
                                         "expression': ", e.status().message()));
      }
    }
  }
  return absl::OkStatus();
}

json::array IndexedFieldsRecord(const std::vector<IndexedField>& fields) {
  json::array out;
  for (const IndexedField& f : fields) {
    json::object o;
    o["name"] = Str(f.name);
    o["source"] = Str(f.source);
    if (!f.path.empty()) o["path"] = Str(f.path);
    if (!f.expression.empty()) o["expression"] = Str(f.expression);
    out.push_back(std::move(o));
  }
  return out;
}

absl::StatusOr<std::vector<IndexedField>> IndexedFieldsFromRecord(const json::value& v) {
  std::vector<IndexedField> out;
  try {
    for (const json::value& e : v.as_array()) {
      const json::object& o = e.as_object();
      IndexedField f;
      f.name = std::string(o.at("name").as_string());
      f.source = std::string(o.at("source").as_string());
      if (const json::value* p = o.if_contains("path")) f.path = std::string(p->as_string());
      if (const json::value* x = o.if_contains("expression")) {
        f.expression = std::string(x->as_string());
      }
      out.push_back(std::move(f));
    }
  } catch (const std::exception&) {
    return absl::DataLossError("stored indexed fields are malformed");
  }
  return out;
}

std::optional<std::string> IndexedValueText(const json::value& v) {
  switch (v.kind()) {
    case json::kind::array:
    case json::kind::object:
      return std::nullopt;
    case json::kind::double_: {
      double d = v.get_double();
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e15) {
        return std::to_string(static_cast<int64_t>(d));
      }
      return SerializeJson(v);
    }
    default:
      return SerializeJson(v);
  }
}

struct CompiledIndexedFields::Field {
  std::string name;
  std::string source;
  std::optional<asl::JsonPath> path;
  std::optional<jsonata::Expression> expression;
};

CompiledIndexedFields::~CompiledIndexedFields() = default;

absl::StatusOr<std::shared_ptr<const CompiledIndexedFields>> CompiledIndexedFields::Compile(
    const std::vector<IndexedField>& fields) {
  auto out = std::make_shared<CompiledIndexedFields>();
  for (const IndexedField& f : fields) {
    auto c = std::make_unique<Field>();
    c->name = f.name;
    c->source = f.source;
    if (!f.path.empty()) {
      auto p = asl::JsonPath::Parse(f.path);
      if (!p.ok()) return absl::DataLossError("stored indexed field " + f.name + " is malformed");
      c->path = std::move(*p);
    } else {
      auto e = jsonata::Expression::Compile(f.expression);
      if (!e.ok()) return absl::DataLossError("stored indexed field " + f.name + " is malformed");
      c->expression = std::move(*e);
    }
    out->fields_.push_back(std::move(c));
  }
  return std::shared_ptr<const CompiledIndexedFields>(std::move(out));
}

bool CompiledIndexedFields::reads_output() const {
  for (const auto& f : fields_) {
    if (f->source == "OUTPUT") return true;
  }
  return false;
}

std::map<std::string, std::string> CompiledIndexedFields::Evaluate(
    const IndexSources& src, const std::map<std::string, std::string>& previous) const {
  std::map<std::string, std::string> out;
  for (const auto& f : fields_) {
    const json::value* doc = nullptr;
    bool known = true;
    if (f->source == "INPUT") {
      doc = src.input;
      known = doc != nullptr;
    } else if (f->source == "OUTPUT") {
      doc = src.output;
      known = src.output_known;
    } else {
      doc = src.variables;
      known = doc != nullptr;
    }
    if (!known) {
      if (auto it = previous.find(f->name); it != previous.end()) out[f->name] = it->second;
      continue;
    }
    if (doc == nullptr) continue;
    std::optional<json::value> v;
    if (f->path.has_value()) {
      asl::EvalContext env;
      env.input = doc;
      if (f->path->IsDefinite()) {
        if (const json::value* p = f->path->Find(env)) v = *p;
      } else {
        v = f->path->Evaluate(env);
      }
    } else {
      auto r = f->expression->Evaluate(doc, std::map<std::string, json::value>{}, FieldLimits());
      if (r.ok()) v = std::move(*r);  // an evaluation error indexes nothing
    }
    if (!v.has_value()) continue;
    if (std::optional<std::string> text = IndexedValueText(*v)) out[f->name] = std::move(*text);
  }
  return out;
}

}  // namespace stepwise::engine
