// A batch operation: a tracked job that stops or redrives every execution a
// filter selects (issue 18, "Batch operations"). This header holds the
// request, the durable record (what is stored under
// storage::BatchOperationKey) and its codec, and the checks a request gets
// before a job is created. Pure functions and plain values; any thread.
//
// Progress is kept page by page: the job selects a page of executions
// (recorded in `pending` with `selected` counted), saves the record, acts on
// each one, then saves the counts with `pending` cleared. A restart resumes
// a saved page from its start: the executions it already acted on answer
// "already closed" (skipped) or, for a redrive, the same clientToken (its
// first answer), so each is acted on once in effect and the counts add up
// (selected = succeeded + skipped + failed once the job ends).
#ifndef SW_ENGINE_BATCH_BATCH_OPERATION_H_
#define SW_ENGINE_BATCH_BATCH_OPERATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"

namespace stepwise::engine {

// What StartBatchOperation asks for.
struct BatchOperationRequest {
  std::string operation;          // STOP | REDRIVE
  std::string state_machine_arn;  // required unless `query` is given
  std::string status_filter;      // "" = the operation's default
  std::string query;              // the search language (`--where`); "" = none
  std::string error;              // STOP: the ExecutionAborted error and cause
  std::string cause;
  std::string client_token;       // "" = not idempotent
};

// One execution the job could not act on.
struct BatchFailure {
  std::string execution_arn;
  std::string error;
  std::string cause;
};

// The job: what it was asked, where it is, what it counted.
struct BatchOperation {
  std::string id;
  std::string operation;
  std::string state_machine_arn;
  std::string status_filter;  // as resolved: never "" once created
  std::string query;
  std::string error;
  std::string cause;
  std::string client_token;
  std::string status;  // RUNNING | SUCCEEDED | FAILED | CANCELLED
  std::string status_reason;  // why the job FAILED (its selection failed)
  TimeMs start_date = 0;  // executions started after it are not selected
  TimeMs stop_date = 0;
  int64_t selected = 0;
  int64_t succeeded = 0;
  int64_t skipped = 0;  // already closed (STOP) when the job came to them
  int64_t failed = 0;
  std::vector<BatchFailure> failures;  // the first kMaxBatchFailures
  // Where the selection continues ("" with selection_done: nothing more).
  std::string cursor;
  bool selection_done = false;
  // The page selected and saved, not yet finished: its execution ARNs.
  std::vector<std::string> pending;

  int64_t processed() const { return succeeded + skipped + failed; }
  bool open() const { return status == "RUNNING"; }
};

inline constexpr size_t kMaxBatchFailures = 100;

// The record's stored bytes (JSON) and back; kDataLoss naming the id when
// the bytes are malformed.
std::string EncodeBatchOperation(const BatchOperation& op);
absl::StatusOr<BatchOperation> DecodeBatchOperation(const std::string& key,
                                                    const std::string& bytes);

// Checks `req` and resolves its defaults into a new RUNNING job (without id
// and start date): ValidationException naming the field (operation,
// statusFilter, stateMachineArn, error, cause, clientToken) in AWS's words.
absl::StatusOr<BatchOperation> NewBatchOperation(const BatchOperationRequest& req);

// The statuses `op.status_filter` selects (a comma-separated list).
std::vector<std::string> BatchStatuses(const BatchOperation& op);

// The clientToken a REDRIVE job gives RedriveExecution: the same on every
// try, so a redrive repeated after a restart answers as the first did.
std::string BatchRedriveToken(const std::string& batch_id);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_BATCH_BATCH_OPERATION_H_
