// The field tables of the ASL validator (which fields each state type takes,
// in which query language; the Choice operators) and the Validator's checks
// of common field values: JSONPath paths and reference paths, payload
// templates, Assign, integer fields and JSONata expressions. Internal to the
// validator (see validator_internal.h); pure and thread-safe.
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "asl/intrinsics.h"
#include "asl/path.h"
#include "asl/validator_internal.h"
#include "jsonata/jsonata.h"

namespace stepwise::asl::validator_internal {

namespace {

constexpr FieldKind B = FieldKind::kBoth;
constexpr FieldKind J = FieldKind::kJsonPathOnly;
constexpr FieldKind A = FieldKind::kJsonataOnly;

// Compiles a JSONata expression body (between "{%" and "%}") with the
// JSONata parser the interpreter runs, so that the validator accepts exactly
// what can run. Returns "" when it compiles, else what is wrong: in the
// words the validator has always used for the common syntax errors, and the
// parser's own message (code and position) for the rest.
std::string JsonataProblem(std::string_view body) {
  if (body.find_first_not_of(" \t\n\r") == std::string_view::npos) {
    return "the expression is empty";
  }
  absl::StatusOr<jsonata::Expression> compiled = jsonata::Expression::Compile(body);
  if (compiled.ok()) return "";
  const std::string code = jsonata::ErrorCode(compiled.status());
  if (code == "S0101" || code == "S0105") return "unterminated string";
  if (code == "S0106") return "unterminated comment";
  if (code == "S0302") return "unterminated regular expression";
  if (code == "S0202" || code == "S0203") return "unbalanced brackets";
  if (code == "S0207") return "the expression ends with an operator";
  if (code == "S0201" || code == "S0211") return "an operand is missing";
  return std::string(compiled.status().message());
}

}  // namespace

const FieldTable* FieldsFor(std::string_view type) {
  static const FieldTable kPass = {
      {"Type", B},       {"Comment", B},    {"QueryLanguage", B},
      {"InputPath", J},  {"OutputPath", J}, {"Parameters", J},
      {"Result", J},     {"ResultPath", J}, {"Output", A},
      {"Assign", B},     {"Next", B},       {"End", B}};
  static const FieldTable kTask = {
      {"Type", B},
      {"Comment", B},
      {"QueryLanguage", B},
      {"Resource", B},
      {"Parameters", J},
      {"ResultSelector", J},
      {"ResultPath", J},
      {"InputPath", J},
      {"OutputPath", J},
      {"Arguments", A},
      {"Output", A},
      {"TimeoutSeconds", B},
      {"HeartbeatSeconds", B},
      {"TimeoutSecondsPath", J},
      {"HeartbeatSecondsPath", J},
      {"Credentials", B},
      {"Retry", B},
      {"Catch", B},
      {"Assign", B},
      {"Next", B},
      {"End", B}};
  static const FieldTable kChoice = {
      {"Type", B},       {"Comment", B},    {"QueryLanguage", B},
      {"Choices", B},    {"Default", B},    {"InputPath", J},
      {"OutputPath", J}, {"Output", A},     {"Assign", B}};
  static const FieldTable kWait = {
      {"Type", B},        {"Comment", B},       {"QueryLanguage", B},
      {"Seconds", B},     {"Timestamp", B},     {"SecondsPath", J},
      {"TimestampPath", J}, {"InputPath", J},   {"OutputPath", J},
      {"Output", A},      {"Assign", B},        {"Next", B},
      {"End", B}};
  static const FieldTable kSucceed = {{"Type", B},      {"Comment", B},
                                      {"QueryLanguage", B}, {"InputPath", J},
                                      {"OutputPath", J}, {"Output", A}};
  static const FieldTable kFail = {{"Type", B},      {"Comment", B},
                                   {"QueryLanguage", B}, {"Error", B},
                                   {"Cause", B},     {"ErrorPath", J},
                                   {"CausePath", J}};
  static const FieldTable kParallel = {
      {"Type", B},          {"Comment", B},        {"QueryLanguage", B},
      {"Branches", B},      {"Parameters", J},     {"ResultSelector", J},
      {"ResultPath", J},    {"InputPath", J},      {"OutputPath", J},
      {"Arguments", A},     {"Output", A},         {"Retry", B},
      {"Catch", B},         {"Assign", B},         {"Next", B},
      {"End", B}};
  static const FieldTable kMap = {
      {"Type", B},
      {"Comment", B},
      {"QueryLanguage", B},
      {"ItemProcessor", B},
      {"Iterator", B},
      {"ItemsPath", J},
      {"Items", A},
      {"ItemSelector", B},
      {"Parameters", J},
      {"ItemReader", B},
      {"ItemBatcher", B},
      {"ResultWriter", B},
      {"MaxConcurrency", B},
      {"MaxConcurrencyPath", J},
      {"ToleratedFailurePercentage", B},
      {"ToleratedFailurePercentagePath", J},
      {"ToleratedFailureCount", B},
      {"ToleratedFailureCountPath", J},
      {"Label", B},
      {"ResultSelector", J},
      {"ResultPath", J},
      {"InputPath", J},
      {"OutputPath", J},
      {"Output", A},
      {"Retry", B},
      {"Catch", B},
      {"Assign", B},
      {"Next", B},
      {"End", B}};
  if (type == "Pass") return &kPass;
  if (type == "Task") return &kTask;
  if (type == "Choice") return &kChoice;
  if (type == "Wait") return &kWait;
  if (type == "Succeed") return &kSucceed;
  if (type == "Fail") return &kFail;
  if (type == "Parallel") return &kParallel;
  if (type == "Map") return &kMap;
  return nullptr;
}

std::string_view LangName(Lang l) {
  return l == Lang::kJsonata ? "JSONata" : "JSONPath";
}

// Reports fields that belong to the other query language. Returns true when
// `key` is allowed for `lang`.
bool FieldMatchesLang(FieldKind kind, Lang lang) {
  return kind == FieldKind::kBoth ||
         (kind == FieldKind::kJsonPathOnly && lang == Lang::kJsonPath) ||
         (kind == FieldKind::kJsonataOnly && lang == Lang::kJsonata);
}

const std::map<std::string_view, OpKind>& ChoiceOperators() {
  static const std::map<std::string_view, OpKind> kOps = [] {
    std::map<std::string_view, OpKind> m;
    for (std::string_view op :
         {"StringEquals", "StringLessThan", "StringGreaterThan",
          "StringLessThanEquals", "StringGreaterThanEquals", "StringMatches"}) {
      m[op] = OpKind::kString;
    }
    for (std::string_view op :
         {"NumericEquals", "NumericLessThan", "NumericGreaterThan",
          "NumericLessThanEquals", "NumericGreaterThanEquals"}) {
      m[op] = OpKind::kNumber;
    }
    m["BooleanEquals"] = OpKind::kBoolean;
    for (std::string_view op :
         {"TimestampEquals", "TimestampLessThan", "TimestampGreaterThan",
          "TimestampLessThanEquals", "TimestampGreaterThanEquals"}) {
      m[op] = OpKind::kTimestamp;
    }
    for (std::string_view op :
         {"StringEqualsPath", "StringLessThanPath", "StringGreaterThanPath",
          "StringLessThanEqualsPath", "StringGreaterThanEqualsPath",
          "NumericEqualsPath", "NumericLessThanPath", "NumericGreaterThanPath",
          "NumericLessThanEqualsPath", "NumericGreaterThanEqualsPath",
          "BooleanEqualsPath", "TimestampEqualsPath", "TimestampLessThanPath",
          "TimestampGreaterThanPath", "TimestampLessThanEqualsPath",
          "TimestampGreaterThanEqualsPath"}) {
      m[op] = OpKind::kPath;
    }
    for (std::string_view op : {"IsNull", "IsPresent", "IsNumeric", "IsString",
                                "IsBoolean", "IsTimestamp"}) {
      m[op] = OpKind::kTypeTest;
    }
    return m;
  }();
  return kOps;
}

// Checks the syntax of every "{% ... %}" string inside `v`, skipping
// Comment fields.
void Validator::CheckJsonataStrings(const json::value& v, const std::string& at) {
  if (const json::object* o = v.if_object()) {
    for (const auto& kv : *o) {
      if (Sv(kv.key()) == "Comment") continue;
      CheckJsonataStrings(kv.value(), Join(at, Sv(kv.key())));
    }
  } else if (const json::array* a = v.if_array()) {
    for (size_t i = 0; i < a->size(); ++i) {
      CheckJsonataStrings((*a)[i], Join(at, std::to_string(i)));
    }
  } else if (IsJsonataExpression(v)) {
    std::string_view t = Sv(v.get_string());
    std::string problem = JsonataProblem(t.substr(2, t.size() - 4));
    if (!problem.empty()) {
      Error(kInvalidJsonata,
            Cat("Invalid JSONata expression '", t, "': ", problem), at);
    }
  }
}

bool Validator::IsValidPath(std::string_view text) {
  return JsonPath::Parse(text).ok();
}

bool Validator::IsValidPathOrIntrinsic(std::string_view text) {
  if (LooksLikeIntrinsic(text)) return IntrinsicCall::Parse(text).ok();
  return IsValidPath(text);
}

// A JSONPath-mode "...Path" field: a string holding a valid path.
void Validator::CheckPathField(const json::object& st, std::string_view key,
                               const std::string& loc, Lang lang, bool nullable) {
  if (lang != Lang::kJsonPath) return;
  const json::value* v = st.if_contains(key);
  if (v == nullptr) return;
  std::string at = Join(loc, key);
  if (v->is_null() && nullable) return;
  const json::string* s = v->if_string();
  if (s == nullptr || !IsValidPath(Sv(*s))) {
    Error(kSchema,
          Cat("The value for the field '",
                       key,
                       "' must be a valid JSONPath"),
          at);
  }
}

void Validator::CheckResultPath(const json::object& st, const std::string& loc,
                                Lang lang) {
  if (lang != Lang::kJsonPath) return;
  const json::value* v = st.if_contains("ResultPath");
  if (v == nullptr || v->is_null()) return;
  CheckReferencePath(*v, Join(loc, "ResultPath"));
}

void Validator::CheckReferencePath(const json::value& v, const std::string& at) {
  const json::string* s = v.if_string();
  bool ok = false;
  if (s != nullptr) {
    absl::StatusOr<JsonPath> p = JsonPath::Parse(Sv(*s));
    ok = p.ok() && p->IsReferencePath();
  }
  if (!ok) {
    Error(kSchema,
          "The value for the field 'ResultPath' must be a valid "
          "ReferencePath",
          at);
  }
}

// Walks a JSONPath payload template: every "x.$" key holds a path or an
// intrinsic call, and no two keys collide once ".$" is stripped.
void Validator::CheckTemplate(const json::value& v, const std::string& at) {
  if (const json::object* o = v.if_object()) {
    std::set<std::string> plain;
    for (const auto& kv : *o) {
      std::string_view k = Sv(kv.key());
      bool dynamic = k.size() >= 2 && k.substr(k.size() - 2) == ".$";
      std::string stripped(dynamic ? k.substr(0, k.size() - 2) : k);
      if (!plain.insert(stripped).second) {
        Error(kSchema,
              Cat("The field '", stripped,
                           "' is duplicated once '.$' is removed"),
              at);
      }
      if (dynamic) {
        const json::string* s = kv.value().if_string();
        if (s == nullptr || !IsValidPathOrIntrinsic(Sv(*s))) {
          Error(kSchema,
                Cat("The value for the field '",
                             k,
                             "' must be a valid JSONPath or a valid "
                             "intrinsic function call"),
                at);
        }
      } else {
        CheckTemplate(kv.value(), Join(at, k));
      }
    }
  } else if (const json::array* a = v.if_array()) {
    for (size_t i = 0; i < a->size(); ++i) {
      CheckTemplate((*a)[i], Join(at, std::to_string(i)));
    }
  }
}

void Validator::CheckAssign(const json::value& v, const std::string& at, Lang lang) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    Error(kSchema, "Assign must be a JSON object", at);
    return;
  }
  for (const auto& kv : *o) {
    std::string_view k = Sv(kv.key());
    if (lang == Lang::kJsonPath && k.size() >= 2 &&
        k.substr(k.size() - 2) == ".$") {
      k = k.substr(0, k.size() - 2);
    }
    if (!IsValidVariableName(k)) {
      Error(kSchema,
            Cat("'", k,
                         "' is not a valid variable name"),
            at);
    }
  }
  if (lang == Lang::kJsonPath) CheckTemplate(v, at);
}

// A number field: an integer in [lo, hi], or (JSONata) an expression.
void Validator::CheckInteger(const json::object& st, std::string_view key,
                             const std::string& loc, Lang lang, int64_t lo, int64_t hi) {
  const json::value* v = st.if_contains(key);
  if (v == nullptr) return;
  if (lang == Lang::kJsonata && IsJsonataExpression(*v)) return;
  int64_t n = 0;
  // AsInteger saturates: a number beyond int64 reads as INT64_MAX, which
  // no field can hold, so it is refused rather than taken as the maximum.
  if (!AsInteger(*v, n) || n < lo || n > hi || (hi == INT64_MAX && n == INT64_MAX)) {
    Error(kSchema,
          Cat(key,
                       " must be an integer between ", lo, " and ", hi),
          Join(loc, key));
  }
}

void Validator::Exclusive(const json::object& st, std::string_view a,
                          std::string_view b, const std::string& loc) {
  if (st.contains(a) && st.contains(b)) {
    Error(kSchema,
          Cat("Only one of ", a,
                       " or ", b,
                       " can be set"),
          loc);
  }
}

}  // namespace stepwise::asl::validator_internal
