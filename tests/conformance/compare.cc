#include "tests/conformance/compare.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "tests/conformance/cat.h"

namespace stepwise::conformance {
namespace {

enum class TokenKind {
  kLiteral,
  kDate,          // date: ISO-8601 timestamp or the word "date"
  kUuid,          // <uuid>, <uuid:N>
  kAccount,       // 111111111111: any 12 digits
  kRegion,        // <region>: us-east-1, ...
  kArnPartition,  // arn:<partition>: -> arn:aws:, arn:aws-cn:, ...
  kPartition,     // <partition> -> aws, aws-cn, ...
  kAny,           // any other <Name>, <Name:N> or listed placeholder
};

struct Piece {
  TokenKind kind = TokenKind::kLiteral;
  std::string text;  // literal text, or the token as written
};

constexpr std::string_view kArnPartitionToken = "arn:<partition>:";
constexpr std::string_view kAccountToken = "111111111111";
constexpr std::string_view kDateToken = "date";

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsHex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

// True when `s` has `word` at `pos` with no word character on either side.
bool WordAt(std::string_view s, size_t pos, std::string_view word) {
  if (s.substr(pos, word.size()) != word) return false;
  if (pos > 0 && IsWordChar(s[pos - 1])) return false;
  size_t end = pos + word.size();
  if (end < s.size() && IsWordChar(s[end])) return false;
  return true;
}

// Parses "<Name>" or "<Name:N>" at `pos`; returns its length (0 if none) and
// sets `base` to "<Name>".
size_t AngleTokenAt(std::string_view s, size_t pos, std::string* base) {
  if (pos >= s.size() || s[pos] != '<') return 0;
  size_t i = pos + 1;
  size_t name_start = i;
  while (i < s.size() &&
         (IsWordChar(s[i]) || s[i] == '-' || s[i] == '.')) {
    ++i;
  }
  if (i == name_start) return 0;
  size_t name_end = i;
  if (i < s.size() && s[i] == ':') {
    size_t d = i + 1;
    while (d < s.size() && IsDigit(s[d])) ++d;
    if (d == i + 1) return 0;
    i = d;
  }
  if (i >= s.size() || s[i] != '>') return 0;
  *base = Cat("<", s.substr(name_start, name_end - name_start), ">");
  return i + 1 - pos;
}

TokenKind KindOfAngleToken(std::string_view base) {
  if (base == "<uuid>") return TokenKind::kUuid;
  if (base == "<region>") return TokenKind::kRegion;
  if (base == "<partition>") return TokenKind::kPartition;
  return TokenKind::kAny;
}

// Splits an expected string into literal text and placeholder tokens.
std::vector<Piece> Tokenize(std::string_view s, const CompareOptions& options) {
  // Listed placeholders that are plain words (not <...> and not built in),
  // longest first so that "entered-time" wins over a shorter prefix.
  std::vector<std::string_view> extra;
  for (const std::string& p : options.placeholders) {
    if (p.empty() || p[0] == '<' || p == kDateToken || p == kAccountToken ||
        p == kArnPartitionToken) {
      continue;
    }
    extra.push_back(p);
  }
  std::sort(extra.begin(), extra.end(),
            [](std::string_view a, std::string_view b) {
              return a.size() > b.size();
            });

  std::vector<Piece> pieces;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) {
      pieces.push_back({TokenKind::kLiteral, literal});
      literal.clear();
    }
  };
  size_t i = 0;
  while (i < s.size()) {
    if (s.substr(i, kArnPartitionToken.size()) == kArnPartitionToken) {
      flush();
      pieces.push_back({TokenKind::kArnPartition, std::string(kArnPartitionToken)});
      i += kArnPartitionToken.size();
      continue;
    }
    std::string base;
    if (size_t n = AngleTokenAt(s, i, &base); n > 0) {
      flush();
      pieces.push_back({KindOfAngleToken(base), std::string(s.substr(i, n))});
      i += n;
      continue;
    }
    if (WordAt(s, i, kDateToken)) {
      flush();
      pieces.push_back({TokenKind::kDate, std::string(kDateToken)});
      i += kDateToken.size();
      continue;
    }
    if (s.substr(i, kAccountToken.size()) == kAccountToken &&
        (i == 0 || !IsDigit(s[i - 1])) &&
        (i + kAccountToken.size() >= s.size() ||
         !IsDigit(s[i + kAccountToken.size()]))) {
      flush();
      pieces.push_back({TokenKind::kAccount, std::string(kAccountToken)});
      i += kAccountToken.size();
      continue;
    }
    bool matched_extra = false;
    for (std::string_view p : extra) {
      if (WordAt(s, i, p)) {
        flush();
        pieces.push_back({TokenKind::kAny, std::string(p)});
        i += p.size();
        matched_extra = true;
        break;
      }
    }
    if (matched_extra) continue;
    literal.push_back(s[i]);
    ++i;
  }
  flush();
  return pieces;
}

