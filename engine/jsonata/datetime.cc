#include "engine/jsonata/datetime.h"

#include <cmath>
#include <cstdio>

#include "boost/regex.hpp"
#include "engine/jsonata/ast.h"

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
      "^(\\d{4})(?:-(\\d{2})(?:-(\\d{2})(?:[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d+))?)?"
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

absl::StatusOr<std::string> FormatNumberPicture(double, const std::string&, const json::value&) {
  return JsonataError("D3080", -1, "", "$formatNumber is not supported yet");
}

absl::StatusOr<std::string> FormatIntegerPicture(double, const std::string&) {
  return JsonataError("D3130", -1, "", "$formatInteger is not supported yet");
}

absl::StatusOr<std::optional<double>> ParseIntegerPicture(const std::string&, const std::string&) {
  return JsonataError("D3130", -1, "", "$parseInteger is not supported yet");
}

}  // namespace stepwise::jsonata::internal
