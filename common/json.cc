#include "common/json.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace stepwise {

namespace {

// Returns 1-based line and column of byte offset `pos` in `text`.
std::pair<int, int> LineColumn(absl::string_view text, size_t pos) {
  int line = 1, col = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

}  // namespace

absl::StatusOr<json::value> ParseJson(absl::string_view text, int max_depth) {
  json::parse_options opts;
  opts.max_depth = static_cast<std::size_t>(max_depth);
  opts.allow_invalid_utf8 = false;
  json::stream_parser p(json::storage_ptr(), opts);
  boost::system::error_code ec;
  size_t n = p.write_some(text.data(), text.size(), ec);
  if (!ec && n < text.size()) {
    ec = json::error::extra_data;
  }
  if (!ec) p.finish(ec);
  if (ec) {
    auto [line, col] = LineColumn(text, n);
    if (ec == json::error::too_deep) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid JSON at line ", line, ", column ", col,
          ": nesting deeper than ", max_depth, " levels"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid JSON at line ", line, ", column ", col, ": ", ec.message()));
  }
  return p.release();
}

namespace {

// Appends `d` as Java's Double.toString writes it. Works in a stack buffer:
// this runs for every number of every payload written to history.
void AppendJavaDouble(double d, std::string& out) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
    return;
  }
  if (d == 0) {
    out += std::signbit(d) ? "-0.0" : "0.0";
    return;
  }
  double ad = std::fabs(d);
  // Fast path for what payloads mostly hold (prices, counts): a number in
  // the plain-notation range with at most 6 decimals. With |d| < 1e7 and
  // k <= 6, at most one k-decimal number rounds to d, so the smallest k
  // whose candidate converts back to d exactly gives the shortest digits,
  // the same as to_chars below would.
  if (ad >= 1e-3 && ad < 1e7) {
    static constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
    static constexpr int64_t kIPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    for (int k = 0; k <= 6; ++k) {
      double scaled = ad * kPow10[k];
      double m = std::nearbyint(scaled);
      if (m / kPow10[k] != ad) continue;
      auto mi = static_cast<int64_t>(m);
      char buf[32];
      size_t o = 0;
      if (d < 0) buf[o++] = '-';
      auto r = std::to_chars(buf + o, buf + sizeof(buf), mi / kIPow10[k]);
      o = static_cast<size_t>(r.ptr - buf);
      buf[o++] = '.';
      if (k == 0) {
        buf[o++] = '0';
      } else {
        int64_t frac = mi % kIPow10[k];
        for (int i = k - 1; i >= 0; --i) {
          buf[o + static_cast<size_t>(i)] = static_cast<char>('0' + frac % 10);
          frac /= 10;
        }
        o += static_cast<size_t>(k);
      }
      out.append(buf, o);
      return;
    }
  }
  // Shortest round-trip digits in scientific form: [-]d[.ddd]e[+-]xx.
  char sci[64];
  auto res = std::to_chars(sci, sci + sizeof(sci), d, std::chars_format::scientific);
  const char* p = sci;
  const char* end = res.ptr;
  bool neg = *p == '-';
  if (neg) ++p;
  // Collect the significant digits (without the point) and the exponent.
  char digits[32];
  size_t n = 0;
  while (p < end && *p != 'e') {
    if (*p != '.' && n < sizeof(digits)) digits[n++] = *p;
    ++p;
  }
  int exp = 0;
  bool exp_neg = false;
  if (p < end) ++p;  // 'e'
  if (p < end && (*p == '+' || *p == '-')) exp_neg = *p++ == '-';
  while (p < end) exp = exp * 10 + (*p++ - '0');
  if (exp_neg) exp = -exp;

  char buf[96];
  size_t o = 0;
  if (neg) buf[o++] = '-';
  if (ad >= 1e-3 && ad < 1e7) {
    if (exp >= 0) {
      size_t int_len = static_cast<size_t>(exp) + 1;  // at most 7
      for (size_t i = 0; i < int_len; ++i) buf[o++] = i < n ? digits[i] : '0';
      buf[o++] = '.';
      if (n > int_len) {
        for (size_t i = int_len; i < n; ++i) buf[o++] = digits[i];
      } else {
        buf[o++] = '0';
      }
    } else {
      buf[o++] = '0';
      buf[o++] = '.';
      for (int i = 0; i < -exp - 1; ++i) buf[o++] = '0';  // at most 2
      for (size_t i = 0; i < n; ++i) buf[o++] = digits[i];
    }
  } else {
    buf[o++] = digits[0];
    buf[o++] = '.';
    if (n > 1) {
      for (size_t i = 1; i < n; ++i) buf[o++] = digits[i];
    } else {
      buf[o++] = '0';
    }
    buf[o++] = 'E';
    auto r = std::to_chars(buf + o, buf + sizeof(buf), exp);
    o = static_cast<size_t>(r.ptr - buf);
  }
  out.append(buf, o);
}

