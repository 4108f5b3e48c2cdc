// ExpressRoutingStore (see express_routing_store.h): Express executions in
// memory, the rest on the durable store. Any thread.
#include "storage/express_routing_store.h"

#include <utility>

#include "common/status_macros.h"
#include "storage/keys.h"

namespace stepwise::storage {

bool ExpressRoutingStore::IsExpress(std::string_view execution_id) {
  // arn:partition:states:region:account:express:machine:name:uuid
  return execution_id.find(":express:") != std::string_view::npos;
}

absl::Status ExpressRoutingStore::Commit(const Transition& t) {
  return IsExpress(t.execution_id) ? express_.Commit(t) : durable_->Commit(t);
}

absl::StatusOr<std::vector<absl::Status>> ExpressRoutingStore::CommitBatch(
    absl::Span<const Transition* const> batch) {
  std::vector<const Transition*> durable;
  std::vector<const Transition*> express;
  for (const Transition* t : batch) (IsExpress(t->execution_id) ? express : durable).push_back(t);
  if (express.empty()) return durable_->CommitBatch(batch);
  if (durable.empty()) return express_.CommitBatch(batch);
  // Mixed: the durable part is one synced write; the Express part is
  // applied in memory only once it is (a failed sync fails the batch).
  SW_ASSIGN_OR_RETURN(std::vector<absl::Status> durable_out, durable_->CommitBatch(durable));
  SW_ASSIGN_OR_RETURN(std::vector<absl::Status> express_out, express_.CommitBatch(express));
  std::vector<absl::Status> out;
  out.reserve(batch.size());
  size_t d = 0;
  size_t e = 0;
  for (const Transition* t : batch) {
    out.push_back(IsExpress(t->execution_id) ? express_out[e++] : durable_out[d++]);
  }
  return out;
}

absl::StatusOr<std::optional<VersionedValue>> ExpressRoutingStore::GetExecution(
    const std::string& execution_id) {
  return IsExpress(execution_id) ? express_.GetExecution(execution_id)
                                 : durable_->GetExecution(execution_id);
}

absl::StatusOr<std::vector<HistoryChunk>> ExpressRoutingStore::ReadHistory(
    const std::string& execution_id, int64_t from_event_id, size_t max_chunks) {
  return IsExpress(execution_id) ? express_.ReadHistory(execution_id, from_event_id, max_chunks)
                                 : durable_->ReadHistory(execution_id, from_event_id, max_chunks);
}

absl::Status ExpressRoutingStore::Put(Table table, const std::string& key,
                                      std::optional<std::string> value) {
  return durable_->Put(table, key, std::move(value));
}

absl::StatusOr<std::optional<std::string>> ExpressRoutingStore::Get(Table table,
                                                                    const std::string& key) {
  return durable_->Get(table, key);
}

absl::StatusOr<std::vector<KeyValue>> ExpressRoutingStore::Scan(Table table,
                                                                const ScanOptions& opts) {
  return durable_->Scan(table, opts);
}

absl::StatusOr<std::vector<KeyValue>> ExpressRoutingStore::ScanExpress(
    Table table, const ScanOptions& opts) {
  return express_.Scan(table, opts);
}

void ExpressRoutingStore::Forget(const std::string& execution_id, const std::string& machine_arn,
                                 int64_t start_ms) {
  // Task and timer rows were deleted by the commit that closed it (every
  // open task and armed timer closes with the execution).
  express_.Put(Table::kExecutions, execution_id, std::nullopt).IgnoreError();
  express_.Put(Table::kVisibility, VisibilityKey(machine_arn, start_ms, execution_id),
               std::nullopt)
      .IgnoreError();
  ScanOptions o;
  o.prefix = HistoryPrefix(execution_id);
  if (auto rows = express_.Scan(Table::kHistory, o); rows.ok()) {
    for (const KeyValue& kv : *rows) {
      express_.Put(Table::kHistory, kv.key, std::nullopt).IgnoreError();
    }
  }
}

size_t ExpressRoutingStore::express_rows() {
  size_t n = 0;
  for (Table t : {Table::kExecutions, Table::kHistory, Table::kVisibility, Table::kTasks,
                  Table::kTimers}) {
    n += express_.rows(t);
  }
  return n;
}

}  // namespace stepwise::storage
