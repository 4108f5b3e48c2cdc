// Test hooks of stepwised, off unless their environment variable is set
// (server/README.md, "Test hooks"); the crash and fault harnesses in
// tests/crash/ and tests/faults/ use them. Without them nothing here is on
// any path: main.cc wires the plain RocksStore.
//
// CrashPointStore wraps the Store the engine commits through and kills the
// process with SIGKILL at a named point around the Nth group commit:
//   before_write:N  as the Nth CommitBatch starts, before anything is written;
//   after_write:N   once the Nth CommitBatch is on disk, before any caller
//                   hears of it.
// Thread-safe (it forwards to a thread-safe Store).
#ifndef SW_SERVER_TEST_HOOKS_H_
#define SW_SERVER_TEST_HOOKS_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/store.h"

namespace stepwise::server {

struct CrashPoint {
  bool after_write = false;  // else before_write
  int64_t n = 0;             // 1-based CommitBatch count
};

// Parses "before_write:N" or "after_write:N" (N >= 1). kInvalidArgument
// naming the text otherwise.
absl::StatusOr<CrashPoint> ParseCrashPoint(const std::string& text);

class CrashPointStore final : public storage::Store {
 public:
  // `inner` must outlive this store.
  CrashPointStore(storage::Store* inner, CrashPoint point) : inner_(inner), point_(point) {}

  absl::Status Commit(const storage::Transition& t) override;
  absl::StatusOr<std::vector<absl::Status>> CommitBatch(
      absl::Span<const storage::Transition* const> batch) override;
  absl::StatusOr<std::optional<storage::VersionedValue>> GetExecution(
      const std::string& execution_id) override {
    return inner_->GetExecution(execution_id);
  }
  absl::StatusOr<std::vector<storage::HistoryChunk>> ReadHistory(const std::string& execution_id,
                                                                 int64_t from_event_id,
                                                                 size_t max_chunks) override {
    return inner_->ReadHistory(execution_id, from_event_id, max_chunks);
  }
  absl::Status Put(storage::Table table, const std::string& key,
                   std::optional<std::string> value) override {
    return inner_->Put(table, key, std::move(value));
  }
  absl::StatusOr<std::optional<std::string>> Get(storage::Table table,
                                                 const std::string& key) override {
    return inner_->Get(table, key);
  }
  absl::StatusOr<std::vector<storage::KeyValue>> Scan(storage::Table table,
                                                      const storage::ScanOptions& opts) override {
    return inner_->Scan(table, opts);
  }

 private:
  storage::Store* const inner_;
  const CrashPoint point_;
  std::atomic<int64_t> batches_{0};
};

}  // namespace stepwise::server

#endif  // SW_SERVER_TEST_HOOKS_H_
