// BatchJobs: the Engine's batch operations, a BatchRunner over the engine
// itself (EngineBatchTarget: selection through the ListExecutions index,
// StopExecution and RedriveExecution in their async forms). Owned by the
// Engine façade, opened after recovery and stopped before the engine shuts
// down. Thread-safe as BatchRunner is.
#ifndef SW_ENGINE_BATCH_BATCH_ENGINE_H_
#define SW_ENGINE_BATCH_BATCH_ENGINE_H_

#include <memory>

#include "engine/batch/batch_runner.h"

namespace stepwise::engine {

class EngineImpl;

class BatchJobs {
 public:
  BatchJobs(EngineImpl* impl, storage::Store* store, const Clock* clock);
  ~BatchJobs();
  BatchRunner& runner() { return *runner_; }

 private:
  std::unique_ptr<BatchTarget> target_;
  std::unique_ptr<BatchRunner> runner_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_BATCH_BATCH_ENGINE_H_
