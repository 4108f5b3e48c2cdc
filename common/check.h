// SW_CHECK: aborts with a log line when an internal invariant is broken, in
// every build type. Never use it on user input. Thread-safe.
#ifndef SW_COMMON_CHECK_H_
#define SW_COMMON_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define SW_CHECK(cond)                                                   \
  do {                                                                   \
    if (!(cond)) {                                                       \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                               \
      std::abort();                                                      \
    }                                                                    \
  } while (0)

#endif  // SW_COMMON_CHECK_H_
