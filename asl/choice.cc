#include "asl/choice.h"

#include <cmath>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "asl/errors.h"

namespace stepwise::asl {

namespace {

using Op = ChoiceRule::Op;

// Expected JSON kind of a literal operand.
enum class Operand { kString, kNumber, kBool, kTimestamp };

struct OpInfo {
  Op op;
  Operand operand;
  bool is_test;  // Is* tests take a boolean literal
};

const absl::flat_hash_map<std::string, OpInfo>& Ops() {
  static const auto* ops = new absl::flat_hash_map<std::string, OpInfo>{
      {"StringEquals", {Op::kStringEquals, Operand::kString, false}},
      {"StringLessThan", {Op::kStringLessThan, Operand::kString, false}},
      {"StringGreaterThan", {Op::kStringGreaterThan, Operand::kString, false}},
      {"StringLessThanEquals", {Op::kStringLessThanEquals, Operand::kString, false}},
      {"StringGreaterThanEquals", {Op::kStringGreaterThanEquals, Operand::kString, false}},
      {"StringMatches", {Op::kStringMatches, Operand::kString, false}},
      {"NumericEquals", {Op::kNumericEquals, Operand::kNumber, false}},
      {"NumericLessThan", {Op::kNumericLessThan, Operand::kNumber, false}},
      {"NumericGreaterThan", {Op::kNumericGreaterThan, Operand::kNumber, false}},
      {"NumericLessThanEquals", {Op::kNumericLessThanEquals, Operand::kNumber, false}},
      {"NumericGreaterThanEquals", {Op::kNumericGreaterThanEquals, Operand::kNumber, false}},
      {"BooleanEquals", {Op::kBooleanEquals, Operand::kBool, false}},
      {"TimestampEquals", {Op::kTimestampEquals, Operand::kTimestamp, false}},
      {"TimestampLessThan", {Op::kTimestampLessThan, Operand::kTimestamp, false}},
      {"TimestampGreaterThan", {Op::kTimestampGreaterThan, Operand::kTimestamp, false}},
      {"TimestampLessThanEquals", {Op::kTimestampLessThanEquals, Operand::kTimestamp, false}},
      {"TimestampGreaterThanEquals", {Op::kTimestampGreaterThanEquals, Operand::kTimestamp, false}},
      {"IsNull", {Op::kIsNull, Operand::kBool, true}},
      {"IsPresent", {Op::kIsPresent, Operand::kBool, true}},
      {"IsNumeric", {Op::kIsNumeric, Operand::kBool, true}},
      {"IsString", {Op::kIsString, Operand::kBool, true}},
      {"IsBoolean", {Op::kIsBoolean, Operand::kBool, true}},
      {"IsTimestamp", {Op::kIsTimestamp, Operand::kBool, true}},
  };
  return *ops;
}

bool OperandKindOk(Operand k, const json::value& v) {
  switch (k) {
    case Operand::kString: return v.is_string();
    case Operand::kNumber: return v.is_number();
    case Operand::kBool: return v.is_bool();
    case Operand::kTimestamp:
      return v.is_string() &&
             ParseRfc3339Nanos(std::string_view(v.get_string())).has_value();
  }
  return false;
}

// StringMatches: '*' matches any run of characters; "\*" is a literal star
// and "\\" a literal backslash.
bool WildcardMatch(std::string_view pattern, std::string_view text) {
  // Tokenise the pattern into literal characters and wildcards.
  std::vector<int> tokens;  // -1 = wildcard, else a byte
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size() &&
        (pattern[i + 1] == '*' || pattern[i + 1] == '\\')) {
      tokens.push_back(static_cast<unsigned char>(pattern[++i]));
    } else if (c == '*') {
      tokens.push_back(-1);
    } else {
      tokens.push_back(static_cast<unsigned char>(c));
    }
  }
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < tokens.size() && tokens[p] != -1 &&
        tokens[p] == static_cast<unsigned char>(text[t])) {
      ++p;
      ++t;
    } else if (p < tokens.size() && tokens[p] == -1) {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < tokens.size() && tokens[p] == -1) ++p;
  return p == tokens.size();
}

