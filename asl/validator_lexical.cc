// Lexical checks of the ASL validator: UTF-8 decoding, RFC 3339
// timestamps, JSON numbers as integers, state, label and variable names, and
// JSON Pointer locations. Internal to the validator (see
// validator_internal.h); pure and thread-safe.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "asl/validator_internal.h"

namespace stepwise::asl::validator_internal {

namespace {

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


}  // namespace

std::string Join(std::string_view base, std::string_view token) {
  return Cat(base, "/",
                      PointerToken(token));
}

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
}  // namespace stepwise::asl::validator_internal
