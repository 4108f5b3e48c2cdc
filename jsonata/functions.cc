// The JSONata standard function library (a port of the reference
// functions.js) and the AWS Step Functions additions.
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "jsonata/datetime.h"
#include "jsonata/evaluator.h"

namespace stepwise::jsonata::internal {
namespace {

using Args = std::vector<Value>;

const Value& Arg(const Args& a, size_t i) {
  static const Value kUndef;
  return i < a.size() ? a[i] : kUndef;
}

Value Str(std::string s) { return Value::String(std::move(s)); }
Value Num(double d) { return Value::Number(d); }

std::vector<Value> Items(const Value& v) {
  if (v.IsUndefined()) return {};
  if (v.IsArray()) return v.AsArray().items();
  return {v};
}

// The items of an array, or `v` alone (no copy, unlike Items).
struct ItemsView {
  explicit ItemsView(const Value& v) {
    if (v.IsArray()) {
      const auto& items = v.AsArray().items();
      begin_ = items.data();
      end_ = begin_ + items.size();
    } else if (!v.IsUndefined()) {
      begin_ = &v;
      end_ = begin_ + 1;
    }
  }
  const Value* begin() const { return begin_; }
  const Value* end() const { return end_; }
  size_t size() const { return static_cast<size_t>(end_ - begin_); }

 private:
  const Value* begin_ = nullptr;
  const Value* end_ = nullptr;
};

absl::StatusOr<Value> FnSum(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  double total = 0;
  for (const auto& v : ItemsView(a[0])) total += v.AsNumber();
  return Num(total);
}

absl::StatusOr<Value> FnCount(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Num(0);
  return Num(static_cast<double>(ItemsView(a[0]).size()));
}

absl::StatusOr<Value> MinMax(const Args& a, bool max) {
  auto items = Items(Arg(a, 0));
  if (items.empty()) return Value();
  double r = items[0].AsNumber();
  for (const auto& v : items) r = max ? std::max(r, v.AsNumber()) : std::min(r, v.AsNumber());
  return Num(r);
}
absl::StatusOr<Value> FnMax(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return MinMax(a, true);
}
absl::StatusOr<Value> FnMin(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return MinMax(a, false);
}
absl::StatusOr<Value> FnAverage(Evaluator&, Args& a, const Value&, const FramePtr&) {
  auto items = Items(Arg(a, 0));
  if (items.empty()) return Value();
  double total = 0;
  for (const auto& v : items) total += v.AsNumber();
  return Num(total / static_cast<double>(items.size()));
}

absl::StatusOr<Value> FnString(Evaluator& ev, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  SW_RETURN_IF_ERROR(ev.CheckOutputSize(a[0]));
  bool pretty = Arg(a, 1).IsBool() && a[1].AsBool();
  SW_ASSIGN_OR_RETURN(std::string s, ToJsonataString(a[0], pretty));
  return Str(std::move(s));
}

// JavaScript's Array.prototype.slice index normalisation.
long SliceIndex(double idx, long len) {
  if (std::isnan(idx)) return 0;
  if (idx < 0) {
    double r = static_cast<double>(len) + std::ceil(idx);
    return r < 0 ? 0 : static_cast<long>(r);
  }
  double t = std::floor(idx);
  return t > static_cast<double>(len) ? len : static_cast<long>(t);
}

absl::StatusOr<Value> FnSubstring(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::u32string s = ToCodePoints(a[0].AsString());
  long len = static_cast<long>(s.size());
  double start = Arg(a, 1).AsNumber();
  if (static_cast<double>(len) + start < 0) start = 0;
  if (!Arg(a, 2).IsUndefined()) {
    double length = a[2].AsNumber();
    if (length <= 0) return Str("");
    double end = start >= 0 ? start + length : static_cast<double>(len) + start + length;
    long b = SliceIndex(start, len);
    long e = SliceIndex(end, len);
    if (e <= b) return Str("");
    return Str(FromCodePoints(s.substr(static_cast<size_t>(b), static_cast<size_t>(e - b))));
  }
  long b = SliceIndex(start, len);
  return Str(FromCodePoints(s.substr(static_cast<size_t>(b))));
}

absl::StatusOr<Value> FnSubstringBefore(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  const std::string& s = a[0].AsString();
  if (Arg(a, 1).IsUndefined()) return a[0];
  size_t pos = s.find(a[1].AsString());
  if (pos == std::string::npos) return a[0];
  return Str(s.substr(0, pos));
}

absl::StatusOr<Value> FnSubstringAfter(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  const std::string& s = a[0].AsString();
  if (Arg(a, 1).IsUndefined()) return a[0];
  size_t pos = s.find(a[1].AsString());
  if (pos == std::string::npos) return a[0];
  return Str(s.substr(pos + a[1].AsString().size()));
}

char32_t CaseMap(char32_t c, bool upper) {
  if (upper) {
    if (c >= 'a' && c <= 'z') return c - 32;
    if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;
    if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 32;
    if (c >= 0x430 && c <= 0x44F) return c - 32;
  } else {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
    if (c >= 0x391 && c <= 0x3A9) return c + 32;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
  }
  return c;
}

absl::StatusOr<Value> CaseFn(const Args& a, bool upper) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::u32string s = ToCodePoints(a[0].AsString());
  for (auto& c : s) c = CaseMap(c, upper);
  return Str(FromCodePoints(s));
}
absl::StatusOr<Value> FnLowercase(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return CaseFn(a, false);
}
absl::StatusOr<Value> FnUppercase(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return CaseFn(a, true);
}

absl::StatusOr<Value> FnLength(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  return Num(static_cast<double>(ToCodePoints(a[0].AsString()).size()));
}

absl::StatusOr<Value> FnTrim(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::string out;
  bool in_ws = false;
  for (char c : a[0].AsString()) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!in_ws) out.push_back(' ');
      in_ws = true;
    } else {
      out.push_back(c);
      in_ws = false;
    }
  }
  if (!out.empty() && out.front() == ' ') out.erase(0, 1);
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return Str(out);
}

