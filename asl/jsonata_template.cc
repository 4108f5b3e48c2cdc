#include "asl/jsonata_template.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "asl/errors.h"
#include "asl/jsonata_error_text.h"

namespace stepwise::asl {

namespace {
constexpr char kLocationUrl[] = "stepwise/query-location";

// The expression between "{%" and "%}", without surrounding whitespace (as
// AWS quotes it in error causes).
std::string_view Body(std::string_view t) {
  t = t.substr(2, t.size() - 4);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t' || t.front() == '\n' || t.front() == '\r')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\n' || t.back() == '\r')) t.remove_suffix(1);
  return t;
}
}  // namespace

bool IsJsonataString(const json::value& v) {
  if (!v.is_string()) return false;
  std::string_view t(v.get_string().data(), v.get_string().size());
  return t.size() >= 4 && t.substr(0, 2) == "{%" && t.substr(t.size() - 2) == "%}";
}

absl::Status QueryError(std::string_view location, std::string_view cause) {
  absl::Status s = RuntimeError(kStatesQueryEvaluationError, cause);
  s.SetPayload(kLocationUrl, absl::Cord(absl::string_view(location.data(), location.size())));
  return s;
}

absl::Status QueryResultTypeError(const JsonataTemplate& t, std::string_view field,
                                  std::string_view expected, const json::value& v) {
  std::string_view type = v.is_string()   ? "string"
                          : v.is_number() ? "number"
                          : v.is_bool()   ? "boolean"
                          : v.is_null()   ? "null"
                          : v.is_array()  ? "array"
                                          : "object";
  return QueryError(field, absl::StrCat("The JSONata expression '", t.expression_text(),
                                        "' specified for the field '", ToAbsl(field),
                                        "' returned an unexpected result type. Expected '",
                                        ToAbsl(expected), "', but was '", ToAbsl(type),
                                        "' for value: ", SerializeJson(v)));
}

std::string QueryErrorLocation(const absl::Status& s) {
  auto p = s.GetPayload(kLocationUrl);
  return p.has_value() ? std::string(*p) : "";
}

absl::StatusOr<JsonataTemplate::Node> JsonataTemplate::CompileNode(const json::value& v) {
  Node n;
  if (IsJsonataString(v)) {
    std::string_view t(v.get_string().data(), v.get_string().size());
    auto e = jsonata::Expression::Compile(Body(t));
    if (!e.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid JSONata expression '",
                                                     ToAbsl(t), "': ", e.status().message()));
    }
    n.kind = Node::Kind::kExpr;
    n.expr = *std::move(e);
    return n;
  }
  if (const json::object* o = v.if_object()) {
    bool any = false;
    for (const auto& kv : *o) {
      auto c = CompileNode(kv.value());
      if (!c.ok()) return c.status();
      any = any || c->kind != Node::Kind::kLiteral;
      n.fields.push_back(Field{std::string(kv.key()), *std::move(c)});
    }
    if (any) {
      n.kind = Node::Kind::kObject;
      return n;
    }
    n.fields.clear();
  } else if (const json::array* a = v.if_array()) {
    bool any = false;
    for (const json::value& e : *a) {
      auto c = CompileNode(e);
      if (!c.ok()) return c.status();
      any = any || c->kind != Node::Kind::kLiteral;
      n.items.push_back(*std::move(c));
    }
    if (any) {
      n.kind = Node::Kind::kArray;
      return n;
    }
    n.items.clear();
  }
  n.kind = Node::Kind::kLiteral;
  n.literal = v;
  return n;
}

absl::StatusOr<JsonataTemplate> JsonataTemplate::Compile(const json::value& v) {
  auto n = CompileNode(v);
  if (!n.ok()) return n.status();
  JsonataTemplate t;
  t.root_ = std::make_shared<const Node>(*std::move(n));
  return t;
}

std::string JsonataTemplate::Location::ToString() const {
  std::string out = parent != nullptr ? parent->ToString() : std::string();
  if (parent == nullptr) {
    out.assign(key.data(), key.size());
  } else if (is_index) {
    absl::StrAppend(&out, "[", index, "]");
  } else {
    absl::StrAppend(&out, "/", ToAbsl(key));
  }
  return out;
}

absl::StatusOr<json::value> JsonataTemplate::EvalNode(const Node& n,
                                                      const jsonata::PreparedBindings& b,
                                                      const Location& loc) {
  switch (n.kind) {
    case Node::Kind::kLiteral:
      return n.literal;
    case Node::Kind::kExpr: {
      bool is_function = false;
      auto r = n.expr->Evaluate(nullptr, b, {}, &is_function);
      if (!r.ok()) {
        std::string where = loc.ToString();
        return QueryError(where, absl::StrCat("The JSONata expression '", n.expr->text(),
                                              "' specified for the field '", where,
                                              "' threw an error during evaluation. ",
                                              JsonataErrorText(r.status())));
      }
      if (is_function) {
        std::string where = loc.ToString();
        return QueryError(where, absl::StrCat("The JSONata expression '", n.expr->text(),
                                              "' specified for the field '", where,
                                              "' returned an unsupported result type."));
      }
      if (!r->has_value()) {
        std::string where = loc.ToString();
        return QueryError(where, absl::StrCat("The JSONata expression '", n.expr->text(),
                                              "' specified for the field '", where,
                                              "' returned nothing (undefined)."));
      }
      return std::move(**r);
    }
    case Node::Kind::kObject: {
      json::object o(n.fields.size());
      for (const auto& [k, c] : n.fields) {  // Field{name, child}
        auto v = EvalNode(c, b, Location{&loc, k, 0, false});
        if (!v.ok()) return v.status();
        o.emplace(k, *std::move(v));  // the template's keys are unique
      }
      return json::value(std::move(o));
    }
    case Node::Kind::kArray: {
      json::array a;
      a.reserve(n.items.size());
      for (size_t i = 0; i < n.items.size(); ++i) {
        auto v = EvalNode(n.items[i], b, Location{&loc, {}, i, true});
        if (!v.ok()) return v.status();
        a.push_back(*std::move(v));
      }
      return json::value(std::move(a));
    }
  }
  return json::value();
}

absl::StatusOr<json::value> JsonataTemplate::Evaluate(const JsonataBindings& bindings,
                                                      std::string_view field) const {
  if (root_->kind == Node::Kind::kLiteral) return root_->literal;
  // Converted once for all the template's expressions.
  return EvalNode(*root_, jsonata::PreparedBindings(bindings), Location{nullptr, field, 0, false});
}

}  // namespace stepwise::asl
