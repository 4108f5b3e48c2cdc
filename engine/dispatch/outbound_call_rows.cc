// OutboundCallRows (outbound_call_rows.h): rows, start claims and the
// call-again scan of Tasks Stepwise sends out itself.
#include "engine/dispatch/outbound_call_rows.h"

#include <chrono>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "storage/keys.h"

namespace stepwise::engine {

std::shared_ptr<PollClaim> OutboundCallRows::Schedule(const OpenTask& task,
                                                      PendingCommit& commit,
                                                      std::function<void()> call) const {
  commit.Write({storage::Table::kTasks,
                storage::TaskKey(row_key_, commit.execution_id(), task.task_id), task.details});
  auto claim = std::make_shared<PollClaim>();
  claim->activity = row_key_;
  claim->deadline = std::chrono::steady_clock::now();
  claim->is_cancelled = [] { return false; };
  claim->done = [call = std::move(call)](absl::StatusOr<ActivityTaskGrant> grant) {
    // No grant: the commit failed (nothing to call), or the task could not
    // start after all (the dispatcher's Requeue calls it).
    if (!grant.ok() || grant->task_token.empty()) return;
    call();
  };
  return claim;
}

void OutboundCallRows::Close(const OpenTask& task, PendingCommit& commit) const {
  if (task.details.empty()) return;  // failed before anything was written
  commit.Write({storage::Table::kTasks,
                storage::TaskKey(row_key_, commit.execution_id(), task.task_id), std::nullopt});
}

absl::Status OutboundCallRows::Recover(
    storage::Store& store, TaskInputs& inputs,
    std::function<void(const std::string& execution, const OpenTask& task)> call_again) const {
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                      store.Scan(storage::Table::kTasks, storage::ScanOptions{}));
  for (auto& kv : rows) {
    SW_ASSIGN_OR_RETURN(storage::TaskKeyParts p, storage::DecodeTaskKey(kv.key));
    if (p.activity != row_key_) continue;
    std::string execution = p.execution_id;
    inputs.IfTaskOpen(execution, p.task_id, [call_again, execution](const OpenTask& t) {
      if (t.callback && t.submitted) return;  // called; waiting for its token
      call_again(execution, t);
    });
  }
  return absl::OkStatus();
}

void OutboundCallRows::Answers::Report(const std::string& execution, int64_t task_id,
                                       bool callback, TaskResult r) {
  std::lock_guard<std::mutex> l(mu_);
  if (!open_) return;  // the engine is going away
  if (callback && r.kind == TaskResult::Kind::kSucceeded) {
    // The call is made; the callback token completes the task.
    inputs_.ReportTaskSubmitted(execution, task_id, std::move(r.output));
    return;
  }
  inputs_.ReportTaskResult(execution, task_id, std::move(r));
}

void OutboundCallRows::Answers::Close() {
  std::lock_guard<std::mutex> l(mu_);
  open_ = false;
}

}  // namespace stepwise::engine
