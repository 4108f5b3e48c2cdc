// The console's recent Express executions (see express_executions_json.h).
// Console pool threads.
#include "server/console/express_executions_json.h"

#include <optional>
#include <utility>
#include <vector>

#include "engine/service_error.h"

namespace stepwise::server::console {

namespace {

json::object Summary(const express_log::RecentExpressExecution& r) {
  const engine::ExecutionDescription& d = r.execution;
  json::object o;
  o["executionArn"] = d.execution_arn;
  o["stateMachineArn"] = d.state_machine_arn;
  o["name"] = d.name;
  o["status"] = d.status;
  o["startDate"] = d.start_date;
  o["stopDate"] = d.stop_date;
  if (d.error.has_value()) o["error"] = *d.error;
  if (d.cause.has_value()) o["cause"] = *d.cause;
  o["loggingLevel"] = r.logging_level;
  o["loggedEvents"] = static_cast<int64_t>(r.log_lines.size());
  return o;
}

}  // namespace

absl::StatusOr<json::value> ExpressExecutionsJson(
    const express_log::RecentExpressExecutions* recent, const std::string& machine,
    const std::string& arn) {
  if (!arn.empty()) {
    std::optional<express_log::RecentExpressExecution> r;
    if (recent != nullptr) r = recent->Find(arn);
    if (!r.has_value()) {
      return engine::ServiceError("ResourceNotFound",
                                  "Express execution '" + arn +
                                      "' is not among the recent ones kept in memory");
    }
    json::object o = Summary(*r);
    json::array events;
    for (const std::string& line : r->log_lines) {
      auto v = ParseJson(line);
      if (v.ok()) events.push_back(*std::move(v));
    }
    o["events"] = std::move(events);
    return o;
  }
  json::array list;
  if (recent != nullptr) {
    for (const express_log::RecentExpressExecution& r : recent->List(machine)) {
      list.push_back(Summary(r));
    }
  }
  return json::object{{"executions", std::move(list)}};
}

}  // namespace stepwise::server::console
