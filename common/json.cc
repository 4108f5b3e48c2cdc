#include "common/json.h"

#include <charconv>
#include <cmath>
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

std::string FormatJavaDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  // Shortest round-trip digits in scientific form: d.dddde[+-]x.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d,
                           std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (char c : mant) {
    if (c != '.') digits.push_back(c);
  }
  std::string out = neg ? "-" : "";
  double ad = std::fabs(d);
  if (ad >= 1e-3 && ad < 1e7) {
    if (exp >= 0) {
      size_t int_len = static_cast<size_t>(exp) + 1;
      while (digits.size() < int_len) digits.push_back('0');
      out += digits.substr(0, int_len);
      out += '.';
      std::string frac = digits.substr(int_len);
      out += frac.empty() ? "0" : frac;
    } else {
      out += "0.";
      out.append(static_cast<size_t>(-exp - 1), '0');
      out += digits;
    }
  } else {
    out += digits.substr(0, 1);
    out += '.';
    std::string frac = digits.substr(1);
    out += frac.empty() ? "0" : frac;
    out += 'E';
    out += std::to_string(exp);
  }
  return out;
}

void AppendJsonString(std::string_view s, std::string& out) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void AppendJson(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: out += std::to_string(v.get_int64()); break;
    case json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case json::kind::double_: out += FormatJavaDouble(v.get_double()); break;
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
    case json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(kv.key(), out);
        out.push_back(':');
        AppendJson(kv.value(), out);
      }
      out.push_back('}');
      break;
    }
  }
}

std::string SerializeJson(const json::value& v) {
  std::string out;
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