template <typename T>
bool CompareWith(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::kStringEquals: case Op::kNumericEquals: case Op::kTimestampEquals:
      return a == b;
    case Op::kStringLessThan: case Op::kNumericLessThan: case Op::kTimestampLessThan:
      return a < b;
    case Op::kStringGreaterThan: case Op::kNumericGreaterThan:
    case Op::kTimestampGreaterThan:
      return a > b;
    case Op::kStringLessThanEquals: case Op::kNumericLessThanEquals:
    case Op::kTimestampLessThanEquals:
      return a <= b;
    case Op::kStringGreaterThanEquals: case Op::kNumericGreaterThanEquals:
    case Op::kTimestampGreaterThanEquals:
      return a >= b;
    default:
      return false;
  }
}

bool IsStringOp(Op op) { return op <= Op::kStringMatches; }
bool IsNumericOp(Op op) {
  return op >= Op::kNumericEquals && op <= Op::kNumericGreaterThanEquals;
}
bool IsTimestampOp(Op op) {
  return op >= Op::kTimestampEquals && op <= Op::kTimestampGreaterThanEquals;
}

bool CompareValues(Op op, const json::value& a, const json::value& b) {
  if (IsStringOp(op)) {
    if (!a.is_string() || !b.is_string()) return false;
    std::string_view x(a.get_string()), y(b.get_string());
    if (op == Op::kStringMatches) return WildcardMatch(y, x);
    return CompareWith(op, x, y);
  }
  if (IsNumericOp(op)) {
    if (!a.is_number() || !b.is_number()) return false;
    if (a.is_int64() && b.is_int64()) {
      return CompareWith(op, a.get_int64(), b.get_int64());
    }
    return CompareWith(op, ToDouble(a), ToDouble(b));
  }
  if (op == Op::kBooleanEquals) {
    return a.is_bool() && b.is_bool() && a.get_bool() == b.get_bool();
  }
  if (IsTimestampOp(op)) {
    if (!a.is_string() || !b.is_string()) return false;
    auto x = ParseRfc3339Nanos(std::string_view(a.get_string()));
    auto y = ParseRfc3339Nanos(std::string_view(b.get_string()));
    if (!x || !y) return false;
    return CompareWith(op, *x, *y);
  }
  return false;
}

}  // namespace

absl::StatusOr<ChoiceRule> CompileChoiceRule(const json::value& rule_value,
                                             bool top_level) {
  const json::object* obj = rule_value.if_object();
  if (obj == nullptr) {
    return absl::InvalidArgumentError("a choice rule must be an object");
  }
  ChoiceRule rule;
  if (const json::value* n = obj->if_contains("Next")) {
    if (!top_level) {
      return absl::InvalidArgumentError("nested choice rules must not have Next");
    }
    if (!n->is_string()) return absl::InvalidArgumentError("Next must be a string");
    rule.next = std::string(n->get_string());
  } else if (top_level) {
    return absl::InvalidArgumentError("a top-level choice rule needs Next");
  }
  for (const char* comb : {"And", "Or"}) {
    if (const json::value* list = obj->if_contains(comb)) {
      const json::array* arr = list->if_array();
      if (arr == nullptr || arr->empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(comb, " must be a non-empty array"));
      }
      rule.kind = comb[0] == 'A' ? ChoiceRule::Kind::kAnd : ChoiceRule::Kind::kOr;
      for (const json::value& child : *arr) {
        SW_ASSIGN_OR_RETURN(ChoiceRule c, CompileChoiceRule(child, false));
        rule.children.push_back(std::move(c));
      }
      return rule;
    }
  }
  if (const json::value* nv = obj->if_contains("Not")) {
    rule.kind = ChoiceRule::Kind::kNot;
    SW_ASSIGN_OR_RETURN(ChoiceRule c, CompileChoiceRule(*nv, false));
    rule.children.push_back(std::move(c));
    return rule;
  }
  const json::value* var = obj->if_contains("Variable");
  if (var == nullptr || !var->is_string()) {
    return absl::InvalidArgumentError("a choice rule needs a string Variable");
  }
  SW_ASSIGN_OR_RETURN(JsonPath vp, JsonPath::Parse(std::string_view(var->get_string())));
  rule.variable = std::move(vp);
  int found = 0;
  for (const auto& kv : *obj) {
    std::string key(kv.key());
    if (key == "Variable" || key == "Next" || key == "Comment" || key == "Assign") continue;
    bool is_path = key.size() > 4 && key.ends_with("Path");
    std::string base = is_path ? key.substr(0, key.size() - 4) : key;
    auto it = Ops().find(base);
    if (it == Ops().end() || (is_path && it->second.is_test)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown choice operator ", key));
    }
    ++found;
    rule.op = it->second.op;
    rule.op_name = key;
    if (is_path) {
      if (!kv.value().is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(key, " must be a path"));
      }
      SW_ASSIGN_OR_RETURN(JsonPath p, JsonPath::Parse(std::string_view(kv.value().get_string())));
      rule.operand_path = std::move(p);
    } else {
      if (!OperandKindOk(it->second.operand, kv.value())) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid value for ", key));
      }
      rule.operand = kv.value();
    }
  }
  if (found != 1) {
    return absl::InvalidArgumentError(
        "a choice rule needs exactly one comparison operator");
  }
  return rule;
}