absl::StatusOr<Value> FnPad(Evaluator& ev, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::u32string s = ToCodePoints(a[0].AsString());
  double width = Arg(a, 1).AsNumber();
  std::u32string ch = U" ";
  if (Arg(a, 2).IsString() && !a[2].AsString().empty()) ch = ToCodePoints(a[2].AsString());
  double size = std::fabs(width);
  // Up to 4 UTF-8 bytes per padding character.
  if (!(size * 4 <= static_cast<double>(ev.limits().max_string_bytes))) {
    SW_RETURN_IF_ERROR(ev.CheckStringSize(static_cast<size_t>(std::min(size, 1e18))));
  }
  long pad = static_cast<long>(std::floor(size)) - static_cast<long>(s.size());
  if (pad <= 0) return a[0];
  std::u32string padding;
  while (static_cast<long>(padding.size()) < pad) padding += ch;
  padding.resize(static_cast<size_t>(pad));
  if (width < 0) return Str(FromCodePoints(padding + s));
  return Str(FromCodePoints(s + padding));
}

// The reference reports a match's index in UTF-16 code units (JavaScript's
// string index): code points beyond the BMP count twice.
size_t Utf16Index(const std::string& s, size_t byte_offset) {
  size_t units = 0;
  for (char32_t c : ToCodePoints(std::string_view(s).substr(0, byte_offset))) {
    units += c > 0xFFFF ? 2 : 1;
  }
  return units;
}

Value MatchObject(const std::string& s, const RegexMatch& m) {
  Value o = Value::NewObject();
  o.AsObject().Set("match", Str(m.match));
  o.AsObject().Set("index", Num(static_cast<double>(Utf16Index(s, m.start))));
  Value groups = Value::NewArray();
  for (const auto& g : m.groups) groups.AsArray().items().push_back(Str(g));
  o.AsObject().Set("groups", groups);
  return o;
}

absl::StatusOr<std::vector<RegexMatch>> Matches(Evaluator& ev, const Value& matcher,
                                                const std::string& s, int limit) {
  const Function& f = matcher.AsFunction();
  if (f.type == Function::Type::kRegex) return ev.RegexAll(f, s, limit);
  // A custom matcher function: call it and follow next().
  return JsonataError("T1010");
}

absl::StatusOr<Value> FnMatch(Evaluator& ev, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  int limit = -1;
  if (!Arg(a, 2).IsUndefined()) {
    if (a[2].AsNumber() < 0) return JsonataError("D3040");
    limit = static_cast<int>(a[2].AsNumber());
  }
  Value result = CreateSequence();
  if (limit == 0) return result;
  SW_ASSIGN_OR_RETURN(auto ms, Matches(ev, a[1], a[0].AsString(), limit));
  for (const auto& m : ms) result.AsArray().items().push_back(MatchObject(a[0].AsString(), m));
  return result;
}

absl::StatusOr<Value> FnContains(Evaluator& ev, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  if (a[1].IsString()) {
    return Value::Bool(a[0].AsString().find(a[1].AsString()) != std::string::npos);
  }
  SW_ASSIGN_OR_RETURN(auto ms, Matches(ev, a[1], a[0].AsString(), 1));
  return Value::Bool(!ms.empty());
}

std::string SubstituteGroups(const std::string& replacement, const RegexMatch& m) {
  std::string out;
  size_t position = 0;
  size_t index = replacement.find('$', position);
  while (index != std::string::npos && position < replacement.size()) {
    out += replacement.substr(position, index - position);
    position = index + 1;
    char dollar = position < replacement.size() ? replacement[position] : '\0';
    if (dollar == '$') {
      out += '$';
      ++position;
    } else if (dollar == '0') {
      out += m.match;
      ++position;
    } else {
      size_t ngroups = m.groups.size();
      int max_digits = ngroups == 0 ? 1 : static_cast<int>(std::floor(std::log10(ngroups))) + 1;
      auto parse = [&](int digits) -> long {
        std::string sub = replacement.substr(position, static_cast<size_t>(digits));
        size_t k = 0;
        while (k < sub.size() && std::isdigit(static_cast<unsigned char>(sub[k]))) ++k;
        if (k == 0) return -1;
        return std::stol(sub.substr(0, k));
      };
      long idx = parse(max_digits);
      if (max_digits > 1 && idx > static_cast<long>(ngroups)) idx = parse(max_digits - 1);
      if (idx >= 0) {
        if (ngroups > 0 && idx >= 1 && static_cast<size_t>(idx) <= ngroups) {
          out += m.groups[static_cast<size_t>(idx - 1)];
        }
        position += std::to_string(idx).size();
      } else {
        out += '$';
      }
    }
    index = replacement.find('$', position);
  }
  if (position < replacement.size()) out += replacement.substr(position);
  return out;
}

absl::StatusOr<Value> FnReplace(Evaluator& ev, Args& a, const Value&, const FramePtr& env) {
  if (Arg(a, 0).IsUndefined()) return Value();
  const std::string& s = a[0].AsString();
  if (a[1].IsString() && a[1].AsString().empty()) return JsonataError("D3010");
  int limit = -1;
  if (!Arg(a, 3).IsUndefined()) {
    if (a[3].AsNumber() < 0) return JsonataError("D3011");
    limit = static_cast<int>(a[3].AsNumber());
  }
  if (limit == 0) return a[0];
  std::string result;
  size_t position = 0;
  if (a[1].IsString()) {
    const std::string& pat = a[1].AsString();
    int count = 0;
    size_t index = s.find(pat, position);
    while (index != std::string::npos && (limit < 0 || count < limit)) {
      result += s.substr(position, index - position);
      if (a[2].IsString()) result += a[2].AsString();
      SW_RETURN_IF_ERROR(ev.CheckStringSize(result.size()));
      position = index + pat.size();
      ++count;
      index = s.find(pat, position);
    }
    result += s.substr(position);
    return Str(result);
  }
  SW_ASSIGN_OR_RETURN(auto ms, Matches(ev, a[1], s, limit));
  if (ms.empty()) return a[0];
  for (const auto& m : ms) {
    result += s.substr(position, m.start - position);
    if (a[2].IsString()) {
      result += SubstituteGroups(a[2].AsString(), m);
    } else {
      SW_ASSIGN_OR_RETURN(Value r, ev.Apply(a[2], {MatchObject(s, m)}, Value(), env));
      if (!r.IsString()) return JsonataError("D3012");
      result += r.AsString();
    }
    SW_RETURN_IF_ERROR(ev.CheckStringSize(result.size()));
    position = m.end;
  }
  result += s.substr(position);
  return Str(result);
}

