// BatchRunner: runs batch operations (batch_operation.h) as durable jobs.
// It keeps every job in memory (loaded from the store's meta rows at
// Start), saves a job's record before StartOperation returns and at each
// page boundary, and works on the open jobs in turn, one page of one job at
// a time, on its own thread "sw-batch", with at most `max_in_flight` calls
// on executions outstanding (the engine's async forms), so a job over
// 10,000 executions leaves room for other work. A restart resumes each
// RUNNING job from its saved page (Start).
//
// Threads: the public methods are called from any thread; the target's
// callbacks come from engine threads and only count and wake the runner.
#ifndef SW_ENGINE_BATCH_BATCH_RUNNER_H_
#define SW_ENGINE_BATCH_BATCH_RUNNER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "engine/batch/batch_operation.h"
#include "storage/store.h"

namespace stepwise::engine {

// One execution a job's selection found.
struct BatchCandidate {
  std::string execution_arn;
  std::string status;
  TimeMs start_date = 0;
};

// A page of a selection, newest first; `next_cursor` "" at the end.
struct BatchPage {
  std::vector<BatchCandidate> executions;
  std::string next_cursor;
};

// What a job selects from and acts on: the engine (batch_engine.cc) or a
// fake in tests. Select is called on the runner's thread (and by
// StartOperation, to check the selection); Stop and Redrive call `done`
// once, from any thread, and must not block.
class BatchTarget {
 public:
  virtual ~BatchTarget() = default;
  // At most `max` executions after `cursor` ("" = the start) matching the
  // job's machine or query; the runner applies the status filter and the
  // start date itself. The cursor must not move when statuses change.
  virtual absl::StatusOr<BatchPage> Select(const BatchOperation& op, const std::string& cursor,
                                           int max) = 0;
  virtual void Stop(const std::string& execution_arn, const std::string& error,
                    const std::string& cause, std::function<void(absl::Status)> done) = 0;
  virtual void Redrive(const std::string& execution_arn, const std::string& client_token,
                       std::function<void(absl::Status)> done) = 0;
};

struct BatchRunnerOptions {
  int page_size = 250;      // executions selected and saved at a time
  int max_in_flight = 100;  // calls on executions outstanding at once
  int max_open = 10;        // RUNNING jobs at once (BatchOperationLimitExceeded)
};

class BatchRunner {
 public:
  // `store`, `clock` and `target` must outlive the runner.
  BatchRunner(storage::Store* store, const Clock* clock, BatchTarget* target,
              BatchRunnerOptions options = {});
  ~BatchRunner();

  // Loads the stored jobs and starts the thread, which resumes the RUNNING
  // ones. kDataLoss when a stored record is malformed.
  absl::Status Start();
  // Stops the thread once its outstanding calls have answered; a job in the
  // middle of a page resumes from that page at the next Start.
  void Stop();

  // Creates a job (durable on return) or, for a repeated non-empty
  // clientToken, returns the job that token created. ValidationException
  // for a bad request, the selection's own errors (StateMachineDoesNotExist,
  // InvalidArn, ...), BatchOperationLimitExceeded over `max_open`.
  absl::StatusOr<BatchOperation> StartOperation(const BatchOperationRequest& req);
  // The job as it is now (counts as of the last answered call).
  // BatchOperationDoesNotExist for an unknown id.
  absl::StatusOr<BatchOperation> Describe(const std::string& id);
  // Every job, newest first.
  std::vector<BatchOperation> List();
  // Marks a RUNNING job CANCELLED (durable on return); the runner stops
  // acting on it at its next execution. A job already ended is left as is.
  absl::Status Cancel(const std::string& id);
  // The number of RUNNING jobs (a metrics gauge).
  int running();

 private:
  void Loop();
  // Picks the next RUNNING job after the last one served; "" when none.
  std::string NextOpenLocked();
  // Works on one page of job `id`: selects and saves it, or acts on it.
  void RunPage(const std::string& id);
  void ActOnPage(const std::string& id, const BatchOperation& snapshot);
  void Count(const std::string& id, const std::string& arn, const absl::Status& s);
  void End(const std::string& id, const std::string& status, const std::string& reason);
  // Writes job `id` as it is in memory.
  absl::Status Save(const std::string& id);

  storage::Store* const store_;
  const Clock* const clock_;
  BatchTarget* const target_;
  const BatchRunnerOptions opts_;

  std::mutex start_mu_;    // serialises StartOperation (clientToken, limit)
  std::mutex persist_mu_;  // orders Save's writes; taken before mu_
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, BatchOperation> jobs_;  // by id; guarded by mu_
  std::string last_served_;                     // guarded by mu_
  int in_flight_ = 0;                           // guarded by mu_
  bool stop_ = false;                           // guarded by mu_
  std::mt19937_64 rng_;                         // guarded by start_mu_
  std::thread thread_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_BATCH_BATCH_RUNNER_H_
