// Where an Express execution's log lines go on disk: one JSON-lines file per
// CloudWatch Logs log group, DIR/<log group name>.jsonl, the name taken from
// the log group ARN (arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*) with every
// character other than [A-Za-z0-9._-] replaced by '_' (so
// "/aws/vendedlogs/states/orders" is "_aws_vendedlogs_states_orders.jsonl").
// LogGroupFiles appends lines to those files, keeping them open, and
// reopens a file that was moved away or deleted (log rotation). Not
// thread-safe: one writer thread owns it.
#ifndef SW_SERVER_EXPRESS_LOG_LOG_GROUP_FILES_H_
#define SW_SERVER_EXPRESS_LOG_LOG_GROUP_FILES_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace stepwise::server::express_log {

// The file name (no directory) of the log group `log_group_arn`; "" when it
// is not a log group ARN.
std::string LogGroupFileName(std::string_view log_group_arn);

class LogGroupFiles {
 public:
  // `dir` must exist (stepwised creates it at start-up).
  explicit LogGroupFiles(std::string dir);
  ~LogGroupFiles();

  LogGroupFiles(const LogGroupFiles&) = delete;
  LogGroupFiles& operator=(const LogGroupFiles&) = delete;

  // Appends each line and a newline to the file of `log_group_arn` (created
  // 0640 when missing). Errors name the file.
  absl::Status Append(std::string_view log_group_arn, const std::vector<std::string>& lines);

 private:
  struct Open {
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
  };
  // The open file at `path`, reopened if the path now names another file.
  absl::StatusOr<int> FileFor(const std::string& path);

  const std::string dir_;
  std::map<std::string, Open> open_;  // by path
};

}  // namespace stepwise::server::express_log

#endif  // SW_SERVER_EXPRESS_LOG_LOG_GROUP_FILES_H_