absl::StatusOr<Value> FnSplit(Evaluator& ev, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  const std::string& s = a[0].AsString();
  int limit = -1;
  if (!Arg(a, 2).IsUndefined()) {
    if (a[2].AsNumber() < 0) return JsonataError("D3020");
    limit = static_cast<int>(a[2].AsNumber());
  }
  Value result = Value::NewArray();
  auto& out = result.AsArray().items();
  if (limit == 0) return result;
  if (a[1].IsString()) {
    const std::string& sep = a[1].AsString();
    if (sep.empty()) {
      for (char32_t c : ToCodePoints(s)) out.push_back(Str(FromCodePoints(std::u32string(1, c))));
    } else {
      size_t pos = 0;
      for (;;) {
        size_t idx = s.find(sep, pos);
        if (idx == std::string::npos) {
          out.push_back(Str(s.substr(pos)));
          break;
        }
        out.push_back(Str(s.substr(pos, idx - pos)));
        pos = idx + sep.size();
      }
    }
    if (limit >= 0 && static_cast<int>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
    return result;
  }
  SW_ASSIGN_OR_RETURN(auto ms, Matches(ev, a[1], s, limit));
  size_t start = 0;
  int count = 0;
  for (const auto& m : ms) {
    out.push_back(Str(s.substr(start, m.start - start)));
    start = m.end;
    ++count;
  }
  if (limit < 0 || count < limit) out.push_back(Str(s.substr(start)));
  return result;
}

absl::StatusOr<Value> FnJoin(Evaluator& ev, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::string sep = Arg(a, 1).IsString() ? a[1].AsString() : "";
  std::string out;
  bool first = true;
  for (const auto& v : Items(a[0])) {
    if (!first) out += sep;
    first = false;
    SW_RETURN_IF_ERROR(ev.CheckStringSize(out.size() + v.AsString().size()));
    out += v.AsString();
  }
  return Str(out);
}

double JsRound(double x) { return std::floor(x + 0.5); }

double RoundHalfEven(double arg, double precision) {
  if (precision != 0) {
    std::string v = FormatJsNumber(arg);
    size_t e = v.find('e');
    std::string s = e == std::string::npos
                        ? v + "e" + FormatJsNumber(precision)
                        : v.substr(0, e) + "e" + FormatJsNumber(std::stod(v.substr(e + 1)) + precision);
    arg = std::strtod(s.c_str(), nullptr);
  }
  double result = JsRound(arg);
  double diff = result - arg;
  if (std::fabs(diff) == 0.5 && std::fabs(std::fmod(result, 2)) == 1) result -= 1;
  if (precision != 0) {
    std::string v = FormatJsNumber(result);
    size_t e = v.find('e');
    std::string s = e == std::string::npos
                        ? v + "e" + FormatJsNumber(-precision)
                        : v.substr(0, e) + "e" + FormatJsNumber(std::stod(v.substr(e + 1)) - precision);
    result = std::strtod(s.c_str(), nullptr);
  }
  if (result == 0) result = 0;
  return result;
}

absl::StatusOr<Value> FnRound(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  double p = Arg(a, 1).IsNumber() ? a[1].AsNumber() : 0;
  return Num(RoundHalfEven(a[0].AsNumber(), p));
}

absl::StatusOr<Value> FnNumber(Evaluator&, Args& a, const Value&, const FramePtr&) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return Value();
  if (v.IsNumber()) return v;
  if (v.IsBool()) return Num(v.AsBool() ? 1 : 0);
  if (v.IsString()) {
    static const boost::regex kDec("^-?[0-9]+(\\.[0-9]+)?([Ee][-+]?[0-9]+)?$");
    static const boost::regex kOther("^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$");
    const std::string& s = v.AsString();
    if (boost::regex_match(s, kDec)) {
      double d = std::strtod(s.c_str(), nullptr);
      if (std::isfinite(d)) return Num(d);
    } else if (boost::regex_match(s, kOther)) {
      int base = (s[1] == 'x' || s[1] == 'X') ? 16 : (s[1] == 'o' || s[1] == 'O') ? 8 : 2;
      return Num(static_cast<double>(std::stoull(s.substr(2), nullptr, base)));
    }
  }
  return JsonataError("D3030", -1, "", Stringify(v, false));
}

absl::StatusOr<Value> FnFloor(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  return Num(std::floor(a[0].AsNumber()));
}
absl::StatusOr<Value> FnCeil(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  return Num(std::ceil(a[0].AsNumber()));
}
absl::StatusOr<Value> FnAbs(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  return Num(std::fabs(a[0].AsNumber()));
}
absl::StatusOr<Value> FnSqrt(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  if (a[0].AsNumber() < 0) return JsonataError("D3060");
  return Num(std::sqrt(a[0].AsNumber()));
}
absl::StatusOr<Value> FnPower(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  double r = std::pow(a[0].AsNumber(), Arg(a, 1).AsNumber());
  if (!std::isfinite(r)) return JsonataError("D3061");
  return Num(r);
}

