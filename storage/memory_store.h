// MemoryStore: a Store kept in memory (one std::map per table under one
// mutex), for unit tests of the engine. It answers exactly as RocksStore
// does — same version checks, same stored byte layouts (see
// storage/keys.h), same scan order — except that nothing survives the
// object. Tests that need a failing store wrap it (storage/forwarding_store.h).
// Thread-safe.
#ifndef SW_STORAGE_MEMORY_STORE_H_
#define SW_STORAGE_MEMORY_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/transition.h"

namespace stepwise::storage {

class MemoryStore final : public Store {
 public:
  // Starts empty except for the schema version in the meta table, as a
  // new RocksStore does.
  MemoryStore();

  absl::Status Commit(const Transition& t) override;
  absl::StatusOr<std::vector<absl::Status>> CommitBatch(
      absl::Span<const Transition* const> batch) override;
  absl::StatusOr<std::optional<VersionedValue>> GetExecution(
      const std::string& execution_id) override;
  absl::StatusOr<std::vector<HistoryChunk>> ReadHistory(
      const std::string& execution_id, int64_t from_event_id,
      size_t max_chunks) override;
  // Writes raw bytes to any table; a write to kExecutions must carry the
  // version framing (EncodeExecutionValue) and bypasses version checks.
  absl::Status Put(Table table, const std::string& key,
                   std::optional<std::string> value) override;
  absl::StatusOr<std::optional<std::string>> Get(
      Table table, const std::string& key) override;
  absl::StatusOr<bool> PutIfUnchanged(Table table, const std::string& key,
                                      const std::optional<std::string>& expected,
                                      std::optional<std::string> value) override;
  absl::StatusOr<std::vector<KeyValue>> Scan(Table table,
                                             const ScanOptions& opts) override;

  // Number of successful Commit/CommitBatch calls (each is one "sync").
  int64_t commit_calls() const;
  // Rows held in `table`.
  size_t rows(Table table) const;

 private:
  using Map = std::map<std::string, std::string, std::less<>>;

  mutable std::mutex mu_;
  Map tables_[internal::kTableCount];
  int64_t commit_calls_ = 0;
};

}  // namespace stepwise::storage

#endif  // SW_STORAGE_MEMORY_STORE_H_
