// `stepwise batch ...` (see batch_cmd.h). Main thread.
#include "cli/batch_cmd.h"

#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli/cli_format.h"
#include "cli/cli_remote.h"
#include "cli/resolve_names.h"
#include "common/json.h"

namespace stepwise::client {

namespace {

json::object BatchJson(const v1::BatchOperation& op) {
  json::object o;
  o["batchOperationId"] = op.batch_operation_id();
  o["operation"] = op.operation();
  if (!op.query().empty()) o["query"] = op.query();
  if (!op.state_machine_arn().empty()) o["stateMachineArn"] = op.state_machine_arn();
  o["statusFilter"] = op.status_filter();
  o["status"] = op.status();
  if (!op.status_reason().empty()) o["statusReason"] = op.status_reason();
  o["selectedCount"] = op.selected_count();
  o["processedCount"] = op.processed_count();
  o["succeededCount"] = op.succeeded_count();
  o["skippedCount"] = op.skipped_count();
  o["failedCount"] = op.failed_count();
  o["startDate"] = FormatTimestamp(op.start_date());
  if (op.has_stop_date()) o["stopDate"] = FormatTimestamp(op.stop_date());
  json::array failures;
  for (const auto& f : op.failures()) {
    failures.push_back(json::object{
        {"executionArn", f.execution_arn()}, {"error", f.error()}, {"cause", f.cause()}});
  }
  o["failures"] = std::move(failures);
  return o;
}

std::vector<std::string> Row(const v1::BatchOperation& op) {
  return {op.batch_operation_id(),
          op.operation(),
          op.status(),
          std::to_string(op.processed_count()) + "/" + std::to_string(op.selected_count()),
          std::to_string(op.succeeded_count()),
          std::to_string(op.skipped_count()),
          std::to_string(op.failed_count()),
          FormatTimestamp(op.start_date())};
}

const std::vector<std::string>& Headers() {
  static const auto* h = new std::vector<std::string>{
      "ID", "OPERATION", "STATUS", "PROCESSED", "SUCCEEDED", "SKIPPED", "FAILED", "STARTED"};
  return *h;
}

int Print(const RemoteArgs& a, const v1::BatchOperation& op) {
  if (a.Has("json")) {
    std::cout << PrettyJson(BatchJson(op));
  } else {
    std::cout << FormatTable(Headers(), {Row(op)});
    for (const auto& f : op.failures()) {
      std::cout << "failed " << f.execution_arn() << ": " << f.error() << ": " << f.cause()
                << "\n";
    }
    if (!op.status_reason().empty()) std::cout << op.status_reason() << "\n";
  }
  return kExitOk;
}

int Start(const RemoteArgs& a, Client& c) {
  v1::StartBatchOperationRequest req;
  req.set_operation(a.command == "batch stop" ? "STOP" : "REDRIVE");
  if (!a.positional.empty()) {
    auto arn = ResolveStateMachine(c, a.positional[0]);
    if (!arn.ok()) return CallFailed(arn.status());
    req.set_state_machine_arn(*arn);
  }
  req.set_status_filter(a.Get("status"));
  req.set_query(a.Get("where"));
  req.set_error(a.Get("error"));
  req.set_cause(a.Get("cause"));
  req.set_client_token(a.Get("client-token"));
  auto started = c.StartBatchOperation(req);
  if (!started.ok()) return CallFailed(started.status());
  if (!a.Has("wait")) {
    if (a.Has("json")) {
      std::cout << PrettyJson(json::object{
          {"batchOperationId", started->batch_operation_id()},
          {"startDate", FormatTimestamp(started->start_date())}});
    } else {
      std::cout << started->batch_operation_id() << "\n";
    }
    return kExitOk;
  }
  v1::DescribeBatchOperationRequest d;
  d.set_batch_operation_id(started->batch_operation_id());
  while (true) {
    auto op = c.DescribeBatchOperation(d);
    if (!op.ok()) return CallFailed(op.status());
    if (op->status() != "RUNNING") {
      Print(a, *op);
      return op->status() == "SUCCEEDED" ? kExitOk : kExitCallFailed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

int BatchCommand(const RemoteArgs& a, Client& c) {
  const std::string& cmd = a.command;
  if (cmd == "batch stop" || cmd == "batch redrive") return Start(a, c);
  if (cmd == "batch list") {
    auto all = c.ListBatchOperations(v1::ListBatchOperationsRequest());
    if (!all.ok()) return CallFailed(all.status());
    if (a.Has("json")) {
      json::array items;
      for (const auto& op : all->batch_operations()) items.push_back(BatchJson(op));
      std::cout << PrettyJson(json::object{{"batchOperations", std::move(items)}});
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& op : all->batch_operations()) rows.push_back(Row(op));
    std::cout << FormatTable(Headers(), rows);
    return kExitOk;
  }
  if (cmd == "batch describe") {
    v1::DescribeBatchOperationRequest req;
    req.set_batch_operation_id(a.positional[0]);
    auto op = c.DescribeBatchOperation(req);
    if (!op.ok()) return CallFailed(op.status());
    return Print(a, *op);
  }
  v1::CancelBatchOperationRequest req;
  req.set_batch_operation_id(a.positional[0]);
  if (absl::Status s = c.CancelBatchOperation(req); !s.ok()) return CallFailed(s);
  std::cout << "cancelled " << a.positional[0] << "\n";
  return kExitOk;
}

}  // namespace stepwise::client