absl::StatusOr<Value> FnRandom(Evaluator& ev, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsNumber()) {
    std::mt19937_64 seeded(static_cast<uint64_t>(a[0].AsNumber()));
    return Num(std::uniform_real_distribution<double>(0, 1)(seeded));
  }
  return Num(std::uniform_real_distribution<double>(0, 1)(ev.rng()));
}

absl::StatusOr<Value> FnBoolean(Evaluator&, Args& a, const Value&, const FramePtr&) {
  auto b = ToBoolean(Arg(a, 0));
  if (!b) return Value();
  return Value::Bool(*b);
}
absl::StatusOr<Value> FnNot(Evaluator&, Args& a, const Value&, const FramePtr&) {
  auto b = ToBoolean(Arg(a, 0));
  if (!b) return Value();
  return Value::Bool(!*b);
}

absl::StatusOr<Value> FnMap(Evaluator& ev, Args& a, const Value&, const FramePtr& env) {
  if (Arg(a, 0).IsUndefined()) return Value();
  Value result = CreateSequence();
  const auto items = a[0].AsArray().items();
  for (size_t i = 0; i < items.size(); ++i) {
    SW_ASSIGN_OR_RETURN(Value r, ev.ApplyHof(a[1], items[i], Num(static_cast<double>(i)), a[0], env));
    if (!r.IsUndefined()) result.AsArray().items().push_back(r);
  }
  return result;
}

absl::StatusOr<Value> FnFilter(Evaluator& ev, Args& a, const Value&, const FramePtr& env) {
  if (Arg(a, 0).IsUndefined()) return Value();
  Value result = CreateSequence();
  const auto items = a[0].AsArray().items();
  for (size_t i = 0; i < items.size(); ++i) {
    SW_ASSIGN_OR_RETURN(Value r, ev.ApplyHof(a[1], items[i], Num(static_cast<double>(i)), a[0], env));
    if (ToBoolean(r).value_or(false)) result.AsArray().items().push_back(items[i]);
  }
  return result;
}

absl::StatusOr<Value> FnSingle(Evaluator& ev, Args& a, const Value&, const FramePtr& env) {
  if (Arg(a, 0).IsUndefined()) return Value();
  bool found = false;
  Value result;
  const auto items = a[0].AsArray().items();
  for (size_t i = 0; i < items.size(); ++i) {
    bool positive = true;
    if (!Arg(a, 1).IsUndefined()) {
      SW_ASSIGN_OR_RETURN(Value r,
                          ev.ApplyHof(a[1], items[i], Num(static_cast<double>(i)), a[0], env));
      positive = ToBoolean(r).value_or(false);
    }
    if (positive) {
      if (found) return JsonataError("D3138");
      result = items[i];
      found = true;
    }
  }
  if (!found) return JsonataError("D3139");
  return result;
}

absl::StatusOr<Value> FnZip(Evaluator&, Args& a, const Value&, const FramePtr&) {
  Value result = Value::NewArray();
  if (a.empty()) return result;
  size_t len = SIZE_MAX;
  for (const auto& arg : a) len = std::min(len, arg.IsArray() ? arg.AsArray().size() : 0);
  for (size_t i = 0; i < len; ++i) {
    Value tuple = Value::NewArray();
    for (const auto& arg : a) tuple.AsArray().items().push_back(arg.AsArray().items()[i]);
    result.AsArray().items().push_back(tuple);
  }
  return result;
}

absl::StatusOr<Value> FnReduce(Evaluator& ev, Args& a, const Value&, const FramePtr& env) {
  if (Arg(a, 0).IsUndefined()) return Value();
  int arity = FunctionArity(a[1].AsFunction());
  if (arity < 2) return JsonataError("D3050");
  const auto items = a[0].AsArray().items();
  Value result;
  size_t index;
  if (Arg(a, 2).IsUndefined() && !items.empty()) {
    result = items[0];
    index = 1;
  } else {
    result = Arg(a, 2);
    index = 0;
  }
  for (; index < items.size(); ++index) {
    std::vector<Value> args{result, items[index]};
    if (arity >= 3) args.push_back(Num(static_cast<double>(index)));
    if (arity >= 4) args.push_back(a[0]);
    SW_ASSIGN_OR_RETURN(result, ev.Apply(a[1], std::move(args), Value(), env));
  }
  return result;
}

absl::StatusOr<Value> FnSift(Evaluator& ev, Args& a, const Value&, const FramePtr& env) {
  if (Arg(a, 0).IsUndefined()) return Value();
  Value result = Value::NewObject();
  const Object& o = a[0].AsObject();
  for (const auto& [k, v] : o.entries()) {
    SW_ASSIGN_OR_RETURN(Value r, ev.ApplyHof(a[1], v, Str(k), a[0], env));
    if (ToBoolean(r).value_or(false)) result.AsObject().Set(k, v);
  }
  if (result.AsObject().size() == 0) return Value();
  return result;
}

void CollectKeys(const Value& v, std::vector<std::string>& out,
                 std::unordered_map<std::string, bool>& seen) {
  if (v.IsArray()) {
    for (const auto& i : v.AsArray().items()) CollectKeys(i, out, seen);
  } else if (v.IsObject()) {
    for (const auto& e : v.AsObject().entries()) {
      if (seen.emplace(e.key, true).second) out.push_back(e.key);
    }
  }
}

absl::StatusOr<Value> FnKeys(Evaluator&, Args& a, const Value&, const FramePtr&) {
  std::vector<std::string> keys;
  std::unordered_map<std::string, bool> seen;
  CollectKeys(Arg(a, 0), keys, seen);
  Value result = CreateSequence();
  for (auto& k : keys) result.AsArray().items().push_back(Str(k));
  return result;
}

absl::StatusOr<Value> FnLookup(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return LookupKey(Arg(a, 0), Arg(a, 1).IsString() ? a[1].AsString() : "");
}

