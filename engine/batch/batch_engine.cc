// The Engine's batch operations (see batch_engine.h and the batch section
// of engine/engine.h): the façade's methods and the target a job selects
// from and acts on. The façade's methods: any thread; the target's Select:
// the runner's thread (and StartBatchOperation's caller).
#include "engine/batch/batch_engine.h"

#include <string>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "engine/engine.h"
#include "engine/engine_impl.h"
#include "engine/search/search_executions.h"
#include "engine/service_error.h"

namespace stepwise::engine {

namespace {

// Selects through ListExecutions (the visibility index: newest first, a
// cursor on the row key that a status change does not move), or through
// SearchExecutions when the job has a query.
class EngineBatchTarget : public BatchTarget {
 public:
  explicit EngineBatchTarget(EngineImpl* impl) : impl_(impl) {}

  absl::StatusOr<BatchPage> Select(const BatchOperation& op, const std::string& cursor,
                                   int max) override {
    ExecutionList list;
    if (!op.query.empty()) {
      // The search's plan and paging token (engine/search/): an index key,
      // which a status change does not move either.
      SW_ASSIGN_OR_RETURN(list, ExecutionSearch(impl_->store(), &impl_->catalog(),
                                                &impl_->options())
                                    .Search(op.query, op.state_machine_arn, max, cursor));
    } else {
      std::vector<std::string> statuses = BatchStatuses(op);
      std::string one_status = statuses.size() == 1 ? statuses[0] : "";
      SW_ASSIGN_OR_RETURN(list,
                          impl_->ListExecutions(op.state_machine_arn, one_status, max, cursor));
    }
    BatchPage page;
    page.next_cursor = std::move(list.next_token);
    for (ExecutionDescription& d : list.executions) {
      page.executions.push_back({std::move(d.execution_arn), std::move(d.status), d.start_date});
    }
    return page;
  }

  void Stop(const std::string& arn, const std::string& error, const std::string& cause,
            std::function<void(absl::Status)> done) override {
    impl_->StopExecutionAnywhere(arn, error, cause,
                                 [done](absl::StatusOr<TimeMs> r) { done(r.status()); });
  }

  void Redrive(const std::string& arn, const std::string& client_token,
               std::function<void(absl::Status)> done) override {
    impl_->RedriveExecutionAnywhere(arn, client_token,
                                    [done](absl::StatusOr<TimeMs> r) { done(r.status()); });
  }

 private:
  EngineImpl* const impl_;
};

}  // namespace

BatchJobs::BatchJobs(EngineImpl* impl, storage::Store* store, const Clock* clock)
    : target_(std::make_unique<EngineBatchTarget>(impl)),
      runner_(std::make_unique<BatchRunner>(store, clock, target_.get())) {}

BatchJobs::~BatchJobs() { runner_->Stop(); }

absl::Status Engine::OpenBatchJobs(storage::Store* store, const EngineOptions& options) {
  const Clock* clock = options.clock != nullptr ? options.clock : SystemClock::Get();
  batch_ = std::make_unique<BatchJobs>(impl_.get(), store, clock);
  return batch_->runner().Start();
}

void Engine::StopBatchJobs() {
  if (batch_ != nullptr) batch_->runner().Stop();
}

absl::StatusOr<BatchOperation> Engine::StartBatchOperation(const BatchOperationRequest& request) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return batch_->runner().StartOperation(request);
}

absl::StatusOr<BatchOperation> Engine::DescribeBatchOperation(const std::string& id) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return batch_->runner().Describe(id);
}

absl::StatusOr<std::vector<BatchOperation>> Engine::ListBatchOperations() {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return batch_->runner().List();
}

absl::Status Engine::CancelBatchOperation(const std::string& id) {
  SW_RETURN_IF_ERROR(impl_->Alive());
  return batch_->runner().Cancel(id);
}

int Engine::running_batch_operations() const {
  return batch_ != nullptr ? batch_->runner().running() : 0;
}

}  // namespace stepwise::engine
