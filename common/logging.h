// Logging setup (spdlog). InitLogging is called once by each binary's main;
// the spdlog default logger is thread-safe afterwards.
#ifndef SW_COMMON_LOGGING_H_
#define SW_COMMON_LOGGING_H_

#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

namespace stepwise {

// Configures the default logger to write to stderr at `level` ("debug",
// "info", "warn", "error"); unknown levels mean "info".
void InitLogging(absl::string_view level);

}  // namespace stepwise

#endif  // SW_COMMON_LOGGING_H_
