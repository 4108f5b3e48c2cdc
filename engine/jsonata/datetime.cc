#include "engine/jsonata/datetime.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "boost/regex.hpp"
#include "common/status_macros.h"
#include "engine/jsonata/ast.h"
#include "engine/jsonata/value.h"

namespace stepwise::jsonata::internal {
namespace {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

absl::StatusOr<std::string> FormatDateTime(int64_t millis, const std::optional<std::string>& picture,
                                           const std::optional<std::string>& timezone) {
  if (picture || timezone) {
    return JsonataError("D3133", -1, "", "date/time pictures are not supported yet");
  }
  int64_t days = FloorDiv(millis, 86400000);
  int64_t rem = millis - days * 86400000;
  int64_t y;
  unsigned m;
  unsigned d;
  CivilFromDays(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(y), m, d, static_cast<int>(rem / 3600000),
                static_cast<int>((rem / 60000) % 60), static_cast<int>((rem / 1000) % 60),
                static_cast<int>(rem % 1000));
  return std::string(buf);
}

absl::StatusOr<std::optional<int64_t>> ParseDateTime(const std::string& timestamp,
                                                     const std::optional<std::string>& picture) {
  if (picture) return JsonataError("D3133", -1, "", "date/time pictures are not supported yet");
  static const boost::regex kIso(
      "^(\\d{4})(?:-(\\d{2})(?:-(\\d{2})(?:T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d+))?)?"
      "(Z|[+-]\\d{2}:?\\d{2})?)?)?)?$");
  boost::smatch m;
  if (!boost::regex_match(timestamp, m, kIso)) {
    return JsonataError("D3110", -1, "", timestamp);
  }
  auto num = [&](int i, int def) { return m[i].matched ? std::stoi(m[i].str()) : def; };
  int64_t days = DaysFromCivil(num(1, 1970), static_cast<unsigned>(num(2, 1)),
                               static_cast<unsigned>(num(3, 1)));
  int64_t ms = days * 86400000 + num(4, 0) * 3600000LL + num(5, 0) * 60000LL + num(6, 0) * 1000LL;
  if (m[7].matched) {
    std::string frac = m[7].str();
    frac.resize(3, '0');
    ms += std::stoi(frac);
  }
  if (m[8].matched && m[8].str() != "Z") {
    std::string tz = m[8].str();
    int sign = tz[0] == '-' ? -1 : 1;
    std::string digits;
    for (char c : tz.substr(1)) {
      if (c != ':') digits += c;
    }
    int offset = std::stoi(digits.substr(0, 2)) * 60 + std::stoi(digits.substr(2, 2));
    ms -= sign * offset * 60000LL;
  }
  return std::optional<int64_t>(ms);
}

namespace {

const char32_t kDecimalGroups[] = {
    0x30,   0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
    0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0,
    0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};

enum class Primary { kDecimal, kLetters, kRoman, kWords, kSequence };
enum class Case { kLower, kUpper, kTitle };

struct Separator {
  int position;
  char32_t character;
};

struct IntegerFormat {
  Primary primary = Primary::kDecimal;
  Case letter_case = Case::kLower;
  bool ordinal = false;
  char32_t zero_code = 0x30;
  int mandatory_digits = 0;
  int optional_digits = 0;
  bool regular = false;
  int regular_position = 0;
  char32_t regular_char = 0;
  std::vector<Separator> separators;
  std::u32string token;
};

int Gcd(int a, int b) { return b == 0 ? a : Gcd(b, a % b); }

int RegularRepeat(const std::vector<int>& indexes) {
  if (indexes.empty()) return 0;
  int factor = indexes[0];
  for (size_t i = 1; i < indexes.size(); ++i) factor = Gcd(factor, indexes[i]);
  for (size_t index = 1; index <= indexes.size(); ++index) {
    if (std::find(indexes.begin(), indexes.end(), static_cast<int>(index) * factor) ==
        indexes.end()) {
      return 0;
    }
  }
  return factor;
}

absl::StatusOr<IntegerFormat> AnalyseIntegerPicture(const std::u32string& picture) {
  IntegerFormat f;
  std::u32string primary = picture;
  size_t semicolon = picture.rfind(U';');
  if (semicolon != std::u32string::npos) {
    primary = picture.substr(0, semicolon);
    std::u32string modifier = picture.substr(semicolon + 1);
    if (!modifier.empty() && modifier[0] == U'o') f.ordinal = true;
  }
  if (primary == U"A") {
    f.letter_case = Case::kUpper;
    f.primary = Primary::kLetters;
  } else if (primary == U"a") {
    f.primary = Primary::kLetters;
  } else if (primary == U"I") {
    f.letter_case = Case::kUpper;
    f.primary = Primary::kRoman;
  } else if (primary == U"i") {
    f.primary = Primary::kRoman;
  } else if (primary == U"W") {
    f.letter_case = Case::kUpper;
    f.primary = Primary::kWords;
  } else if (primary == U"Ww") {
    f.letter_case = Case::kTitle;
    f.primary = Primary::kWords;
  } else if (primary == U"w") {
    f.primary = Primary::kWords;
  } else {
    std::optional<char32_t> zero;
    int separator_position = 0;
    for (auto it = primary.rbegin(); it != primary.rend(); ++it) {
      char32_t cp = *it;
      bool digit = false;
      for (char32_t group : kDecimalGroups) {
        if (cp >= group && cp <= group + 9) {
          digit = true;
          ++f.mandatory_digits;
          ++separator_position;
          if (!zero) {
            zero = group;
          } else if (*zero != group) {
            return JsonataError("D3131");
          }
          break;
        }
      }
      if (!digit) {
        if (cp == U'#') {
          ++separator_position;
          ++f.optional_digits;
        } else {
          f.separators.push_back({separator_position, cp});
        }
      }
    }
    if (f.mandatory_digits > 0) {
      f.primary = Primary::kDecimal;
      f.zero_code = *zero;
      std::vector<int> positions;
      bool same = true;
      for (const auto& s : f.separators) {
        positions.push_back(s.position);
        if (s.character != f.separators[0].character) same = false;
      }
      int regular = same ? RegularRepeat(positions) : 0;
      if (regular > 0) {
        f.regular = true;
        f.regular_position = regular;
        f.regular_char = f.separators[0].character;
      }
    } else {
      f.primary = Primary::kSequence;
      f.token = primary;
    }
  }
  return f;
}

std::string DecimalToLetters(int64_t value, char a) {
  std::string letters;
  while (value > 0) {
    letters.insert(letters.begin(), static_cast<char>((value - 1) % 26 + a));
    value = (value - 1) / 26;
  }
  return letters;
}

std::string DecimalToRoman(int64_t value) {
  static const std::pair<int, const char*> kRoman[] = {
      {1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"},
      {40, "xl"},  {10, "x"},   {9, "ix"},  {5, "v"},    {4, "iv"},  {1, "i"}};
  std::string out;
  for (const auto& [n, s] : kRoman) {
    while (value >= n) {
      out += s;
      value -= n;
    }
  }
  return out;
}

const char* const kFew[] = {"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven",
                            "Eight", "Nine", "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen",
                            "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"};
const char* const kOrdinals[] = {"Zeroth", "First", "Second", "Third", "Fourth", "Fifth",
                                 "Sixth", "Seventh", "Eighth", "Ninth", "Tenth", "Eleventh",
                                 "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth",
                                 "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"};
const char* const kDecades[] = {"Twenty", "Thirty", "Forty", "Fifty", "Sixty",
                                "Seventy", "Eighty", "Ninety", "Hundred"};
const char* const kMagnitudes[] = {"Thousand", "Million", "Billion", "Trillion"};

std::string WordsLookup(int64_t num, bool prev, bool ord) {
  std::string words;
  if (num <= 19) {
    words = std::string(prev ? " and " : "") + (ord ? kOrdinals[num] : kFew[num]);
  } else if (num < 100) {
    int64_t tens = num / 10;
    int64_t remainder = num % 10;
    words = std::string(prev ? " and " : "") + kDecades[tens - 2];
    if (remainder > 0) {
      words += "-" + WordsLookup(remainder, false, ord);
    } else if (ord) {
      words = words.substr(0, words.size() - 1) + "ieth";
    }
  } else if (num < 1000) {
    int64_t hundreds = num / 100;
    int64_t remainder = num % 100;
    words = std::string(prev ? ", " : "") + kFew[hundreds] + " Hundred";
    if (remainder > 0) {
      words += WordsLookup(remainder, true, ord);
    } else if (ord) {
      words += "th";
    }
  } else {
    int mag = static_cast<int>(std::floor(std::log10(static_cast<double>(num)) / 3));
    if (mag > 4) mag = 4;
    int64_t factor = static_cast<int64_t>(std::pow(10, mag * 3));
    int64_t mant = num / factor;
    int64_t remainder = num - mant * factor;
    words = std::string(prev ? ", " : "") + WordsLookup(mant, false, false) + " " +
            kMagnitudes[mag - 1];
    if (remainder > 0) {
      words += WordsLookup(remainder, true, ord);
    } else if (ord) {
      words += "th";
    }
  }
  return words;
}

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

absl::StatusOr<std::string> FormatIntegerWith(double dvalue, IntegerFormat f) {
  // Beyond int64 the cast is undefined: clamp (such values are out of what
  // this port formats exactly anyway).
  constexpr double kLimit = 9.2e18;
  if (!(dvalue > -kLimit)) dvalue = -kLimit;
  if (!(dvalue < kLimit)) dvalue = kLimit;
  int64_t value = static_cast<int64_t>(dvalue);
  bool negative = value < 0;
  value = value < 0 ? -value : value;
  std::string out;
  switch (f.primary) {
    case Primary::kLetters:
      out = DecimalToLetters(value, f.letter_case == Case::kUpper ? 'A' : 'a');
      break;
    case Primary::kRoman:
      out = DecimalToRoman(value);
      if (f.letter_case == Case::kUpper) out = Upper(out);
      break;
    case Primary::kWords:
      out = WordsLookup(value, false, f.ordinal);
      if (f.letter_case == Case::kUpper) out = Upper(out);
      if (f.letter_case == Case::kLower) out = Lower(out);
      break;
    case Primary::kDecimal: {
      std::u32string s = ToCodePoints(std::to_string(value));
      int pad = f.mandatory_digits - static_cast<int>(s.size());
      if (pad > 0) s = std::u32string(static_cast<size_t>(pad), U'0') + s;
      if (f.zero_code != 0x30) {
        for (auto& c : s) c = c + f.zero_code - 0x30;
      }
      if (f.regular) {
        int n = (static_cast<int>(s.size()) - 1) / f.regular_position;
        for (int ii = n; ii > 0; --ii) {
          size_t pos = s.size() - static_cast<size_t>(ii * f.regular_position);
          s.insert(s.begin() + static_cast<long>(pos), f.regular_char);
        }
      } else {
        for (auto it = f.separators.rbegin(); it != f.separators.rend(); ++it) {
          long pos = static_cast<long>(s.size()) - it->position;
          if (pos < 0) pos = 0;
          s.insert(s.begin() + pos, it->character);
        }
      }
      out = FromCodePoints(s);
      if (f.ordinal) {
        char last = out.empty() ? '0' : out.back();
        const char* suffix = last == '1' ? "st" : last == '2' ? "nd" : last == '3' ? "rd" : "th";
        if (out.size() > 1 && out[out.size() - 2] == '1') suffix = "th";
        out += suffix;
      }
      break;
    }
    case Primary::kSequence:
      return JsonataError("D3130", -1, FromCodePoints(f.token));
  }
  if (negative) out = "-" + out;
  return out;
}

}  // namespace

absl::StatusOr<std::string> FormatIntegerPicture(double value, const std::string& picture) {
  SW_ASSIGN_OR_RETURN(IntegerFormat f, AnalyseIntegerPicture(ToCodePoints(picture)));
  return FormatIntegerWith(std::floor(value), f);
}

absl::StatusOr<std::optional<double>> ParseIntegerPicture(const std::string& value,
                                                          const std::string& picture) {
  SW_ASSIGN_OR_RETURN(IntegerFormat f, AnalyseIntegerPicture(ToCodePoints(picture)));
  std::string v = value;
  switch (f.primary) {
    case Primary::kLetters: {
      double r = 0;
      for (char c : Lower(v)) r = r * 26 + (c - 'a' + 1);
      return std::optional<double>(r);
    }
    case Primary::kRoman: {
      static const std::map<char, int> kVals = {{'i', 1},   {'v', 5},   {'x', 10}, {'l', 50},
                                                {'c', 100}, {'d', 500}, {'m', 1000}};
      std::string s = Lower(v);
      double r = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        auto it = kVals.find(s[i]);
        if (it == kVals.end()) return std::optional<double>();
        int cur = it->second;
        int next = 0;
        if (i + 1 < s.size() && kVals.count(s[i + 1])) next = kVals.at(s[i + 1]);
        r += cur < next ? -cur : cur;
      }
      return std::optional<double>(r);
    }
    case Primary::kWords: {
      static const std::map<std::string, int64_t> kWordValues = [] {
        std::map<std::string, int64_t> m;
        for (int i = 0; i < 20; ++i) {
          m[Lower(kFew[i])] = i;
          m[Lower(kOrdinals[i])] = i;
        }
        for (int i = 0; i < 8; ++i) {
          std::string d = Lower(kDecades[i]);
          m[d] = (i + 2) * 10;
          m[d.substr(0, d.size() - 1) + "ieth"] = (i + 2) * 10;
        }
        m["hundred"] = 100;
        m["hundredth"] = 100;
        m["thousand"] = 1000;
        m["thousandth"] = 1000;
        m["million"] = 1000000;
        m["millionth"] = 1000000;
        m["billion"] = 1000000000;
        m["billionth"] = 1000000000;
        m["trillion"] = 1000000000000;
        m["trillionth"] = 1000000000000;
        return m;
      }();
      std::string s = Lower(v);
      for (auto& c : s) {
        if (c == ',' || c == '-') c = ' ';
      }
      std::vector<std::string> parts;
      std::string cur;
      for (char c : s + " ") {
        if (c == ' ') {
          if (!cur.empty() && cur != "and") parts.push_back(cur);
          cur.clear();
        } else {
          cur += c;
        }
      }
      std::vector<int64_t> values;
      for (const auto& p : parts) {
        auto it = kWordValues.find(p);
        if (it == kWordValues.end()) return std::optional<double>();
        values.push_back(it->second);
      }
      // Fold: multiply by magnitudes, add otherwise.
      std::vector<int64_t> stack;
      int64_t total = 0;
      int64_t group = 0;
      for (int64_t x : values) {
        if (x == 100) {
          group = (group == 0 ? 1 : group) * 100;
        } else if (x >= 1000) {
          total += (group == 0 ? 1 : group) * x;
          group = 0;
        } else {
          group += x;
        }
      }
      return std::optional<double>(static_cast<double>(total + group));
    }
    case Primary::kDecimal: {
      std::u32string s = ToCodePoints(v);
      double r = 0;
      bool negative = false;
      for (char32_t c : s) {
        if (c == U'-') {
          negative = true;
          continue;
        }
        if (c >= f.zero_code && c <= f.zero_code + 9) r = r * 10 + static_cast<double>(c - f.zero_code);
      }
      return std::optional<double>(negative ? -r : r);
    }
    case Primary::kSequence:
      return JsonataError("D3130", -1, FromCodePoints(f.token));
  }
  return std::optional<double>();
}

namespace {

std::u32string U32(const std::string& s) { return ToCodePoints(s); }

int CountIn(const std::u32string& s, const std::u32string& family, char32_t extra = 0) {
  int n = 0;
  for (char32_t c : s) {
    if (family.find(c) != std::u32string::npos || (extra != 0 && c == extra)) ++n;
  }
  return n;
}

std::string ToFixed(double v, int dp) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.*f", dp, v);
  return buf;
}

}  // namespace

absl::StatusOr<std::string> FormatNumberPicture(double value, const std::string& picture_utf8,
                                                const json::value& options) {
  std::map<std::string, std::u32string> props = {
      {"decimal-separator", U"."}, {"grouping-separator", U","}, {"exponent-separator", U"e"},
      {"infinity", U"Infinity"},   {"minus-sign", U"-"},         {"NaN", U"NaN"},
      {"percent", U"%"},           {"per-mille", U"\u2030"},     {"zero-digit", U"0"},
      {"digit", U"#"},             {"pattern-separator", U";"}};
  if (options.is_object()) {
    for (const auto& kv : options.get_object()) {
      if (kv.value().is_string()) props[std::string(kv.key())] = U32(std::string(kv.value().get_string()));
    }
  }
  auto ch = [&](const char* k) { return props[k].empty() ? U'\0' : props[k][0]; };
  char32_t zero = ch("zero-digit");
  std::u32string family;
  for (char32_t c = zero; c < zero + 10; ++c) family.push_back(c);
  char32_t decimal_sep = ch("decimal-separator");
  char32_t exponent_sep = ch("exponent-separator");
  char32_t grouping_sep = ch("grouping-separator");
  char32_t digit = ch("digit");
  char32_t pattern_sep = ch("pattern-separator");
  char32_t percent = ch("percent");
  char32_t per_mille = ch("per-mille");
  std::u32string active = family;
  active += decimal_sep;
  active += exponent_sep;
  active += grouping_sep;
  active += digit;
  active += pattern_sep;
  auto is_active = [&](char32_t c) { return active.find(c) != std::u32string::npos; };

  std::u32string picture = U32(picture_utf8);
  std::vector<std::u32string> subs;
  {
    std::u32string cur;
    for (char32_t c : picture) {
      if (c == pattern_sep) {
        subs.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    subs.push_back(cur);
  }
  if (subs.size() > 2) return JsonataError("D3080");

  struct Parts {
    std::u32string prefix, suffix, active_part, mantissa, integer, fractional, sub;
    std::optional<std::u32string> exponent;
  };
  struct Vars {
    std::vector<int> integer_grouping;
    int regular = 0;
    int min_int = 0;
    int scaling = 0;
    std::u32string prefix, suffix, picture;
    std::vector<int> fractional_grouping;
    int min_frac = 0;
    int max_frac = 0;
    int min_exp = 0;
  };
  std::vector<Parts> parts;
  for (const auto& sp : subs) {
    Parts p;
    p.sub = sp;
    size_t ii = 0;
    for (; ii < sp.size(); ++ii) {
      if (is_active(sp[ii]) && sp[ii] != exponent_sep) break;
    }
    p.prefix = sp.substr(0, ii);
    long jj = static_cast<long>(sp.size()) - 1;
    for (; jj >= 0; --jj) {
      if (is_active(sp[static_cast<size_t>(jj)]) && sp[static_cast<size_t>(jj)] != exponent_sep) break;
    }
    p.suffix = sp.substr(static_cast<size_t>(jj + 1));
    if (p.prefix.size() + p.suffix.size() > sp.size()) {
      p.active_part.clear();
    } else {
      p.active_part = sp.substr(p.prefix.size(), sp.size() - p.prefix.size() - p.suffix.size());
    }
    size_t epos = sp.find(exponent_sep, p.prefix.size());
    if (epos == std::u32string::npos || epos > sp.size() - p.suffix.size()) {
      p.mantissa = p.active_part;
    } else {
      size_t rel = epos - p.prefix.size();
      p.mantissa = p.active_part.substr(0, rel);
      p.exponent = p.active_part.substr(std::min(rel + 1, p.active_part.size()));
    }
    size_t dpos = p.mantissa.find(decimal_sep);
    if (dpos == std::u32string::npos) {
      p.integer = p.mantissa;
      p.fractional = p.suffix;
    } else {
      p.integer = p.mantissa.substr(0, dpos);
      p.fractional = p.mantissa.substr(dpos + 1);
    }
    parts.push_back(p);
  }
  for (const auto& p : parts) {
    const std::u32string& sp = p.sub;
    const char* error = nullptr;
    size_t dpos = sp.find(decimal_sep);
    if (dpos != sp.rfind(decimal_sep)) error = "D3081";
    if (sp.find(percent) != sp.rfind(percent)) error = "D3082";
    if (sp.find(per_mille) != sp.rfind(per_mille)) error = "D3083";
    if (sp.find(percent) != std::u32string::npos && sp.find(per_mille) != std::u32string::npos) {
      error = "D3084";
    }
    bool valid = false;
    for (char32_t c : p.mantissa) {
      if (family.find(c) != std::u32string::npos || c == digit) {
        valid = true;
        break;
      }
    }
    if (!valid) error = "D3085";
    for (char32_t c : p.active_part) {
      if (!is_active(c)) error = "D3086";
    }
    if (dpos != std::u32string::npos) {
      if ((dpos > 0 && sp[dpos - 1] == grouping_sep) ||
          (dpos + 1 < sp.size() && sp[dpos + 1] == grouping_sep)) {
        error = "D3087";
      }
    } else if (!p.integer.empty() && p.integer.back() == grouping_sep) {
      error = "D3088";
    }
    std::u32string two{grouping_sep, grouping_sep};
    if (sp.find(two) != std::u32string::npos) error = "D3089";
    size_t opt = p.integer.find(digit);
    if (opt != std::u32string::npos && CountIn(p.integer.substr(0, opt), family) > 0) {
      error = "D3090";
    }
    opt = p.fractional.rfind(digit);
    if (opt != std::u32string::npos && CountIn(p.fractional.substr(opt), family) > 0) {
      error = "D3091";
    }
    bool exp = p.exponent.has_value();
    if (exp && !p.exponent->empty() &&
        (sp.find(percent) != std::u32string::npos || sp.find(per_mille) != std::u32string::npos)) {
      error = "D3092";
    }
    if (exp && (p.exponent->empty() ||
                CountIn(*p.exponent, family) != static_cast<int>(p.exponent->size()))) {
      error = "D3093";
    }
    if (error != nullptr) return JsonataError(error);
  }
  std::vector<Vars> vars;
  for (const auto& p : parts) {
    Vars v;
    auto grouping = [&](const std::u32string& part, bool to_left) {
      std::vector<int> positions;
      size_t gp = part.find(grouping_sep);
      while (gp != std::u32string::npos) {
        std::u32string side = to_left ? part.substr(0, gp) : part.substr(gp);
        positions.push_back(CountIn(side, family, digit));
        gp = part.find(grouping_sep, gp + 1);
      }
      return positions;
    };
    v.integer_grouping = grouping(p.integer, false);
    v.regular = RegularRepeat(v.integer_grouping);
    v.fractional_grouping = grouping(p.fractional, true);
    v.min_int = CountIn(p.integer, family);
    v.scaling = v.min_int;
    v.min_frac = CountIn(p.fractional, family);
    v.max_frac = CountIn(p.fractional, family, digit);
    bool exp = p.exponent.has_value();
    if (v.min_int == 0 && v.max_frac == 0) {
      if (exp) {
        v.min_frac = 1;
        v.max_frac = 1;
      } else {
        v.min_int = 1;
      }
    }
    if (exp && v.min_int == 0 && p.integer.find(digit) != std::u32string::npos) v.min_int = 1;
    if (v.min_int == 0 && v.min_frac == 0) v.min_frac = 1;
    if (exp) v.min_exp = CountIn(*p.exponent, family);
    v.prefix = p.prefix;
    v.suffix = p.suffix;
    v.picture = p.sub;
    vars.push_back(v);
  }
  std::u32string minus = props["minus-sign"];
  if (vars.size() == 1) {
    vars.push_back(vars[0]);
    vars[1].prefix = minus + vars[1].prefix;
  }
  const Vars& pic = value >= 0 ? vars[0] : vars[1];
  double adjusted = value;
  if (pic.picture.find(percent) != std::u32string::npos) {
    adjusted = value * 100;
  } else if (pic.picture.find(per_mille) != std::u32string::npos) {
    adjusted = value * 1000;
  }
  double mantissa = adjusted;
  std::optional<int> exponent;
  if (pic.min_exp != 0) {
    double max_m = std::pow(10, pic.scaling);
    double min_m = std::pow(10, pic.scaling - 1);
    int e = 0;
    if (mantissa != 0) {
      while (std::fabs(mantissa) < min_m) {
        mantissa *= 10;
        e -= 1;
      }
      while (std::fabs(mantissa) > max_m) {
        mantissa /= 10;
        e += 1;
      }
    }
    exponent = e;
  }
  // Round half to even at max_frac digits (the reference's $round).
  double rounded;
  {
    std::string v = FormatJsNumber(mantissa);
    size_t e = v.find('e');
    double p = pic.max_frac;
    std::string shifted = e == std::string::npos
                              ? v + "e" + FormatJsNumber(p)
                              : v.substr(0, e) + "e" + FormatJsNumber(std::stod(v.substr(e + 1)) + p);
    double a = std::strtod(shifted.c_str(), nullptr);
    double r = std::floor(a + 0.5);
    if (std::fabs(r - a) == 0.5 && std::fabs(std::fmod(r, 2)) == 1) r -= 1;
    std::string back = FormatJsNumber(r);
    size_t e2 = back.find('e');
    std::string s2 = e2 == std::string::npos
                         ? back + "e" + FormatJsNumber(-p)
                         : back.substr(0, e2) + "e" + FormatJsNumber(std::stod(back.substr(e2 + 1)) - p);
    rounded = std::strtod(s2.c_str(), nullptr);
  }
  auto make_string = [&](double v, int dp) {
    std::u32string s = U32(ToFixed(std::fabs(v), dp));
    if (zero != U'0') {
      for (auto& c : s) {
        if (c >= U'0' && c <= U'9') c = zero + (c - U'0');
      }
    }
    return s;
  };
  std::u32string sv = make_string(rounded, pic.max_frac);
  size_t dp = sv.find(U'.');
  if (dp == std::u32string::npos) {
    sv += decimal_sep;
  } else {
    sv[dp] = decimal_sep;
  }
  while (!sv.empty() && sv[0] == zero) sv.erase(0, 1);
  while (!sv.empty() && sv.back() == zero) sv.pop_back();
  long dpos = static_cast<long>(sv.find(decimal_sep));
  long pad_left = pic.min_int - dpos;
  long pad_right = pic.min_frac - (static_cast<long>(sv.size()) - dpos - 1);
  if (pad_left > 0) sv = std::u32string(static_cast<size_t>(pad_left), zero) + sv;
  if (pad_right > 0) sv += std::u32string(static_cast<size_t>(pad_right), zero);
  dpos = static_cast<long>(sv.find(decimal_sep));
  if (pic.regular > 0) {
    long group_count = (dpos - 1) / pic.regular;
    for (long g = 1; g <= group_count; ++g) {
      long at = dpos - g * pic.regular;
      if (at >= 0) sv.insert(sv.begin() + at, grouping_sep);
    }
  } else {
    for (int pos : pic.integer_grouping) {
      long at = dpos - pos;
      if (at >= 0) sv.insert(sv.begin() + at, grouping_sep);
      ++dpos;
    }
  }
  dpos = static_cast<long>(sv.find(decimal_sep));
  for (int pos : pic.fractional_grouping) {
    long at = pos + dpos + 1;
    if (at <= static_cast<long>(sv.size())) sv.insert(sv.begin() + at, grouping_sep);
  }
  dpos = static_cast<long>(sv.find(decimal_sep));
  if (pic.fractional_grouping.empty() && pic.min_frac == 0 ? false : false) {
  }
  if (pic.min_frac == 0 && dpos == static_cast<long>(sv.size()) - 1) sv.pop_back();
  if (exponent) {
    std::u32string se = make_string(*exponent, 0);
    long pl = pic.min_exp - static_cast<long>(se.size());
    if (pl > 0) se = std::u32string(static_cast<size_t>(pl), zero) + se;
    sv += props["exponent-separator"];
    if (*exponent < 0) sv += minus;
    sv += se;
  }
  sv = pic.prefix + sv + pic.suffix;
  return FromCodePoints(sv);
}

}  // namespace stepwise::jsonata::internal
