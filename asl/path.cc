// JsonPath evaluation (path.h): Evaluate, Find and Select against a
// document, with Jayway's wording when a definite path misses, Jayway's
// normalised text, and Assign through a Reference Path. The text is parsed
// by path_parser.cc. A JsonPath is immutable after Parse; evaluation is
// thread-safe.
#include "asl/path.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "asl/path_internal.h"
#include "common/status_macros.h"

namespace stepwise::asl {

using path_internal::FilterExpr;
using path_internal::Operand;
using path_internal::ParsedPath;
using path_internal::ParsePath;
using path_internal::Root;
using path_internal::Segment;

namespace {

// One segment in Jayway's normalised form, e.g. "['a']", "..[*]", "[1:]".
std::string Fragment(const Segment& s) {
  std::string out = s.scan ? ".." : "";
  switch (s.kind) {
    case Segment::Kind::kProperty:
      out += '[';
      for (size_t i = 0; i < s.names.size(); ++i) {
        if (i) out += ',';
        absl::StrAppend(&out, "'", s.names[i], "'");
      }
      out += ']';
      break;
    case Segment::Kind::kWildcard: out += "[*]"; break;
    case Segment::Kind::kIndex:
      out += '[';
      for (size_t i = 0; i < s.indices.size(); ++i) {
        if (i) out += ',';
        absl::StrAppend(&out, s.indices[i]);
      }
      out += ']';
      break;
    case Segment::Kind::kSlice:
      out += '[';
      if (s.from) absl::StrAppend(&out, *s.from);
      out += ':';
      if (s.to) absl::StrAppend(&out, *s.to);
      out += ']';
      break;
    case Segment::Kind::kFilter: out += "[?]"; break;
  }
  return out;
}

using Matches = std::vector<const json::value*>;

bool FilterMatches(const FilterExpr& f, const json::value& item,
                   const json::value& root);

void Walk(const std::vector<Segment>& segs, size_t i, const json::value& node,
          const json::value& root, Matches& out);

// Applies segment `seg` (ignoring its scan flag) to `node`, continuing with
// segments after `i`.
void ApplySegment(const std::vector<Segment>& segs, size_t i,
                  const json::value& node, const json::value& root,
                  Matches& out) {
  const Segment& seg = segs[i];
  switch (seg.kind) {
    case Segment::Kind::kProperty: {
      const json::object* obj = node.if_object();
      if (!obj) return;
      for (const std::string& name : seg.names) {
        if (const json::value* v = obj->if_contains(name)) {
          Walk(segs, i + 1, *v, root, out);
        }
      }
      return;
    }
    case Segment::Kind::kWildcard:
      if (const json::object* obj = node.if_object()) {
        for (const auto& kv : *obj) Walk(segs, i + 1, kv.value(), root, out);
      } else if (const json::array* arr = node.if_array()) {
        for (const auto& e : *arr) Walk(segs, i + 1, e, root, out);
      }
      return;
    case Segment::Kind::kIndex: {
      const json::array* arr = node.if_array();
      if (!arr) return;
      int64_t n = static_cast<int64_t>(arr->size());
      for (int64_t idx : seg.indices) {
        int64_t k = idx < 0 ? n + idx : idx;
        if (k >= 0 && k < n) Walk(segs, i + 1, (*arr)[static_cast<size_t>(k)], root, out);
      }
      return;
    }
    case Segment::Kind::kSlice: {
      const json::array* arr = node.if_array();
      if (!arr) return;
      int64_t n = static_cast<int64_t>(arr->size());
      int64_t from = seg.from.value_or(0);
      int64_t to = seg.to.value_or(n);
      if (from < 0) from = std::max<int64_t>(0, n + from);
      if (to < 0) to = n + to;
      to = std::min(to, n);
      for (int64_t k = from; k < to; ++k) {
        Walk(segs, i + 1, (*arr)[static_cast<size_t>(k)], root, out);
      }
      return;
    }
    case Segment::Kind::kFilter:
      if (const json::array* arr = node.if_array()) {
        for (const auto& e : *arr) {
          if (FilterMatches(*seg.filter, e, root)) Walk(segs, i + 1, e, root, out);
        }
      } else if (node.is_object()) {
        if (FilterMatches(*seg.filter, node, root)) Walk(segs, i + 1, node, root, out);
      }
      return;
  }
}

// Calls ApplySegment on `node` and, pre-order, on every descendant.
void ScanApply(const std::vector<Segment>& segs, size_t i,
               const json::value& node, const json::value& root, Matches& out) {
  const Segment& seg = segs[i];
  bool apply = true;
  // Jayway applies a property after ".." only to objects that have it, and
  // a filter after ".." only to arrays (the items) .
  if (seg.kind == Segment::Kind::kFilter) apply = node.is_array();
  if (apply) ApplySegment(segs, i, node, root, out);
  if (const json::object* obj = node.if_object()) {
    for (const auto& kv : *obj) ScanApply(segs, i, kv.value(), root, out);
  } else if (const json::array* arr = node.if_array()) {
    for (const auto& e : *arr) ScanApply(segs, i, e, root, out);
  }
}

void Walk(const std::vector<Segment>& segs, size_t i, const json::value& node,
          const json::value& root, Matches& out) {
  if (i == segs.size()) {
    out.push_back(&node);
    return;
  }
  if (segs[i].scan) {
    ScanApply(segs, i, node, root, out);
  } else {
    ApplySegment(segs, i, node, root, out);
  }
}

// Follows definite segments; null when any step misses.
const json::value* FollowDefinite(const std::vector<Segment>& segs, size_t end,
                                  const json::value* cur) {
  for (size_t i = 0; i < end && cur; ++i) {
    const Segment& seg = segs[i];
    if (seg.kind == Segment::Kind::kProperty) {
      const json::object* obj = cur->if_object();
      cur = obj ? obj->if_contains(seg.names[0]) : nullptr;
    } else {
      const json::array* arr = cur->if_array();
      if (!arr) return nullptr;
      int64_t n = static_cast<int64_t>(arr->size());
      int64_t k = seg.indices[0] < 0 ? n + seg.indices[0] : seg.indices[0];
      cur = (k >= 0 && k < n) ? &(*arr)[static_cast<size_t>(k)] : nullptr;
    }
  }
  return cur;
}

std::optional<json::value> EvalOperand(const Operand& o, const json::value& item,
                                       const json::value& root) {
  switch (o.kind) {
    case Operand::Kind::kLiteral: return o.literal;
    case Operand::Kind::kCurrent:
    case Operand::Kind::kRoot: {
      const json::value& start = o.kind == Operand::Kind::kCurrent ? item : root;
      if (o.definite) {
        const json::value* v = FollowDefinite(o.segments, o.segments.size(), &start);
        if (!v) return std::nullopt;
        return *v;
      }
      Matches m;
      Walk(o.segments, 0, start, root, m);
      json::array arr;
      for (const json::value* v : m) arr.push_back(*v);
      return json::value(std::move(arr));
    }
    default: return std::nullopt;
  }
}

bool ArrayHas(const json::array& arr, const json::value& v) {
  for (const auto& e : arr) {
    if (JsonEquals(e, v)) return true;
  }
  return false;
}

bool Compare(const std::string& op, const std::optional<json::value>& l,
             const std::optional<json::value>& r, const Operand& rhs) {
  if (op == "!=") {
    if (!l || !r) return true;
    return !JsonEquals(*l, *r);
  }
  if (op == "=~") {
    if (!l || !l->is_string() || !rhs.regex) return false;
    const json::string& s = l->get_string();
    return std::regex_match(s.begin(), s.end(), *rhs.regex);
  }
  if (!l || !r) return false;
  if (op == "==") return JsonEquals(*l, *r);
  if (op == "<" || op == "<=" || op == ">" || op == ">=") {
    int cmp;
    if (l->is_number() && r->is_number()) {
      double a = ToDouble(*l), b = ToDouble(*r);
      cmp = a < b ? -1 : (a > b ? 1 : 0);
    } else if (l->is_string() && r->is_string()) {
      int c = l->get_string().subview().compare(r->get_string().subview());
      cmp = c < 0 ? -1 : (c > 0 ? 1 : 0);
    } else {
      return false;
    }
    if (op == "<") return cmp < 0;
    if (op == "<=") return cmp <= 0;
    if (op == ">") return cmp > 0;
    return cmp >= 0;
  }
  if (op == "in" || op == "nin") {
    if (!r->is_array()) return false;
    bool has = ArrayHas(r->get_array(), *l);
    return op == "in" ? has : !has;
  }
  if (op == "contains") {
    if (l->is_array()) return ArrayHas(l->get_array(), *r);
    if (l->is_string() && r->is_string()) {
      return l->get_string().subview().find(r->get_string().subview()) !=
             std::string_view::npos;
    }
    return false;
  }
  if (op == "subsetof" || op == "anyof" || op == "noneof") {
    if (!l->is_array() || !r->is_array()) return false;
    const json::array& a = l->get_array();
    const json::array& b = r->get_array();
    if (op == "subsetof") {
      return std::all_of(a.begin(), a.end(), [&](const json::value& e) { return ArrayHas(b, e); });
    }
    bool any = std::any_of(a.begin(), a.end(), [&](const json::value& e) { return ArrayHas(b, e); });
    return op == "anyof" ? any : !any;
  }
  if (op == "size") {
    if (!r->is_number()) return false;
    double n = ToDouble(*r);
    if (l->is_array()) return static_cast<double>(l->get_array().size()) == n;
    if (l->is_string()) return static_cast<double>(l->get_string().size()) == n;
    return false;
  }
  if (op == "empty") {
    if (!r->is_bool()) return false;
    bool empty;
    if (l->is_array()) {
      empty = l->get_array().empty();
    } else if (l->is_string()) {
      empty = l->get_string().empty();
    } else {
      return false;
    }
    return empty == r->get_bool();
  }
  return false;
}

bool FilterMatches(const FilterExpr& f, const json::value& item,
                   const json::value& root) {
  switch (f.kind) {
    case FilterExpr::Kind::kOr:
      for (const auto& c : f.children) {
        if (FilterMatches(*c, item, root)) return true;
      }
      return false;
    case FilterExpr::Kind::kAnd:
      for (const auto& c : f.children) {
        if (!FilterMatches(*c, item, root)) return false;
      }
      return true;
    case FilterExpr::Kind::kNot: return !FilterMatches(*f.children[0], item, root);
    case FilterExpr::Kind::kExists: {
      std::optional<json::value> v = EvalOperand(f.lhs, item, root);
      if (!v) return false;
      if (!f.lhs.definite && v->is_array()) return !v->get_array().empty();
      return true;
    }
    case FilterExpr::Kind::kCompare:
      return Compare(f.op, EvalOperand(f.lhs, item, root),
                     EvalOperand(f.rhs, item, root), f.rhs);
  }
  return false;
}

std::string JavaClassName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "java.lang.Boolean";
    case json::kind::int64: {
      int64_t x = v.get_int64();
      return x >= std::numeric_limits<int32_t>::min() &&
                     x <= std::numeric_limits<int32_t>::max()
                 ? "java.lang.Integer"
                 : "java.lang.Long";
    }
    case json::kind::uint64: return "java.math.BigInteger";
    case json::kind::double_: return "java.lang.Double";
    case json::kind::string: return "java.lang.String";
    case json::kind::array: return "java.util.ArrayList";
    case json::kind::object: return "java.util.LinkedHashMap";
  }
  return "null";
}

}  // namespace