// Appends to `out` the lengths an ISO-8601 timestamp can take at `pos`.
void IsoLengths(std::string_view s, size_t pos, std::vector<size_t>& out) {
  // YYYY-MM-DDTHH:MM:SS
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  if (s.size() - pos < kShape.size()) return;
  for (size_t k = 0; k < kShape.size(); ++k) {
    char c = s[pos + k];
    if (kShape[k] == 'd' ? !IsDigit(c) : (c != kShape[k])) return;
  }
  size_t base = pos + kShape.size();
  std::vector<size_t> ends = {base};
  if (base < s.size() && s[base] == '.') {
    size_t d = base + 1;
    while (d < s.size() && IsDigit(s[d])) ++d;
    if (d > base + 1) ends.push_back(d);
  }
  for (size_t end : ends) {
    out.push_back(end - pos);
    if (end < s.size() && s[end] == 'Z') out.push_back(end + 1 - pos);
    if (end < s.size() && (s[end] == '+' || s[end] == '-')) {
      // +hh:mm or +hhmm
      if (end + 6 <= s.size() && IsDigit(s[end + 1]) && IsDigit(s[end + 2]) &&
          s[end + 3] == ':' && IsDigit(s[end + 4]) && IsDigit(s[end + 5])) {
        out.push_back(end + 6 - pos);
      }
      if (end + 5 <= s.size() && IsDigit(s[end + 1]) && IsDigit(s[end + 2]) &&
          IsDigit(s[end + 3]) && IsDigit(s[end + 4])) {
        out.push_back(end + 5 - pos);
      }
    }
  }
}

// Appends to `out` the lengths token `kind` can match at `pos` of `s`.
void CandidateLengths(TokenKind kind, std::string_view s, size_t pos,
                      std::vector<size_t>& out) {
  size_t rest = s.size() - pos;
  switch (kind) {
    case TokenKind::kLiteral:
      return;
    case TokenKind::kDate:
      if (s.substr(pos, 4) == kDateToken) out.push_back(4);
      IsoLengths(s, pos, out);
      return;
    case TokenKind::kUuid: {
      static constexpr std::string_view kShape =
          "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
      if (rest < kShape.size()) return;
      for (size_t k = 0; k < kShape.size(); ++k) {
        char c = s[pos + k];
        if (kShape[k] == 'x' ? !IsHex(c) : c != '-') return;
      }
      out.push_back(kShape.size());
      return;
    }
    case TokenKind::kAccount:
      if (rest < 12) return;
      for (size_t k = 0; k < 12; ++k) {
        if (!IsDigit(s[pos + k])) return;
      }
      out.push_back(12);
      return;
    case TokenKind::kRegion: {
      // [a-z]{2}(-[a-z]+)+-[0-9]+
      size_t i = pos;
      if (rest < 2 || !IsLower(s[i]) || !IsLower(s[i + 1])) return;
      i += 2;
      int word_groups = 0;
      while (i + 1 < s.size() && s[i] == '-' && IsLower(s[i + 1])) {
        i += 1;
        while (i < s.size() && IsLower(s[i])) ++i;
        ++word_groups;
      }
      if (word_groups == 0 || i + 1 >= s.size() || s[i] != '-' ||
          !IsDigit(s[i + 1])) {
        return;
      }
      i += 1;
      while (i < s.size() && IsDigit(s[i])) ++i;
      out.push_back(i - pos);
      return;
    }
    case TokenKind::kArnPartition: {
      if (s.substr(pos, 7) != "arn:aws") return;
      size_t i = pos + 7;
      while (i < s.size() && (IsLower(s[i]) || s[i] == '-')) ++i;
      if (i < s.size() && s[i] == ':') out.push_back(i + 1 - pos);
      return;
    }
    case TokenKind::kPartition: {
      if (s.substr(pos, 3) != "aws") return;
      size_t i = pos + 3;
      out.push_back(3);
      while (i < s.size() && (IsLower(s[i]) || s[i] == '-')) {
        ++i;
        out.push_back(i - pos);
      }
      return;
    }
    case TokenKind::kAny:
      for (size_t n = 0; n <= rest; ++n) out.push_back(n);
      return;
  }
}

