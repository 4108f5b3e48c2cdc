// Recovery at Open: re-arms every stored timer (a timer that fell due while
// the server was down fires at once) and has each Task dispatcher rebuild
// what it keeps in memory (the activity queue: every task not yet handed
// out). RUNNING executions need nothing more: their next input (a timer, a
// worker's report) loads them. Runs once, from Init, on the
// thread opening the engine, before any API call. In cluster mode only the
// shards this node owns are recovered, at Init and whenever it gains one
// (RecoverFrom over a view of their rows, from ownership.cc).
#include "absl/strings/numbers.h"
#include "common/status_macros.h"
#include "engine/engine_impl.h"
#include "storage/keys.h"

namespace stepwise::engine {

absl::Status EngineImpl::Recover() {
  if (opts_.cluster) return StartOwnership();
  return RecoverFrom(*store_);
}

absl::Status EngineImpl::RecoverFrom(storage::Store& store) {
  using storage::Table;
  storage::ScanOptions all;
  // Each dispatcher rebuilds its own (the activity queue: every task not
  // yet handed out; the children .sync tasks wait for) before any timer is
  // armed: what it posts to an execution's shard then runs before a timer
  // that fell due while the server was down closes the task (a .sync task
  // that timed out stops its child only when its dispatcher knows the child).
  SW_RETURN_IF_ERROR(dispatch_.Recover(store, *this));
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> timers, store.Scan(Table::kTimers, all));
  for (const auto& kv : timers) {
    SW_ASSIGN_OR_RETURN(storage::TimerKeyParts p, storage::DecodeTimerKey(kv.key));
    int64_t timer_id = 0;
    if (!absl::SimpleAtoi(p.timer_id, &timer_id)) {
      return absl::DataLossError("malformed stored timer key " + storage::EscapeKey(kv.key));
    }
    // A timer that fell due while the server was down fires at once.
    timers_.Add(TimerEntry{p.due_ms, p.execution_id, timer_id});
  }
  return absl::OkStatus();
}

}  // namespace stepwise::engine