absl::StatusOr<Value> FnAppend(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return AppendValues(Arg(a, 0), Arg(a, 1));
}

absl::StatusOr<Value> FnExists(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return Value::Bool(!Arg(a, 0).IsUndefined());
}

Value Spread(const Value& v) {
  if (v.IsArray()) {
    Value result = CreateSequence();
    for (const auto& i : v.AsArray().items()) result = AppendValues(result, Spread(i));
    return result;
  }
  if (v.IsObject()) {
    Value result = CreateSequence();
    for (const auto& [k, item] : v.AsObject().entries()) {
      Value o = Value::NewObject();
      o.AsObject().Set(k, item);
      result.AsArray().items().push_back(o);
    }
    return result;
  }
  return v;
}

absl::StatusOr<Value> FnSpread(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return Spread(Arg(a, 0));
}

absl::StatusOr<Value> FnMerge(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  Value result = Value::NewObject();
  for (const auto& o : Items(a[0])) {
    if (!o.IsObject()) continue;
    for (const auto& [k, v] : o.AsObject().entries()) result.AsObject().Set(k, v);
  }
  return result;
}

absl::StatusOr<Value> FnReverse(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  if (a[0].AsArray().size() <= 1) return a[0];
  Value r = Value::NewArray();
  r.AsArray().items().assign(a[0].AsArray().items().rbegin(), a[0].AsArray().items().rend());
  return r;
}

absl::StatusOr<Value> FnEach(Evaluator& ev, Args& a, const Value&, const FramePtr& env) {
  if (Arg(a, 0).IsUndefined()) return Value();
  Value result = CreateSequence();
  const Object& o = a[0].AsObject();
  for (const auto& [k, v] : o.entries()) {
    SW_ASSIGN_OR_RETURN(Value r, ev.ApplyHof(a[1], v, Str(k), a[0], env));
    if (!r.IsUndefined()) result.AsArray().items().push_back(r);
  }
  return result;
}

absl::StatusOr<Value> FnError(Evaluator&, Args& a, const Value&, const FramePtr&) {
  std::string msg = Arg(a, 0).IsString() ? a[0].AsString() : "$error() function evaluated";
  return JsonataError("D3137", -1, "", msg);
}

absl::StatusOr<Value> FnAssert(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsBool() && !a[0].AsBool()) {
    std::string msg = Arg(a, 1).IsString() ? a[1].AsString() : "$assert() statement failed";
    return JsonataError("D3141", -1, "", msg);
  }
  return Value();
}

absl::StatusOr<Value> FnType(Evaluator&, Args& a, const Value&, const FramePtr&) {
  switch (Arg(a, 0).kind()) {
    case Kind::kUndefined: return Value();
    case Kind::kNull: return Str("null");
    case Kind::kBool: return Str("boolean");
    case Kind::kNumber:
      // The reference's isNumeric: NaN is an "object", an infinity D1001.
      if (std::isinf(a[0].AsNumber())) return JsonataError("D1001");
      return Str(std::isnan(a[0].AsNumber()) ? "object" : "number");
    case Kind::kString: return Str("string");
    case Kind::kArray: return Str("array");
    case Kind::kObject: return Str("object");
    case Kind::kFunction: return Str("function");
  }
  return Value();
}

bool JsTruthy(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNull:
      return false;
    case Kind::kBool:
      return v.AsBool();
    case Kind::kNumber:
      return v.AsNumber() != 0 && !std::isnan(v.AsNumber());
    case Kind::kString:
      return !v.AsString().empty();
    default:
      return true;
  }
}

absl::StatusOr<Value> FnSort(Evaluator& ev, Args& a, const Value&, const FramePtr& env) {
  if (Arg(a, 0).IsUndefined()) return Value();
  if (a[0].AsArray().size() <= 1) return a[0];
  std::vector<Value> items = a[0].AsArray().items();
  bool custom = !Arg(a, 1).IsUndefined();
  if (!custom && !IsArrayOfNumbers(a[0]) && !IsArrayOfStrings(a[0])) {
    return JsonataError("D3070");
  }
  absl::Status err;
  // swap(l, r) is true when r must come before l.
  auto greater = [&](const Value& l, const Value& r) -> bool {
    if (!err.ok()) return false;
    if (custom) {
      auto res = ev.Apply(a[1], {l, r}, Value(), env);
      if (!res.ok()) {
        err = res.status();
        return false;
      }
      return JsTruthy(*res);
    }
    if (l.IsNumber()) return l.AsNumber() > r.AsNumber();
    return l.AsString() > r.AsString();
  };
  // Merge sort as the reference does (stable, "swap when greater").
  std::function<std::vector<Value>(std::vector<Value>)> msort =
      [&](std::vector<Value> arr) -> std::vector<Value> {
    if (arr.size() <= 1) return arr;
    size_t mid = arr.size() / 2;
    std::vector<Value> left = msort(std::vector<Value>(arr.begin(), arr.begin() + static_cast<long>(mid)));
    std::vector<Value> right = msort(std::vector<Value>(arr.begin() + static_cast<long>(mid), arr.end()));
    std::vector<Value> out;
    size_t i = 0;
    size_t j = 0;
    while (i < left.size() && j < right.size()) {
      if (greater(left[i], right[j])) {
        out.push_back(right[j++]);
      } else {
        out.push_back(left[i++]);
      }
    }
    while (i < left.size()) out.push_back(left[i++]);
    while (j < right.size()) out.push_back(right[j++]);
    return out;
  };
  std::vector<Value> sorted = msort(items);
  if (!err.ok()) return err;
  Value r = Value::NewArray();
  r.AsArray().items() = std::move(sorted);
  return r;
}

absl::StatusOr<Value> FnShuffle(Evaluator& ev, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  if (a[0].AsArray().size() <= 1) return a[0];
  Value r = Value::NewArray();
  r.AsArray().items() = a[0].AsArray().items();
  std::shuffle(r.AsArray().items().begin(), r.AsArray().items().end(), ev.rng());
  return r;
}