class PatternMatcher {
 public:
  PatternMatcher(const std::vector<Piece>& pieces, std::string_view actual)
      : pieces_(pieces),
        actual_(actual),
        failed_((pieces.size() + 1) * (actual.size() + 1), 0) {}

  bool Match() { return MatchFrom(0, 0); }

 private:
  bool MatchFrom(size_t k, size_t pos) {
    if (k == pieces_.size()) return pos == actual_.size();
    uint8_t& failed = failed_[k * (actual_.size() + 1) + pos];
    if (failed) return false;
    const Piece& p = pieces_[k];
    if (p.kind == TokenKind::kLiteral) {
      if (actual_.substr(pos, p.text.size()) == p.text &&
          MatchFrom(k + 1, pos + p.text.size())) {
        return true;
      }
    } else {
      std::vector<size_t> lengths;
      CandidateLengths(p.kind, actual_, pos, lengths);
      for (size_t n : lengths) {
        if (MatchFrom(k + 1, pos + n)) return true;
      }
    }
    failed = 1;
    return false;
  }

  const std::vector<Piece>& pieces_;
  std::string_view actual_;
  std::vector<uint8_t> failed_;
};

std::string Abbreviate(std::string s) {
  constexpr size_t kMax = 300;
  if (s.size() > kMax) {
    s.resize(kMax);
    s += "...";
  }
  return s;
}

std::string Show(const json::value& v) { return Abbreviate(SerializeJson(v)); }

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(s, out);
  return Abbreviate(out);
}

const char* KindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "?";
}

bool NumbersEqual(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) return ToDouble(a) == ToDouble(b);
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
  // One int64, one uint64.
  int64_t i = a.is_int64() ? a.get_int64() : b.get_int64();
  uint64_t u = a.is_uint64() ? a.get_uint64() : b.get_uint64();
  return i >= 0 && static_cast<uint64_t>(i) == u;
}

std::optional<std::string> CompareStrings(std::string_view expected,
                                          std::string_view actual,
                                          const CompareOptions& options) {
  std::string e_buf, a_buf;
  if (options.relaxed) {
    e_buf = StripEnteredAt(expected);
    a_buf = StripEnteredAt(actual);
    expected = e_buf;
    actual = a_buf;
  }
  if (expected == actual) return std::nullopt;
  if (IsWholePlaceholder(expected, options)) return std::nullopt;
  if (MatchString(expected, actual, options)) return std::nullopt;
  return Cat("expected ", Quote(expected), ", got ", Quote(actual));
}

std::optional<std::string> CompareAt(const json::value& e, const json::value& a,
                                     const CompareOptions& options,
                                     std::string& path) {
  if (const json::string* es = e.if_string()) {
    std::string_view ev(es->data(), es->size());
    if (IsWholePlaceholder(ev, options)) return std::nullopt;
    if (const json::string* as = a.if_string()) {
      if (auto d = CompareStrings(ev, std::string_view(as->data(), as->size()),
                                  options)) {
        return Cat(path, ": ", *d);
      }
      return std::nullopt;
    }
    return Cat(path, ": expected string ", Quote(ev), ", got ",
                        KindName(a), " ", Show(a));
  }
  if (IsNumber(e)) {
    if (!IsNumber(a)) {
      return Cat(path, ": expected number ", Show(e), ", got ",
                          KindName(a), " ", Show(a));
    }
    if (!NumbersEqual(e, a)) {
      return Cat(path, ": expected ", Show(e), ", got ", Show(a));
    }
    return std::nullopt;
  }
  if (e.kind() != a.kind()) {
    return Cat(path, ": expected ", KindName(e), " ", Show(e),
                        ", got ", KindName(a), " ", Show(a));
  }
  switch (e.kind()) {
    case json::kind::null:
      return std::nullopt;
    case json::kind::bool_:
      if (e.get_bool() != a.get_bool()) {
        return Cat(path, ": expected ", Show(e), ", got ", Show(a));
      }
      return std::nullopt;
    case json::kind::array: {
      const json::array& ea = e.get_array();
      const json::array& aa = a.get_array();
      size_t n = std::min(ea.size(), aa.size());
      for (size_t i = 0; i < n; ++i) {
        size_t len = path.size();
        path += Cat("[", i, "]");
        auto d = CompareAt(ea[i], aa[i], options, path);
        path.resize(len);
        if (d) return d;
      }
      if (ea.size() != aa.size()) {
        return Cat(path, ": expected an array of ", ea.size(),
                            " elements, got ", aa.size(), ": ", Show(a));
      }
      return std::nullopt;
    }
    case json::kind::object: {
      const json::object& eo = e.get_object();
      const json::object& ao = a.get_object();
      for (const auto& kv : eo) {
        if (!ao.contains(kv.key())) {
          return Cat(path, ": missing key ", Quote(kv.key()),
                              " (expected ", Show(kv.value()), ")");
        }
      }
      for (const auto& kv : ao) {
        if (!eo.contains(kv.key())) {
          return Cat(path, ": unexpected key ", Quote(kv.key()),
                              " = ", Show(kv.value()));
        }
      }
      for (const auto& kv : eo) {
        size_t len = path.size();
        path += Cat(".", std::string_view(kv.key().data(), kv.key().size()));
        auto d = CompareAt(kv.value(), ao.at(kv.key()), options, path);
        path.resize(len);
        if (d) return d;
      }
      return std::nullopt;
    }
    default:
      return Cat(path, ": unexpected JSON kind");
  }
}