struct JsonPath::Impl {
  std::string text;
  Root root = Root::kInput;
  std::string variable;  // for Root::kVariable
  std::vector<Segment> segments;
  bool definite = true;
  bool reference = true;
  // Jayway's "multi-property merge": a definite path whose last segment is
  // ['a','b'] yields one object holding those properties.
  bool merge_leaf = false;

  const json::value* RootValue(const EvalContext& env) const {
    switch (root) {
      case Root::kInput: return env.input;
      case Root::kContext: return env.context;
      case Root::kVariable: {
        if (!env.variables) return nullptr;
        return env.variables->if_contains(variable);
      }
    }
    return nullptr;
  }

  // Jayway's PathNotFoundException message for a definite path that
  // matches nothing in `doc`.
  std::string MissReason(const json::value* doc) const {
    std::string full = "$";
    for (const Segment& s : segments) full += Fragment(s);
    if (!doc) return absl::StrCat("No results for path: ", full);
    std::string path = "$";
    const json::value* cur = doc;
    size_t last = merge_leaf ? segments.size() - 1 : segments.size();
    for (size_t i = 0; i < last; ++i) {
      const Segment& seg = segments[i];
      bool leaf = i + 1 == segments.size();
      if (seg.kind == Segment::Kind::kProperty) {
        const json::object* obj = cur->if_object();
        if (!obj) {
          return absl::StrCat(
              "Expected to find an object with property ", Fragment(seg),
              " in path ", path, " but found '", JavaClassName(*cur),
              "'. This is not a json object according to the JsonProvider: "
              "'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.");
        }
        std::string eval_path = path + Fragment(seg);
        const json::value* next = obj->if_contains(seg.names[0]);
        if (!next) {
          if (leaf) return absl::StrCat("No results for path: ", full);
          return absl::StrCat("Missing property in path ", eval_path);
        }
        cur = next;
        path = std::move(eval_path);
      } else {
        if (cur->is_null()) return absl::StrCat("The path ", path, " is null");
        const json::array* arr = cur->if_array();
        if (!arr) {
          std::string rest;
          for (size_t j = i; j < segments.size(); ++j) rest += Fragment(segments[j]);
          return absl::StrCat("Filter: ", rest,
                              " can only be applied to arrays. Current context is: ",
                              SerializeJson(*cur));
        }
        int64_t n = static_cast<int64_t>(arr->size());
        int64_t k = seg.indices[0] < 0 ? n + seg.indices[0] : seg.indices[0];
        if (k < 0 || k >= n) return absl::StrCat("No results for path: ", full);
        cur = &(*arr)[static_cast<size_t>(k)];
        path += Fragment(seg);
      }
    }
    return absl::StrCat("No results for path: ", full);
  }
};