absl::StatusOr<Value> FnDistinct(Evaluator&, Args& a, const Value&, const FramePtr&) {
  const Value& v = Arg(a, 0);
  if (v.IsUndefined()) return Value();
  if (!v.IsArray() || v.AsArray().size() <= 1) return v;
  Value r = Value::NewArray(v.IsSequence());
  for (const auto& item : v.AsArray().items()) {
    bool seen = false;
    for (const auto& x : r.AsArray().items()) {
      if (DeepEqual(item, x)) {
        seen = true;
        break;
      }
    }
    if (!seen) r.AsArray().items().push_back(item);
  }
  return r;
}

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

absl::StatusOr<Value> FnBase64Encode(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  const std::string& s = a[0].AsString();
  // As the reference on Node (Buffer 'binary'): one byte per UTF-16 code
  // unit, its low eight bits.
  std::string bytes;
  for (char32_t c : ToCodePoints(s)) {
    if (c > 0xFFFF) {
      char32_t v = c - 0x10000;
      bytes.push_back(static_cast<char>((0xD800 + (v >> 10)) & 0xFF));
      bytes.push_back(static_cast<char>((0xDC00 + (v & 0x3FF)) & 0xFF));
    } else {
      bytes.push_back(static_cast<char>(c & 0xFF));
    }
  }
  std::string out;
  size_t i = 0;
  while (i + 2 < bytes.size()) {
    unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
    i += 3;
  }
  if (i + 1 == bytes.size()) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += '=';
  }
  return Str(out);
}

absl::StatusOr<Value> FnBase64Decode(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::u32string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : a[0].AsString()) {
    const char* p = std::strchr(kB64, c);
    if (c == '=' || p == nullptr || c == '\0') continue;
    buf = (buf << 6) | static_cast<unsigned>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char32_t>((buf >> bits) & 0xFF));
    }
  }
  return Str(FromCodePoints(out));
}

absl::StatusOr<Value> UrlEncode(const Args& a, std::string_view keep) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::string out;
  for (char32_t c : ToCodePoints(a[0].AsString())) {
    if (c >= 0xD800 && c <= 0xDFFF) return JsonataError("D3140");
    if (c < 0x80 && (std::isalnum(static_cast<int>(c)) ||
                     keep.find(static_cast<char>(c)) != std::string_view::npos)) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    for (unsigned char b : FromCodePoints(std::u32string(1, c))) {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", b);
      out += buf;
    }
  }
  return Str(out);
}

absl::StatusOr<Value> FnEncodeUrlComponent(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return UrlEncode(a, "-_.!~*'()");
}
absl::StatusOr<Value> FnEncodeUrl(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return UrlEncode(a, "-_.!~*'();/?:@&=+$,#");
}

absl::StatusOr<Value> UrlDecode(const Args& a, std::string_view reserved) {
  if (Arg(a, 0).IsUndefined()) return Value();
  const std::string& s = a[0].AsString();
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return JsonataError("D3140");
    }
    char c = static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
    if (static_cast<unsigned char>(c) < 0x80 && reserved.find(c) != std::string_view::npos) {
      out += s.substr(i, 3);
    } else {
      out.push_back(c);
    }
    i += 2;
  }
  // validate UTF-8
  size_t i = 0;
  while (i < out.size()) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > out.size()) return JsonataError("D3140");
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(out[i + k]) >> 6) != 2) return JsonataError("D3140");
    }
    i += len;
  }
  return Str(out);
}
absl::StatusOr<Value> FnDecodeUrlComponent(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return UrlDecode(a, "");
}
absl::StatusOr<Value> FnDecodeUrl(Evaluator&, Args& a, const Value&, const FramePtr&) {
  return UrlDecode(a, ";/?:@&=+$,#");
}

absl::StatusOr<Value> FnClone(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  return DeepClone(a[0]);
}

int64_t NowMillis(Evaluator& ev) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(ev.timestamp().time_since_epoch())
      .count();
}

absl::StatusOr<Value> FnMillis(Evaluator& ev, Args&, const Value&, const FramePtr&) {
  return Num(static_cast<double>(NowMillis(ev)));
}

absl::StatusOr<Value> FnNow(Evaluator& ev, Args& a, const Value&, const FramePtr&) {
  std::optional<std::string> picture;
  std::optional<std::string> tz;
  if (Arg(a, 0).IsString()) picture = a[0].AsString();
  if (Arg(a, 1).IsString()) tz = a[1].AsString();
  SW_ASSIGN_OR_RETURN(std::string s, FormatDateTime(static_cast<double>(NowMillis(ev)), picture, tz));
  return Str(s);
}

absl::StatusOr<Value> FnFromMillis(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::optional<std::string> picture;
  std::optional<std::string> tz;
  if (Arg(a, 1).IsString()) picture = a[1].AsString();
  if (Arg(a, 2).IsString()) tz = a[2].AsString();
  SW_ASSIGN_OR_RETURN(std::string s, FormatDateTime(a[0].AsNumber(), picture, tz));
  return Str(s);
}

absl::StatusOr<Value> FnToMillis(Evaluator& ev, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::optional<std::string> picture;
  if (Arg(a, 1).IsString()) picture = a[1].AsString();
  SW_ASSIGN_OR_RETURN(std::optional<double> ms,
                      ParseDateTime(a[0].AsString(), picture, static_cast<double>(NowMillis(ev))));
  // The reference answers NaN for shapes it cannot read; NaN is no JSON value.
  if (!ms || std::isnan(*ms)) return Value();
  return Num(static_cast<double>(*ms));
}

absl::StatusOr<Value> FnFormatNumber(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  SW_ASSIGN_OR_RETURN(std::string s, FormatNumberPicture(a[0].AsNumber(), Arg(a, 1).AsString(),
                                                         ToJson(Arg(a, 2))));
  return Str(s);
}

