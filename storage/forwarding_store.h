// ForwardingStore: a Store that forwards every call to another Store, as
// LevelDB's EnvWrapper does for Env. Wrappers that change one or two calls
// (CrashPointStore, the cut-off store of tests/crash/) derive from it and
// override only those. As thread-safe as the Store it forwards to.
#ifndef SW_STORAGE_FORWARDING_STORE_H_
#define SW_STORAGE_FORWARDING_STORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/store.h"
#include "storage/transition.h"

namespace stepwise::storage {

class ForwardingStore : public Store {
 public:
  // `target` must outlive this store.
  explicit ForwardingStore(Store* target) : target_(target) {}

  absl::Status Commit(const Transition& t) override { return target_->Commit(t); }
  absl::StatusOr<std::vector<absl::Status>> CommitBatch(
      absl::Span<const Transition* const> batch) override {
    return target_->CommitBatch(batch);
  }
  absl::StatusOr<std::optional<VersionedValue>> GetExecution(
      const std::string& execution_id) override {
    return target_->GetExecution(execution_id);
  }
  absl::StatusOr<std::vector<HistoryChunk>> ReadHistory(const std::string& execution_id,
                                                        int64_t from_event_id,
                                                        size_t max_chunks) override {
    return target_->ReadHistory(execution_id, from_event_id, max_chunks);
  }
  absl::Status Put(Table table, const std::string& key,
                   std::optional<std::string> value) override {
    return target_->Put(table, key, std::move(value));
  }
  absl::StatusOr<std::optional<std::string>> Get(Table table, const std::string& key) override {
    return target_->Get(table, key);
  }
  absl::StatusOr<std::string> PutIfAbsent(Table table, const std::string& key,
                                          const std::string& value) override {
    return target_->PutIfAbsent(table, key, value);
  }
  absl::StatusOr<bool> PutIfUnchanged(Table table, const std::string& key,
                                      const std::optional<std::string>& expected,
                                      std::optional<std::string> value) override {
    return target_->PutIfUnchanged(table, key, expected, std::move(value));
  }
  absl::StatusOr<std::vector<KeyValue>> Scan(Table table, const ScanOptions& opts) override {
    return target_->Scan(table, opts);
  }

  // The store calls are forwarded to.
  Store* target() const { return target_; }

 private:
  Store* const target_;
};

}  // namespace stepwise::storage

#endif  // SW_STORAGE_FORWARDING_STORE_H_
