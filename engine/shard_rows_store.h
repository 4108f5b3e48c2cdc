// ShardRowsStore: a view of a Store whose task and timer rows are only
// those of executions `keep` accepts; every other call is forwarded as is.
// The engine recovers the cluster shards it gains (engine/ownership.cc)
// by running the same recovery as at Open (every dispatcher's Recover, the
// timer scan) over this view, so each rebuilds only that shard's tasks and
// timers. It scans every row and filters (no per-shard key prefix): a
// shard's recovery reads the whole task and timer tables once.
// Threads: as thread-safe as the Store it views; `keep` must be too.
#ifndef SW_ENGINE_SHARD_ROWS_STORE_H_
#define SW_ENGINE_SHARD_ROWS_STORE_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/forwarding_store.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace stepwise::engine {

class ShardRowsStore final : public storage::ForwardingStore {
 public:
  using Keep = std::function<bool(const std::string& execution_id)>;
  // `target` must outlive this view.
  ShardRowsStore(storage::Store* target, Keep keep)
      : ForwardingStore(target), keep_(std::move(keep)) {}

  // Task and timer rows of kept executions only; a row whose key does not
  // decode is kept (its reader reports it). Honours `opts.limit`: pages
  // are filled from as many underlying pages as it takes, and the last row
  // returned is where the next page starts after.
  absl::StatusOr<std::vector<storage::KeyValue>> Scan(storage::Table table,
                                                      const storage::ScanOptions& opts) override {
    if (table != storage::Table::kTasks && table != storage::Table::kTimers) {
      return ForwardingStore::Scan(table, opts);
    }
    std::vector<storage::KeyValue> kept;
    storage::ScanOptions page = opts;
    while (true) {
      absl::StatusOr<std::vector<storage::KeyValue>> rows = ForwardingStore::Scan(table, page);
      if (!rows.ok()) return rows.status();
      const size_t got = rows->size();
      std::string last = got == 0 ? std::string() : rows->back().key;
      for (auto& kv : *rows) {
        if (opts.limit != 0 && kept.size() == opts.limit) return kept;
        if (Keeps(table, kv.key)) kept.push_back(std::move(kv));
      }
      if (opts.limit == 0 || got < opts.limit || kept.size() == opts.limit) return kept;
      page.start_after = std::move(last);
    }
  }

 private:
  bool Keeps(storage::Table table, const std::string& key) const {
    if (table == storage::Table::kTasks) {
      absl::StatusOr<storage::TaskKeyParts> p = storage::DecodeTaskKey(key);
      return !p.ok() || keep_(p->execution_id);
    }
    absl::StatusOr<storage::TimerKeyParts> p = storage::DecodeTimerKey(key);
    return !p.ok() || keep_(p->execution_id);
  }

  const Keep keep_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_SHARD_ROWS_STORE_H_