absl::StatusOr<Value> FnFormatBase(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  double v = RoundHalfEven(a[0].AsNumber(), 0);
  int radix = Arg(a, 1).IsNumber() ? static_cast<int>(a[1].AsNumber()) : 10;
  if (radix < 2 || radix > 36) return JsonataError("D3100");
  if (std::isnan(v)) return Str("NaN");
  if (std::isinf(v)) return Str(v < 0 ? "-Infinity" : "Infinity");
  bool neg = v < 0;
  // Digits from a double (exact for integers: fmod is exact), so values
  // beyond 2^64 need no cast.
  double n = std::fabs(v);
  std::string out;
  do {
    int d = static_cast<int>(std::fmod(n, radix));
    out.insert(out.begin(), static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10));
    n = std::floor(n / radix);
  } while (n > 0);
  if (neg) out.insert(out.begin(), '-');
  return Str(out);
}

absl::StatusOr<Value> FnFormatInteger(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  SW_ASSIGN_OR_RETURN(std::string s, FormatIntegerPicture(a[0].AsNumber(), Arg(a, 1).AsString()));
  return Str(s);
}

absl::StatusOr<Value> FnParseInteger(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  SW_ASSIGN_OR_RETURN(std::optional<double> d,
                      ParseIntegerPicture(a[0].AsString(), Arg(a, 1).AsString()));
  if (!d) return Value();
  return Num(*d);
}

// ---- AWS Step Functions additions ----

absl::StatusOr<Value> FnPartition(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  double size = Arg(a, 1).AsNumber();
  if (!(size >= 1) || size != std::floor(size)) {
    return JsonataError("D3150", -1, "", "$partition size must be a positive integer");
  }
  Value result = Value::NewArray();
  const auto& items = a[0].AsArray().items();
  size_t chunk = static_cast<size_t>(size);
  for (size_t i = 0; i < items.size(); i += chunk) {
    Value part = Value::NewArray();
    for (size_t j = i; j < std::min(items.size(), i + chunk); ++j) {
      part.AsArray().items().push_back(items[j]);
    }
    result.AsArray().items().push_back(part);
  }
  return result;
}

absl::StatusOr<Value> FnRange(Evaluator&, Args& a, const Value&, const FramePtr&) {
  double start = Arg(a, 0).AsNumber();
  double end = Arg(a, 1).AsNumber();
  double step = Arg(a, 2).IsNumber() ? a[2].AsNumber() : 1;
  if (step == 0 || !std::isfinite(step)) {
    return JsonataError("D3151", -1, "", "$range step must be a non-zero number");
  }
  Value result = Value::NewArray();
  double count = std::floor((end - start) / step) + 1;
  if (count > 1e7) return JsonataError("D2014");
  for (double x = start; step > 0 ? x <= end : x >= end; x += step) {
    result.AsArray().items().push_back(Num(x));
  }
  return result;
}

absl::StatusOr<Value> FnHash(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  std::string algo = Arg(a, 1).IsString() ? a[1].AsString() : "SHA-256";
  const EVP_MD* md = nullptr;
  if (algo == "MD5") md = EVP_md5();
  if (algo == "SHA-1") md = EVP_sha1();
  if (algo == "SHA-256") md = EVP_sha256();
  if (algo == "SHA-384") md = EVP_sha384();
  if (algo == "SHA-512") md = EVP_sha512();
  if (md == nullptr) {
    return JsonataError("D3152", -1, "", "$hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const std::string& s = a[0].AsString();
  EVP_Digest(s.data(), s.size(), digest, &len, md, nullptr);
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    char buf[3];
    std::snprintf(buf, sizeof(buf), "%02x", digest[i]);
    out += buf;
  }
  return Str(out);
}

absl::StatusOr<Value> FnUuid(Evaluator& ev, Args&, const Value&, const FramePtr&) {
  uint64_t hi = ev.rng()();
  uint64_t lo = ev.rng()();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(hi & 0xFFFF), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return Str(buf);
}

absl::StatusOr<Value> FnParse(Evaluator&, Args& a, const Value&, const FramePtr&) {
  if (Arg(a, 0).IsUndefined()) return Value();
  auto parsed = ParseJson(ToAbsl(a[0].AsString()));
  if (!parsed.ok()) return JsonataError("D3153", -1, "", "$parse: invalid JSON");
  return FromJson(*parsed);
}

// The message of `s` without its leading "CODE: ".
std::string InnerMessage(const absl::Status& s) {
  std::string_view m(s.message().data(), s.message().size());
  std::string code = ErrorCode(s);
  if (!code.empty() && m.substr(0, code.size() + 2) == code + ": ") m.remove_prefix(code.size() + 2);
  return std::string(m);
}

// $eval(expr [, context]) as jsonata-js 2.0.6 defines it: parses `expr` and
// evaluates it in the caller's environment over `context` (default: the
// caller's input; an array context is one value, not a sequence). Only the
// reference dialect binds it (AWS Step Functions has no $eval).
absl::StatusOr<Value> FnEval(Evaluator& ev, Args& a, const Value& input, const FramePtr& env) {
  if (Arg(a, 0).IsUndefined()) return Value();
  Value focus = input;
  if (!Arg(a, 1).IsUndefined()) {
    focus = a[1];
    if (focus.IsArray() && !focus.IsSequence()) {
      Value wrapped = CreateSequence(focus);
      wrapped.AsArray().outer_wrapper = true;
      focus = wrapped;
    }
  }
  auto tree = Parse(a[0].AsString());
  if (!tree.ok()) {
    return JsonataError("D3120", -1, "",
                        "Syntax error in expression passed to function eval: " +
                            InnerMessage(tree.status()));
  }
  auto result = ev.Evaluate(ev.Retain(*std::move(tree)), focus, env);
  // Exceeded evaluation limits stay U1001: they bound the whole evaluation.
  if (!result.ok() && ErrorCode(result.status()) != "U1001") {
    return JsonataError("D3121", -1, "",
                        "Dynamic error evaluating the expression passed to function eval: " +
                            InnerMessage(result.status()));
  }
  return result;
}

}  // namespace

