// Store-to-store copy and comparison, at the Store interface: moves every
// table of one store (RocksStore, PostgresStore, MemoryStore) into another,
// row by row with the raw bytes the stores keep (framed execution versions
// and history chunks included), and compares two stores row by row. Used by
// `stepwise admin copy-store` (cli/copy_store_cmd.cc) to move a data
// directory into PostgreSQL and back.
//
// Every table of storage::Table is covered (enumerated from the enum, so a
// new table is copied without a change here). Rows move in bounded batches
// (ScanOptions::limit, resumed with start_after), each batch written with one
// Store::PutBatch (one synced write on RocksDB and PostgreSQL), so the store
// is never held in memory. Both stores must be offline (no stepwised serving them): the
// copy is not a snapshot, a store written meanwhile would be copied torn.
//
// Threads: CopyStore and CompareStores run on the caller's thread and call
// `progress` there; the stores may be used by nothing else meanwhile.
#ifndef SW_STORAGE_STORE_COPY_H_
#define SW_STORAGE_STORE_COPY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/store.h"
#include "storage/transition.h"

namespace stepwise::storage {

// Every table, in enum order (what CopyStore and CompareStores walk).
std::vector<Table> AllTables();

// Called after each batch with the table and the rows done in it so far;
// `done` is true once for each table, after its last batch.
using CopyProgress = std::function<void(Table table, uint64_t rows, bool done)>;

struct CopyOptions {
  // Rows read (and then written) per batch.
  size_t batch_rows = 1000;
  // Copy into a destination that already holds rows (other than its meta
  // schema version): rows of the same key are replaced, others kept.
  bool allow_non_empty_destination = false;
  CopyProgress progress;  // may be empty
};

struct TableCount {
  Table table = Table::kMeta;
  uint64_t rows = 0;
};

// Copies every row of every table of `from` into `to`. Refuses with
// kFailedPrecondition, before writing anything, when the two stores' meta
// schema versions differ or (unless allowed) `to` already holds rows,
// naming the first such row's table and key. Returns the rows copied per
// table; a store error fails the copy (what was written stays written).
absl::StatusOr<std::vector<TableCount>> CopyStore(Store& from, Store& to,
                                                  const CopyOptions& options);

// The first difference CompareStores met.
struct StoreDifference {
  Table table = Table::kMeta;
  std::string key;          // raw key bytes
  std::string description;  // e.g. "missing in the destination"
  // "<table> key <escaped key>: <description>"
  std::string ToString() const;
};

struct CompareResult {
  std::vector<TableCount> rows;     // rows of the source, per table
  uint64_t differences = 0;         // rows missing, extra or different
  std::optional<StoreDifference> first;  // the first difference met
};

// Compares every row of every table of `source` and `destination` in key
// order, batch by batch: a key missing on either side or a value that
// differs is a difference. Counts all of them and keeps the first.
// `progress` reports the source's rows compared.
absl::StatusOr<CompareResult> CompareStores(Store& source, Store& destination,
                                            size_t batch_rows, const CopyProgress& progress);

}  // namespace stepwise::storage

#endif  // SW_STORAGE_STORE_COPY_H_
