// Conversions between std::string_view and Debian's absl::string_view,
// which are distinct types in this abseil build. Header-only, thread-safe.
#ifndef SW_COMMON_STRINGS_H_
#define SW_COMMON_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace stepwise {

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace stepwise

#endif  // SW_COMMON_STRINGS_H_
