#include "jsonata/datetime.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <vector>

#include "boost/regex.hpp"
#include "common/clock.h"
#include "common/status_macros.h"
#include "jsonata/ast.h"
#include "jsonata/value.h"

namespace stepwise::jsonata::internal {
namespace {

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
  int n = 0;  // digits a Y/M/D date/time marker reads (0: any number)
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

// Spells `num` (a non-negative integer held in a double, as the reference
// does: 1e46 is "ten billion trillion trillion trillion").
std::string WordsLookup(double num, bool prev, bool ord) {
  std::string words;
  if (num <= 19) {
    auto i = static_cast<size_t>(num);
    words = std::string(prev ? " and " : "") + (ord ? kOrdinals[i] : kFew[i]);
  } else if (num < 100) {
    auto tens = static_cast<size_t>(std::floor(num / 10));
    double remainder = std::fmod(num, 10);
    words = std::string(prev ? " and " : "") + kDecades[tens - 2];
    if (remainder > 0) {
      words += "-" + WordsLookup(remainder, false, ord);
    } else if (ord) {
      words = words.substr(0, words.size() - 1) + "ieth";
    }
  } else if (num < 1000) {
    auto hundreds = static_cast<size_t>(std::floor(num / 100));
    double remainder = std::fmod(num, 100);
    words = std::string(prev ? ", " : "") + kFew[hundreds] + " Hundred";
    if (remainder > 0) {
      words += WordsLookup(remainder, true, ord);
    } else if (ord) {
      words += "th";
    }
  } else {
    int mag = static_cast<int>(std::floor(std::log10(num) / 3));
    if (mag > 4) mag = 4;
    double factor = std::pow(10, mag * 3);
    double mant = std::floor(num / factor);
    double remainder = num - mant * factor;
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

absl::StatusOr<std::string> FormatIntegerWith(double dvalue, const IntegerFormat& f) {
  // NaN as the reference writes it: "NaN" as the digits, nothing in letters.
  bool nan = std::isnan(dvalue);
  if (std::isnan(dvalue) && (f.primary == Primary::kLetters || f.primary == Primary::kRoman)) {
    return std::string();
  }
  if (f.primary == Primary::kWords && std::isfinite(dvalue)) {
    std::string out = WordsLookup(std::fabs(dvalue), false, f.ordinal);
    if (f.letter_case == Case::kUpper) out = Upper(out);
    if (f.letter_case == Case::kLower) out = Lower(out);
    return dvalue < 0 ? "-" + out : out;
  }
  // Beyond int64 the cast is undefined: clamp (such values are out of what
  // this port formats exactly anyway).
  constexpr double kLimit = 9.2e18;
  if (!(dvalue > -kLimit)) dvalue = -kLimit;
  if (!(dvalue < kLimit)) dvalue = kLimit;
  int64_t value = static_cast<int64_t>(dvalue);
  bool negative = value < 0 && !nan;
  value = value < 0 ? -value : value;
  std::string out;
  switch (f.primary) {
    case Primary::kLetters:
      out = DecimalToLetters(value, f.letter_case == Case::kUpper ? 'A' : 'a');
      break;
    case Primary::kRoman:
      // Beyond ten million (ten thousand 'm's) the reference exhausts
      // JavaScript's stack; here it is a limit.
      if (value > 10000000) {
        return JsonataError("U1001", -1, "", "roman numeral too large to write");
      }
      out = DecimalToRoman(value);
      if (f.letter_case == Case::kUpper) out = Upper(out);
      break;
    case Primary::kWords:
      out = WordsLookup(static_cast<double>(value), false, f.ordinal);
      if (f.letter_case == Case::kUpper) out = Upper(out);
      if (f.letter_case == Case::kLower) out = Lower(out);
      break;
    case Primary::kDecimal: {
      std::u32string s = nan ? std::u32string(U"NaN") : ToCodePoints(std::to_string(value));
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

namespace {

// JavaScript's parseInt(text, 10): leading whitespace, an optional sign, then
// as many decimal digits as there are; NaN when there are none.
double JsParseInt(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  double r = 0;
  size_t start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') r = r * 10 + (text[i++] - '0');
  if (i == start) return std::nan("");
  return negative ? -r : r;
}

// The reference's word → value table, in its insertion order (the parsing
// regex lists the words in this order, which decides how alternatives match).
const std::vector<std::pair<std::string, double>>& WordValues() {
  static const auto* kValues = [] {
    auto* v = new std::vector<std::pair<std::string, double>>();
    auto set = [v](const std::string& word, double value) {
      for (auto& kv : *v) {
        if (kv.first == word) {
          kv.second = value;
          return;
        }
      }
      v->emplace_back(word, value);
    };
    for (int i = 0; i < 20; ++i) set(Lower(kFew[i]), i);
    for (int i = 0; i < 20; ++i) set(Lower(kOrdinals[i]), i);
    for (int i = 0; i < 9; ++i) {
      std::string word = Lower(kDecades[i]);
      set(word, (i + 2) * 10);
      // As the reference: "Hundred" yields the (harmless) "hundreieth".
      set(word.substr(0, word.size() - 1) + "ieth", (i + 2) * 10);
    }
    set("hundredth", 100);
    for (int i = 0; i < 4; ++i) {
      std::string word = Lower(kMagnitudes[i]);
      double value = std::pow(10, (i + 1) * 3);
      set(word, value);
      set(word + "th", value);
    }
    return v;
  }();
  return *kValues;
}

// Sums a number written in English words (already lower case); NaN when a
// word is unknown.
double WordsToNumber(const std::string& text) {
  static const boost::regex kSplit(",\\s|\\sand\\s|[\\s\\\\-]");
  std::vector<std::string> parts;
  boost::sregex_token_iterator it(text.begin(), text.end(), kSplit, -1);
  for (; it != boost::sregex_token_iterator(); ++it) parts.push_back(it->str());
  // JavaScript's split keeps a trailing empty part that regex_token_iterator drops.
  if (!text.empty()) {
    boost::smatch last;
    std::string tail = text.substr(text.size() - 1);
    if (boost::regex_match(tail, last, boost::regex("[\\s\\\\-]"))) parts.emplace_back();
  }
  if (text.empty()) parts.emplace_back();
  std::vector<double> segs = {0};
  for (const auto& part : parts) {
    double value = std::nan("");
    for (const auto& kv : WordValues()) {
      if (kv.first == part) value = kv.second;
    }
    if (value < 100) {
      double top = segs.back();
      segs.pop_back();
      if (top >= 1000) {
        segs.push_back(top);
        top = 0;
      }
      segs.push_back(top + value);
    } else {
      double top = segs.back();
      segs.pop_back();
      segs.push_back(top * value);
    }
  }
  double sum = 0;
  for (double x : segs) sum += x;
  return sum;
}

double LettersToDecimal(const std::string& letters, char a) {
  double r = 0;
  for (size_t i = 0; i < letters.size(); ++i) {
    r += (static_cast<unsigned char>(letters[letters.size() - i - 1]) - a + 1) *
         std::pow(26, static_cast<double>(i));
  }
  return r;
}

double RomanToDecimal(const std::string& roman) {
  double decimal = 0;
  int max = 1;
  for (size_t i = roman.size(); i-- > 0;) {
    int value = 0;
    switch (roman[i]) {
      case 'M': value = 1000; break;
      case 'D': value = 500; break;
      case 'C': value = 100; break;
      case 'L': value = 50; break;
      case 'X': value = 10; break;
      case 'V': value = 5; break;
      case 'I': value = 1; break;
      default: return std::nan("");
    }
    if (value < max) {
      decimal -= value;
    } else {
      max = value;
      decimal += value;
    }
  }
  return decimal;
}

// The value of `text` read with integer picture `f` (the reference's
// generateRegex parse functions); NaN when it does not read as a number.
absl::StatusOr<double> ParseIntegerText(const IntegerFormat& f, const std::string& text) {
  switch (f.primary) {
    case Primary::kLetters:
      return LettersToDecimal(text, f.letter_case == Case::kUpper ? 'A' : 'a');
    case Primary::kRoman:
      return RomanToDecimal(f.letter_case == Case::kUpper ? text : Upper(text));
    case Primary::kWords:
      return WordsToNumber(Lower(text));
    case Primary::kDecimal: {
      std::u32string digits = ToCodePoints(text);
      if (f.ordinal && digits.size() >= 2) digits.resize(digits.size() - 2);
      auto strip = [&digits](char32_t c) {
        digits.erase(std::remove(digits.begin(), digits.end(), c), digits.end());
      };
      if (f.regular) {
        strip(U',');
      } else {
        for (const auto& sep : f.separators) strip(sep.character);
      }
      if (f.zero_code != 0x30) {
        for (auto& c : digits) c = c - f.zero_code + 0x30;
      }
      return JsParseInt(FromCodePoints(digits));
    }
    case Primary::kSequence:
      return JsonataError("D3130", -1, FromCodePoints(f.token));
  }
  return std::nan("");
}

// The regular expression that matches an integer written with picture `f`.
absl::StatusOr<std::string> IntegerRegex(const IntegerFormat& f) {
  bool upper = f.letter_case == Case::kUpper;
  switch (f.primary) {
    case Primary::kLetters:
      return std::string(upper ? "[A-Z]+" : "[a-z]+");
    case Primary::kRoman:
      return std::string(upper ? "[MDCLXVI]+" : "[mdclxvi]+");
    case Primary::kWords: {
      std::string r = "(?:";
      for (const auto& kv : WordValues()) r += kv.first + "|";
      return r + "and|[\\-, ])+";
    }
    case Primary::kDecimal: {
      std::string r = "[0-9]+";
      if (f.n > 0) {
        r = f.optional_digits == 0
                ? "[0-9]{" + std::to_string(f.n) + "}"
                : "[0-9]{" + std::to_string(f.n - f.optional_digits) + "," + std::to_string(f.n) + "}";
      }
      if (f.ordinal) r += "(?:th|st|nd|rd)";
      return r;
    }
    case Primary::kSequence:
      return JsonataError("D3130", -1, FromCodePoints(f.token));
  }
  return std::string();
}

}  // namespace

absl::StatusOr<std::optional<double>> ParseIntegerPicture(const std::string& value,
                                                          const std::string& picture) {
  SW_ASSIGN_OR_RETURN(IntegerFormat f, AnalyseIntegerPicture(ToCodePoints(picture)));
  // NaN when the text does not read as a number, as the reference.
  SW_ASSIGN_OR_RETURN(double d, ParseIntegerText(f, value));
  return std::optional<double>(d);
}

// ---- Date/time pictures (XPath F&O 3.1 §9.8 as the reference implements them) ----

namespace {

constexpr double kMillisInADay = 86400000;
const char* const kDays[] = {"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                             "Saturday", "Sunday"};
const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};

// One part of an analysed date/time picture: a literal or a variable marker.
struct DatePart {
  bool literal = false;
  std::string text;  // the literal
  char32_t component = 0;
  std::u32string presentation1;
  char32_t presentation2 = 0;
  bool has_width = false;
  std::optional<int> width_min;
  std::optional<int> width_max;
  std::optional<Case> names;
  std::optional<IntegerFormat> integer_format;
  int n = 0;  // Y/M/D width (-1: all digits); 0 for other components
};

std::optional<int> ParseWidth(const std::u32string& w) {
  if (w.empty() || w == U"*") return std::nullopt;
  double d = JsParseInt(FromCodePoints(w));
  if (std::isnan(d) || d > 1000) return std::nullopt;
  return static_cast<int>(d);
}

bool IsSpace(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == U'\v' || c == U'\f' ||
         c == 0xA0 || c == 0xFEFF || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool In(const char* set, char32_t c) {
  for (const char* p = set; *p != 0; ++p) {
    if (static_cast<char32_t>(static_cast<unsigned char>(*p)) == c) return true;
  }
  return false;
}

absl::StatusOr<std::vector<DatePart>> AnalyseDateTimePicture(const std::u32string& picture) {
  std::vector<DatePart> spec;
  auto add_literal = [&](size_t start, size_t end) {
    if (end <= start) return;
    std::u32string literal = picture.substr(start, end - start);
    std::u32string out;
    for (size_t i = 0; i < literal.size(); ++i) {
      out += literal[i];
      if (literal[i] == U']' && i + 1 < literal.size() && literal[i + 1] == U']') ++i;
    }
    DatePart part;
    part.literal = true;
    part.text = FromCodePoints(out);
    spec.push_back(std::move(part));
  };
  size_t start = 0;
  size_t pos = 0;
  while (pos < picture.size()) {
    if (picture[pos] == U'[') {
      if (pos + 1 < picture.size() && picture[pos + 1] == U'[') {
        add_literal(start, pos);
        DatePart bracket;
        bracket.literal = true;
        bracket.text = "[";
        spec.push_back(std::move(bracket));
        pos += 2;
        start = pos;
        continue;
      }
      add_literal(start, pos);
      start = pos;
      pos = picture.find(U']', start);
      if (pos == std::u32string::npos) return JsonataError("D3135");
      std::u32string marker;
      for (char32_t c : picture.substr(start + 1, pos - start - 1)) {
        if (!IsSpace(c)) marker += c;
      }
      DatePart def;
      def.component = marker.empty() ? 0 : marker[0];
      size_t comma = marker.rfind(U',');
      std::u32string pres;
      if (comma != std::u32string::npos) {
        std::u32string width = marker.substr(comma + 1);
        size_t dash = width.find(U'-');
        def.has_width = true;
        if (dash == std::u32string::npos) {
          def.width_min = ParseWidth(width);
        } else {
          def.width_min = ParseWidth(width.substr(0, dash));
          def.width_max = ParseWidth(width.substr(dash + 1));
        }
        pres = marker.substr(1, comma - 1);
      } else if (!marker.empty()) {
        pres = marker.substr(1);
      }
      bool has_pres = true;
      if (pres.size() == 1) {
        def.presentation1 = pres;
      } else if (pres.size() > 1) {
        char32_t last = pres.back();
        if (In("atco", last)) {
          def.presentation2 = last;
          def.presentation1 = pres.substr(0, pres.size() - 1);
        } else {
          def.presentation1 = pres;
        }
      } else {
        static const std::map<char32_t, std::u32string> kDefaults = {
            {U'Y', U"1"}, {U'M', U"1"}, {U'D', U"1"}, {U'd', U"1"}, {U'F', U"n"},
            {U'W', U"1"}, {U'w', U"1"}, {U'X', U"1"}, {U'x', U"1"}, {U'H', U"1"},
            {U'h', U"1"}, {U'P', U"n"}, {U'm', U"01"}, {U's', U"01"}, {U'f', U"1"},
            {U'Z', U"01:01"}, {U'z', U"01:01"}, {U'C', U"n"}, {U'E', U"n"}};
        auto it = kDefaults.find(def.component);
        if (it == kDefaults.end()) {
          has_pres = false;
        } else {
          def.presentation1 = it->second;
        }
      }
      if (!has_pres) {
        return JsonataError("D3132", -1, FromCodePoints(std::u32string(1, def.component)));
      }
      if (!def.presentation1.empty() && def.presentation1[0] == U'n') {
        def.names = Case::kLower;
      } else if (!def.presentation1.empty() && def.presentation1[0] == U'N') {
        def.names = def.presentation1.size() > 1 && def.presentation1[1] == U'n' ? Case::kTitle
                                                                                : Case::kUpper;
      } else if (In("YMDdFWwXxHhmsf", def.component)) {
        std::u32string pattern = def.presentation1;
        if (def.presentation2 != 0) {
          pattern += U';';
          pattern += def.presentation2;
        }
        SW_ASSIGN_OR_RETURN(IntegerFormat f, AnalyseIntegerPicture(pattern));
        if (def.width_min && f.mandatory_digits < *def.width_min) f.mandatory_digits = *def.width_min;
        if (In("YMD", def.component)) {
          def.n = -1;
          if (def.width_max) {
            def.n = *def.width_max;
            f.mandatory_digits = def.n;
          } else if (f.mandatory_digits + f.optional_digits >= 2) {
            def.n = f.mandatory_digits + f.optional_digits;
          }
        }
        f.n = def.n;
        def.integer_format = std::move(f);
      }
      if (def.component == U'Z' || def.component == U'z') {
        SW_ASSIGN_OR_RETURN(def.integer_format, AnalyseIntegerPicture(def.presentation1));
      }
      spec.push_back(std::move(def));
      start = pos + 1;
    }
    ++pos;
  }
  add_literal(start, pos);
  return spec;
}

// Date.UTC(year, month0, day, ...): months and days overflow into the next
// unit; years 0..99 mean 1900..1999; NaN when any part is NaN.
double DateUtc(double y, double m0, double d = 1, double h = 0, double mi = 0, double s = 0,
               double ms = 0) {
  for (double v : {y, m0, d, h, mi, s, ms}) {
    if (!std::isfinite(v)) return std::nan("");
  }
  y = std::trunc(y);
  m0 = std::trunc(m0);
  if (y >= 0 && y <= 99) y += 1900;
  y += std::floor(m0 / 12);
  double month = m0 - std::floor(m0 / 12) * 12;
  if (std::fabs(y) > 400000) return std::nan("");
  double days = static_cast<double>(DaysFromCivil(static_cast<int64_t>(y),
                                                  static_cast<unsigned>(month) + 1, 1)) +
                std::trunc(d) - 1;
  return days * kMillisInADay + std::trunc(h) * 3600000 + std::trunc(mi) * 60000 +
         std::trunc(s) * 1000 + std::trunc(ms);
}

// The UTC fields of a time value (milliseconds since the epoch).
struct Civil {
  int64_t year;
  int month0;  // 0..11
  int day;     // 1..31
  int weekday;  // 0 = Sunday
  int hours, minutes, seconds, millis;
  double time;
  bool valid;  // false for JavaScript's Invalid Date (every field NaN)
};

Civil ToCivil(double t) {
  Civil c{};
  if (!(std::fabs(t) <= 8.64e15)) {
    c.time = std::nan("");
    return c;
  }
  c.valid = true;
  auto ms = static_cast<int64_t>(t);
  int64_t days = FloorDiv(ms, 86400000);
  int64_t rem = ms - days * 86400000;
  int64_t y;
  unsigned m;
  unsigned d;
  CivilFromDays(days, y, m, d);
  c.year = y;
  c.month0 = static_cast<int>(m) - 1;
  c.day = static_cast<int>(d);
  c.weekday = static_cast<int>(((days % 7) + 7 + 4) % 7);
  c.hours = static_cast<int>(rem / 3600000);
  c.minutes = static_cast<int>((rem / 60000) % 60);
  c.seconds = static_cast<int>((rem / 1000) % 60);
  c.millis = static_cast<int>(rem % 1000);
  c.time = static_cast<double>(ms);
  return c;
}

// ISO 8601: week 1 of a year (or, as XPath extends it, of a month) is the
// week holding its first Thursday; weeks start on Monday.
double StartOfFirstWeek(double year, double month0) {
  double first = DateUtc(year, month0);
  int day = ToCivil(first).weekday;
  if (day == 0) day = 7;
  return day > 4 ? first + (8 - day) * kMillisInADay : first - (day - 1) * kMillisInADay;
}

double DeltaWeeks(double start, double end) { return (end - start) / (kMillisInADay * 7) + 1; }

// A component's value: a number, a string ('P', 'C', 'E') or undefined.
struct Fragment {
  std::optional<double> number;
  std::optional<std::string> text;
};

Fragment DateTimeFragment(const Civil& c, char32_t component) {
  Fragment f;
  if (!c.valid) {
    if (component == U'P') {
      f.text = "am";
    } else if (component == U'C' || component == U'E') {
      f.text = "ISO";
    } else if (In("YMDdFWwXxHhmsf", component)) {
      f.number = std::nan("");
    }
    return f;
  }
  auto year = static_cast<double>(c.year);
  switch (component) {
    case U'Y': f.number = year; break;
    case U'M': f.number = c.month0 + 1; break;
    case U'D': f.number = c.day; break;
    case U'd': {
      double today = DateUtc(year, c.month0, c.day);
      f.number = (today - DateUtc(year, 0)) / kMillisInADay + 1;
      break;
    }
    case U'F': f.number = c.weekday == 0 ? 7 : c.weekday; break;
    case U'W': {
      double today = DateUtc(year, c.month0, c.day);
      double week = DeltaWeeks(StartOfFirstWeek(year, 0), today);
      if (week > 52) {
        if (today >= StartOfFirstWeek(year + 1, 0)) week = 1;
      } else if (week < 1) {
        week = DeltaWeeks(StartOfFirstWeek(year - 1, 0), today);
      }
      f.number = std::floor(week);
      break;
    }
    case U'w': {
      double today = DateUtc(year, c.month0, c.day);
      double week = DeltaWeeks(StartOfFirstWeek(year, c.month0), today);
      if (week > 4) {
        double next = c.month0 == 11 ? StartOfFirstWeek(year + 1, 0)
                                     : StartOfFirstWeek(year, c.month0 + 1);
        if (today >= next) week = 1;
      } else if (week < 1) {
        double prev = c.month0 == 0 ? StartOfFirstWeek(year - 1, 11)
                                    : StartOfFirstWeek(year, c.month0 - 1);
        week = DeltaWeeks(prev, today);
      }
      f.number = std::floor(week);
      break;
    }
    case U'X': {
      if (c.time < StartOfFirstWeek(year, 0)) {
        f.number = year - 1;
      } else if (c.time >= StartOfFirstWeek(year + 1, 0)) {
        f.number = year + 1;
      } else {
        f.number = year;
      }
      break;
    }
    case U'x': {
      int next_month = c.month0 == 11 ? 0 : c.month0 + 1;
      double next_year = c.month0 == 11 ? year + 1 : year;
      if (c.time < StartOfFirstWeek(year, c.month0)) {
        f.number = (c.month0 == 0 ? 11 : c.month0 - 1) + 1;
      } else if (c.time >= StartOfFirstWeek(next_year, next_month)) {
        f.number = next_month + 1;
      } else {
        f.number = c.month0 + 1;
      }
      break;
    }
    case U'H': f.number = c.hours; break;
    case U'h': f.number = c.hours % 12 == 0 ? 12 : c.hours % 12; break;
    case U'P': f.text = c.hours >= 12 ? "pm" : "am"; break;
    case U'm': f.number = c.minutes; break;
    case U's': f.number = c.seconds; break;
    case U'f': f.number = c.millis; break;
    case U'C':
    case U'E': f.text = "ISO"; break;
    default: break;
  }
  return f;
}

std::string ApplyCase(std::string s, Case c) {
  if (c == Case::kUpper) return Upper(s);
  if (c == Case::kLower) return Lower(s);
  return s;
}

std::string Truncate(const std::string& s, size_t max) {
  std::u32string cps = ToCodePoints(s);
  if (cps.size() > max) cps.resize(max);
  return FromCodePoints(cps);
}

absl::StatusOr<std::string> FormatComponent(const Civil& date, const DatePart& part,
                                            double offset_hours, double offset_minutes) {
  Fragment value = DateTimeFragment(date, part.component);
  if (In("YMDdFWwXxHhms", part.component)) {
    double v = value.number.value_or(0);
    if (part.component == U'Y' && part.n != -1) v = std::fmod(v, std::pow(10, part.n));
    if (part.names) {
      std::string name;
      if (part.component == U'M' || part.component == U'x') {
        int i = std::isnan(v) ? -1 : static_cast<int>(v) - 1;
        name = i >= 0 && i < 12 ? kMonths[i] : "undefined";
      } else if (part.component == U'F') {
        int i = std::isnan(v) ? -1 : static_cast<int>(v);
        name = i >= 0 && i < 8 ? kDays[i] : "undefined";
      } else {
        return JsonataError("D3133", -1, FromCodePoints(std::u32string(1, part.component)));
      }
      name = ApplyCase(name, *part.names);
      if (part.width_max && ToCodePoints(name).size() > static_cast<size_t>(*part.width_max)) {
        name = Truncate(name, static_cast<size_t>(*part.width_max));
      }
      return name;
    }
    if (!part.integer_format) return std::string("undefined");
    return FormatIntegerWith(v, *part.integer_format);
  }
  if (part.component == U'f') {
    if (!part.integer_format) return std::string("undefined");
    return FormatIntegerWith(value.number.value_or(0), *part.integer_format);
  }
  if (part.component == U'Z' || part.component == U'z') {
    const IntegerFormat& f = *part.integer_format;
    double offset = offset_hours * 100 + offset_minutes;
    std::string out;
    if (f.regular) {
      SW_ASSIGN_OR_RETURN(out, FormatIntegerWith(offset, f));
    } else if (f.mandatory_digits == 1 || f.mandatory_digits == 2) {
      SW_ASSIGN_OR_RETURN(out, FormatIntegerWith(offset_hours, f));
      if (offset_minutes != 0) {
        IntegerFormat two;
        two.mandatory_digits = 2;
        SW_ASSIGN_OR_RETURN(std::string minutes, FormatIntegerWith(offset_minutes, two));
        out += ":" + minutes;
      }
    } else if (f.mandatory_digits == 3 || f.mandatory_digits == 4) {
      SW_ASSIGN_OR_RETURN(out, FormatIntegerWith(offset, f));
    } else {
      return JsonataError("D3134", -1, std::to_string(f.mandatory_digits));
    }
    if (offset >= 0) out = "+" + out;
    if (part.component == U'z') out = "GMT" + out;
    if (offset == 0 && part.presentation2 == U't') out = "Z";
    return out;
  }
  if (part.component == U'P' && value.text && part.names == Case::kUpper) return Upper(*value.text);
  if (value.text) return *value.text;
  if (value.number) return FormatJsNumber(*value.number);
  return std::string("undefined");
}

const std::vector<DatePart>& Iso8601Spec() {
  static const auto* kSpec = new std::vector<DatePart>(
      *AnalyseDateTimePicture(U"[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"));
  return *kSpec;
}

std::string EscapeRegex(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::strchr(".*+?^${}()|[]\\", c) != nullptr && c != 0) out += '\\';
    out += c;
  }
  return out;
}

// How one part of a parsed timestamp becomes a component value.
struct Matcher {
  std::string regex;
  char32_t component = 0;
  enum class Kind { kNone, kInteger, kTimezone, kLookup } kind = Kind::kNone;
  const DatePart* part = nullptr;
  std::optional<Separator> separator;         // timezone "hh:mm"
  std::map<std::string, double> lookup;       // names
};

absl::StatusOr<double> ParseTimezone(const Matcher& m, std::string value) {
  if (m.component == U'z') value = value.substr(3);
  double hours = 0;
  double minutes = 0;
  if (m.separator) {
    std::string sep = FromCodePoints(std::u32string(1, m.separator->character));
    size_t at = value.find(sep);
    hours = JsParseInt(value.substr(0, at));
    minutes = JsParseInt(at == std::string::npos ? value : value.substr(at + sep.size()));
  } else if (value.size() - 1 <= 2) {
    hours = JsParseInt(value);
  } else {
    hours = JsParseInt(value.substr(0, 3));
    minutes = JsParseInt(value.substr(3));
  }
  return hours * 60 + minutes;
}

}  // namespace

absl::StatusOr<std::string> FormatDateTime(double millis, const std::optional<std::string>& picture,
                                           const std::optional<std::string>& timezone) {
  double offset_hours = 0;
  double offset_minutes = 0;
  if (timezone) {
    double offset = JsParseInt(*timezone);
    if (std::isnan(offset)) offset = 0;
    offset_hours = std::floor(offset / 100);
    offset_minutes = std::fmod(offset, 100);
  }
  std::vector<DatePart> analysed;
  const std::vector<DatePart>* spec = &Iso8601Spec();
  if (picture) {
    SW_ASSIGN_OR_RETURN(analysed, AnalyseDateTimePicture(ToCodePoints(*picture)));
    spec = &analysed;
  }
  // Out of JavaScript's Date range, the reference formats NaN fields.
  double t = std::trunc(millis + (60 * offset_hours + offset_minutes) * 60 * 1000);
  Civil date = ToCivil(t);
  std::string result;
  for (const auto& part : *spec) {
    if (part.literal) {
      result += part.text;
    } else {
      SW_ASSIGN_OR_RETURN(std::string s, FormatComponent(date, part, offset_hours, offset_minutes));
      result += s;
    }
  }
  return result;
}

absl::StatusOr<std::optional<double>> ParseDateTime(const std::string& timestamp,
                                                    const std::optional<std::string>& picture,
                                                    double now_millis) {
  if (!picture) {
    static const boost::regex kCheck(
        "^\\d{4}(-[01]\\d)*(-[0-3]\\d)*(T[0-2]\\d:[0-5]\\d:[0-5]\\d)*(\\.\\d+)?"
        "([+-][0-2]\\d:?[0-5]\\d|Z)?$");
    static const boost::regex kIso(
        "^(\\d{4})(?:-(\\d{2})(?:-(\\d{2})(?:T(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?"
        "(Z|[+-]\\d{2}:?\\d{2})?)?)?)?$");
    boost::smatch m;
    if (!boost::regex_match(timestamp, kCheck)) return JsonataError("D3110", -1, "", timestamp);
    // Shapes the check admits but Date.parse rejects are NaN in the reference.
    if (!boost::regex_match(timestamp, m, kIso)) return std::optional<double>(std::nan(""));
    auto num = [&](int i, int def) { return m[i].matched ? std::stoi(m[i].str()) : def; };
    int month = num(2, 1);
    int day = num(3, 1);
    if (month < 1 || month > 12 || day < 1 || day > 31 || num(4, 0) > 24 || num(5, 0) > 59 ||
        num(6, 0) > 59) {
      return std::optional<double>(std::nan(""));
    }
    double ms = static_cast<double>(
        DaysFromCivil(num(1, 1970), static_cast<unsigned>(month), static_cast<unsigned>(day)));
    ms = ms * kMillisInADay + num(4, 0) * 3600000.0 + num(5, 0) * 60000.0 + num(6, 0) * 1000.0;
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
      ms -= sign * offset * 60000.0;
    }
    return std::optional<double>(ms);
  }

  SW_ASSIGN_OR_RETURN(std::vector<DatePart> spec, AnalyseDateTimePicture(ToCodePoints(*picture)));
  std::vector<Matcher> matchers;
  std::string full = "^";
  for (const auto& part : spec) {
    Matcher m;
    m.part = &part;
    m.component = part.component;
    if (part.literal) {
      m.regex = EscapeRegex(part.text);
    } else if (part.component == U'Z' || part.component == U'z') {
      m.kind = Matcher::Kind::kTimezone;
      if (part.integer_format->regular) {
        m.separator = Separator{part.integer_format->regular_position,
                                part.integer_format->regular_char};
      }
      m.regex = part.component == U'z' ? "GMT" : "";
      m.regex += "[-+][0-9]+";
      if (m.separator) m.regex += FromCodePoints(std::u32string(1, m.separator->character)) + "[0-9]+";
    } else if (part.integer_format) {
      m.kind = Matcher::Kind::kInteger;
      SW_ASSIGN_OR_RETURN(m.regex, IntegerRegex(*part.integer_format));
    } else {
      m.kind = Matcher::Kind::kLookup;
      m.regex = "[a-zA-Z]+";
      auto key = [&part](const std::string& name) {
        return part.width_max && *part.width_max > 0 ? Truncate(name, static_cast<size_t>(*part.width_max))
                                                     : name;
      };
      if (part.component == U'M' || part.component == U'x') {
        for (int i = 0; i < 12; ++i) m.lookup.emplace(key(kMonths[i]), i + 1);
      } else if (part.component == U'F') {
        for (int i = 1; i < 8; ++i) m.lookup.emplace(key(kDays[i]), i);
      } else if (part.component == U'P') {
        m.lookup = {{"am", 0}, {"AM", 0}, {"pm", 1}, {"PM", 1}};
      } else {
        return JsonataError("D3133", -1, FromCodePoints(std::u32string(1, part.component)));
      }
    }
    full += "(" + m.regex + ")";
    matchers.push_back(std::move(m));
  }
  full += "$";
  boost::regex re;
  try {
    re.assign(full, boost::regex::perl | boost::regex::icase);
  } catch (const std::exception&) {
    return JsonataError("D3135", -1, "", "the picture does not make a valid pattern");
  }
  boost::smatch info;
  bool matched = false;
  try {
    matched = boost::regex_match(timestamp, info, re);
  } catch (const std::exception&) {
    return JsonataError("D3110", -1, "", "the timestamp is too complex to match the picture");
  }
  if (!matched) return std::optional<double>();

  // Component values by letter; present-but-undefined counts as given for
  // the "nothing specified" check only, as in the reference.
  std::map<char32_t, std::optional<double>> components;
  for (size_t i = 0; i < matchers.size(); ++i) {
    const Matcher& m = matchers[i];
    std::string text = info[static_cast<int>(i) + 1].str();
    switch (m.kind) {
      case Matcher::Kind::kNone:
        break;
      case Matcher::Kind::kInteger: {
        SW_ASSIGN_OR_RETURN(double v, ParseIntegerText(*m.part->integer_format, text));
        components[m.component] = v;
        break;
      }
      case Matcher::Kind::kTimezone: {
        SW_ASSIGN_OR_RETURN(double v, ParseTimezone(m, text));
        components[m.component] = v;
        break;
      }
      case Matcher::Kind::kLookup: {
        auto it = m.lookup.find(text);
        components[m.component] =
            it == m.lookup.end() ? std::nullopt : std::optional<double>(it->second);
        break;
      }
    }
  }
  if (components.empty()) return std::optional<double>();
  auto get = [&components](char32_t c) -> std::optional<double> {
    auto it = components.find(c);
    return it == components.end() ? std::nullopt : it->second;
  };
  auto truthy = [&get](char32_t c) {
    auto v = get(c);
    return v && *v != 0 && !std::isnan(*v);
  };
  auto mask_of = [&truthy](const char* letters) {
    int mask = 0;
    for (const char* p = letters; *p != 0; ++p) mask = (mask << 1) + (truthy(static_cast<char32_t>(*p)) ? 1 : 0);
    return mask;
  };
  auto is_type = [](int type, int mask) { return (~type & mask) == 0 && (type & mask) != 0; };
  int date_mask = mask_of("YXMxWwdD");
  bool date_a = is_type(161, date_mask);
  bool date_b = !date_a && is_type(130, date_mask);
  bool date_c = is_type(84, date_mask);
  bool date_d = !date_c && is_type(72, date_mask);
  int time_mask = mask_of("PHhmsf");
  bool time_a = is_type(23, time_mask);
  bool time_b = !time_a && is_type(47, time_mask);
  // As the reference: the day-of-year combination walks Y then D.
  std::string comps = std::string(date_b ? "YD" : date_c ? "XxwF" : date_d ? "XWF" : "YMD") +
                      (time_b ? "Phmsf" : "Hmsf");
  Civil now = ToCivil(std::trunc(now_millis));
  bool start_specified = false;
  bool end_specified = false;
  for (char ch : comps) {
    auto c = static_cast<char32_t>(ch);
    if (!get(c)) {
      if (start_specified) {
        components[c] = In("MDd", c) ? 1 : 0;
        end_specified = true;
      } else {
        Fragment f = DateTimeFragment(now, c);
        // 'P' defaults to "am"/"pm" text, which is never the pm value 1.
        components[c] = f.number ? *f.number : -1;
      }
    } else {
      start_specified = true;
      if (end_specified) return JsonataError("D3136");
    }
  }
  auto val = [&get](char32_t c) { return get(c).value_or(std::nan("")); };
  double month0 = get(U'M') && *get(U'M') > 0 ? *get(U'M') - 1 : 0;
  double day = val(U'D');
  if (date_b) {
    double derived = DateUtc(val(U'Y'), 0) + (val(U'd') - 1) * kMillisInADay;
    if (std::isnan(derived) || std::fabs(derived) > 8.64e15) return std::optional<double>();
    Civil c = ToCivil(derived);
    month0 = c.month0;
    day = c.day;
  }
  if (date_c || date_d) return JsonataError("D3136");
  double hours = val(U'H');
  if (time_b) {
    hours = val(U'h') == 12 ? 0 : val(U'h');
    if (get(U'P') && *get(U'P') == 1) hours += 12;
  }
  double millis = DateUtc(val(U'Y'), month0, day, hours, val(U'm'), val(U's'), val(U'f'));
  double zone = truthy(U'Z') ? val(U'Z') : truthy(U'z') ? val(U'z') : 0;
  millis -= zone * 60 * 1000;
  if (std::isnan(millis) || std::fabs(millis) > 8.64e15) return std::optional<double>();
  return std::optional<double>(millis);
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
  if (std::isnan(v)) return "NaN";
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
