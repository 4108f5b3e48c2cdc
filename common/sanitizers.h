// Which sanitizer this build runs under, for the few wall-clock budgets that
// guard against runaway work (e.g. the JSONata evaluation time limit): an
// instrumented build runs the same work several times slower, so such a
// budget is multiplied by kSanitizerSlowdown instead of tests loosening
// their expectations. 1 in normal builds. Compile-time constants;
// thread-safe.
#ifndef SW_COMMON_SANITIZERS_H_
#define SW_COMMON_SANITIZERS_H_

namespace stepwise {

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SW_THREAD_SANITIZER 1
#endif
#if __has_feature(address_sanitizer)
#define SW_ADDRESS_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define SW_THREAD_SANITIZER 1
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SW_ADDRESS_SANITIZER 1
#endif

#if defined(SW_THREAD_SANITIZER)
// ThreadSanitizer: 5-15x slower (its documentation); with 10, the JSONata
// reference suite's 1 s cases (flattening/large, performance/*) pass.
inline constexpr int kSanitizerSlowdown = 10;
#elif defined(SW_ADDRESS_SANITIZER)
// AddressSanitizer (with UBSan in the asan preset): about 2-3x.
inline constexpr int kSanitizerSlowdown = 3;
#else
inline constexpr int kSanitizerSlowdown = 1;
#endif

}  // namespace stepwise

#endif  // SW_COMMON_SANITIZERS_H_