template <typename Int>
void AppendInteger(Int i, std::string& out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), i);
  out.append(buf, r.ptr);
}

// For each byte: 0 when it is copied as is, else the character after the
// backslash of its short escape ('u' for a \u00XX escape).
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  t['"'] = '"';
  t['\\'] = '\\';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  return t;
}();

}  // namespace

std::string FormatJavaDouble(double d) {
  std::string out;
  AppendJavaDouble(d, out);
  return out;
}

void AppendJsonString(std::string_view s, std::string& out) {
  out.push_back('"');
  const char* p = s.data();
  const char* end = p + s.size();
  while (p < end) {
    // Copy the longest run that needs no escaping in one append.
    const char* run = p;
    while (p < end && kEscapes[static_cast<unsigned char>(*p)] == 0) ++p;
    out.append(run, static_cast<size_t>(p - run));
    if (p == end) break;
    unsigned char c = static_cast<unsigned char>(*p++);
    char esc = kEscapes[c];
    if (esc == 'u') {
      static constexpr char kHex[] = "0123456789abcdef";
      char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out.append(buf, sizeof(buf));
    } else {
      char buf[2] = {'\\', esc};
      out.append(buf, sizeof(buf));
    }
  }
  out.push_back('"');
}

void AppendJson(const json::object& o, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (const auto& kv : o) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(kv.key(), out);
    out.push_back(':');
    AppendJson(kv.value(), out);
  }
  out.push_back('}');
}

void AppendJson(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: AppendInteger(v.get_int64(), out); break;
    case json::kind::uint64: AppendInteger(v.get_uint64(), out); break;
    case json::kind::double_: AppendJavaDouble(v.get_double(), out); break;
    case json::kind::string: AppendJsonString(v.get_string(), out); break;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJson(e, out);
      }
      out.push_back(']');
      break;
    }
    case json::kind::object:
      AppendJson(v.get_object(), out);
      break;
  }
}

namespace {

// True when `v` holds a double anywhere (Boost.JSON prints doubles as
// "1E0", AWS as "1.0", so only double-free documents may use it).
bool HasDouble(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: return true;
    case json::kind::array:
      for (const auto& e : v.get_array()) {
        if (HasDouble(e)) return true;
      }
      return false;
    case json::kind::object:
      for (const auto& kv : v.get_object()) {
        if (HasDouble(kv.value())) return true;
      }
      return false;
    default: return false;
  }
}

}  // namespace

std::string SerializeJson(const json::value& v) {
  // Boost.JSON's serializer is the fastest we have and writes exactly our
  // format (compact, raw UTF-8, lower-case \u escapes) for everything but
  // doubles.
  if (!HasDouble(v)) return json::serialize(v);
  std::string out;
  // Most payloads are small; one early allocation saves several regrowths.
  if (v.is_object() || v.is_array()) out.reserve(256);
  AppendJson(v, out);
  return out;
}

bool IsNumber(const json::value& v) { return v.is_number(); }

double ToDouble(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64: return static_cast<double>(v.get_int64());
    case json::kind::uint64: return static_cast<double>(v.get_uint64());
    case json::kind::double_: return v.get_double();
    default: return 0;
  }
}

bool IsIntegral(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  if (v.is_double()) {
    double d = v.get_double();
    return std::isfinite(d) && std::floor(d) == d;
  }
  return false;
}

json::array ObjectEntries(const json::object& o) {
  json::array out;
  out.reserve(o.size());
  for (const auto& kv : o) {
    json::object entry;
    entry["Key"] = json::string(kv.key());
    entry["Value"] = kv.value();
    out.emplace_back(std::move(entry));
  }
  return out;
}

bool JsonEquals(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    return ToDouble(a) == ToDouble(b);
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::null: return true;
    case json::kind::bool_: return a.get_bool() == b.get_bool();
    case json::kind::string: return a.get_string() == b.get_string();
    case json::kind::array: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!JsonEquals(x[i], y[i])) return false;
      }
      return true;
    }
    case json::kind::object: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& kv : x) {
        auto it = y.find(kv.key());
        if (it == y.end() || !JsonEquals(kv.value(), it->value())) {
          return false;
        }
      }
      return true;
    }
    default: return false;
  }
}

}  // namespace stepwise
