// Redrive eligibility (see redrive.h). Pure functions; any thread.
#include "engine/redrive.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace stepwise::engine {

RedriveCheck CheckRedrive(const ExecutionStateSummary& st, TimeMs stop_date, TimeMs now,
                          int max_events) {
  if (st.express) return {};
  auto no = [](std::string reason) { return RedriveCheck{"NOT_REDRIVABLE", std::move(reason)}; };
  if (st.status == ExecutionStatus::kRunning || st.status == ExecutionStatus::kSucceeded) {
    return no(absl::StrCat("Execution is ", ToAbsl(ExecutionStatusName(st.status)),
                           " and cannot be redriven."));
  }
  if (stop_date != 0 && now - stop_date > kRedriveWindowMs) {
    return no("Execution redrivable period exceeded.");
  }
  if (st.start_time != 0 && now - st.start_time > kMaxExecutionTimeMs) {
    return no("Execution has exceeded the max execution time.");
  }
  if (st.last_event_id >= max_events - 1) return no("Execution history event limit exceeded.");
  // Closed by a build that kept no redrive point (AWS's words for executions
  // older than RedriveExecution itself).
  if (!st.redrive_point) return no("Execution was started before the launch of RedriveExecution.");
  return {"REDRIVABLE", ""};
}

}  // namespace stepwise::engine
