#include "asl/intrinsics.h"

#include <openssl/evp.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "asl/path.h"

namespace stepwise::asl {

namespace {

absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }

// Largest input States.Base64Encode/Decode and States.Hash accept.
constexpr size_t kMaxEncodeInput = 10000;
// Most items States.ArrayRange may produce.
constexpr int64_t kMaxRangeItems = 1000;

enum class Fn {
  kFormat, kStringToJson, kJsonToString, kArray, kArrayPartition,
  kArrayContains, kArrayRange, kArrayGetItem, kArrayLength, kArrayUnique,
  kBase64Encode, kBase64Decode, kHash, kJsonMerge, kMathRandom, kMathAdd,
  kStringSplit, kUuid,
};

// What a literal argument may be: 's' string, 'n' number, 'a' anything,
// 'f' the boolean false, 'c' a collection (so never a literal).
struct FnSpec {
  std::string_view name;
  Fn fn;
  int min_args;
  int max_args;  // -1: no limit
  std::string_view literal_kinds;  // per position; the last one repeats
};

constexpr FnSpec kFns[] = {
    {"States.Format", Fn::kFormat, 1, -1, "sa"},
    {"States.StringToJson", Fn::kStringToJson, 1, 1, "s"},
    {"States.JsonToString", Fn::kJsonToString, 1, 1, "a"},
    {"States.Array", Fn::kArray, 0, -1, "a"},
    {"States.ArrayPartition", Fn::kArrayPartition, 2, 2, "cn"},
    {"States.ArrayContains", Fn::kArrayContains, 2, 2, "ca"},
    {"States.ArrayRange", Fn::kArrayRange, 3, 3, "n"},
    {"States.ArrayGetItem", Fn::kArrayGetItem, 2, 2, "cn"},
    {"States.ArrayLength", Fn::kArrayLength, 1, 1, "c"},
    {"States.ArrayUnique", Fn::kArrayUnique, 1, 1, "c"},
    {"States.Base64Encode", Fn::kBase64Encode, 1, 1, "s"},
    {"States.Base64Decode", Fn::kBase64Decode, 1, 1, "s"},
    {"States.Hash", Fn::kHash, 2, 2, "as"},
    {"States.JsonMerge", Fn::kJsonMerge, 3, 3, "ccf"},
    {"States.MathRandom", Fn::kMathRandom, 2, 3, "n"},
    {"States.MathAdd", Fn::kMathAdd, 2, 2, "n"},
    {"States.StringSplit", Fn::kStringSplit, 2, 2, "s"},
    {"States.UUID", Fn::kUuid, 0, 0, "a"},
};

struct Call;

struct Arg {
  enum class Kind { kLiteral, kPath, kCall };
  Kind kind = Kind::kLiteral;
  json::value literal;
  std::optional<JsonPath> path;
  std::shared_ptr<const Call> call;
  // For string literals: the text split at unescaped "{}" (States.Format).
  std::vector<std::string> format_pieces;
};

struct Call {
  const FnSpec* spec = nullptr;
  std::string text;  // the call as written
  std::vector<Arg> args;
};

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid intrinsic function call '", AV(s_), "': ", AV(what)));
  }

  void SkipBlanks() {
    while (pos_ < s_.size() && IsBlank(s_[pos_])) ++pos_;
  }
  bool AtEnd() const { return pos_ >= s_.size(); }

  absl::StatusOr<std::shared_ptr<const Call>> ParseCall(int depth) {
    if (depth > kMaxIntrinsicNesting) {
      return Error(absl::StrCat("intrinsic functions nest deeper than ",
                                kMaxIntrinsicNesting, " levels"));
    }
    size_t start = pos_;
    size_t name_end = pos_;
    while (name_end < s_.size() && s_[name_end] != '(' && !IsBlank(s_[name_end])) {
      ++name_end;
    }
    std::string_view name = s_.substr(pos_, name_end - pos_);
    const FnSpec* spec = nullptr;
    for (const FnSpec& f : kFns) {
      if (f.name == name) spec = &f;
    }
    if (!spec) return Error(absl::StrCat("unknown function '", AV(name), "'"));
    pos_ = name_end;
    SkipBlanks();
    if (AtEnd() || s_[pos_] != '(') return Error(absl::StrCat("expected '(' after ", AV(name)));
    ++pos_;
    auto call = std::make_shared<Call>();
    call->spec = spec;
    SkipBlanks();
    if (!AtEnd() && s_[pos_] == ')') {
      ++pos_;
    } else {
      while (true) {
        SkipBlanks();
        Arg arg;
        absl::Status st = ParseArg(arg, depth);
        if (!st.ok()) return st;
        call->args.push_back(std::move(arg));
        SkipBlanks();
        if (AtEnd()) return Error(absl::StrCat("missing ')' closing ", AV(name)));
        if (s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (s_[pos_] == ')') {
          ++pos_;
          break;
        }
        return Error(absl::StrCat("unexpected '", AV(s_.substr(pos_, 1)), "' in arguments of ",
                                  AV(name)));
      }
    }
    call->text = std::string(s_.substr(start, pos_ - start));
    int n = static_cast<int>(call->args.size());
    if (n < spec->min_args || (spec->max_args >= 0 && n > spec->max_args)) {
      return Error(absl::StrCat(AV(name), " takes ",
                                spec->max_args < 0
                                    ? absl::StrCat("at least ", spec->min_args)
                                : spec->min_args == spec->max_args
                                    ? absl::StrCat(spec->min_args)
                                    : absl::StrCat(spec->min_args, " to ", spec->max_args),
                                " arguments, got ", n));
    }
    for (int i = 0; i < n; ++i) {
      const Arg& a = call->args[static_cast<size_t>(i)];
      if (a.kind != Arg::Kind::kLiteral) continue;
      std::string_view kinds = spec->literal_kinds;
      char k = kinds[std::min<size_t>(static_cast<size_t>(i), kinds.size() - 1)];
      bool ok = k == 'a' || (k == 's' && a.literal.is_string()) ||
                (k == 'n' && a.literal.is_number()) ||
                (k == 'f' && a.literal.is_bool() && !a.literal.get_bool());
      if (!ok) {
        return Error(absl::StrCat("invalid literal argument ", i + 1, " of ", AV(name)));
      }
    }
    return std::shared_ptr<const Call>(std::move(call));
  }

 private:
  absl::Status ParseArg(Arg& arg, int depth) {
    if (AtEnd()) return Error("missing argument");
    char c = s_[pos_];
    if (c == '\'') return ParseString(arg);
    if (c == '$') {
      size_t start = pos_;
      int brackets = 0;
      char quote = 0;
      while (!AtEnd()) {
        char d = s_[pos_];
        if (quote) {
          if (d == '\\') {
            ++pos_;
          } else if (d == quote) {
            quote = 0;
          }
        } else if (d == '\'' || d == '"') {
          quote = d;
        } else if (d == '[') {
          ++brackets;
        } else if (d == ']') {
          --brackets;
        } else if (brackets == 0 && (d == ',' || d == ')')) {
          break;
        }
        ++pos_;
      }
      std::string_view text = s_.substr(start, pos_ - start);
      while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
      absl::StatusOr<JsonPath> p = JsonPath::Parse(text);
      if (!p.ok()) return Error(std::string(p.status().message()));
      arg.kind = Arg::Kind::kPath;
      arg.path = *std::move(p);
      return absl::OkStatus();
    }
    if (s_.substr(pos_, 7) == "States.") {
      absl::StatusOr<std::shared_ptr<const Call>> inner = ParseCall(depth + 1);
      if (!inner.ok()) return inner.status();
      arg.kind = Arg::Kind::kCall;
      arg.call = *std::move(inner);
      return absl::OkStatus();
    }
    for (std::string_view word : {"null", "true", "false"}) {
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        arg.literal = word == "null" ? json::value(nullptr) : json::value(word == "true");
        return absl::OkStatus();
      }
    }
    if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
      size_t start = pos_;
      while (!AtEnd() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) ||
                          s_[pos_] == '-' || s_[pos_] == '+' || s_[pos_] == '.' ||
                          s_[pos_] == 'e' || s_[pos_] == 'E')) {
        ++pos_;
      }
      std::string_view num = s_.substr(start, pos_ - start);
      if (!num.empty() && num[0] == '+') num.remove_prefix(1);
      boost::system::error_code ec;
      json::value v = json::parse(num, ec);
      if (ec || !v.is_number()) {
        return Error(absl::StrCat("bad number '", AV(s_.substr(start, pos_ - start)), "'"));
      }
      arg.literal = std::move(v);
      return absl::OkStatus();
    }
    return Error(absl::StrCat("unexpected '", AV(s_.substr(pos_, 1)), "'"));
  }

  // A single-quoted literal. The reserved characters ' { } \ are escaped
  // with a backslash; an escaped brace is never a States.Format placeholder.
  absl::Status ParseString(Arg& arg) {
    ++pos_;  // opening quote
    std::string value;
    std::string piece;
    std::vector<std::string> pieces;
    while (true) {
      if (AtEnd()) return Error("unterminated string literal");
      char c = s_[pos_];
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) return Error("unterminated string literal");
        char e = s_[pos_ + 1];
        if (e != '\'' && e != '{' && e != '}' && e != '\\') {
          return Error(absl::StrCat("invalid escape sequence '\\", AV(s_.substr(pos_ + 1, 1)),
                                    "' in string literal"));
        }
        value.push_back(e);
        piece.push_back(e);
        pos_ += 2;
        continue;
      }
      if (c == '\'') {
        ++pos_;
        break;
      }
      if (c == '{' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '}') {
        value += "{}";
        pieces.push_back(std::move(piece));
        piece.clear();
        pos_ += 2;
        continue;
      }
      value.push_back(c);
      piece.push_back(c);
      ++pos_;
    }
    pieces.push_back(std::move(piece));
    arg.kind = Arg::Kind::kLiteral;
    arg.literal = json::string(value);
    arg.format_pieces = std::move(pieces);
    return absl::OkStatus();
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// --- evaluation helpers ---------------------------------------------------