std::string_view StringOrEmpty(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return {};
  if (const json::string* s = v->if_string()) {
    return std::string_view(s->data(), s->size());
  }
  return {};
}

// Compares error or cause (rule 3).
std::optional<std::string> CompareErrorField(const json::object& expected,
                                             std::string_view key,
                                             const std::optional<std::string>& actual,
                                             bool as_json,
                                             const CompareOptions& options) {
  const json::value* e = expected.if_contains(key);
  bool expected_none =
      e == nullptr || e->is_null() || (e->is_string() && e->get_string().empty());
  bool actual_none = !actual.has_value() || actual->empty();
  if (expected_none && actual_none) return std::nullopt;
  if (expected_none) {
    return Cat(key, ": expected none, got ", Quote(*actual));
  }
  if (actual_none) {
    return Cat(key, ": expected ",
                        e->is_string() ? Quote(e->get_string()) : Show(*e),
                        ", got none");
  }
  if (as_json) {
    auto parsed = ParseJson(*actual);
    if (!parsed.ok()) {
      return Cat(key, ": expected JSON ", Show(*e),
                          ", got text that is not JSON: ", Quote(*actual));
    }
    std::string path(key);
    return CompareAt(*e, *parsed, options, path);
  }
  if (!e->is_string()) {
    return Cat(key, ": expected ", Show(*e), " is not a string");
  }
  const json::string& es = e->get_string();
  if (auto d = CompareStrings(std::string_view(es.data(), es.size()), *actual,
                              options)) {
    return Cat(key, ": ", *d);
  }
  return std::nullopt;
}

bool IsStateEnteredOrExited(std::string_view type) {
  auto ends_with = [&](std::string_view suffix) {
    return type.size() >= suffix.size() &&
           type.substr(type.size() - suffix.size()) == suffix;
  };
  return ends_with("StateEntered") || ends_with("StateExited");
}

}  // namespace

std::string StripEnteredAt(std::string_view s) {
  static constexpr std::string_view kPrefix = "(entered at the event id #";
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t found = s.find(kPrefix, i);
    if (found == std::string_view::npos) break;
    size_t d = found + kPrefix.size();
    size_t digits_start = d;
    while (d < s.size() && IsDigit(s[d])) ++d;
    if (d == digits_start || d >= s.size() || s[d] != ')') {
      // Not the full form: keep the text and move on.
      out.append(s.substr(i, found + 1 - i));
      i = found + 1;
      continue;
    }
    size_t cut = found;
    if (cut > i && s[cut - 1] == ' ') --cut;
    out.append(s.substr(i, cut - i));
    i = d + 1;
  }
  out.append(s.substr(i));
  return out;
}

bool IsWholePlaceholder(std::string_view expected,
                        const CompareOptions& options) {
  if (expected.empty()) return false;
  for (const std::string& p : options.placeholders) {
    if (expected == p) return true;
  }
  std::string base;
  size_t n = AngleTokenAt(expected, 0, &base);
  if (n == expected.size()) {
    for (const std::string& p : options.placeholders) {
      if (base == p) return true;
    }
  }
  if (options.any_token_is_placeholder) {
    if (n == expected.size()) return true;
    std::vector<Piece> pieces = Tokenize(expected, options);
    return pieces.size() == 1 && pieces[0].kind != TokenKind::kLiteral;
  }
  return false;
}

