// Stepwise.RestartExecution (see aws_json_restart.h). Any pool thread.
#include "server/aws_json_restart.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "engine/engine.h"
#include "server/aws_json_members.h"

namespace stepwise::server {

namespace {

absl::StatusOr<AwsActionResult> Restart(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string arn = m.Need("executionArn");
  std::string state = m.Need("stateName");
  std::optional<int64_t> event_id = m.Int("eventId");
  std::optional<std::string> input = m.Str("input");
  std::optional<std::string> name = m.Str("name");
  if (!m.status().ok()) return m.status();
  if (arn.empty() || arn.size() > 2048) {
    return AwsConstraintError(absl::StrCat("'", arn.substr(0, 64), "'"), "executionArn",
                              "Member must have length between 1 and 2048");
  }
  if (state.empty() || state.size() > 80) {
    return AwsConstraintError(absl::StrCat("'", state.substr(0, 64), "'"), "stateName",
                              "Member must have length between 1 and 80");
  }
  if (event_id.has_value() && *event_id < 0) {
    return AwsConstraintError(absl::StrCat("'", *event_id, "'"), "eventId",
                              "Member must have value greater than or equal to 0");
  }
  absl::StatusOr<engine::StartExecutionResult> r =
      e->RestartExecution(arn, state, event_id.value_or(0), input, name.value_or(""));
  if (!r.ok()) return r.status();
  return AwsActionResult(AwsBody(json::object{{"executionArn", r->execution_arn},
                                              {"startDate", AwsSeconds(r->start_date)}}),
                         r->execution_arn);
}

}  // namespace

AwsAction FindRestartAwsAction(std::string_view action) {
  if (action == "RestartExecution") return &Blocking<&Restart>;
  return nullptr;
}

}  // namespace stepwise::server