absl::StatusOr<bool> EvaluateChoiceRule(const ChoiceRule& rule,
                                        const EvalContext& env) {
  switch (rule.kind) {
    case ChoiceRule::Kind::kAnd:
      for (const ChoiceRule& c : rule.children) {
        SW_ASSIGN_OR_RETURN(bool b, EvaluateChoiceRule(c, env));
        if (!b) return false;
      }
      return true;
    case ChoiceRule::Kind::kOr:
      for (const ChoiceRule& c : rule.children) {
        SW_ASSIGN_OR_RETURN(bool b, EvaluateChoiceRule(c, env));
        if (b) return true;
      }
      return false;
    case ChoiceRule::Kind::kNot: {
      SW_ASSIGN_OR_RETURN(bool b, EvaluateChoiceRule(rule.children[0], env));
      return !b;
    }
    case ChoiceRule::Kind::kCompare:
      break;
  }
  std::optional<json::value> holder;
  const json::value* v = nullptr;
  if (rule.variable->IsDefinite()) {
    v = rule.variable->Find(env);
  } else {
    holder = rule.variable->Evaluate(env);
    if (holder.has_value()) v = &*holder;
  }
  if (rule.op == Op::kIsPresent) {
    return (v != nullptr) == rule.operand.get_bool();
  }
  if (v == nullptr) {
    return RuntimeError(
        kStatesRuntime,
        absl::StrCat("Invalid path '", rule.variable->text(),
                     "': The choice state's condition path references an "
                     "invalid value."));
  }
  switch (rule.op) {
    case Op::kIsNull: return v->is_null() == rule.operand.get_bool();
    case Op::kIsNumeric: return v->is_number() == rule.operand.get_bool();
    case Op::kIsString: return v->is_string() == rule.operand.get_bool();
    case Op::kIsBoolean: return v->is_bool() == rule.operand.get_bool();
    case Op::kIsTimestamp: {
      bool ts = v->is_string() &&
                ParseRfc3339Nanos(std::string_view(v->get_string())).has_value();
      return ts == rule.operand.get_bool();
    }
    default: break;
  }
  if (rule.operand_path.has_value()) {
    std::optional<json::value> other_holder;
    const json::value* other = nullptr;
    if (rule.operand_path->IsDefinite()) {
      other = rule.operand_path->Find(env);
    } else {
      other_holder = rule.operand_path->Evaluate(env);
      if (other_holder.has_value()) other = &*other_holder;
    }
    if (other == nullptr) {
      return RuntimeError(
          kStatesRuntime,
          absl::StrCat("Invalid path '", rule.operand_path->text(),
                       "': The choice state's condition path references an "
                       "invalid value."));
    }
    return CompareValues(rule.op, *v, *other);
  }
  return CompareValues(rule.op, *v, rule.operand);
}

}  // namespace stepwise::asl