bool MatchString(std::string_view expected, std::string_view actual,
                 const CompareOptions& options) {
  if (expected == actual) return true;
  std::vector<Piece> pieces = Tokenize(expected, options);
  bool has_token = std::any_of(pieces.begin(), pieces.end(), [](const Piece& p) {
    return p.kind != TokenKind::kLiteral;
  });
  if (!has_token) return false;
  return PatternMatcher(pieces, actual).Match();
}

std::optional<std::string> CompareJson(const json::value& expected,
                                       const json::value& actual,
                                       const CompareOptions& options) {
  std::string path = "$";
  return CompareAt(expected, actual, options, path);
}

std::optional<std::string> CompareResult(const json::object& expected,
                                         const ActualResult& actual,
                                         const CompareOptions& options) {
  std::string_view expected_status = StringOrEmpty(expected, "status");
  if (expected_status != actual.status) {
    std::string detail;
    if (actual.status == "SUCCEEDED" && actual.output) {
      detail = Cat(" (output ", Abbreviate(*actual.output), ")");
    } else if (actual.error || actual.cause) {
      detail = Cat(" (error ", Quote(actual.error.value_or("")),
                            ", cause ", Quote(actual.cause.value_or("")), ")");
    }
    return Cat("status: expected ", expected_status, ", got ",
                        actual.status, detail);
  }
  if (expected_status == "SUCCEEDED") {
    const json::value* e = expected.if_contains("output");
    if (e == nullptr) return std::nullopt;
    if (!actual.output.has_value()) return std::string("output: missing");
    auto parsed = ParseJson(*actual.output);
    if (!parsed.ok()) {
      return Cat("output: not JSON: ", Quote(*actual.output));
    }
    if (auto d = CompareJson(*e, *parsed, options)) {
      return Cat("output ", *d);
    }
    return std::nullopt;
  }
  if (auto d = CompareErrorField(expected, "error", actual.error, false,
                                 options)) {
    return d;
  }
  bool cause_json = false;
  if (const json::value* f = expected.if_contains("cause_is_json_object")) {
    cause_json = f->is_bool() && f->get_bool();
  }
  return CompareErrorField(expected, "cause", actual.cause, cause_json,
                           options);
}

std::optional<std::string> CompareHistory(
    const json::array& expected_events,
    const std::vector<ActualEvent>& actual) {
  size_t n = std::max(expected_events.size(), actual.size());
  for (size_t i = 0; i < n; ++i) {
    if (i >= expected_events.size()) {
      return Cat("position ", i + 1, ": extra event ", actual[i].type,
                          " (id ", actual[i].id, "); expected history ends after ",
                          expected_events.size(), " events");
    }
    const json::object* e = expected_events[i].if_object();
    if (e == nullptr) return Cat("position ", i + 1, ": bad expected event");
    int64_t expected_id = static_cast<int64_t>(i + 1);
    if (const json::value* id = e->if_contains("id"); id && IsNumber(*id)) {
      expected_id = static_cast<int64_t>(ToDouble(*id));
    }
    std::string_view etype = StringOrEmpty(*e, "type");
    std::string where = Cat("position ", i + 1, " (expected id ",
                                     expected_id, ")");
    if (i >= actual.size()) {
      return Cat(where, ": history ended after ", actual.size(),
                          " events; expected ", etype);
    }
    const ActualEvent& a = actual[i];
    if (etype != a.type) {
      return Cat(where, ": type: expected ", etype, ", got ", a.type);
    }
    int64_t eprev = -1;
    if (const json::value* p = e->if_contains("previousEventId");
        p && IsNumber(*p)) {
      eprev = static_cast<int64_t>(ToDouble(*p));
    }
    if (eprev != a.previous_event_id) {
      return Cat(where, ": ", etype, " previousEventId: expected ",
                          eprev, ", got ", a.previous_event_id);
    }
    if (IsStateEnteredOrExited(etype)) {
      std::string_view ename;
      if (const json::value* d = e->if_contains("details")) {
        if (const json::object* dobj = d->if_object()) {
          ename = StringOrEmpty(*dobj, "name");
        }
      }
      std::string_view aname = StringOrEmpty(a.details, "name");
      if (ename != aname) {
        return Cat(where, ": ", etype, " name: expected ",
                            Quote(ename), ", got ", Quote(aname));
      }
    }
  }
  return std::nullopt;
}

}  // namespace stepwise::conformance
