#include "asl/validator.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <exception>
#include <optional>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "asl/intrinsics.h"
#include "asl/path.h"

namespace stepwise::asl {

bool ValidationResult::ok() const {
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == "ERROR") return false;
  }
  return true;
}

namespace {

constexpr std::string_view kSchema = "SCHEMA_VALIDATION_FAILED";
constexpr std::string_view kMissingTarget = "MISSING_TRANSITION_TARGET";
constexpr std::string_view kDuplicateName = "DUPLICATE_STATE_NAME";
constexpr std::string_view kMissingEnd = "MISSING_END_STATE";
constexpr std::string_view kInvalidJson = "INVALID_JSON_DESCRIPTION";
constexpr std::string_view kMissingDescription = "MISSING_DESCRIPTION";
constexpr std::string_view kInvalidResource = "INVALID_RESOURCE";
constexpr std::string_view kInvalidStateName = "INVALID_STATE_NAME";
constexpr std::string_view kInvalidJsonata = "INVALID_JSONATA_EXPRESSION";

constexpr int64_t kMaxSeconds = 99999999;
constexpr int64_t kMaxDelaySeconds = 31622400;
constexpr size_t kMaxStateNameChars = 80;
constexpr size_t kMaxLabelChars = 40;
constexpr size_t kMaxVariableNameChars = 80;

std::string_view Sv(const json::string& s) { return {s.data(), s.size()}; }
// Object keys come back as json::string_view; without this overload they
// would convert to a temporary json::string and the view would dangle.
std::string_view Sv(json::string_view s) { return {s.data(), s.size()}; }

void AppendPiece(std::string& out, std::string_view s) { out.append(s); }
void AppendPiece(std::string& out, const char* s) { out.append(s); }
void AppendPiece(std::string& out, const std::string& s) { out.append(s); }
template <typename T>
  requires std::is_integral_v<T>
void AppendPiece(std::string& out, T n) {
  out.append(std::to_string(n));
}

// Concatenates strings and integers (absl::StrCat does not take
// std::string_view with our abseil).
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (AppendPiece(out, args), ...);
  return out;
}

// Escapes a reference token as JSON Pointer does ("~" -> "~0", "/" -> "~1").
std::string PointerToken(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Join(std::string_view base, std::string_view token) {
  return Cat(base, "/",
                      PointerToken(token));
}

// Decodes UTF-8 into code points; invalid sequences yield U+FFFD.
std::vector<uint32_t> DecodeUtf8(std::string_view s) {
  std::vector<uint32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 0x6) {
      len = 2;
    } else if ((c >> 4) == 0xE) {
      len = 3;
    } else if ((c >> 3) == 0x1E) {
      len = 4;
    }
    if (len > 1) {
      if (i + len > s.size()) {
        len = 1;
      } else {
        cp = c & (0xFF >> (len + 1));
        bool ok = true;
        for (size_t k = 1; k < len; ++k) {
          auto cc = static_cast<unsigned char>(s[i + k]);
          if ((cc >> 6) != 0x2) {
            ok = false;
            break;
          }
          cp = (cp << 6) | (cc & 0x3F);
        }
        if (!ok) {
          cp = 0xFFFD;
          len = 1;
        }
      }
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Parses exactly `n` digits at `s[pos]`.
bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!IsDigit(s[pos + i])) return false;
    out = out * 10 + (s[pos + i] - '0');
  }
  return true;
}

// RFC 3339 date-time as AWS accepts it: uppercase 'T', and 'Z' or a numeric
// offset; fractional seconds optional.
bool IsRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' ||
      !Digits(s, 5, 2, month) || s[7] != '-' || !Digits(s, 8, 2, day) ||
      s[10] != 'T' || !Digits(s, 11, 2, hour) || s[13] != ':' ||
      !Digits(s, 14, 2, minute) || s[16] != ':' || !Digits(s, 17, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 ||
      second > 60) {
    return false;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max_day = kDays[month - 1];
  if (month == 2 && !leap) max_day = 28;
  if (day > max_day) return false;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start) return false;
  }
  if (pos >= s.size()) return false;
  if (s[pos] == 'Z') return pos + 1 == s.size();
  if (s[pos] != '+' && s[pos] != '-') return false;
  int oh, om;
  if (pos + 6 != s.size() || !Digits(s, pos + 1, 2, oh) || s[pos + 3] != ':' ||
      !Digits(s, pos + 4, 2, om)) {
    return false;
  }
  return oh <= 23 && om <= 59;
}

// A JSONata expression string: "{% ... %}".
bool IsJsonataExpression(const json::value& v) {
  const json::string* s = v.if_string();
  if (s == nullptr) return false;
  std::string_view t = Sv(*s);
  return t.size() >= 4 && t.substr(0, 2) == "{%" &&
         t.substr(t.size() - 2) == "%}";
}

// Reads an integral JSON number into `out` (1 and 1.0 both count).
bool AsInteger(const json::value& v, int64_t& out) {
  if (v.is_int64()) {
    out = v.get_int64();
    return true;
  }
  if (v.is_uint64()) {
    uint64_t u = v.get_uint64();
    out = u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX
                                               : static_cast<int64_t>(u);
    return true;
  }
  if (v.is_double() && IsIntegral(v)) {
    double d = v.get_double();
    if (d > 9.2e18) {
      out = INT64_MAX;
    } else if (d < -9.2e18) {
      out = INT64_MIN;
    } else {
      out = static_cast<int64_t>(d);
    }
    return true;
  }
  return false;
}