// An evaluated argument: borrowed from the document when possible.
struct Value {
  json::value owned;
  const json::value* ptr = nullptr;
  const json::value& get() const { return ptr ? *ptr : owned; }
};

absl::Status Invalid(const Call& c) {
  return RuntimeError(kStatesRuntime,
                      absl::StrCat("Invalid arguments in ", AV(c.spec->name)));
}

absl::Status InvalidBecause(const Call& c, std::string_view why) {
  return RuntimeError(kStatesRuntime, absl::StrCat("Invalid arguments in ",
                                                   AV(c.spec->name), ": ", AV(why)));
}

void AppendJavaString(const json::value& v, std::string& out);

// Java's toString of the value as Jackson maps it (String.valueOf in
// States.Format): strings bare, maps as {k=v, ...}, lists as [a, b].
void AppendJavaString(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::string: out.append(v.get_string().data(), v.get_string().size()); break;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ", ";
        first = false;
        AppendJavaString(e, out);
      }
      out.push_back(']');
      break;
    }
    case json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ", ";
        first = false;
        out.append(kv.key().data(), kv.key().size());
        out.push_back('=');
        AppendJavaString(kv.value(), out);
      }
      out.push_back('}');
      break;
    }
    default: AppendJson(v, out); break;
  }
}

// Java's (int) cast of a number: truncates toward zero and saturates.
int64_t ToJavaInt(const json::value& v) {
  if (v.is_int64()) {
    return std::clamp<int64_t>(v.get_int64(), std::numeric_limits<int32_t>::min(),
                               std::numeric_limits<int32_t>::max());
  }
  double d = ToDouble(v);
  if (std::isnan(d)) return 0;
  d = std::trunc(d);
  if (d <= std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::min();
  if (d >= std::numeric_limits<int32_t>::max()) return std::numeric_limits<int32_t>::max();
  return static_cast<int64_t>(d);
}

// Java's Math.round: floor(x + 0.5).
int64_t JavaRound(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  double d = std::floor(ToDouble(v) + 0.5);
  if (std::isnan(d)) return 0;
  if (d <= static_cast<double>(std::numeric_limits<int64_t>::min())) {
    return std::numeric_limits<int64_t>::min();
  }
  if (d >= static_cast<double>(std::numeric_limits<int64_t>::max())) {
    return std::numeric_limits<int64_t>::max();
  }
  return static_cast<int64_t>(d);
}

// Number of Unicode code points in UTF-8 text.
size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

// Splits UTF-8 text into code points.
std::vector<std::string_view> SplitCodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i + 1;
    while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

constexpr char kBase64Chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out.push_back(kBase64Chars[(n >> 18) & 63]);
    out.push_back(kBase64Chars[(n >> 12) & 63]);
    out.push_back(kBase64Chars[(n >> 6) & 63]);
    out.push_back(kBase64Chars[n & 63]);
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kBase64Chars[(n >> 18) & 63]);
    out.push_back(kBase64Chars[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Chars[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Decodes like Java's MIME decoder: characters outside the alphabet are
// skipped; decoding stops at padding. Returns nullopt when a lone 6-bit
// group is left over.
std::optional<std::string> Base64Decode(std::string_view in) {
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  int groups = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      continue;
    }
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    ++groups;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  if (groups % 4 == 1) return std::nullopt;
  return out;
}

std::optional<std::string> HexDigest(std::string_view alg, std::string_view data) {
  const EVP_MD* md = nullptr;
  if (alg == "MD5") {
    md = EVP_md5();
  } else if (alg == "SHA-1") {
    md = EVP_sha1();
  } else if (alg == "SHA-256") {
    md = EVP_sha256();
  } else if (alg == "SHA-384") {
    md = EVP_sha384();
  } else if (alg == "SHA-512") {
    md = EVP_sha512();
  } else {
    return std::nullopt;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1) {
    return std::nullopt;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string Uuid4(RandomSource& r) {
  uint64_t hi = r.Next64();
  uint64_t lo = r.Next64();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(hi & 0xFFFF), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

absl::StatusOr<json::value> EvalCall(const Call& c, const EvalContext& env);

absl::Status EvalArg(const Call& c, const Arg& a, const EvalContext& env, Value& out) {
  switch (a.kind) {
    case Arg::Kind::kLiteral: out.ptr = &a.literal; return absl::OkStatus();
    case Arg::Kind::kCall: {
      absl::StatusOr<json::value> v = EvalCall(*a.call, env);
      if (!v.ok()) return v.status();
      out.owned = *std::move(v);
      return absl::OkStatus();
    }
    case Arg::Kind::kPath: {
      if (const json::value* p = a.path->Find(env)) {
        out.ptr = p;
        return absl::OkStatus();
      }
      std::optional<json::value> v = a.path->Evaluate(env);
      if (v) {
        out.owned = *std::move(v);
        return absl::OkStatus();
      }
      return RuntimeError(
          kStatesRuntime,
          absl::StrCat("The function '", c.text,
                       "' had the following error: The JsonPath argument for the field '",
                       a.path->text(), "' could not be found in the input '",
                       env.input ? SerializeJson(*env.input) : "null", "'"));
    }
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<json::value> EvalCall(const Call& c, const EvalContext& env) {
  std::vector<Value> args(c.args.size());
  for (size_t i = 0; i < c.args.size(); ++i) {
    absl::Status st = EvalArg(c, c.args[i], env, args[i]);
    if (!st.ok()) return st;
  }
  auto arg = [&](size_t i) -> const json::value& { return args[i].get(); };

  switch (c.spec->fn) {
    case Fn::kFormat: {
      if (!arg(0).is_string()) return Invalid(c);
      std::vector<std::string> split;
      const std::vector<std::string>* pieces = &c.args[0].format_pieces;
      if (c.args[0].kind != Arg::Kind::kLiteral) {
        std::string_view t = arg(0).get_string();
        size_t from = 0;
        while (true) {
          size_t at = t.find("{}", from);
          if (at == std::string_view::npos) break;
          split.emplace_back(t.substr(from, at - from));
          from = at + 2;
        }
        split.emplace_back(t.substr(from));
        pieces = &split;
      }
      if (pieces->size() != args.size()) {
        return InvalidBecause(c, "number of arguments do not match the occurrences of {}");
      }
      std::string out = (*pieces)[0];
      for (size_t i = 1; i < args.size(); ++i) {
        AppendJavaString(arg(i), out);
        out += (*pieces)[i];
      }
      return json::value(json::string(out));
    }
    case Fn::kStringToJson: {
      if (!arg(0).is_string()) return Invalid(c);
      std::string_view s = arg(0).get_string();
      while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
      while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
      if (s.empty()) return json::value(nullptr);
      absl::StatusOr<json::value> v = ParseJson(AV(s));
      if (!v.ok()) return Invalid(c);
      return *std::move(v);
    }
    case Fn::kJsonToString: return json::value(json::string(SerializeJson(arg(0))));
    case Fn::kArray: {
      json::array out;
      out.reserve(args.size());
      for (size_t i = 0; i < args.size(); ++i) out.push_back(arg(i));
      return json::value(std::move(out));
    }
    case Fn::kArrayPartition: {
      if (!arg(0).is_array() || !arg(1).is_number()) return Invalid(c);
      int64_t size = ToJavaInt(arg(1));
      if (size <= 0) return Invalid(c);
      const json::array& in = arg(0).get_array();
      json::array out;
      for (size_t i = 0; i < in.size(); i += static_cast<size_t>(size)) {
        json::array chunk;
        for (size_t j = i; j < in.size() && j < i + static_cast<size_t>(size); ++j) {
          chunk.push_back(in[j]);
        }
        out.push_back(std::move(chunk));
      }
      return json::value(std::move(out));
    }
    case Fn::kArrayContains: {
      if (!arg(0).is_array()) return Invalid(c);
      for (const auto& e : arg(0).get_array()) {
        if (JsonEquals(e, arg(1))) return json::value(true);
      }
      return json::value(false);
    }
    case Fn::kArrayRange: {
      if (!arg(0).is_number() || !arg(1).is_number() || !arg(2).is_number()) {
        return Invalid(c);
      }
      int64_t start = ToJavaInt(arg(0)), end = ToJavaInt(arg(1)), step = ToJavaInt(arg(2));
      if (step == 0) return Invalid(c);
      int64_t count = 0;
      if (step > 0 && end >= start) count = (end - start) / step + 1;
      if (step < 0 && end <= start) count = (start - end) / -step + 1;
      if (count > kMaxRangeItems) return Invalid(c);
      json::array out;
      out.reserve(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i) out.push_back(start + i * step);
      return json::value(std::move(out));
    }
    case Fn::kArrayGetItem: {
      if (!arg(0).is_array() || !arg(1).is_number() || !IsIntegral(arg(1))) {
        return Invalid(c);
      }
      const json::array& in = arg(0).get_array();
      double idx = ToDouble(arg(1));
      if (idx < 0 || idx >= static_cast<double>(in.size())) return Invalid(c);
      return in[static_cast<size_t>(idx)];
    }
    case Fn::kArrayLength:
      if (!arg(0).is_array()) return Invalid(c);
      return json::value(static_cast<int64_t>(arg(0).get_array().size()));
    case Fn::kArrayUnique: {
      if (!arg(0).is_array()) return Invalid(c);
      json::array out;
      for (const auto& e : arg(0).get_array()) {
        bool seen = false;
        for (const auto& o : out) {
          if (JsonEquals(o, e)) {
            seen = true;
            break;
          }
        }
        if (!seen) out.push_back(e);
      }
      return json::value(std::move(out));
    }
    case Fn::kBase64Encode: {
      if (!arg(0).is_string()) return Invalid(c);
      std::string_view s = arg(0).get_string();
      if (CodePoints(s) > kMaxEncodeInput) {
        return InvalidBecause(c, "the input exceeds 10000 characters");
      }
      return json::value(json::string(Base64Encode(s)));
    }
    case Fn::kBase64Decode: {
      if (!arg(0).is_string()) return Invalid(c);
      std::string_view s = arg(0).get_string();
      if (CodePoints(s) > kMaxEncodeInput) {
        return InvalidBecause(c, "the input exceeds 10000 characters");
      }
      std::optional<std::string> out = Base64Decode(s);
      if (!out) return Invalid(c);
      return json::value(json::string(*out));
    }
    case Fn::kHash: {
      if (!arg(1).is_string()) return Invalid(c);
      std::string data = arg(0).is_string() ? std::string(arg(0).get_string())
                                            : SerializeJson(arg(0));
      if (CodePoints(data) > kMaxEncodeInput) {
        return InvalidBecause(c, "the input exceeds 10000 characters");
      }
      std::optional<std::string> hex = HexDigest(arg(1).get_string(), data);
      if (!hex) {
        return InvalidBecause(
            c, "the hashing algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512");
      }
      return json::value(json::string(*hex));
    }
    case Fn::kJsonMerge: {
      if (!arg(0).is_object() || !arg(1).is_object() || !arg(2).is_bool() ||
          arg(2).get_bool()) {
        return Invalid(c);
      }
      json::object out = arg(0).get_object();
      for (const auto& kv : arg(1).get_object()) out[kv.key()] = kv.value();
      return json::value(std::move(out));
    }
    case Fn::kMathRandom: {
      if (!arg(0).is_number() || !arg(1).is_number()) return Invalid(c);
      int64_t start = ToJavaInt(arg(0)), end = ToJavaInt(arg(1));
      if (start >= end) return Invalid(c);
      uint64_t range = static_cast<uint64_t>(end - start);
      uint64_t bits;
      if (args.size() == 3) {
        if (!arg(2).is_number()) return Invalid(c);
        SeededRandom seeded(static_cast<uint64_t>(JavaRound(arg(2))));
        bits = seeded.Next64();
      } else {
        if (!env.random) {
          return RuntimeError(kStatesRuntime,
                              "States.MathRandom needs a random source, and none is set");
        }
        bits = env.random->Next64();
      }
      return json::value(start + static_cast<int64_t>(bits % range));
    }
    case Fn::kMathAdd: {
      if (!arg(0).is_number() || !arg(1).is_number()) return Invalid(c);
      int64_t sum = 0;
      if (__builtin_add_overflow(JavaRound(arg(0)), JavaRound(arg(1)), &sum)) {
        return RuntimeError(kStatesRuntime,
                            "States.MathAdd: the sum is outside the range of a 64-bit integer");
      }
      return json::value(sum);
    }
    case Fn::kStringSplit: {
      if (!arg(0).is_string() || !arg(1).is_string()) return Invalid(c);
      std::vector<std::string_view> delims = SplitCodePoints(arg(1).get_string());
      json::array out;
      std::string token;
      for (std::string_view cp : SplitCodePoints(arg(0).get_string())) {
        bool is_delim = false;
        for (std::string_view d : delims) {
          if (d == cp) {
            is_delim = true;
            break;
          }
        }
        if (is_delim) {
          if (!token.empty()) out.push_back(json::string(token));
          token.clear();
        } else {
          token.append(cp.data(), cp.size());
        }
      }
      if (!token.empty()) out.push_back(json::string(token));
      return json::value(std::move(out));
    }
    case Fn::kUuid:
      if (!env.random) {
        return RuntimeError(kStatesRuntime,
                            "States.UUID needs a random source, and none is set");
      }
      return json::value(json::string(Uuid4(*env.random)));
  }
  return absl::InternalError("unknown intrinsic function");
}

}  // namespace

struct IntrinsicCall::Impl {
  std::string text;
  std::shared_ptr<const Call> call;
};

bool LooksLikeIntrinsic(std::string_view text) {
  return text.substr(0, 7) == "States.";
}

absl::StatusOr<IntrinsicCall> IntrinsicCall::Parse(std::string_view text) {
  std::string_view trimmed = text;
  while (!trimmed.empty() && IsBlank(trimmed.front())) trimmed.remove_prefix(1);
  while (!trimmed.empty() && IsBlank(trimmed.back())) trimmed.remove_suffix(1);
  Parser p(trimmed);
  if (!LooksLikeIntrinsic(trimmed)) return p.Error("expected States.<Function>(...)");
  absl::StatusOr<std::shared_ptr<const Call>> call = p.ParseCall(1);
  if (!call.ok()) return call.status();
  p.SkipBlanks();
  if (!p.AtEnd()) return p.Error("unexpected text after the closing ')'");
  auto impl = std::make_shared<Impl>();
  impl->text = std::string(text);
  impl->call = *std::move(call);
  return IntrinsicCall(std::move(impl));
}

IntrinsicCall::IntrinsicCall(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
IntrinsicCall::~IntrinsicCall() = default;

const std::string& IntrinsicCall::text() const { return impl_->text; }

absl::StatusOr<json::value> IntrinsicCall::Evaluate(const EvalContext& env) const {
  return EvalCall(*impl_->call, env);
}

}  // namespace stepwise::asl
