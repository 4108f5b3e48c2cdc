// Cat: string concatenation that accepts std::string_view (Debian's abseil
// StrCat takes only absl::string_view, which is a distinct type there).
// Header-only; thread-safe.
#ifndef SW_TESTS_CONFORMANCE_CAT_H_
#define SW_TESTS_CONFORMANCE_CAT_H_

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace stepwise::conformance {

inline void AppendPiece(std::string& out, std::string_view s) { out.append(s); }
inline void AppendPiece(std::string& out, const char* s) { out.append(s); }
#ifndef ABSL_USES_STD_STRING_VIEW
inline void AppendPiece(std::string& out, absl::string_view s) {
  out.append(s.data(), s.size());
}
#endif
inline void AppendPiece(std::string& out, const std::string& s) { out.append(s); }
template <typename T,
          typename = std::enable_if_t<std::is_arithmetic_v<T> &&
                                      !std::is_same_v<T, bool> &&
                                      !std::is_same_v<T, char>>>
void AppendPiece(std::string& out, T v) {
  out.append(std::to_string(v));
}

// Returns the concatenation of `args` (strings, string views, numbers).
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  (AppendPiece(out, args), ...);
  return out;
}

}  // namespace stepwise::conformance

#endif  // SW_TESTS_CONFORMANCE_CAT_H_
