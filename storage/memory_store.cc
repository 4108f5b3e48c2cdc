#include "storage/memory_store.h"

#include <cstdint>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/keys.h"

namespace stepwise::storage {

using internal::TableIndex;

MemoryStore::MemoryStore() {
  tables_[TableIndex(Table::kMeta)][kSchemaVersionKey] =
      absl::StrCat(kSchemaVersion);
}

int64_t MemoryStore::commit_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commit_calls_;
}

size_t MemoryStore::rows(Table table) const {
  std::lock_guard<std::mutex> lock(mu_);
  return tables_[TableIndex(table)].size();
}

absl::Status MemoryStore::Commit(const Transition& t) {
  const Transition* one[] = {&t};
  SW_ASSIGN_OR_RETURN(std::vector<absl::Status> statuses, CommitBatch(one));
  return statuses.front();
}

absl::StatusOr<std::vector<absl::Status>> MemoryStore::CommitBatch(
    absl::Span<const Transition* const> batch) {
  std::lock_guard<std::mutex> lock(mu_);
  Map& executions = tables_[TableIndex(Table::kExecutions)];
  auto lookup =
      [&executions](const std::string& id) -> absl::StatusOr<int64_t> {
    auto it = executions.find(id);
    if (it == executions.end()) return 0;
    SW_ASSIGN_OR_RETURN(auto decoded, DecodeExecutionValue(id, it->second));
    return decoded.first;
  };
  SW_ASSIGN_OR_RETURN(internal::BatchPlan plan,
                      internal::PlanBatch(batch, lookup));
  std::vector<Write> writes;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (plan.statuses[i].ok()) {
      internal::AppendTransitionWrites(*batch[i], &writes);
    }
  }
  for (Write& w : writes) {
    Map& m = tables_[TableIndex(w.table)];
    if (w.value.has_value()) {
      m[std::move(w.key)] = std::move(*w.value);
    } else {
      m.erase(w.key);
    }
  }
  ++commit_calls_;
  return std::move(plan.statuses);
}

absl::StatusOr<std::optional<VersionedValue>> MemoryStore::GetExecution(
    const std::string& execution_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const Map& m = tables_[TableIndex(Table::kExecutions)];
  auto it = m.find(execution_id);
  if (it == m.end()) return std::nullopt;
  SW_ASSIGN_OR_RETURN(auto decoded,
                      DecodeExecutionValue(execution_id, it->second));
  return VersionedValue{decoded.first, std::move(decoded.second)};
}

absl::StatusOr<std::vector<HistoryChunk>> MemoryStore::ReadHistory(
    const std::string& execution_id, int64_t from_event_id, size_t max_chunks) {
  if (from_event_id < 1) from_event_id = 1;
  const std::string prefix = HistoryPrefix(execution_id);
  const std::string target = HistoryKey(execution_id, from_event_id);
  std::lock_guard<std::mutex> lock(mu_);
  const Map& m = tables_[TableIndex(Table::kHistory)];
  // The chunk holding from_event_id is the last one starting at or before it.
  auto it = m.upper_bound(target);
  if (it != m.begin() && absl::StartsWith(std::prev(it)->first, prefix)) {
    it = std::prev(it);
  }
  std::vector<HistoryChunk> chunks;
  for (; it != m.end() && absl::StartsWith(it->first, prefix); ++it) {
    SW_ASSIGN_OR_RETURN(HistoryKeyParts key, DecodeHistoryKey(it->first));
    SW_ASSIGN_OR_RETURN(HistoryValue value,
                        DecodeHistoryValue(it->first, it->second));
    if (value.last_event_id < from_event_id) continue;
    chunks.push_back(HistoryChunk{key.first_event_id, value.last_event_id,
                                  std::move(value.chunk)});
    if (max_chunks != 0 && chunks.size() >= max_chunks) break;
  }
  return chunks;
}

absl::Status MemoryStore::Put(Table table, const std::string& key,
                              std::optional<std::string> value) {
  std::lock_guard<std::mutex> lock(mu_);
  Map& m = tables_[TableIndex(table)];
  if (value.has_value()) {
    m[key] = std::move(*value);
  } else {
    m.erase(key);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> MemoryStore::Get(
    Table table, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  const Map& m = tables_[TableIndex(table)];
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<bool> MemoryStore::PutIfUnchanged(Table table, const std::string& key,
                                                 const std::optional<std::string>& expected,
                                                 std::optional<std::string> value) {
  if (table == Table::kExecutions) {
    return absl::InvalidArgumentError("PutIfUnchanged is for non-execution tables");
  }
  std::lock_guard<std::mutex> lock(mu_);
  Map& m = tables_[TableIndex(table)];
  auto it = m.find(key);
  std::optional<std::string> found;
  if (it != m.end()) found = it->second;
  if (found != expected) return false;
  if (value.has_value()) {
    m[key] = std::move(*value);
  } else if (it != m.end()) {
    m.erase(it);
  }
  return true;
}

absl::StatusOr<std::vector<KeyValue>> MemoryStore::Scan(
    Table table, const ScanOptions& opts) {
  internal::ScanRange range = internal::ComputeScanRange(opts);
  std::vector<KeyValue> out;
  if (range.empty) return out;
  std::lock_guard<std::mutex> lock(mu_);
  const Map& m = tables_[TableIndex(table)];
  auto first = range.lower_exclusive ? m.upper_bound(range.lower)
                                     : m.lower_bound(range.lower);
  auto last = range.upper.has_value() ? m.lower_bound(*range.upper) : m.end();
  auto full = [&] { return opts.limit != 0 && out.size() >= opts.limit; };
  if (!opts.reverse) {
    for (auto it = first; it != last && !full(); ++it) {
      out.push_back(KeyValue{it->first, it->second});
    }
  } else {
    for (auto it = last; it != first && !full();) {
      --it;
      out.push_back(KeyValue{it->first, it->second});
    }
  }
  return out;
}

}  // namespace stepwise::storage
