// ExpressRoutingStore: the Store the engine writes through, routing each
// execution-keyed call by the kind of execution. An Express execution (its
// id is an Express ARN, ":express:") lives in a MemoryStore: its record,
// history chunks and task/timer/visibility rows are applied in memory, never
// synced, and never reach the durable store, so they do not survive a
// restart (DESIGN.md, "Express executions"). Everything else (Standard
// executions, machines, activities, meta, scans for recovery) goes to the
// durable store. A CommitBatch mixing both is split: the durable part is one
// synced write, the Express part is applied in memory.
// When an Express execution has closed and its history was handed on, the
// engine calls Forget to drop every row of it (memory stays bounded).
// Thread-safe (both stores are).
#ifndef SW_STORAGE_EXPRESS_ROUTING_STORE_H_
#define SW_STORAGE_EXPRESS_ROUTING_STORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/memory_store.h"
#include "storage/store.h"
#include "storage/transition.h"

namespace stepwise::storage {

class ExpressRoutingStore final : public Store {
 public:
  // `durable` must outlive this store.
  explicit ExpressRoutingStore(Store* durable) : durable_(durable) {}

  // Whether `execution_id` names an Express execution (its ARN's resource
  // type is "express").
  static bool IsExpress(std::string_view execution_id);

  absl::Status Commit(const Transition& t) override;
  absl::StatusOr<std::vector<absl::Status>> CommitBatch(
      absl::Span<const Transition* const> batch) override;
  absl::StatusOr<std::optional<VersionedValue>> GetExecution(
      const std::string& execution_id) override;
  absl::StatusOr<std::vector<HistoryChunk>> ReadHistory(const std::string& execution_id,
                                                        int64_t from_event_id,
                                                        size_t max_chunks) override;
  absl::Status Put(Table table, const std::string& key,
                   std::optional<std::string> value) override;
  absl::StatusOr<std::optional<std::string>> Get(Table table, const std::string& key) override;
  absl::StatusOr<std::string> PutIfAbsent(Table table, const std::string& key,
                                          const std::string& value) override {
    return durable_->PutIfAbsent(table, key, value);
  }
  // Machines, activities, meta: never Express rows, so always durable.
  absl::StatusOr<bool> PutIfUnchanged(Table table, const std::string& key,
                                      const std::optional<std::string>& expected,
                                      std::optional<std::string> value) override {
    return durable_->PutIfUnchanged(table, key, expected, std::move(value));
  }
  absl::StatusOr<std::vector<KeyValue>> Scan(Table table, const ScanOptions& opts) override;
  // Scans the in-memory rows of the running Express executions (Scan reads
  // the durable store only): ListExecutions(mapRunArn) lists a Map Run's
  // running Express children from their visibility rows.
  absl::StatusOr<std::vector<KeyValue>> ScanExpress(Table table, const ScanOptions& opts);

  // Drops every in-memory row of Express execution `execution_id`: its
  // record, history, the visibility row keyed (machine, start) and any
  // task or timer row still naming it.
  void Forget(const std::string& execution_id, const std::string& machine_arn,
              int64_t start_ms);

  // Rows held in memory, all tables together (tests: memory stays bounded).
  size_t express_rows();

 private:
  Store* const durable_;
  MemoryStore express_;
};

}  // namespace stepwise::storage

#endif  // SW_STORAGE_EXPRESS_ROUTING_STORE_H_
