// A test hook of stepwised, off unless STEPWISE_TEST_CRASH_POINT is set
// (server/README.md, "Test hooks"); the crash harness in tests/crash/ uses
// it. Without it nothing here is on any path: main.cc wires the plain
// RocksStore.
//
// CrashPointStore wraps the Store the engine commits through and kills the
// process with SIGKILL at a named point around the Nth group commit:
//   before_write:N  as the Nth CommitBatch starts, before anything is written;
//   after_write:N   once the Nth CommitBatch is on disk, before any caller
//                   hears of it.
// Thread-safe (it forwards to a thread-safe Store).
#ifndef SW_STORAGE_CRASH_POINT_STORE_H_
#define SW_STORAGE_CRASH_POINT_STORE_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/forwarding_store.h"
#include "storage/transition.h"

namespace stepwise::storage {

struct CrashPoint {
  bool after_write = false;  // else before_write
  int64_t n = 0;             // 1-based CommitBatch count
};

// Parses "before_write:N" or "after_write:N" (N >= 1). kInvalidArgument
// naming the text otherwise.
absl::StatusOr<CrashPoint> ParseCrashPoint(const std::string& text);

class CrashPointStore final : public ForwardingStore {
 public:
  // `inner` must outlive this store.
  CrashPointStore(Store* inner, CrashPoint point) : ForwardingStore(inner), point_(point) {}

  // Both go through CommitBatch, which counts the group commits.
  absl::Status Commit(const Transition& t) override;
  absl::StatusOr<std::vector<absl::Status>> CommitBatch(
      absl::Span<const Transition* const> batch) override;

 private:
  const CrashPoint point_;
  std::atomic<int64_t> batches_{0};
};

}  // namespace stepwise::storage

#endif  // SW_STORAGE_CRASH_POINT_STORE_H_
