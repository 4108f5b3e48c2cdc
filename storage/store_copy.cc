// CopyStore and CompareStores (see store_copy.h): batched scans of each
// table of one store, each batch written to the other with one PutBatch (or
// merged against the other's).
#include "storage/store_copy.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/keys.h"
#include "storage/store_internal.h"

namespace stepwise::storage {
namespace {

using internal::TableName;

// Walks one table in key order, `batch_rows` rows per Scan.
class TableCursor {
 public:
  TableCursor(Store& store, Table table, size_t batch_rows)
      : store_(store), table_(table), batch_rows_(batch_rows == 0 ? 1 : batch_rows) {}

  // The current row, or nullptr at the end of the table.
  absl::StatusOr<const KeyValue*> Peek() {
    if (pos_ < rows_.size()) return &rows_[pos_];
    if (exhausted_) return nullptr;
    ScanOptions opts;
    opts.start_after = last_key_;
    opts.limit = batch_rows_;
    SW_ASSIGN_OR_RETURN(rows_, store_.Scan(table_, opts));
    pos_ = 0;
    if (rows_.size() < batch_rows_) exhausted_ = true;
    if (rows_.empty()) return nullptr;
    last_key_ = rows_.back().key;
    return &rows_[0];
  }
  void Next() { ++pos_; }
  // True when the current batch is used up and the next Peek reads
  // another one (a batch boundary, for progress).
  bool AtBatchEnd() const { return pos_ == rows_.size() && !exhausted_; }

 private:
  Store& store_;
  const Table table_;
  const size_t batch_rows_;
  std::vector<KeyValue> rows_;
  size_t pos_ = 0;
  std::string last_key_;  // "" before the first batch: from the start
  bool exhausted_ = false;
};

// The meta schema version row, "" when absent.
absl::StatusOr<std::string> SchemaVersionOf(Store& store) {
  SW_ASSIGN_OR_RETURN(std::optional<std::string> v, store.Get(Table::kMeta, kSchemaVersionKey));
  return v.value_or("");
}

// Says how two values of one key differ, in the table's terms.
std::string DescribeValueDifference(Table table, const std::string& key,
                                    const std::string& source, const std::string& destination) {
  if (table == Table::kExecutions) {
    auto a = DecodeExecutionValue(key, source);
    auto b = DecodeExecutionValue(key, destination);
    if (a.ok() && b.ok() && a->first != b->first) {
      return absl::StrCat("execution version ", a->first, " in the source, ", b->first,
                          " in the destination");
    }
    if (a.ok() && !b.ok()) return absl::StrCat("destination row is malformed: ", b.status().message());
  }
  if (table == Table::kHistory) {
    auto a = DecodeHistoryValue(key, source);
    auto b = DecodeHistoryValue(key, destination);
    if (a.ok() && b.ok() && a->last_event_id != b->last_event_id) {
      return absl::StrCat("history chunk ends at event ", a->last_event_id, " in the source, ",
                          b->last_event_id, " in the destination");
    }
  }
  return absl::StrCat("values differ (", source.size(), " bytes in the source, ",
                      destination.size(), " in the destination)");
}

}  // namespace

std::vector<Table> AllTables() {
  std::vector<Table> tables;
  for (int i = 0; i < internal::kTableCount; ++i) tables.push_back(static_cast<Table>(i));
  return tables;
}

std::string StoreDifference::ToString() const {
  return absl::StrCat(TableName(table), " key ", EscapeKey(key), ": ", description);
}

absl::StatusOr<std::vector<TableCount>> CopyStore(Store& from, Store& to,
                                                  const CopyOptions& options) {
  SW_ASSIGN_OR_RETURN(std::string from_version, SchemaVersionOf(from));
  SW_ASSIGN_OR_RETURN(std::string to_version, SchemaVersionOf(to));
  if (from_version != to_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the source store has schema version \"", EscapeKey(from_version),
        "\" and the destination \"", EscapeKey(to_version), "\"; both must be the same"));
  }
  if (!options.allow_non_empty_destination) {
    for (Table table : AllTables()) {
      ScanOptions opts;
      opts.limit = 2;
      SW_ASSIGN_OR_RETURN(std::vector<KeyValue> rows, to.Scan(table, opts));
      for (const KeyValue& row : rows) {
        if (table == Table::kMeta && row.key == kSchemaVersionKey) continue;
        return absl::FailedPreconditionError(absl::StrCat(
            "the destination is not empty (", TableName(table), " key ", EscapeKey(row.key),
            "); copy into an empty store, or allow a non-empty destination"));
      }
    }
  }
  std::vector<TableCount> counts;
  for (Table table : AllTables()) {
    TableCursor cursor(from, table, options.batch_rows);
    uint64_t rows = 0;
    std::vector<Write> batch;
    while (true) {
      SW_ASSIGN_OR_RETURN(const KeyValue* row, cursor.Peek());
      if (row == nullptr) break;
      // Raw bytes: execution rows keep their framed version (PutBatch
      // bypasses the version check), history rows their framed last event id.
      batch.push_back(Write{table, row->key, row->value});
      cursor.Next();
      if (cursor.AtBatchEnd()) {
        // One write per batch read: rows never pile up beyond a batch.
        SW_RETURN_IF_ERROR(to.PutBatch(batch));
        rows += batch.size();
        batch.clear();
        if (options.progress) options.progress(table, rows, false);
      }
    }
    SW_RETURN_IF_ERROR(to.PutBatch(batch));
    rows += batch.size();
    if (options.progress) options.progress(table, rows, true);
    counts.push_back(TableCount{table, rows});
  }
  return counts;
}

absl::StatusOr<CompareResult> CompareStores(Store& source, Store& destination,
                                            size_t batch_rows, const CopyProgress& progress) {
  CompareResult result;
  auto differ = [&result](Table table, const std::string& key, std::string description) {
    ++result.differences;
    if (!result.first.has_value()) {
      result.first = StoreDifference{table, key, std::move(description)};
    }
  };
  for (Table table : AllTables()) {
    TableCursor a(source, table, batch_rows);
    TableCursor b(destination, table, batch_rows);
    uint64_t rows = 0;
    while (true) {
      SW_ASSIGN_OR_RETURN(const KeyValue* x, a.Peek());
      SW_ASSIGN_OR_RETURN(const KeyValue* y, b.Peek());
      if (x == nullptr && y == nullptr) break;
      if (y == nullptr || (x != nullptr && x->key < y->key)) {
        differ(table, x->key, "missing in the destination");
      } else if (x == nullptr || y->key < x->key) {
        differ(table, y->key, "in the destination only");
        b.Next();
        continue;
      } else {
        if (x->value != y->value) {
          differ(table, x->key, DescribeValueDifference(table, x->key, x->value, y->value));
        }
        b.Next();
      }
      ++rows;
      a.Next();
      if (a.AtBatchEnd() && progress) progress(table, rows, false);
    }
    if (progress) progress(table, rows, true);
    result.rows.push_back(TableCount{table, rows});
  }
  return result;
}

}  // namespace stepwise::storage
