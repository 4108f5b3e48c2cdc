// Recovery at Open: re-arms every stored timer (a timer that fell due while
// the server was down fires at once) and re-queues every activity task not
// yet handed out. RUNNING executions need nothing more: their next input
// (a timer, a worker's report) loads them. Runs once, from Init, on the
// thread opening the engine, before any API call.
#include "absl/strings/numbers.h"
#include "common/status_macros.h"
#include "engine/engine_impl.h"
#include "storage/keys.h"

namespace stepwise::engine {

absl::Status EngineImpl::Recover() {
  using storage::Table;
  storage::ScanOptions all;
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> timers, store_->Scan(Table::kTimers, all));
  for (const auto& kv : timers) {
    SW_ASSIGN_OR_RETURN(storage::TimerKeyParts p, storage::DecodeTimerKey(kv.key));
    int64_t timer_id = 0;
    if (!absl::SimpleAtoi(p.timer_id, &timer_id)) {
      return absl::DataLossError("malformed stored timer key " + storage::EscapeKey(kv.key));
    }
    // A timer that fell due while the server was down fires at once.
    timers_.Add(TimerEntry{p.due_ms, p.execution_id, timer_id});
  }
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> tasks, store_->Scan(Table::kTasks, all));
  for (const auto& kv : tasks) {
    SW_ASSIGN_OR_RETURN(storage::TaskKeyParts p, storage::DecodeTaskKey(kv.key));
    // The attempt number is in the execution record; the worker's token
    // is made at hand-out from it.
    Post(p.execution_id, [this, activity = std::move(p.activity), id = p.task_id,
                          input = kv.value](LoadedExecution* ex) {
      auto it = ex->record.tasks.find(id);
      if (!ex->exists || it == ex->record.tasks.end() || it->second.started) return;
      tasks_.Push(ActivityTask{activity, ex->id, id, it->second.attempt, input});
    });
  }
  return absl::OkStatus();
}

}  // namespace stepwise::engine
