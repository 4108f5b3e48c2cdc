// The batch operation actions on the AWS JSON endpoint (see
// aws_json_batch.h). Any pool thread.
#include "server/aws_json_batch.h"

#include <array>
#include <optional>
#include <string>
#include <utility>

#include "common/json.h"
#include "server/aws_json_members.h"

namespace stepwise::server {

namespace {

json::object BatchJson(const engine::BatchOperation& op) {
  json::object o;
  o["batchOperationId"] = op.id;
  o["operation"] = op.operation;
  if (!op.query.empty()) o["query"] = op.query;
  if (!op.state_machine_arn.empty()) o["stateMachineArn"] = op.state_machine_arn;
  o["statusFilter"] = op.status_filter;
  o["status"] = op.status;
  if (!op.status_reason.empty()) o["statusReason"] = op.status_reason;
  o["selectedCount"] = op.selected;
  o["processedCount"] = op.processed();
  o["succeededCount"] = op.succeeded;
  o["skippedCount"] = op.skipped;
  o["failedCount"] = op.failed;
  o["startDate"] = AwsSeconds(op.start_date);
  if (op.stop_date != 0) o["stopDate"] = AwsSeconds(op.stop_date);
  json::array failures;
  for (const engine::BatchFailure& f : op.failures) {
    failures.push_back(json::object{
        {"executionArn", f.execution_arn}, {"error", f.error}, {"cause", f.cause}});
  }
  o["failures"] = std::move(failures);
  return o;
}

absl::StatusOr<AwsActionResult> Start(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::optional<std::string> operation = m.Str("operation");
  if (m.status().ok() && !operation.has_value()) m.Fail(AwsMissingMember("operation"));
  std::optional<std::string> machine = m.Str("stateMachineArn");
  std::optional<std::string> status = m.Str("statusFilter");
  std::optional<std::string> query = m.Str("query");
  std::optional<std::string> error = m.Str("error");
  std::optional<std::string> cause = m.Str("cause");
  std::optional<std::string> token = m.Str("clientToken");
  if (!m.status().ok()) return m.status();
  if (token.has_value() && token->empty()) {
    return AwsConstraintError("''", "clientToken", "Member must have length between 1 and 64");
  }
  auto op = e->StartBatchOperation({*operation, machine.value_or(""), status.value_or(""),
                                    query.value_or(""), error.value_or(""), cause.value_or(""),
                                    token.value_or("")});
  if (!op.ok()) return op.status();
  return AwsActionResult(
      AwsBody(json::object{{"batchOperationId", op->id}, {"startDate", AwsSeconds(op->start_date)}}),
      op->id);
}

absl::StatusOr<AwsActionResult> Describe(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string id = m.Need("batchOperationId");
  if (!m.status().ok()) return m.status();
  auto op = e->DescribeBatchOperation(id);
  if (!op.ok()) return op.status();
  return AwsBody(BatchJson(*op));
}

absl::StatusOr<AwsActionResult> List(engine::Engine* e, const json::object& /*req*/) {
  auto all = e->ListBatchOperations();
  if (!all.ok()) return all.status();
  json::array items;
  for (const engine::BatchOperation& op : *all) items.push_back(BatchJson(op));
  return AwsBody(json::object{{"batchOperations", std::move(items)}});
}

absl::StatusOr<AwsActionResult> Cancel(engine::Engine* e, const json::object& req) {
  Members m(req);
  std::string id = m.Need("batchOperationId");
  if (!m.status().ok()) return m.status();
  absl::Status s = e->CancelBatchOperation(id);
  if (!s.ok()) return s;
  return AwsBody(json::object{});
}

}  // namespace

AwsAction FindBatchAwsAction(std::string_view action) {
  static const std::array<std::pair<std::string_view, AwsAction>, 4> kActions = {{
      {"StartBatchOperation", &Blocking<&Start>},
      {"DescribeBatchOperation", &Blocking<&Describe>},
      {"ListBatchOperations", &Blocking<&List>},
      {"CancelBatchOperation", &Blocking<&Cancel>},
  }};
  for (const auto& [name, fn] : kActions) {
    if (name == action) return fn;
  }
  return nullptr;
}

}  // namespace stepwise::server
