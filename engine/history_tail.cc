// Engine::ReadHistoryTail (see engine.h): one read of an execution's
// stored record and the history after an event id, straight from the store
// (not through the shards, so any cluster node answers it), for a watch
// served from the database. Any thread but a shard's; blocks on the store.
#include <algorithm>
#include <limits>
#include <utility>

#include "common/status_macros.h"
#include "engine/engine_impl.h"
#include "engine/execution_codec.h"
#include "engine/execution_record.h"

namespace stepwise::engine {

absl::StatusOr<HistoryTail> EngineImpl::ReadHistoryTail(const std::string& arn,
                                                                int64_t after) {
  SW_RETURN_IF_ERROR(CheckExecutionArn(arn));
  // The record first: every event up to its last_event_id was committed
  // with it or before, so the history read next holds them all.
  SW_ASSIGN_OR_RETURN(std::optional<storage::VersionedValue> v, store_->GetExecution(arn));
  if (!v.has_value()) {
    return ServiceError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'");
  }
  ExecutionStateSummary summary;
  SW_RETURN_IF_ERROR(DescribeExecutionRecord(v->value, arn, &summary).status());
  HistoryTail tail;
  tail.closed = summary.status != ExecutionStatus::kRunning;
  tail.last_event_id = summary.last_event_id;
  if (after >= summary.last_event_id || after == std::numeric_limits<int64_t>::max()) {
    return tail;
  }
  SW_ASSIGN_OR_RETURN(std::vector<storage::HistoryChunk> chunks,
                      store_->ReadHistory(arn, std::max<int64_t>(1, after + 1), 0));
  for (const storage::HistoryChunk& c : chunks) {
    SW_RETURN_IF_ERROR(DecodeHistoryChunkRaw(c.value, after, &tail.events));
    if (!tail.events.empty() && tail.events.back().id >= summary.last_event_id) break;
  }
  // Events committed after the record was read wait for the next read, so
  // that a closed record's read ends exactly where the execution closed.
  while (!tail.events.empty() && tail.events.back().id > summary.last_event_id) {
    tail.events.pop_back();
  }
  return tail;
}

}  // namespace stepwise::engine
