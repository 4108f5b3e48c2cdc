// Logic shared by MemoryStore and RocksStore so that both give the same
// answers: transition validation, the version check of a batch (with
// chaining of one execution's transitions), the framed writes a transition
// turns into, and scan bounds. Internal to storage/; the engine does not use
// it. Pure functions; thread-safe.
#ifndef SW_STORAGE_STORE_INTERNAL_H_
#define SW_STORAGE_STORE_INTERNAL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/store.h"
#include "storage/transition.h"

namespace stepwise::storage::internal {

inline constexpr int kTableCount = 8;

// Column family / table name: "machines", "activities", ... "meta".
const char* TableName(Table table);
// Index 0..kTableCount-1 of `table` (enum order).
int TableIndex(Table table);

// Returns kInvalidArgument (naming the execution) if `t` can never be
// applied: empty id, new_version <= expected_version, negative expected
// version, inverted event range, or a write to a table a transition may not
// touch (executions, history, meta).
absl::Status ValidateTransition(const Transition& t);

// Returns the stored version of an execution (0 = absent). kDataLoss fails
// only the transition that needed it; any other error fails the batch.
using VersionLookup =
    std::function<absl::StatusOr<int64_t>(const std::string& execution_id)>;

struct BatchPlan {
  // One per transition: OK (apply it), kAborted, kInvalidArgument or
  // kDataLoss (skip it).
  std::vector<absl::Status> statuses;
  // Version of each execution after the batch, for those that change.
  std::vector<std::pair<std::string, int64_t>> new_versions;
};

// Checks each transition of `batch` in order against the stored version
// (from `lookup`, asked at most once per execution) or, if an earlier
// transition of the same execution in this batch applied, against that
// one's new_version.
absl::StatusOr<BatchPlan> PlanBatch(absl::Span<const Transition* const> batch,
                                    const VersionLookup& lookup);

// Appends the raw writes that apply `t`: the framed execution value, the
// framed history chunk (if any), then t.writes.
void AppendTransitionWrites(const Transition& t, std::vector<Write>* out);

// The schema version check of a store being opened (keys.h): records
// kSchemaVersion in a new store and over an older version this server
// reads; refuses a newer or too old one (kFailedPrecondition) and an
// unreadable one (kDataLoss; `where` names the store, e.g. "store DIR").
absl::Status CheckSchemaVersionOnOpen(Store& store, absl::string_view where);

// The key range a scan covers: keys k with lower <= k (lower < k when
// lower_exclusive) and k < upper (no upper bound when nullopt).
struct ScanRange {
  std::string lower;
  bool lower_exclusive = false;
  std::optional<std::string> upper;
  bool empty = false;  // the bounds exclude everything
};
ScanRange ComputeScanRange(const ScanOptions& opts);
// True if `key` lies within `range`.
bool InRange(const ScanRange& range, absl::string_view key);

}  // namespace stepwise::storage::internal

#endif  // SW_STORAGE_STORE_INTERNAL_H_
