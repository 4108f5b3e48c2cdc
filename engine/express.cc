// Express executions in the engine: StartSyncExecution (start an Express
// execution, answer when it closes) and the close of an Express execution
// (its history to the ExpressHistorySink, its sync caller answered, its
// in-memory rows dropped). The rest of an Express execution's life takes
// the Standard path (executions.cc, step.cc); only where its rows go differs
// (storage/express_routing_store.h: in memory, never synced).
// StartSyncExecutionAsync: any thread, never blocks. CloseExpress: the
// execution's shard thread.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine_impl.h"
#include "engine/execution_codec.h"
#include "engine/express_history_sink.h"
#include "engine/history_event.h"

namespace stepwise::engine {

namespace {

// AWS bills Express by duration in 100 ms units (at least one) and memory
// in 64 MB units; Stepwise's memory use per execution is far below 64 MB.
constexpr int64_t kBillingUnitMs = 100;
constexpr int64_t kBilledMemoryMb = 64;

SyncExecutionResult SyncResultOf(const ExecutionDescription& closed) {
  SyncExecutionResult r;
  r.execution = closed;
  if (closed.status == "TIMED_OUT" && !r.execution.error.has_value()) {
    // Over the Express limit or TimeoutSeconds: AWS names it States.Timeout.
    r.execution.error = "States.Timeout";
  }
  int64_t ran = std::max<int64_t>(0, closed.stop_date - closed.start_date);
  int64_t units = std::max<int64_t>(1, (ran + kBillingUnitMs - 1) / kBillingUnitMs);
  r.billed_duration_ms = units * kBillingUnitMs;
  r.billed_memory_mb = kBilledMemoryMb;
  return r;
}

}  // namespace

void EngineImpl::StartSyncExecutionAsync(
    const std::string& machine_arn, const std::string& name, const std::string& input,
    std::function<void(absl::StatusOr<SyncExecutionResult>)> done) {
  auto machine = catalog_.LoadMachine(machine_arn);
  if (!machine.ok()) return done(machine.status());
  if ((*machine)["type"].as_string() != "EXPRESS") {
    return done(ServiceError("StateMachineTypeNotSupported",
                             "This operation is not supported by this type of state machine"));
  }
  // Exactly one of the two answers: the start's error, or the close.
  StartExecutionAsync(
      machine_arn, name, input,
      [done](absl::StatusOr<StartExecutionResult> started) {
        if (!started.ok()) done(started.status());
      },
      [done](absl::StatusOr<ExecutionDescription> closed) {
        if (!closed.ok()) return done(closed.status());
        done(SyncResultOf(*closed));
      });
}

void EngineImpl::CloseExpress(const ExecutionDescription& closed) {
  const std::string& arn = closed.execution_arn;
  if (opts_.express_history_sink != nullptr) {
    ClosedExpressExecution out;
    out.execution = closed;
    // Read and shaped only for a sink that writes them (the chunks' JSON is
    // parsed again here: without logging this was most of the close).
    if (opts_.express_history_sink->WantsEvents(closed.state_machine_arn)) {
      auto chunks = store_->ReadHistory(arn, 1, 0);
      if (chunks.ok()) {
        for (const storage::HistoryChunk& c : *chunks) {
          auto events = DecodeHistoryChunk(c.value);
          if (!events.ok()) break;
          for (const HistoryEvent& e : *events) out.events.push_back(ToAwsJson(e));
        }
      }
    }
    opts_.express_history_sink->Closed(std::move(out));
  }
  ClosedFn waiter;
  {
    std::lock_guard<std::mutex> l(sync_mu_);
    auto it = sync_waiters_.find(arn);
    if (it != sync_waiters_.end()) {
      waiter = std::move(it->second);
      sync_waiters_.erase(it);
    }
  }
  routing_->Forget(arn, closed.state_machine_arn, closed.start_date);
  if (waiter) waiter(closed);
}

}  // namespace stepwise::engine