// Characters AWS forbids in names and Map labels.
bool IsForbiddenNameChar(uint32_t cp) {
  if (cp <= 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;  // ctl, space
  if (cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
      (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
      cp == 0x202F || cp == 0x205F || cp == 0x3000) {
    return true;  // Unicode whitespace
  }
  if (cp == 0xFFFE || cp == 0xFFFF || cp == 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return true;
  }
  static constexpr std::string_view kPunct = "<>{}[]?*\"#%\\^|~`$&,;:/";
  return cp < 0x80 && kPunct.find(static_cast<char>(cp)) != kPunct.npos;
}

// Variable names: Unicode identifier (approximated: ASCII letters, '_' or
// any non-ASCII code point first; then also digits), at most 80 characters,
// and not "states".
bool IsValidVariableName(std::string_view name) {
  if (name.empty() || name == "states") return false;
  std::vector<uint32_t> cps = DecodeUtf8(name);
  if (cps.size() > kMaxVariableNameChars) return false;
  for (size_t i = 0; i < cps.size(); ++i) {
    uint32_t c = cps[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '_' || (c >= 0x80 && !IsForbiddenNameChar(c));
    bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

// A light syntax check of a JSONata expression body (between "{%" and
// "%}"): brackets balance, strings and comments close, and no binary
// operator stands where an operand is needed (after an opening bracket, a
// comma, another operator, or at either end). Returns an empty string when
// nothing is wrong, else what is. It is deliberately lenient: anything it
// does not understand is accepted, since AWS accepts what JSONata parses.
std::string JsonataSyntaxProblem(std::string_view e) {
  enum class Prev { kStart, kOperand, kOpen, kSeparator, kBinary, kDot };
  Prev prev = Prev::kStart;
  std::string stack;
  auto need_operand = [&] {
    return prev != Prev::kOperand;
  };
  size_t i = 0;
  while (i < e.size()) {
    char c = e[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < e.size() && e[i + 1] == '*') {
      size_t end = e.find("*/", i + 2);
      if (end == std::string_view::npos) return "unterminated comment";
      i = end + 2;
      continue;
    }
    if (c == '"' || c == '\'' || c == '`') {
      size_t j = i + 1;
      while (j < e.size() && e[j] != c) j += e[j] == '\\' ? 2 : 1;
      if (j >= e.size()) return "unterminated string";
      i = j + 1;
      prev = Prev::kOperand;
      continue;
    }
    if (c == '/' && need_operand()) {  // regular expression literal
      size_t j = i + 1;
      while (j < e.size() && e[j] != '/') j += e[j] == '\\' ? 2 : 1;
      if (j >= e.size()) return "unterminated regular expression";
      i = j + 1;
      while (i < e.size() && (e[i] == 'i' || e[i] == 'm')) ++i;
      prev = Prev::kOperand;
      continue;
    }
    if (IsDigit(c)) {
      while (i < e.size() && IsDigit(e[i])) ++i;
      if (i + 1 < e.size() && e[i] == '.' && IsDigit(e[i + 1])) {
        ++i;
        while (i < e.size() && IsDigit(e[i])) ++i;
      }
      if (i < e.size() && (e[i] == 'e' || e[i] == 'E')) {
        size_t j = i + 1;
        if (j < e.size() && (e[j] == '+' || e[j] == '-')) ++j;
        if (j < e.size() && IsDigit(e[j])) {
          i = j;
          while (i < e.size() && IsDigit(e[i])) ++i;
        }
      }
      prev = Prev::kOperand;
      continue;
    }
    if (c == '$' || c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
        static_cast<unsigned char>(c) >= 0x80) {
      ++i;
      while (i < e.size() &&
             (e[i] == '_' || e[i] == '$' ||
              std::isalnum(static_cast<unsigned char>(e[i])) ||
              static_cast<unsigned char>(e[i]) >= 0x80)) {
        ++i;
      }
      prev = Prev::kOperand;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') {
      stack.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
      ++i;
      prev = Prev::kOpen;
      continue;
    }
    if (c == ')' || c == ']' || c == '}') {
      if (stack.empty() || stack.back() != c) return "unbalanced brackets";
      if (prev == Prev::kBinary || prev == Prev::kDot || prev == Prev::kSeparator) {
        return "an operand is missing";
      }
      stack.pop_back();
      ++i;
      prev = Prev::kOperand;
      continue;
    }
    if (c == ',' || c == ';') {
      if (prev != Prev::kOperand) return "an operand is missing";
      ++i;
      prev = Prev::kSeparator;
      continue;
    }
    // Operators. '*' and '%' are also path steps (wildcard, parent), '-' is
    // also unary; '|', '^', '@', '#' and '!' are left alone.
    if ((c == '*' || c == '%') && prev != Prev::kOperand &&
        prev != Prev::kBinary) {
      i += (c == '*' && i + 1 < e.size() && e[i + 1] == '*') ? 2 : 1;
      prev = Prev::kOperand;
      continue;
    }
    if (c == '-' && prev != Prev::kOperand) {
      ++i;
      prev = Prev::kBinary;
      continue;
    }
    if (c == '|' || c == '^' || c == '@' || c == '#' || c == '!') {
      ++i;
      if (c == '!' && i < e.size() && e[i] == '=') {
        if (prev != Prev::kOperand) return "an operand is missing";
        ++i;
        prev = Prev::kBinary;
      }
      continue;
    }
    static constexpr std::string_view kOps = "+-*/%=<>&?:~.";
    if (kOps.find(c) == std::string_view::npos) {
      ++i;  // unknown character: stay lenient
      continue;
    }
    if (prev != Prev::kOperand) return "an operand is missing";
    size_t len = 1;
    std::string_view two = e.substr(i, 2);
    if (two == "<=" || two == ">=" || two == "~>" || two == ":=" ||
        two == ".." || two == "??" || two == "?:") {
      len = 2;
    }
    prev = c == '.' && len == 1 ? Prev::kDot : Prev::kBinary;
    i += len;
  }
  if (!stack.empty()) return "unbalanced brackets";
  if (prev == Prev::kBinary || prev == Prev::kDot ||
      prev == Prev::kSeparator) {
    return "the expression ends with an operator";
  }
  if (prev == Prev::kStart) return "the expression is empty";
  return "";
}

enum class Lang { kJsonPath, kJsonata };

// Which query language a field belongs to.
enum class FieldKind { kBoth, kJsonPathOnly, kJsonataOnly };

using FieldTable = std::map<std::string_view, FieldKind>;

constexpr FieldKind B = FieldKind::kBoth;
constexpr FieldKind J = FieldKind::kJsonPathOnly;
constexpr FieldKind A = FieldKind::kJsonataOnly;

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

// The Choice-rule comparison operators and the kind of value each takes.
enum class OpKind {
  kString,
  kNumber,
  kBoolean,
  kTimestamp,
  kPath,
  kTypeTest
};

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

// One States block (the machine, a Parallel branch or a Map processor).
struct Scope {
  std::string loc;  // location of the block, "" for the machine
  std::set<std::string> names;
};

// Transitions out of one state, with the location each was written at.
struct Transition {
  std::string target;
  std::string loc;
  std::string_view field;  // "Next", "Default"
};

class Validator {
 public:
  explicit Validator(std::string_view type) : express_(type == "EXPRESS") {}

  ValidationResult Run(const json::value& definition) {
    ValidationResult r;
    if (Depth(definition, 0) > kMaxJsonDepth) {
      Error(kSchema, "definition nests too deeply", "/");
    } else if (const json::object* top = definition.if_object()) {
      ValidateMachine(*top);
    } else {
      Error(kSchema, "definition must be a JSON object", "/");
    }
    r.diagnostics = std::move(diags_);
    return r;
  }

 private:
  void Error(std::string_view code, std::string message, std::string loc) {
    // (Not `loc = "/"`: GCC 12 -O2 reports a false -Wrestrict on it.)
    std::string location = loc.empty() ? std::string(1, '/') : std::move(loc);
    diags_.push_back(
        Diagnostic{"ERROR", std::string(code), std::move(message), std::move(location)});
  }

  static int Depth(const json::value& v, int depth) {
    if (depth > kMaxJsonDepth) return depth;
    int best = depth;
    if (const json::object* o = v.if_object()) {
      for (const auto& kv : *o) best = std::max(best, Depth(kv.value(), depth + 1));
    } else if (const json::array* a = v.if_array()) {
      for (const auto& e : *a) best = std::max(best, Depth(e, depth + 1));
    }
    return best;
  }

  // ---- top level --------------------------------------------------------

  void ValidateMachine(const json::object& top) {
    top_lang_ = Lang::kJsonPath;
    if (const json::value* ql = top.if_contains("QueryLanguage")) {
      std::optional<Lang> l = ParseLang(*ql, "/QueryLanguage");
      if (l) top_lang_ = *l;
    }
    for (const auto& kv : top) {
      std::string_view k = Sv(kv.key());
      if (k == "StartAt" || k == "States" || k == "Comment" ||
          k == "QueryLanguage") {
        continue;
      }
      if (k == "Version") {
        const json::string* s = kv.value().if_string();
        if (s == nullptr || Sv(*s) != "1.0") {
          Error(kSchema, "Version must be \"1.0\"", "/Version");
        }
      } else if (k == "TimeoutSeconds") {
        int64_t n = 0;
        if (!AsInteger(kv.value(), n) || n < 1 || n > kMaxSeconds) {
          Error(kSchema, "TimeoutSeconds must be a positive integer",
                "/TimeoutSeconds");
        }
      } else {
        UnknownField(k, "/");
      }
    }
    CheckComment(top, "");
    ValidateStatesBlock(top, "", /*allow_processor_config=*/false);
    CheckVariableScopes(top, "", {});
    if (state_count_ > kMaxStates) {
      Error(kSchema,
            Cat("definition has ", state_count_,
                         " states; at most ", kMaxStates, " are allowed"),
            "/States");
    }
  }

  // ---- variable scopes ---------------------------------------------------

  // Adds to `out` the variable names one Assign object assigns (a JSONPath
  // key "x.$" assigns x), with where each is assigned.
  static void AssignedNames(const json::value* assign, const std::string& at,
                            std::vector<std::pair<std::string, std::string>>& out) {
    const json::object* o = assign != nullptr ? assign->if_object() : nullptr;
    if (o == nullptr) return;
    for (const auto& kv : *o) {
      std::string_view k = Sv(kv.key());
      if (k.size() >= 2 && k.substr(k.size() - 2) == ".$") k = k.substr(0, k.size() - 2);
      out.emplace_back(std::string(k), Join(at, Sv(kv.key())));
    }
  }

  // Each States block (the machine, a Parallel branch, a Map processor) is a
  // scope. An inner scope reads the variables of the scopes around it but
  // may not assign one of their names (AWS's rule); `outer` holds the names
  // assigned in the enclosing scopes.
  void CheckVariableScopes(const json::object& block, const std::string& loc,
                           const std::set<std::string>& outer) {
    const json::value* states_v = block.if_contains("States");
    const json::object* states = states_v != nullptr ? states_v->if_object() : nullptr;
    if (states == nullptr) return;
    std::string states_loc = Join(loc, "States");
    std::vector<std::pair<std::string, std::string>> assigned;
    for (const auto& kv : *states) {
      const json::object* st = kv.value().if_object();
      if (st == nullptr) continue;
      std::string at = Join(states_loc, Sv(kv.key()));
      AssignedNames(st->if_contains("Assign"), Join(at, "Assign"), assigned);
      for (std::string_view list : {"Choices", "Catch"}) {
        const json::value* l = st->if_contains(list);
        const json::array* a = l != nullptr ? l->if_array() : nullptr;
        if (a == nullptr) continue;
        for (size_t i = 0; i < a->size(); ++i) {
          const json::object* rule = (*a)[i].if_object();
          if (rule == nullptr) continue;
          AssignedNames(rule->if_contains("Assign"),
                        Join(Join(Join(at, list), std::to_string(i)), "Assign"), assigned);
        }
      }
    }
    std::set<std::string> inner = outer;
    for (const auto& [name, at] : assigned) {
      if (outer.count(name) != 0) {
        Error(kSchema,
              Cat("Variable '", name,
                  "' is assigned in an outer scope; a Parallel branch or Map iteration may "
                  "read it but not assign it"),
              at);
      }
      inner.insert(name);
    }
    for (const auto& kv : *states) {
      const json::object* st = kv.value().if_object();
      if (st == nullptr) continue;
      std::string at = Join(states_loc, Sv(kv.key()));
      if (const json::value* b = st->if_contains("Branches"); b != nullptr && b->is_array()) {
        const json::array& branches = b->get_array();
        for (size_t i = 0; i < branches.size(); ++i) {
          if (const json::object* o = branches[i].if_object()) {
            CheckVariableScopes(*o, Join(Join(at, "Branches"), std::to_string(i)), inner);
          }
        }
      }
      for (std::string_view key : {"ItemProcessor", "Iterator"}) {
        const json::value* p = st->if_contains(key);
        if (const json::object* o = p != nullptr ? p->if_object() : nullptr) {
          CheckVariableScopes(*o, Join(at, key), inner);
        }
      }
    }
  }

  std::optional<Lang> ParseLang(const json::value& v, const std::string& loc) {
    const json::string* s = v.if_string();
    if (s != nullptr && Sv(*s) == "JSONPath") return Lang::kJsonPath;
    if (s != nullptr && Sv(*s) == "JSONata") return Lang::kJsonata;
    Error(kSchema, "QueryLanguage must be 'JSONPath' or 'JSONata'", loc);
    return std::nullopt;
  }

  void UnknownField(std::string_view key, const std::string& loc) {
    Error(kSchema,
          Cat("Field '", key,
                       "' is not supported"),
          loc);
  }

  void CheckComment(const json::object& o, const std::string& loc) {
    if (const json::value* c = o.if_contains("Comment")) {
      if (!c->is_string()) {
        Error(kSchema, "Comment must be a string", Join(loc, "Comment"));
      }
    }
  }

  // Validates {StartAt, States} at `loc`: each state, transitions within the
  // block, reachability and the presence of a terminal state.
  void ValidateStatesBlock(const json::object& block, const std::string& loc,
                           bool allow_processor_config) {
    (void)allow_processor_config;
    const json::value* start = block.if_contains("StartAt");
    const json::value* states_v = block.if_contains("States");
    std::vector<std::string> missing;
    if (start == nullptr) missing.push_back("StartAt");
    if (states_v == nullptr) missing.push_back("States");
    if (!missing.empty()) {
      std::string list;
      for (size_t i = 0; i < missing.size(); ++i) {
        if (i > 0) list += ", ";
        list += missing[i];
      }
      Error(kSchema, Cat("These fields are required: [", list, "]"),
            loc);
    }
    const json::string* start_s = start ? start->if_string() : nullptr;
    if (start != nullptr && start_s == nullptr) {
      Error(kSchema, "StartAt must be a string", Join(loc, "StartAt"));
    }
    if (states_v == nullptr) return;
    const json::object* states = states_v->if_object();
    if (states == nullptr) {
      Error(kSchema, "States must be an object", Join(loc, "States"));
      return;
    }
    if (states->empty()) {
      Error(kSchema, "States must not be empty", Join(loc, "States"));
      return;
    }
    std::string states_loc = Join(loc, "States");

    std::set<std::string> names;
    for (const auto& kv : *states) names.insert(std::string(Sv(kv.key())));

    std::map<std::string, std::vector<Transition>> edges;
    bool has_terminal = false;
    for (const auto& kv : *states) {
      std::string name(Sv(kv.key()));
      std::string state_loc = Join(states_loc, name);
      ++state_count_;
      if (!all_names_.insert(name).second) {
        Error(kDuplicateName,
              Cat("Duplicate State name: ", name), state_loc);
      }
      if (DecodeUtf8(name).size() > kMaxStateNameChars || name.empty()) {
        Error(kInvalidStateName,
              Cat("State name must be 1 to ", kMaxStateNameChars,
                           " characters: ", name),
              state_loc);
      }
      const json::object* st = kv.value().if_object();
      if (st == nullptr) {
        Error(kSchema, "A state must be a JSON object", state_loc);
        continue;
      }
      std::vector<Transition> out;
      bool terminal = false;
      ValidateState(*st, state_loc, out, terminal);
      has_terminal = has_terminal || terminal;
      edges[name] = std::move(out);
    }

    // Transition targets.
    for (const auto& [name, outs] : edges) {
      for (const Transition& t : outs) {
        if (names.count(t.target) == 0) {
          Error(kMissingTarget,
                Cat("Missing '", t.field, "' target: ", t.target),
                t.loc);
        }
      }
    }
    if (start_s == nullptr) return;
    std::string start_name(Sv(*start_s));
    if (names.count(start_name) == 0) {
      Error(kMissingTarget,
            Cat("Missing 'StartAt' target: ", start_name),
            Join(loc, "StartAt"));
      return;
    }
    // Reachability from StartAt.
    std::set<std::string> seen{start_name};
    std::deque<std::string> queue{start_name};
    while (!queue.empty()) {
      std::string cur = queue.front();
      queue.pop_front();
      auto it = edges.find(cur);
      if (it == edges.end()) continue;
      for (const Transition& t : it->second) {
        if (names.count(t.target) > 0 && seen.insert(t.target).second) {
          queue.push_back(t.target);
        }
      }
    }
    for (const auto& kv : *states) {
      std::string name(Sv(kv.key()));
      if (seen.count(name) == 0) {
        Error(kMissingTarget,
              Cat("State \"", name, "\" is not reachable."),
              Join(states_loc, name));
      }
    }
    if (!has_terminal) {
      Error(kMissingEnd, "Workflow has no terminal state", loc);
    }
  }

  // ---- states -----------------------------------------------------------

  void ValidateState(const json::object& st, const std::string& loc,
                     std::vector<Transition>& out, bool& terminal) {
    const json::value* type_v = st.if_contains("Type");
    if (type_v == nullptr) {
      Error(kSchema, "These fields are required: [Type]", loc);
      return;
    }
    const json::string* type_s = type_v->if_string();
    const FieldTable* fields = type_s ? FieldsFor(Sv(*type_s)) : nullptr;
    if (fields == nullptr) {
      Error(kSchema,
            "Type must be one of Pass, Task, Choice, Wait, Succeed, Fail, "
            "Parallel, Map",
            Join(loc, "Type"));
      return;
    }
    std::string_view type = Sv(*type_s);

    Lang lang = top_lang_;
    if (const json::value* ql = st.if_contains("QueryLanguage")) {
      std::optional<Lang> l = ParseLang(*ql, Join(loc, "QueryLanguage"));
      if (l) {
        if (top_lang_ == Lang::kJsonata && *l == Lang::kJsonPath) {
          Error(kSchema,
                "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' "
                "for whole state machine",
                loc);
        }
        lang = *l;
      }
    }

    for (const auto& kv : st) {
      std::string_view k = Sv(kv.key());
      auto it = fields->find(k);
      if (it == fields->end()) {
        UnknownField(k, loc);
      } else if (!FieldMatchesLang(it->second, lang)) {
        WrongLanguageField(k, lang, loc);
      }
    }
    CheckComment(st, loc);

    // Next / End.
    const json::value* next = st.if_contains("Next");
    const json::value* end = st.if_contains("End");
    bool flow_state = type != "Choice" && type != "Succeed" && type != "Fail";
    if (flow_state) {
      bool end_true = false;
      if (end != nullptr) {
        if (!end->is_bool()) {
          Error(kSchema, "End must be a boolean", Join(loc, "End"));
        } else {
          end_true = end->get_bool();
        }
      }
      if (next != nullptr) {
        if (const json::string* n = next->if_string()) {
          out.push_back({std::string(Sv(*n)), Join(loc, "Next"), "Next"});
        } else {
          Error(kSchema, "Next must be a string", Join(loc, "Next"));
        }
      }
      if (next != nullptr && end_true) {
        Error(kSchema, "Only one of Next or End can be set", loc);
      } else if (next == nullptr && !end_true) {
        Error(kSchema, "One of Next or End:true is required", loc);
      }
      terminal = end_true;
    } else {
      terminal = type != "Choice";
    }

    // Paths common to most states.
    CheckPathField(st, "InputPath", loc, lang, /*nullable=*/true);
    CheckPathField(st, "OutputPath", loc, lang, /*nullable=*/true);
    CheckResultPath(st, loc, lang);
    if (const json::value* a = st.if_contains("Assign")) {
      CheckAssign(*a, Join(loc, "Assign"), lang);
    }
    if (lang == Lang::kJsonata) {
      for (const auto& kv : st) {
        std::string_view k = Sv(kv.key());
        if (k == "Comment" || k == "Branches" || k == "ItemProcessor" ||
            k == "Iterator") {
          continue;
        }
        CheckJsonataStrings(kv.value(), Join(loc, k));
      }
    }

    if (type == "Pass") {
      if (const json::value* p = st.if_contains("Parameters")) {
        if (lang == Lang::kJsonPath) CheckTemplate(*p, Join(loc, "Parameters"));
      }
    } else if (type == "Task") {
      ValidateTask(st, loc, lang);
      ValidateRetryCatch(st, loc, lang, out);
    } else if (type == "Choice") {
      ValidateChoice(st, loc, lang, out);
    } else if (type == "Wait") {
      ValidateWait(st, loc, lang);
    } else if (type == "Fail") {
      ValidateFail(st, loc, lang);
    } else if (type == "Parallel") {
      ValidateParallel(st, loc, lang);
      ValidateRetryCatch(st, loc, lang, out);
    } else if (type == "Map") {
      ValidateMap(st, loc, lang);
      ValidateRetryCatch(st, loc, lang, out);
    }
  }

  // Checks the syntax of every "{% ... %}" string inside `v`, skipping
  // Comment fields.
  void CheckJsonataStrings(const json::value& v, const std::string& at) {
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
      std::string problem = JsonataSyntaxProblem(t.substr(2, t.size() - 4));
      if (!problem.empty()) {
        Error(kInvalidJsonata,
              Cat("Invalid JSONata expression '", t, "': ", problem), at);
      }
    }
  }

  void WrongLanguageField(std::string_view key, Lang lang,
                          const std::string& loc) {
    Lang other = lang == Lang::kJsonata ? Lang::kJsonPath : Lang::kJsonata;
    Error(kSchema,
          Cat("The QueryLanguage is set to '", LangName(lang),
                       "', but field '",
                       key,
                       "' is only supported for the '", LangName(other),
                       "' QueryLanguage"),
          loc);
  }

  // ---- paths and templates ----------------------------------------------

  static bool IsValidPath(std::string_view text) {
    return JsonPath::Parse(text).ok();
  }

  static bool IsValidPathOrIntrinsic(std::string_view text) {
    if (LooksLikeIntrinsic(text)) return IntrinsicCall::Parse(text).ok();
    return IsValidPath(text);
  }

  // A JSONPath-mode "...Path" field: a string holding a valid path.
  void CheckPathField(const json::object& st, std::string_view key,
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

  void CheckResultPath(const json::object& st, const std::string& loc,
                       Lang lang) {
    if (lang != Lang::kJsonPath) return;
    const json::value* v = st.if_contains("ResultPath");
    if (v == nullptr || v->is_null()) return;
    CheckReferencePath(*v, Join(loc, "ResultPath"));
  }

  void CheckReferencePath(const json::value& v, const std::string& at) {
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
  void CheckTemplate(const json::value& v, const std::string& at) {
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

  void CheckAssign(const json::value& v, const std::string& at, Lang lang) {
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
  void CheckInteger(const json::object& st, std::string_view key,
                    const std::string& loc, Lang lang, int64_t lo, int64_t hi) {
    const json::value* v = st.if_contains(key);
    if (v == nullptr) return;
    if (lang == Lang::kJsonata && IsJsonataExpression(*v)) return;
    int64_t n = 0;
    if (!AsInteger(*v, n) || n < lo || n > hi) {
      Error(kSchema,
            Cat(key,
                         " must be an integer between ", lo, " and ", hi),
            Join(loc, key));
    }
  }

  void Exclusive(const json::object& st, std::string_view a,
                 std::string_view b, const std::string& loc) {
    if (st.contains(a) && st.contains(b)) {
      Error(kSchema,
            Cat("Only one of ", a,
                         " or ", b,
                         " can be set"),
            loc);
    }
  }

  // ---- Task -------------------------------------------------------------

  void ValidateTask(const json::object& st, const std::string& loc,
                    Lang lang) {
    const json::value* res = st.if_contains("Resource");
    if (res == nullptr) {
      Error(kSchema, "These fields are required: [Resource]", loc);
    } else if (const json::string* s = res->if_string()) {
      CheckResource(Sv(*s), Join(loc, "Resource"));
    } else {
      Error(kSchema, "Resource must be a string", Join(loc, "Resource"));
    }
    if (lang == Lang::kJsonPath) {
      if (const json::value* p = st.if_contains("Parameters")) {
        CheckTemplate(*p, Join(loc, "Parameters"));
      }
      if (const json::value* rs = st.if_contains("ResultSelector")) {
        CheckResultSelector(*rs, Join(loc, "ResultSelector"));
      }
    }
    CheckInteger(st, "TimeoutSeconds", loc, lang, 1, kMaxSeconds);
    CheckInteger(st, "HeartbeatSeconds", loc, lang, 1, kMaxSeconds);
    CheckPathField(st, "TimeoutSecondsPath", loc, lang, false);
    CheckPathField(st, "HeartbeatSecondsPath", loc, lang, false);
    Exclusive(st, "TimeoutSeconds", "TimeoutSecondsPath", loc);
    Exclusive(st, "HeartbeatSeconds", "HeartbeatSecondsPath", loc);
    const json::value* t = st.if_contains("TimeoutSeconds");
    const json::value* h = st.if_contains("HeartbeatSeconds");
    int64_t tn = 0, hn = 0;
    if (t && h && AsInteger(*t, tn) && AsInteger(*h, hn) && hn >= tn) {
      Error(kSchema, "HeartbeatSeconds must be smaller than TimeoutSeconds",
            Join(loc, "HeartbeatSeconds"));
    }
    if (const json::value* c = st.if_contains("Credentials")) {
      if (!c->is_object()) {
        Error(kSchema, "Credentials must be a JSON object",
              Join(loc, "Credentials"));
      } else if (lang == Lang::kJsonPath) {
        CheckTemplate(*c, Join(loc, "Credentials"));
      }
    }
  }

  void CheckResultSelector(const json::value& v, const std::string& at) {
    if (!v.is_object()) {
      Error(kSchema, "ResultSelector must be a JSON object", at);
      return;
    }
    CheckTemplate(v, at);
  }

  void CheckResource(std::string_view r, const std::string& at) {
    // arn:partition:service:region:account:resource
    size_t colons = 0;
    for (char c : r) colons += c == ':';
    if (r.substr(0, 4) != "arn:" || colons < 5) {
      Error(kInvalidResource, "Value is not a valid resource ARN", at);
      return;
    }
    if (!express_) return;
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (size_t i = 0; i <= r.size(); ++i) {
      if (i == r.size() || r[i] == ':') {
        parts.push_back(r.substr(start, i - start));
        start = i + 1;
      }
    }
    if (parts.size() >= 6 && parts[2] == "states" && parts[5] == "activity") {
      Error(kSchema, "Express state machine does not support Activity ARN",
            at);
      return;
    }
    auto contains = [&](std::string_view needle) {
      return r.find(needle) != std::string_view::npos;
    };
    if (parts.size() >= 3 && parts[2] == "states") {
      std::string_view last = r.substr(r.rfind(':') + 1);
      if (contains(".sync")) {
        Error(kSchema,
              "Express state machine does not support '.sync' service "
              "integration",
              at);
      } else if (last.size() >= 17 &&
                 last.substr(last.size() - 17) == ".waitForTaskToken") {
        Error(kSchema,
              "Express state machine does not support '.waitForTaskToken' "
              "service integration",
              at);
      }
    }
  }

  // ---- Retry / Catch ----------------------------------------------------

  // Checks ErrorEquals; returns true when it holds States.ALL.
  bool CheckErrorEquals(const json::object& o, const std::string& at) {
    const json::value* ee = o.if_contains("ErrorEquals");
    if (ee == nullptr) {
      Error(kSchema, "These fields are required: [ErrorEquals]", at);
      return false;
    }
    const json::array* arr = ee->if_array();
    if (arr == nullptr || arr->empty()) {
      Error(kSchema, "ErrorEquals must be a non-empty array of strings",
            Join(at, "ErrorEquals"));
      return false;
    }
    bool has_all = false;
    for (const json::value& e : *arr) {
      const json::string* s = e.if_string();
      if (s == nullptr) {
        Error(kSchema, "ErrorEquals must be a non-empty array of strings",
              Join(at, "ErrorEquals"));
        return false;
      }
      if (Sv(*s) == "States.ALL") has_all = true;
    }
    if (has_all && arr->size() > 1) {
      Error(kSchema,
            "States.ALL must appear alone in ErrorEquals",
            Join(at, "ErrorEquals"));
    }
    return has_all;
  }

  void ValidateRetryCatch(const json::object& st, const std::string& loc,
                          Lang lang, std::vector<Transition>& out) {
    if (const json::value* r = st.if_contains("Retry")) {
      std::string at = Join(loc, "Retry");
      const json::array* arr = r->if_array();
      if (arr == nullptr) {
        Error(kSchema, "Retry must be an array", at);
      } else {
        for (size_t i = 0; i < arr->size(); ++i) {
          std::string ra = Join(at, std::to_string(i));
          const json::object* o = (*arr)[i].if_object();
          if (o == nullptr) {
            Error(kSchema, "A retrier must be a JSON object", ra);
            continue;
          }
          for (const auto& kv : *o) {
            std::string_view k = Sv(kv.key());
            if (k != "ErrorEquals" && k != "IntervalSeconds" &&
                k != "MaxAttempts" && k != "BackoffRate" &&
                k != "MaxDelaySeconds" && k != "JitterStrategy" &&
                k != "Comment") {
              UnknownField(k, ra);
            }
          }
          if (CheckErrorEquals(*o, ra) && i + 1 != arr->size()) {
            Error(kSchema, "States.ALL must appear in the last retrier",
                  Join(ra, "ErrorEquals"));
          }
          CheckInteger(*o, "IntervalSeconds", ra, Lang::kJsonPath, 1,
                       kMaxSeconds);
          CheckInteger(*o, "MaxAttempts", ra, Lang::kJsonPath, 0, kMaxSeconds);
          CheckInteger(*o, "MaxDelaySeconds", ra, Lang::kJsonPath, 1,
                       kMaxDelaySeconds);
          if (const json::value* b = o->if_contains("BackoffRate")) {
            if (!IsNumber(*b) || ToDouble(*b) < 1.0) {
              Error(kSchema, "BackoffRate must be a number >= 1.0",
                    Join(ra, "BackoffRate"));
            }
          }
          if (const json::value* j = o->if_contains("JitterStrategy")) {
            const json::string* s = j->if_string();
            if (s == nullptr || (Sv(*s) != "FULL" && Sv(*s) != "NONE")) {
              Error(kSchema, "JitterStrategy must be FULL or NONE",
                    Join(ra, "JitterStrategy"));
            }
          }
          CheckComment(*o, ra);
        }
      }
    }
    if (const json::value* c = st.if_contains("Catch")) {
      std::string at = Join(loc, "Catch");
      const json::array* arr = c->if_array();
      if (arr == nullptr) {
        Error(kSchema, "Catch must be an array", at);
        return;
      }
      for (size_t i = 0; i < arr->size(); ++i) {
        std::string ca = Join(at, std::to_string(i));
        const json::object* o = (*arr)[i].if_object();
        if (o == nullptr) {
          Error(kSchema, "A catcher must be a JSON object", ca);
          continue;
        }
        for (const auto& kv : *o) {
          std::string_view k = Sv(kv.key());
          if (k == "ErrorEquals" || k == "Next" || k == "Comment" ||
              k == "Assign") {
            continue;
          }
          if (k == "ResultPath" || k == "Output") {
            FieldKind kind = k == "Output" ? A : J;
            if (!FieldMatchesLang(kind, lang)) WrongLanguageField(k, lang, ca);
            continue;
          }
          UnknownField(k, ca);
        }
        if (CheckErrorEquals(*o, ca) && i + 1 != arr->size()) {
          Error(kSchema, "States.ALL must appear in the last catcher",
                Join(ca, "ErrorEquals"));
        }
        const json::value* next = o->if_contains("Next");
        if (next == nullptr) {
          Error(kSchema, "These fields are required: [Next]", ca);
        } else if (const json::string* n = next->if_string()) {
          out.push_back({std::string(Sv(*n)), Join(ca, "Next"), "Next"});
        } else {
          Error(kSchema, "Next must be a string", Join(ca, "Next"));
        }
        CheckResultPath(*o, ca, lang);
        if (const json::value* a = o->if_contains("Assign")) {
          CheckAssign(*a, Join(ca, "Assign"), lang);
        }
        CheckComment(*o, ca);
      }
    }
  }

  // ---- Choice -----------------------------------------------------------

  void ValidateChoice(const json::object& st, const std::string& loc,
                      Lang lang, std::vector<Transition>& out) {
    const json::value* choices = st.if_contains("Choices");
    std::string at = Join(loc, "Choices");
    if (choices == nullptr) {
      Error(kSchema, "These fields are required: [Choices]", loc);
    } else if (const json::array* arr = choices->if_array();
               arr == nullptr || arr->empty()) {
      Error(kSchema, "Choices must be a non-empty array", at);
    } else {
      for (size_t i = 0; i < arr->size(); ++i) {
        std::string ra = Join(at, std::to_string(i));
        const json::object* rule = (*arr)[i].if_object();
        if (rule == nullptr) {
          Error(kSchema, "A Choice rule must be a JSON object", ra);
          continue;
        }
        const json::value* next = rule->if_contains("Next");
        if (next == nullptr) {
          Error(kSchema, "These fields are required: [Next]", ra);
        } else if (const json::string* n = next->if_string()) {
          out.push_back({std::string(Sv(*n)), Join(ra, "Next"), "Next"});
        } else {
          Error(kSchema, "Next must be a string", Join(ra, "Next"));
        }
        if (const json::value* a = rule->if_contains("Assign")) {
          CheckAssign(*a, Join(ra, "Assign"), lang);
        }
        ValidateRule(*rule, ra, lang, /*top=*/true);
      }
    }
    if (const json::value* d = st.if_contains("Default")) {
      if (const json::string* n = d->if_string()) {
        out.push_back({std::string(Sv(*n)), Join(loc, "Default"), "Default"});
      } else {
        Error(kSchema, "Default must be a string", Join(loc, "Default"));
      }
    }
  }

  void ValidateRule(const json::object& rule, const std::string& at, Lang lang,
                    bool top) {
    const auto& ops = ChoiceOperators();
    if (lang == Lang::kJsonata) {
      for (const auto& kv : rule) {
        std::string_view k = Sv(kv.key());
        if (k == "Condition" || k == "Comment" ||
            (top && (k == "Next" || k == "Assign" || k == "Output"))) {
          continue;
        }
        if (k == "Variable" || k == "And" || k == "Or" || k == "Not" ||
            ops.count(k) > 0) {
          WrongLanguageField(k, lang, at);
        } else {
          UnknownField(k, at);
        }
      }
      const json::value* cond = rule.if_contains("Condition");
      if (cond == nullptr) {
        Error(kSchema, "These fields are required: [Condition]", at);
      } else if (!cond->is_bool() && !IsJsonataExpression(*cond)) {
        Error(kSchema,
              "Condition must be a boolean or a JSONata expression",
              Join(at, "Condition"));
      }
      return;
    }

    int operators = 0;
    bool has_variable = false;
    for (const auto& kv : rule) {
      std::string_view k = Sv(kv.key());
      std::string ka = Join(at, k);
      if (k == "Comment") continue;
      if (top && (k == "Next" || k == "Assign")) continue;
      if (k == "Condition" || k == "Output") {
        WrongLanguageField(k, lang, at);
        continue;
      }
      if (k == "Variable") {
        has_variable = true;
        const json::string* s = kv.value().if_string();
        if (s == nullptr || !IsValidPath(Sv(*s))) {
          Error(kSchema,
                "The value for the field 'Variable' must be a valid JSONPath",
                ka);
        }
        continue;
      }
      if (k == "And" || k == "Or") {
        ++operators;
        const json::array* arr = kv.value().if_array();
        if (arr == nullptr || arr->empty()) {
          Error(kSchema,
                Cat(k,
                             " must be a non-empty array of rules"),
                ka);
          continue;
        }
        for (size_t i = 0; i < arr->size(); ++i) {
          const json::object* sub = (*arr)[i].if_object();
          std::string sa = Join(ka, std::to_string(i));
          if (sub == nullptr) {
            Error(kSchema, "A Choice rule must be a JSON object", sa);
          } else {
            ValidateRule(*sub, sa, lang, false);
          }
        }
        continue;
      }
      if (k == "Not") {
        ++operators;
        const json::object* sub = kv.value().if_object();
        if (sub == nullptr) {
          Error(kSchema, "Not must hold one rule", ka);
        } else {
          ValidateRule(*sub, ka, lang, false);
        }
        continue;
      }
      auto op = ops.find(k);
      if (op == ops.end()) {
        UnknownField(k, at);
        continue;
      }
      ++operators;
      const json::value& v = kv.value();
      bool ok = true;
      switch (op->second) {
        case OpKind::kString:
          ok = v.is_string();
          break;
        case OpKind::kNumber:
          ok = IsNumber(v);
          break;
        case OpKind::kBoolean:
        case OpKind::kTypeTest:
          ok = v.is_bool();
          break;
        case OpKind::kTimestamp:
          ok = v.is_string() && IsRfc3339(Sv(v.get_string()));
          break;
        case OpKind::kPath:
          ok = v.is_string() && IsValidPath(Sv(v.get_string()));
          break;
      }
      if (!ok) {
        Error(kSchema,
              Cat("Invalid value for the operator '",
                           k, "'"),
              ka);
      }
    }
    const bool combinator = rule.contains("And") || rule.contains("Or") ||
                            rule.contains("Not");
    if (operators != 1) {
      Error(kSchema,
            "A Choice rule must have exactly one comparison operator or one "
            "of And, Or, Not",
            at);
    } else if (combinator && has_variable) {
      Error(kSchema, "A rule with And, Or or Not cannot have a Variable", at);
    } else if (!combinator && !has_variable) {
      Error(kSchema, "These fields are required: [Variable]", at);
    }
  }

  // ---- Wait / Fail ------------------------------------------------------

  void ValidateWait(const json::object& st, const std::string& loc,
                    Lang lang) {
    int count = 0;
    for (std::string_view k :
         {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"}) {
      count += st.contains(k) ? 1 : 0;
    }
    if (count != 1) {
      Error(kSchema,
            "Exactly one of Seconds, Timestamp, SecondsPath or TimestampPath "
            "is required",
            loc);
    }
    CheckInteger(st, "Seconds", loc, lang, 0, kMaxSeconds);
    if (const json::value* ts = st.if_contains("Timestamp")) {
      bool ok = (lang == Lang::kJsonata && IsJsonataExpression(*ts)) ||
                (ts->is_string() && IsRfc3339(Sv(ts->get_string())));
      if (!ok) {
        Error(kSchema, "String does not match RFC3339 timestamp",
              Join(loc, "Timestamp"));
      }
    }
    CheckPathField(st, "SecondsPath", loc, lang, false);
    CheckPathField(st, "TimestampPath", loc, lang, false);
  }

  void ValidateFail(const json::object& st, const std::string& loc,
                    Lang lang) {
    Exclusive(st, "Error", "ErrorPath", loc);
    Exclusive(st, "Cause", "CausePath", loc);
    for (std::string_view k : {"Error", "Cause"}) {
      const json::value* v = st.if_contains(k);
      if (v != nullptr && !v->is_string()) {
        Error(kSchema,
              Cat(k,
                           " must be a string"),
              Join(loc, k));
      }
    }
    if (lang != Lang::kJsonPath) return;
    for (std::string_view k : {"ErrorPath", "CausePath"}) {
      const json::value* v = st.if_contains(k);
      if (v == nullptr) continue;
      const json::string* s = v->if_string();
      if (s == nullptr || !IsValidPathOrIntrinsic(Sv(*s))) {
        Error(kSchema,
              Cat("The value for the field '",
                           k,
                           "' must be a valid JSONPath or a valid intrinsic "
                           "function call"),
              Join(loc, k));
      }
    }
  }

  // ---- Parallel / Map ---------------------------------------------------

  void ValidateSubMachine(const json::value& v, const std::string& at,
                          bool processor) {
    const json::object* o = v.if_object();
    if (o == nullptr) {
      Error(kSchema, "Must be a JSON object with StartAt and States", at);
      return;
    }
    for (const auto& kv : *o) {
      std::string_view k = Sv(kv.key());
      if (k == "StartAt" || k == "States" || k == "Comment") continue;
      if (processor && k == "ProcessorConfig") {
        ValidateProcessorConfig(kv.value(), Join(at, k));
        continue;
      }
      UnknownField(k, at);
    }
    CheckComment(*o, at);
    ValidateStatesBlock(*o, at, processor);
  }

  void ValidateProcessorConfig(const json::value& v, const std::string& at) {
    const json::object* o = v.if_object();
    if (o == nullptr) {
      Error(kSchema, "ProcessorConfig must be a JSON object", at);
      return;
    }
    for (const auto& kv : *o) {
      std::string_view k = Sv(kv.key());
      const json::string* s = kv.value().if_string();
      if (k == "Mode") {
        if (s == nullptr || (Sv(*s) != "INLINE" && Sv(*s) != "DISTRIBUTED")) {
          Error(kSchema, "Mode must be INLINE or DISTRIBUTED", Join(at, k));
        }
      } else if (k == "ExecutionType") {
        if (s == nullptr || (Sv(*s) != "STANDARD" && Sv(*s) != "EXPRESS")) {
          Error(kSchema, "ExecutionType must be STANDARD or EXPRESS",
                Join(at, k));
        }
      } else {
        UnknownField(k, at);
      }
    }
  }

  void ValidateParallel(const json::object& st, const std::string& loc,
                        Lang lang) {
    const json::value* b = st.if_contains("Branches");
    std::string at = Join(loc, "Branches");
    if (b == nullptr) {
      Error(kSchema, "These fields are required: [Branches]", loc);
    } else if (const json::array* arr = b->if_array();
               arr == nullptr || arr->empty()) {
      Error(kSchema, "Branches must be a non-empty array", at);
    } else {
      for (size_t i = 0; i < arr->size(); ++i) {
        ValidateSubMachine((*arr)[i], Join(at, std::to_string(i)), false);
      }
    }
    if (lang == Lang::kJsonPath) {
      if (const json::value* p = st.if_contains("Parameters")) {
        CheckTemplate(*p, Join(loc, "Parameters"));
      }
      if (const json::value* rs = st.if_contains("ResultSelector")) {
        CheckResultSelector(*rs, Join(loc, "ResultSelector"));
      }
    }
  }

  void ValidateMap(const json::object& st, const std::string& loc, Lang lang) {
    const json::value* proc = st.if_contains("ItemProcessor");
    const json::value* iter = st.if_contains("Iterator");
    if (proc != nullptr && iter != nullptr) {
      Error(kSchema, "Only one of ItemProcessor or Iterator can be set", loc);
    } else if (proc == nullptr && iter == nullptr) {
      Error(kSchema, "These fields are required: [ItemProcessor]", loc);
    }
    if (proc != nullptr) {
      ValidateSubMachine(*proc, Join(loc, "ItemProcessor"), true);
    }
    if (iter != nullptr) {
      ValidateSubMachine(*iter, Join(loc, "Iterator"), true);
    }
    CheckPathField(st, "ItemsPath", loc, lang, false);
    if (lang == Lang::kJsonPath) {
      for (std::string_view k : {"ItemSelector", "Parameters"}) {
        if (const json::value* p = st.if_contains(k)) {
          CheckTemplate(*p, Join(loc, k));
        }
      }
      if (const json::value* rs = st.if_contains("ResultSelector")) {
        CheckResultSelector(*rs, Join(loc, "ResultSelector"));
      }
    }
    Exclusive(st, "ItemSelector", "Parameters", loc);
    if (const json::value* items = st.if_contains("Items")) {
      if (!items->is_array() && !IsJsonataExpression(*items)) {
        Error(kSchema, "Items must be an array or a JSONata expression",
              Join(loc, "Items"));
      }
    }
    CheckInteger(st, "MaxConcurrency", loc, lang, 0, INT32_MAX);
    CheckInteger(st, "ToleratedFailureCount", loc, lang, 0, INT64_MAX);
    if (const json::value* p = st.if_contains("ToleratedFailurePercentage")) {
      bool ok = (lang == Lang::kJsonata && IsJsonataExpression(*p)) ||
                (IsNumber(*p) && ToDouble(*p) >= 0 && ToDouble(*p) <= 100);
      if (!ok) {
        Error(kSchema,
              "ToleratedFailurePercentage must be a number between 0 and 100",
              Join(loc, "ToleratedFailurePercentage"));
      }
    }
    for (std::string_view k :
         {"MaxConcurrencyPath", "ToleratedFailurePercentagePath",
          "ToleratedFailureCountPath"}) {
      CheckPathField(st, k, loc, lang, false);
    }
    Exclusive(st, "MaxConcurrency", "MaxConcurrencyPath", loc);
    Exclusive(st, "ToleratedFailureCount", "ToleratedFailureCountPath", loc);
    Exclusive(st, "ToleratedFailurePercentage",
              "ToleratedFailurePercentagePath", loc);
    if (const json::value* l = st.if_contains("Label")) {
      CheckLabel(*l, Join(loc, "Label"));
    }
    if (const json::value* r = st.if_contains("ItemReader")) {
      ValidateItemReader(*r, Join(loc, "ItemReader"), lang);
    }
    if (const json::value* b = st.if_contains("ItemBatcher")) {
      ValidateItemBatcher(*b, Join(loc, "ItemBatcher"), lang);
    }
    if (const json::value* w = st.if_contains("ResultWriter")) {
      ValidateResultWriter(*w, Join(loc, "ResultWriter"), lang);
    }
  }

  void CheckLabel(const json::value& v, const std::string& at) {
    const json::string* s = v.if_string();
    if (s == nullptr) {
      Error(kSchema, "Label must be a string", at);
      return;
    }
    std::vector<uint32_t> cps = DecodeUtf8(Sv(*s));
    if (cps.empty()) {
      Error(kSchema, "Label cannot be empty", at);
    } else if (cps.size() > kMaxLabelChars) {
      Error(kSchema,
            Cat("Label cannot exceed ", kMaxLabelChars,
                         " characters"),
            at);
    } else {
      for (uint32_t cp : cps) {
        if (IsForbiddenNameChar(cp)) {
          Error(kSchema, "Label contains an invalid character", at);
          break;
        }
      }
    }
  }

  // Resource + Parameters/Arguments shared by ItemReader and ResultWriter.
  void CheckIoResource(const json::object& o, const std::string& at,
                       Lang lang) {
    const json::value* res = o.if_contains("Resource");
    if (res == nullptr) {
      Error(kSchema, "These fields are required: [Resource]", at);
    } else if (const json::string* s = res->if_string()) {
      CheckResource(Sv(*s), Join(at, "Resource"));
    } else {
      Error(kSchema, "Resource must be a string", Join(at, "Resource"));
    }
    if (const json::value* p = o.if_contains("Parameters")) {
      if (lang == Lang::kJsonata) {
        WrongLanguageField("Parameters", lang, at);
      } else {
        CheckTemplate(*p, Join(at, "Parameters"));
      }
    }
    if (o.contains("Arguments") && lang == Lang::kJsonPath) {
      WrongLanguageField("Arguments", lang, at);
    }
  }

  void ValidateItemReader(const json::value& v, const std::string& at,
                          Lang lang) {
    const json::object* o = v.if_object();
    if (o == nullptr) {
      Error(kSchema, "ItemReader must be a JSON object", at);
      return;
    }
    for (const auto& kv : *o) {
      std::string_view k = Sv(kv.key());
      if (k != "Resource" && k != "Parameters" && k != "Arguments" &&
          k != "ReaderConfig") {
        UnknownField(k, at);
      }
    }
    CheckIoResource(*o, at, lang);
    if (const json::value* rc = o->if_contains("ReaderConfig")) {
      std::string ra = Join(at, "ReaderConfig");
      const json::object* c = rc->if_object();
      if (c == nullptr) {
        Error(kSchema, "ReaderConfig must be a JSON object", ra);
        return;
      }
      for (const auto& kv : *c) {
        std::string_view k = Sv(kv.key());
        if (k == "MaxItemsPath" && lang == Lang::kJsonata) {
          WrongLanguageField(k, lang, ra);
        } else if (k != "InputType" && k != "CSVHeaderLocation" &&
                   k != "CSVHeaders" && k != "CSVDelimiter" &&
                   k != "MaxItems" && k != "MaxItemsPath" &&
                   k != "ManifestType") {
          UnknownField(k, ra);
        }
      }
      Exclusive(*c, "MaxItems", "MaxItemsPath", ra);
      CheckInteger(*c, "MaxItems", ra, lang, 0, INT64_MAX);
      CheckPathField(*c, "MaxItemsPath", ra, lang, false);
    }
  }

  void ValidateItemBatcher(const json::value& v, const std::string& at,
                           Lang lang) {
    const json::object* o = v.if_object();
    if (o == nullptr) {
      Error(kSchema, "ItemBatcher must be a JSON object", at);
      return;
    }
    for (const auto& kv : *o) {
      std::string_view k = Sv(kv.key());
      bool path = k == "MaxItemsPerBatchPath" ||
                  k == "MaxInputBytesPerBatchPath";
      if (path && lang == Lang::kJsonata) {
        WrongLanguageField(k, lang, at);
      } else if (!path && k != "MaxItemsPerBatch" &&
                 k != "MaxInputBytesPerBatch" && k != "BatchInput") {
        UnknownField(k, at);
      }
    }
    Exclusive(*o, "MaxItemsPerBatch", "MaxItemsPerBatchPath", at);
    Exclusive(*o, "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", at);
    CheckInteger(*o, "MaxItemsPerBatch", at, lang, 1, INT64_MAX);
    CheckInteger(*o, "MaxInputBytesPerBatch", at, lang, 1, INT64_MAX);
    CheckPathField(*o, "MaxItemsPerBatchPath", at, lang, false);
    CheckPathField(*o, "MaxInputBytesPerBatchPath", at, lang, false);
    if (lang == Lang::kJsonPath) {
      if (const json::value* bi = o->if_contains("BatchInput")) {
        CheckTemplate(*bi, Join(at, "BatchInput"));
      }
    }
  }

  void ValidateResultWriter(const json::value& v, const std::string& at,
                            Lang lang) {
    const json::object* o = v.if_object();
    if (o == nullptr) {
      Error(kSchema, "ResultWriter must be a JSON object", at);
      return;
    }
    for (const auto& kv : *o) {
      std::string_view k = Sv(kv.key());
      if (k != "Resource" && k != "Parameters" && k != "Arguments" &&
          k != "WriterConfig") {
        UnknownField(k, at);
      }
    }
    if (o->contains("Resource") || o->contains("Parameters") ||
        o->contains("Arguments")) {
      CheckIoResource(*o, at, lang);
    }
  }

  bool express_;
  Lang top_lang_ = Lang::kJsonPath;
  std::set<std::string> all_names_;
  size_t state_count_ = 0;
  std::vector<Diagnostic> diags_;
};

}  // namespace

ValidationResult ValidateDefinition(std::string_view text,
                                    std::string_view type) {
  ValidationResult r;
  if (text.size() > kMaxDefinitionBytes) {
    r.diagnostics.push_back(
        {"ERROR", std::string(kSchema),
         Cat("definition is ", text.size(), " bytes; at most ",
                      kMaxDefinitionBytes, " are allowed"),
         "/"});
    return r;
  }
  bool blank = true;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      blank = false;
      break;
    }
  }
  if (blank) {
    r.diagnostics.push_back({"ERROR", std::string(kMissingDescription),
                             "definition is empty", "/"});
    return r;
  }
  absl::StatusOr<json::value> parsed =
      ParseJson(absl::string_view(text.data(), text.size()));
  if (!parsed.ok()) {
    r.diagnostics.push_back({"ERROR", std::string(kInvalidJson),
                             std::string(parsed.status().message()), "/"});
    return r;
  }
  return ValidateDefinition(*parsed, type);
}

ValidationResult ValidateDefinition(const char* text, std::string_view type) {
  return ValidateDefinition(std::string_view(text == nullptr ? "" : text),
                            type);
}

ValidationResult ValidateDefinition(const std::string& text,
                                    std::string_view type) {
  return ValidateDefinition(std::string_view(text), type);
}

ValidationResult ValidateDefinition(const json::value& definition,
                                    std::string_view type) {
  try {
    return Validator(type).Run(definition);
  } catch (const std::exception& e) {
    // Nothing above should throw; if something does, report rather than
    // let it escape.
    ValidationResult r;
    r.diagnostics.push_back({"ERROR", std::string(kSchema),
                             Cat("internal validator error: ",
                                          e.what()),
                             "/"});
    return r;
  }
}

json::object ToAwsJson(const ValidationResult& r) {
  json::object out;
  out["result"] = r.ok() ? "OK" : "FAIL";
  json::array diags;
  for (const Diagnostic& d : r.diagnostics) {
    json::object o;
    o["severity"] = d.severity;
    o["code"] = d.code;
    o["message"] = d.message;
    if (!d.location.empty()) o["location"] = d.location;
    diags.push_back(std::move(o));
  }
  out["diagnostics"] = std::move(diags);
  return out;
}

}  // namespace stepwise::asl