NativeDef& EvalFunction() {
  static NativeDef def = {"eval", "<sx?:*>", 2, FnEval, nullptr};
  return def;
}

std::vector<NativeDef>& NativeFunctions() {
  static std::vector<NativeDef> defs = {
      {"sum", "<a<n>:n>", 1, FnSum, nullptr},
      {"count", "<a:n>", 1, FnCount, nullptr},
      {"max", "<a<n>:n>", 1, FnMax, nullptr},
      {"min", "<a<n>:n>", 1, FnMin, nullptr},
      {"average", "<a<n>:n>", 1, FnAverage, nullptr},
      {"string", "<x-b?:s>", 1, FnString, nullptr},
      {"substring", "<s-nn?:s>", 3, FnSubstring, nullptr},
      {"substringBefore", "<s-s:s>", 2, FnSubstringBefore, nullptr},
      {"substringAfter", "<s-s:s>", 2, FnSubstringAfter, nullptr},
      {"lowercase", "<s-:s>", 1, FnLowercase, nullptr},
      {"uppercase", "<s-:s>", 1, FnUppercase, nullptr},
      {"length", "<s-:n>", 1, FnLength, nullptr},
      {"trim", "<s-:s>", 1, FnTrim, nullptr},
      {"pad", "<s-ns?:s>", 3, FnPad, nullptr},
      {"match", "<s-f<s:o>n?:a<o>>", 3, FnMatch, nullptr},
      {"contains", "<s-(sf):b>", 2, FnContains, nullptr},
      {"replace", "<s-(sf)(sf)n?:s>", 4, FnReplace, nullptr},
      {"split", "<s-(sf)n?:a<s>>", 3, FnSplit, nullptr},
      {"join", "<a<s>s?:s>", 2, FnJoin, nullptr},
      {"formatNumber", "<n-so?:s>", 3, FnFormatNumber, nullptr},
      {"formatBase", "<n-n?:s>", 2, FnFormatBase, nullptr},
      {"formatInteger", "<n-s:s>", 2, FnFormatInteger, nullptr},
      {"parseInteger", "<s-s:n>", 2, FnParseInteger, nullptr},
      {"number", "<(nsb)-:n>", 1, FnNumber, nullptr},
      {"floor", "<n-:n>", 1, FnFloor, nullptr},
      {"ceil", "<n-:n>", 1, FnCeil, nullptr},
      {"round", "<n-n?:n>", 2, FnRound, nullptr},
      {"abs", "<n-:n>", 1, FnAbs, nullptr},
      {"sqrt", "<n-:n>", 1, FnSqrt, nullptr},
      {"power", "<n-n:n>", 2, FnPower, nullptr},
      {"random", "<n?:n>", 1, FnRandom, nullptr},
      {"boolean", "<x-:b>", 1, FnBoolean, nullptr},
      {"not", "<x-:b>", 1, FnNot, nullptr},
      {"map", "<af>", 2, FnMap, nullptr},
      {"zip", "<a+>", 0, FnZip, nullptr},
      {"filter", "<af>", 2, FnFilter, nullptr},
      {"single", "<af?>", 2, FnSingle, nullptr},
      {"reduce", "<afj?:j>", 3, FnReduce, nullptr},
      {"sift", "<o-f?:o>", 2, FnSift, nullptr},
      {"keys", "<x-:a<s>>", 1, FnKeys, nullptr},
      {"lookup", "<x-s:x>", 2, FnLookup, nullptr},
      {"append", "<xx:a>", 2, FnAppend, nullptr},
      {"exists", "<x:b>", 1, FnExists, nullptr},
      {"spread", "<x-:a<o>>", 1, FnSpread, nullptr},
      {"merge", "<a<o>:o>", 1, FnMerge, nullptr},
      {"reverse", "<a:a>", 1, FnReverse, nullptr},
      {"each", "<o-f:a>", 2, FnEach, nullptr},
      {"error", "<s?:x>", 1, FnError, nullptr},
      {"assert", "<bs?:x>", 2, FnAssert, nullptr},
      {"type", "<x:s>", 1, FnType, nullptr},
      {"sort", "<af?:a>", 2, FnSort, nullptr},
      {"shuffle", "<a:a>", 1, FnShuffle, nullptr},
      {"distinct", "<x:x>", 1, FnDistinct, nullptr},
      {"base64encode", "<s-:s>", 1, FnBase64Encode, nullptr},
      {"base64decode", "<s-:s>", 1, FnBase64Decode, nullptr},
      {"encodeUrlComponent", "<s-:s>", 1, FnEncodeUrlComponent, nullptr},
      {"encodeUrl", "<s-:s>", 1, FnEncodeUrl, nullptr},
      {"decodeUrlComponent", "<s-:s>", 1, FnDecodeUrlComponent, nullptr},
      {"decodeUrl", "<s-:s>", 1, FnDecodeUrl, nullptr},
      {"toMillis", "<s-s?:n>", 2, FnToMillis, nullptr},
      {"fromMillis", "<n-s?s?:s>", 3, FnFromMillis, nullptr},
      {"clone", "<(oa)-:o>", 1, FnClone, nullptr},
      {"now", "<s?s?:s>", 2, FnNow, nullptr},
      {"millis", "<:n>", 0, FnMillis, nullptr},
      {"partition", "<an:a>", 2, FnPartition, nullptr},
      {"range", "<nnn?:a>", 3, FnRange, nullptr},
      {"hash", "<s-s?:s>", 2, FnHash, nullptr},
      {"uuid", "<:s>", 0, FnUuid, nullptr},
      {"parse", "<s-:x>", 1, FnParse, nullptr},
  };
  return defs;
}

}  // namespace stepwise::jsonata::internal
