// The batch operation record's codec and the checks of a new job's request
// (see batch_operation.h). Pure functions; any thread.
#include "engine/batch/batch_operation.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "engine/service_error.h"
#include "storage/keys.h"

namespace stepwise::engine {

namespace {

constexpr const char* kStatuses[] = {"RUNNING", "SUCCEEDED", "FAILED",
                                     "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"};

std::string Str(const json::object& o, const char* k) {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

int64_t Int(const json::object& o, const char* k) {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_int64() ? v->get_int64() : 0;
}

absl::Status Invalid(std::string_view message) {
  return ServiceError("ValidationException", message);
}

}  // namespace

std::string EncodeBatchOperation(const BatchOperation& op) {
  json::object o;
  o["id"] = op.id;
  o["operation"] = op.operation;
  o["stateMachineArn"] = op.state_machine_arn;
  o["statusFilter"] = op.status_filter;
  o["query"] = op.query;
  o["error"] = op.error;
  o["cause"] = op.cause;
  o["clientToken"] = op.client_token;
  o["status"] = op.status;
  o["statusReason"] = op.status_reason;
  o["startDate"] = op.start_date;
  o["stopDate"] = op.stop_date;
  o["selected"] = op.selected;
  o["succeeded"] = op.succeeded;
  o["skipped"] = op.skipped;
  o["failed"] = op.failed;
  json::array failures;
  for (const BatchFailure& f : op.failures) {
    failures.push_back(json::object{
        {"executionArn", f.execution_arn}, {"error", f.error}, {"cause", f.cause}});
  }
  o["failures"] = std::move(failures);
  o["cursor"] = op.cursor;
  o["selectionDone"] = op.selection_done;
  json::array pending;
  for (const std::string& arn : op.pending) pending.push_back(json::string(arn));
  o["pending"] = std::move(pending);
  return SerializeJson(o);
}

absl::StatusOr<BatchOperation> DecodeBatchOperation(const std::string& key,
                                                    const std::string& bytes) {
  auto bad = [&key](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("malformed batch operation record ", storage::EscapeKey(key), ": ", why));
  };
  absl::StatusOr<json::value> v = ParseJson(bytes);
  if (!v.ok()) return bad(v.status().message());
  const json::object* o = v->if_object();
  if (o == nullptr) return bad("not an object");
  BatchOperation op;
  op.id = Str(*o, "id");
  op.operation = Str(*o, "operation");
  op.status = Str(*o, "status");
  if (op.id.empty() || op.operation.empty() || op.status.empty()) {
    return bad("id, operation or status missing");
  }
  op.state_machine_arn = Str(*o, "stateMachineArn");
  op.status_filter = Str(*o, "statusFilter");
  op.query = Str(*o, "query");
  op.error = Str(*o, "error");
  op.cause = Str(*o, "cause");
  op.client_token = Str(*o, "clientToken");
  op.status_reason = Str(*o, "statusReason");
  op.start_date = Int(*o, "startDate");
  op.stop_date = Int(*o, "stopDate");
  op.selected = Int(*o, "selected");
  op.succeeded = Int(*o, "succeeded");
  op.skipped = Int(*o, "skipped");
  op.failed = Int(*o, "failed");
  if (const json::value* f = o->if_contains("failures"); f != nullptr && f->is_array()) {
    for (const json::value& e : f->get_array()) {
      if (!e.is_object()) return bad("a failure is not an object");
      const json::object& fo = e.get_object();
      op.failures.push_back({Str(fo, "executionArn"), Str(fo, "error"), Str(fo, "cause")});
    }
  }
  op.cursor = Str(*o, "cursor");
  const json::value* done = o->if_contains("selectionDone");
  op.selection_done = done != nullptr && done->is_bool() && done->get_bool();
  if (const json::value* p = o->if_contains("pending"); p != nullptr && p->is_array()) {
    for (const json::value& e : p->get_array()) {
      if (!e.is_string()) return bad("a pending execution is not a string");
      op.pending.emplace_back(e.get_string());
    }
  }
  return op;
}

absl::StatusOr<BatchOperation> NewBatchOperation(const BatchOperationRequest& req) {
  BatchOperation op;
  if (req.operation != "STOP" && req.operation != "REDRIVE") {
    return Invalid(absl::StrCat(
        "1 validation error detected: Value '", req.operation,
        "' at 'operation' failed to satisfy constraint: Member must satisfy enum value set: "
        "[STOP, REDRIVE]"));
  }
  op.operation = req.operation;
  if (req.state_machine_arn.empty() && req.query.empty()) {
    return Invalid("stateMachineArn is required unless query is given");
  }
  op.state_machine_arn = req.state_machine_arn;
  op.query = req.query;
  if (req.status_filter.empty()) {
    op.status_filter = req.operation == "STOP" ? "RUNNING" : "FAILED,TIMED_OUT,ABORTED";
  } else {
    for (absl::string_view s : absl::StrSplit(req.status_filter, ',')) {
      if (std::find(std::begin(kStatuses), std::end(kStatuses), s) == std::end(kStatuses)) {
        return Invalid(absl::StrCat(
            "1 validation error detected: Value '", req.status_filter,
            "' at 'statusFilter' failed to satisfy constraint: Member must be a comma-separated "
            "list of [", absl::StrJoin(kStatuses, ", "), "]"));
      }
    }
    op.status_filter = req.status_filter;
  }
  if (req.operation == "REDRIVE" && (!req.error.empty() || !req.cause.empty())) {
    return Invalid("error and cause apply to STOP only");
  }
  if (req.error.size() > 256) {
    return Invalid("1 validation error detected: Value at 'error' failed to satisfy constraint: "
                   "Member must have length less than or equal to 256");
  }
  if (req.cause.size() > 32768) {
    return Invalid("1 validation error detected: Value at 'cause' failed to satisfy constraint: "
                   "Member must have length less than or equal to 32768");
  }
  op.error = req.error;
  op.cause = req.cause;
  if (!req.client_token.empty()) {
    bool printable = std::all_of(req.client_token.begin(), req.client_token.end(),
                                 [](char c) { return c >= '!' && c <= '~'; });
    if (req.client_token.size() > 64 || !printable) {
      return Invalid(absl::StrCat(
          "1 validation error detected: Value '", req.client_token,
          "' at 'clientToken' failed to satisfy constraint: Member must have length between 1 "
          "and 64 and satisfy regular expression pattern: [!-~]+"));
    }
  }
  op.client_token = req.client_token;
  op.status = "RUNNING";
  return op;
}

std::vector<std::string> BatchStatuses(const BatchOperation& op) {
  return absl::StrSplit(op.status_filter, ',');
}

std::string BatchRedriveToken(const std::string& batch_id) {
  return absl::StrCat("batch-", batch_id);
}

}  // namespace stepwise::engine
