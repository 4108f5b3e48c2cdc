// Date/time and number pictures of the JSONata library: $fromMillis,
// $toMillis, $now, $formatNumber, $formatInteger, $parseInteger (XPath F&O
// 3.1 picture strings as the reference implements them). Internal to
// jsonata; thread-safe (pure functions).
#ifndef SW_ENGINE_JSONATA_DATETIME_H_
#define SW_ENGINE_JSONATA_DATETIME_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace stepwise::jsonata::internal {

// Formats `millis` since the epoch with an XPath date/time picture
// ("[Y0001]-[M01]-[D01]"); without one, as ISO 8601 ("2017-10-30T12:00:00.000Z").
// `timezone` is "±HHMM" (UTC when absent). Returns the reference's D313x
// errors for a bad picture.
absl::StatusOr<std::string> FormatDateTime(double millis, const std::optional<std::string>& picture,
                                           const std::optional<std::string>& timezone);

// Parses a timestamp (ISO 8601 without a picture; D3110 when it is not).
// Returns std::nullopt when it does not match the picture; components the
// picture leaves out before the first given one come from `now_millis`
// (the evaluation's $now()), later ones default to their minimum.
absl::StatusOr<std::optional<double>> ParseDateTime(const std::string& timestamp,
                                                    const std::optional<std::string>& picture,
                                                    double now_millis);

// $formatNumber with a decimal-format `options` object (or null).
absl::StatusOr<std::string> FormatNumberPicture(double value, const std::string& picture,
                                                const json::value& options);

// $formatInteger / $parseInteger.
absl::StatusOr<std::string> FormatIntegerPicture(double value, const std::string& picture);
absl::StatusOr<std::optional<double>> ParseIntegerPicture(const std::string& value,
                                                          const std::string& picture);

}  // namespace stepwise::jsonata::internal

#endif  // SW_ENGINE_JSONATA_DATETIME_H_
