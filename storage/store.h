// Store persists everything Stepwise must not lose: state machines and
// their revisions, activities, executions (record + interpreter state),
// history, the visibility index, open activity tasks, timers and metadata.
// The engine writes through Commit (one Transition per step, or CommitBatch
// for group commit); everything else is read-mostly. Values are opaque bytes
// to the store (the engine encodes them); keys are binary-ordered (see
// storage/keys.h) so range scans come back sorted. All methods are
// thread-safe. Implementations: RocksStore (storage/rocks_store.h, the only
// code that includes RocksDB), PostgresStore (storage/postgres_store.h,
// shared by the nodes of a cluster) and MemoryStore (tests).
#ifndef SW_STORAGE_STORE_H_
#define SW_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/transition.h"

namespace stepwise::storage {

// A stored execution: the version of its last commit and the record bytes.
struct VersionedValue {
  int64_t version = 0;
  std::string value;
};

// One commit's worth of history: events first_event_id..last_event_id.
struct HistoryChunk {
  int64_t first_event_id = 0;
  int64_t last_event_id = 0;
  std::string value;
};

struct KeyValue {
  std::string key;
  std::string value;
};

// Options of a range scan over one table.
struct ScanOptions {
  std::string prefix;       // only keys starting with this
  std::string start_after;  // exclusive lower bound (upper bound if reverse); "" = from the edge
  bool reverse = false;
  size_t limit = 0;  // 0 = no limit
};

class Store {
 public:
  virtual ~Store() = default;

  // Appends the history chunk, replaces the execution record and applies
  // the task/timer/visibility writes of `t`, all or nothing, on disk (WAL
  // synced) when OK is returned. Returns kAborted if the stored version of
  // the execution differs from `t.expected_version` (0 = must not exist),
  // leaving nothing written.
  virtual absl::Status Commit(const Transition& t) = 0;

  // Group commit: applies each transition of `batch` whose version check
  // passes, in order, in ONE synced write. Returns one status per transition
  // (OK or kAborted); a non-OK return means nothing was written (I/O error).
  // Transitions of the same execution in one batch chain their versions.
  virtual absl::StatusOr<std::vector<absl::Status>> CommitBatch(
      absl::Span<const Transition* const> batch) = 0;

  // Returns the execution's record, or nullopt when there is none.
  // kDataLoss when the stored bytes are malformed (the key is named).
  virtual absl::StatusOr<std::optional<VersionedValue>> GetExecution(
      const std::string& execution_id) = 0;

  // Returns the history chunks of an execution in event order, starting with
  // the chunk that holds `from_event_id` (1 = from the start), at most
  // `max_chunks` (0 = all).
  virtual absl::StatusOr<std::vector<HistoryChunk>> ReadHistory(
      const std::string& execution_id, int64_t from_event_id,
      size_t max_chunks) = 0;

  // Writes or deletes (value nullopt) one key of a non-execution table
  // (machines, activities, meta, ...) with a synced write.
  virtual absl::Status Put(Table table, const std::string& key,
                           std::optional<std::string> value) = 0;

  // Reads one key of any table; nullopt when absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(
      Table table, const std::string& key) = 0;

  // Writes `value` under `key` of a non-execution table unless the key
  // holds a value already, and returns the value the key holds after the
  // call (the one written, or the one found). Atomic against other
  // processes sharing the store (PostgresStore: one INSERT ... ON CONFLICT
  // DO NOTHING); this default (Get, then Put) suits a store one process
  // owns.
  virtual absl::StatusOr<std::string> PutIfAbsent(Table table, const std::string& key,
                                                  const std::string& value) {
    absl::StatusOr<std::optional<std::string>> found = Get(table, key);
    if (!found.ok()) return found.status();
    if (found->has_value()) return **found;
    absl::Status put = Put(table, key, value);
    if (!put.ok()) return put;
    return value;
  }

  // Compare-and-set on one key of a non-execution table: writes `value`
  // (nullopt = deletes the key) only if the key holds exactly `expected`
  // (nullopt = the key is absent), and says whether it did; false leaves
  // nothing written (someone else changed the key: re-read and retry).
  // Atomic against every other Put and PutIfUnchanged of the key, from this
  // process or (PostgresStore) any node sharing the database; synced on
  // true. kInvalidArgument for kExecutions (Commit checks those).
  virtual absl::StatusOr<bool> PutIfUnchanged(Table table, const std::string& key,
                                              const std::optional<std::string>& expected,
                                              std::optional<std::string> value) = 0;

  // Scans `table` in key order (or reverse), honouring `opts`.
  virtual absl::StatusOr<std::vector<KeyValue>> Scan(Table table,
                                                     const ScanOptions& opts) = 0;

  // Writes or deletes raw rows of any table, for bulk loads
  // (storage/store_copy.h); a kExecutions value must carry the version
  // framing and bypasses version checks, as with Put. RocksStore and
  // PostgresStore apply all of `writes` in one synced write (all or
  // nothing); this default calls Put row by row.
  virtual absl::Status PutBatch(absl::Span<const Write> writes) {
    for (const Write& w : writes) {
      absl::Status s = Put(w.table, w.key, w.value);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
};

}  // namespace stepwise::storage

#endif  // SW_STORAGE_STORE_H_