absl::StatusOr<JsonPath> JsonPath::Parse(std::string_view text) {
  SW_ASSIGN_OR_RETURN(ParsedPath parsed, ParsePath(text));
  auto impl = std::make_shared<Impl>();
  impl->text = std::string(text);
  impl->root = parsed.root;
  impl->variable = std::move(parsed.variable);
  impl->segments = std::move(parsed.segments);
  for (size_t i = 0; i < impl->segments.size(); ++i) {
    const Segment& s = impl->segments[i];
    bool leaf = i + 1 == impl->segments.size();
    if (leaf && !s.scan && s.kind == Segment::Kind::kProperty && s.names.size() > 1 &&
        impl->definite) {
      impl->merge_leaf = true;
      impl->reference = false;
      continue;
    }
    if (!s.IsDefinite()) {
      impl->definite = false;
      impl->reference = false;
    }
  }
  if (impl->root != Root::kInput) impl->reference = false;
  return JsonPath(std::move(impl));
}

JsonPath::JsonPath(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
JsonPath::~JsonPath() = default;

const std::string& JsonPath::text() const { return impl_->text; }
bool JsonPath::IsContextPath() const { return impl_->root == Root::kContext; }
bool JsonPath::IsVariablePath() const { return impl_->root == Root::kVariable; }
bool JsonPath::IsDefinite() const { return impl_->definite; }
bool JsonPath::IsReferencePath() const { return impl_->reference; }

const json::value* JsonPath::Find(const EvalContext& env) const {
  if (!impl_->definite || impl_->merge_leaf) return nullptr;
  const json::value* root = impl_->RootValue(env);
  if (!root) return nullptr;
  return FollowDefinite(impl_->segments, impl_->segments.size(), root);
}

std::optional<json::value> JsonPath::Evaluate(const EvalContext& env) const {
  const json::value* root = impl_->RootValue(env);
  if (impl_->merge_leaf) {
    if (!root) return std::nullopt;
    const std::vector<Segment>& segs = impl_->segments;
    const json::value* parent = FollowDefinite(segs, segs.size() - 1, root);
    if (!parent) return std::nullopt;
    const json::object* obj = parent->if_object();
    if (!obj) return std::nullopt;
    json::object merged;
    for (const std::string& name : segs.back().names) {
      if (const json::value* v = obj->if_contains(name)) merged[name] = *v;
    }
    return json::value(std::move(merged));
  }
  if (impl_->definite) {
    if (!root) return std::nullopt;
    const json::value* v = FollowDefinite(impl_->segments, impl_->segments.size(), root);
    if (!v) return std::nullopt;
    return *v;
  }
  json::array arr;
  if (root) {
    Matches m;
    Walk(impl_->segments, 0, *root, *root, m);
    arr.reserve(m.size());
    for (const json::value* v : m) arr.push_back(*v);
  }
  return json::value(std::move(arr));
}

absl::StatusOr<json::value> JsonPath::Select(const EvalContext& env) const {
  std::optional<json::value> v = Evaluate(env);
  if (v) return *std::move(v);
  return RuntimeError(kStatesRuntime,
                      absl::StrCat("Invalid path '", impl_->text,
                                   "' : ", impl_->MissReason(impl_->RootValue(env))));
}

std::string JsonPath::NormalizedText() const {
  std::string out = "$";
  for (const Segment& s : impl_->segments) out += Fragment(s);
  return out;
}

absl::Status JsonPath::Assign(json::value& doc, json::value value) const {
  if (!impl_->reference) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", impl_->text, "' is not a reference path"));
  }
  const std::vector<Segment>& segs = impl_->segments;
  if (segs.empty()) {
    doc = std::move(value);
    return absl::OkStatus();
  }
  auto fail = [&]() {
    return absl::FailedPreconditionError(
        absl::StrCat("Unable to apply ReferencePath ", impl_->text,
                     " to input ", SerializeJson(doc)));
  };
  // Check first, so that a failure leaves `doc` untouched.
  const json::value* probe = &doc;
  for (size_t i = 0; i < segs.size() && probe; ++i) {
    const Segment& seg = segs[i];
    if (seg.kind == Segment::Kind::kProperty) {
      const json::object* obj = probe->if_object();
      if (!obj) return fail();
      probe = obj->if_contains(seg.names[0]);
      if (!probe) {
        // Everything below is created as objects: only properties fit.
        for (size_t j = i + 1; j < segs.size(); ++j) {
          if (segs[j].kind != Segment::Kind::kProperty) return fail();
        }
      }
    } else {
      const json::array* arr = probe->if_array();
      if (!arr) return fail();
      int64_t n = static_cast<int64_t>(arr->size());
      int64_t k = seg.indices[0] < 0 ? n + seg.indices[0] : seg.indices[0];
      if (k < 0 || k >= n) return fail();
      probe = &(*arr)[static_cast<size_t>(k)];
    }
  }
  json::value* cur = &doc;
  for (size_t i = 0; i < segs.size(); ++i) {
    const Segment& seg = segs[i];
    bool leaf = i + 1 == segs.size();
    if (seg.kind == Segment::Kind::kProperty) {
      json::object* obj = cur->if_object();
      if (!obj) return fail();
      const std::string& name = seg.names[0];
      if (leaf) {
        (*obj)[name] = std::move(value);
        return absl::OkStatus();
      }
      auto it = obj->find(name);
      if (it == obj->end()) {
        cur = &((*obj)[name] = json::object());
      } else {
        cur = &it->value();
      }
    } else {
      json::array* arr = cur->if_array();
      if (!arr) return fail();
      int64_t n = static_cast<int64_t>(arr->size());
      int64_t k = seg.indices[0] < 0 ? n + seg.indices[0] : seg.indices[0];
      if (k < 0 || k >= n) return fail();
      cur = &(*arr)[static_cast<size_t>(k)];
      if (leaf) {
        *cur = std::move(value);
        return absl::OkStatus();
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace stepwise::asl
