// The last closed Express executions the express log writer saw, for the
// web console: a bounded ring (oldest dropped first) of each execution's
// description and the log lines written for it (none when its machine's
// level is OFF). Thread-safe: the writer thread adds, console threads read.
#ifndef SW_SERVER_EXPRESS_LOG_RECENT_EXPRESS_EXECUTIONS_H_
#define SW_SERVER_EXPRESS_LOG_RECENT_EXPRESS_EXECUTIONS_H_

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/api_types.h"

namespace stepwise::server::express_log {

struct RecentExpressExecution {
  engine::ExecutionDescription execution;
  std::string logging_level;            // the machine's level when it closed
  std::vector<std::string> log_lines;   // CloudWatch Logs lines, as written
};

class RecentExpressExecutions {
 public:
  explicit RecentExpressExecutions(size_t capacity) : capacity_(capacity) {}

  void Add(RecentExpressExecution e);
  // Newest first; only those of `machine_arn` unless it is empty.
  std::vector<RecentExpressExecution> List(const std::string& machine_arn) const;
  // The one with `execution_arn`, if still kept.
  std::optional<RecentExpressExecution> Find(const std::string& execution_arn) const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<RecentExpressExecution> ring_;  // oldest first; guarded by mu_
};

}  // namespace stepwise::server::express_log

#endif  // SW_SERVER_EXPRESS_LOG_RECENT_EXPRESS_EXECUTIONS_H_
