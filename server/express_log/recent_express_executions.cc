// The bounded ring of recent Express executions (see
// recent_express_executions.h). Any thread.
#include "server/express_log/recent_express_executions.h"

#include <utility>

namespace stepwise::server::express_log {

void RecentExpressExecutions::Add(RecentExpressExecution e) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> l(mu_);
  if (ring_.size() >= capacity_) ring_.pop_front();
  ring_.push_back(std::move(e));
}

std::vector<RecentExpressExecution> RecentExpressExecutions::List(
    const std::string& machine_arn) const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<RecentExpressExecution> out;
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) {
    if (machine_arn.empty() || it->execution.state_machine_arn == machine_arn) {
      out.push_back(*it);
    }
  }
  return out;
}

std::optional<RecentExpressExecution> RecentExpressExecutions::Find(
    const std::string& execution_arn) const {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) {
    if (it->execution.execution_arn == execution_arn) return *it;
  }
  return std::nullopt;
}

}  // namespace stepwise::server::express_log
