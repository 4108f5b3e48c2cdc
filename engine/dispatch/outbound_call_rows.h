// OutboundCallRows: the durable side of a Task whose work Stepwise sends
// out itself (a Lambda Invoke endpoint, the HTTP Task, AWS services), as
// LambdaEndpointDispatcher and ServiceCallDispatcher share it. The commit
// that schedules the task writes a row (storage/keys.h TaskKey: the row key,
// execution, task id) holding the task's details and starts the task (its
// TimeoutSeconds counts from there); the call is made once that commit is
// on disk; at Open every row whose task is still open (and, for
// .waitForTaskToken, not yet submitted) is called again: at least once.
// The row goes in the commit that closes the task. Late answers are
// dropped once the dispatcher is gone (Answers).
// Threads: Schedule/Close on the execution's shard; Recover at Open;
// Answers::Report from any thread.
#ifndef SW_ENGINE_DISPATCH_OUTBOUND_CALL_ROWS_H_
#define SW_ENGINE_DISPATCH_OUTBOUND_CALL_ROWS_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "engine/dispatch/task_dispatcher.h"

namespace stepwise::engine {

class OutboundCallRows {
 public:
  // `row_key` is the task table's queue key of the rows (never an ARN or
  // a worker queue's key).
  explicit OutboundCallRows(std::string row_key) : row_key_(std::move(row_key)) {}

  const std::string& row_key() const { return row_key_; }

  // In the step that schedules `task` (its details set): writes the row
  // and returns the claim that starts the task in this same commit;
  // `call` runs once the commit is on disk and the task started.
  std::shared_ptr<PollClaim> Schedule(const OpenTask& task, PendingCommit& commit,
                                      std::function<void()> call) const;
  // In the step that closes `task`: deletes its row.
  void Close(const OpenTask& task, PendingCommit& commit) const;
  // At Open: `call_again` runs on the shard of every open task with a row
  // that still waits for its call's outcome.
  absl::Status Recover(
      storage::Store& store, TaskInputs& inputs,
      std::function<void(const std::string& execution, const OpenTask& task)> call_again) const;

  // Where the outcomes of calls in flight go: reported while the owning
  // dispatcher lives, dropped after Close (its destructor's job).
  class Answers {
   public:
    explicit Answers(TaskInputs& inputs) : inputs_(inputs) {}
    // Reports `r` for `task_id` of `execution`; a .waitForTaskToken
    // (`callback`) success only submits the task. Any thread.
    void Report(const std::string& execution, int64_t task_id, bool callback, TaskResult r);
    void Close();

   private:
    std::mutex mu_;
    bool open_ = true;  // under mu_
    TaskInputs& inputs_;
  };

 private:
  const std::string row_key_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DISPATCH_OUTBOUND_CALL_ROWS_H_
