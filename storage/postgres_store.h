// PostgresStore: the Store on PostgreSQL 15 through libpq, the first step of
// "Beyond one machine" (../shared/DESIGN.md). This header does not include
// libpq (only postgres_store.cc does), so server/main.cc can wire it without
// libpq's headers.
//
// Schema (created by Open in one transaction, guarded by an advisory lock):
// one table per storage::Table kind, each (key bytea PRIMARY KEY, value
// bytea) holding exactly the keys and value bytes RocksStore holds (layouts in
// storage/keys.h; bytea compares as memcmp then length, the order the engine
// scans in). `executions` has an extra `version bigint` column (the version
// framed in the value; NULL when the value is malformed) so the version check
// is done in SQL. A `schema_version` table holds the SQL layout version: Open
// migrates an older one, and refuses a newer one with kFailedPrecondition
// naming both versions. The meta table's "schema_version" row (the byte
// layout version, as in RocksStore) is checked as RocksStore checks it.
//
// Commit/CommitBatch run ONE transaction per call. Each transition first
// moves its execution's version in SQL (`UPDATE executions SET version=new
// ... WHERE key=id AND version=expected`, or an INSERT ... ON CONFLICT DO
// NOTHING for expected 0) and goes on with its history and writes only when
// one row was affected, so an aborted transition writes nothing of its own,
// later transitions of the same execution chain on the row the earlier ones
// left, and a concurrent writer (another process included) waits for the
// row lock and then fails the check. The transaction commits with
// PostgreSQL's synchronous_commit (the WAL is flushed before OK).
//
// Threads: every method may be called from any thread. Calls borrow one
// connection of a small pool (PostgresOptions::connections), so up to that
// many run at once; Commit/CommitBatch are additionally serialised by one
// mutex (one writer per process; this also rules out deadlocks between two
// batches of one process). A deadlock or serialisation failure reported by
// PostgreSQL rolls the whole transaction back and it is retried. A broken
// connection is reset on its next use.
//
// Cluster mode (SetShardFence; docs/postgres.md "Shards and fencing"): the
// SQL layout also has a `shards` table (shard_id, range_id, owner,
// lease_until) and a `nodes` table, used by ShardLeases
// (storage/postgres/shard_leases.h). With a fence set, every CommitBatch
// transaction first checks, for each shard its transitions touch
// (ShardOfExecution of each execution_id), that this node still holds it
// (ShardFence::HeldRangeId) and that the row is still at that range_id
// (`SELECT ... FOR SHARE`, so a concurrent takeover waits for the commit or
// the commit sees the takeover). Every transition of a shard that fails
// the check is refused with kAborted ("shard N fenced: ...") and nothing of
// it is written; the batch's other transitions commit (a node that lost one
// shard goes on with the others). Each refused shard is counted once per
// batch (fence_stats()).
// Without a fence (the default) nothing of this runs.
//
// Errors: a connection failure is kUnavailable naming the host and port
// (never the password); other SQL errors are kInternal with PostgreSQL's
// message (passwords stripped).
#ifndef SW_STORAGE_POSTGRES_STORE_H_
#define SW_STORAGE_POSTGRES_STORE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/postgres/shard_fence.h"
#include "storage/store.h"
#include "storage/transition.h"

namespace stepwise::storage {

struct PostgresOptions {
  // Connections in the pool (each serves one call at a time).
  int connections = 4;
  // Attempts of one transaction that PostgreSQL rolled back for a deadlock
  // or a serialisation failure.
  int max_transaction_attempts = 5;
};

// The version of the SQL layout this server creates and reads.
// Version 2 added the cluster tables `shards` and `nodes`.
inline constexpr int64_t kPostgresSchemaVersion = 2;

// Group commits the shard fence rejected, since Open. Thread-safe to read.
struct FenceStats {
  // The `shards` row had moved to another range_id (another node took the
  // shard): the case the fence exists for.
  int64_t rejected_by_database = 0;
  // This node no longer held a touched shard by its own reckoning (lease
  // deadline passed, released, never acquired); the database was not asked.
  int64_t rejected_not_held = 0;
};

class PostgresStore final : public Store {
 public:
  // Connects to `conninfo` (a libpq connection string or a postgresql://
  // URI), creates the schema if absent, migrates an older one, and checks
  // the meta schema version. kUnavailable when the server cannot be
  // reached, kFailedPrecondition for a newer schema, kDataLoss for an
  // unreadable one.
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(
      const std::string& conninfo, const PostgresOptions& options);

  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

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
  absl::StatusOr<std::string> PutIfAbsent(Table table, const std::string& key,
                                          const std::string& value) override;
  // One statement (INSERT ... ON CONFLICT DO NOTHING, UPDATE or DELETE
  // ... WHERE value = expected), true when it affected the row.
  absl::StatusOr<bool> PutIfUnchanged(Table table, const std::string& key,
                                      const std::optional<std::string>& expected,
                                      std::optional<std::string> value) override;
  absl::StatusOr<std::optional<std::string>> Get(
      Table table, const std::string& key) override;
  absl::StatusOr<std::vector<KeyValue>> Scan(Table table,
                                             const ScanOptions& opts) override;
  // One transaction.
  absl::Status PutBatch(absl::Span<const Write> writes) override;

  // Turns cluster mode on: from now on every CommitBatch is fenced by
  // `fence` (see the file comment). Call once, before the first commit,
  // from the thread that opened the store; `fence` must outlive the store.
  void SetShardFence(const ShardFence* fence) { fence_ = fence; }
  FenceStats fence_stats() const {
    return FenceStats{fenced_by_database_.load(), fenced_not_held_.load()};
  }

  // "host H port P database D" of the connection string (no password), for
  // logs and errors.
  const std::string& description() const { return description_; }

 private:
  class Connection;
  class Lease;

  PostgresStore(std::string conninfo, std::string description,
                const PostgresOptions& options);

  // Borrows a connection (connecting or resetting it if needed).
  absl::StatusOr<Lease> Acquire();
  void Release(Connection* c);

  // One CommitBatch attempt inside one transaction on `c`.
  absl::StatusOr<std::vector<absl::Status>> CommitOnce(
      Connection& c, absl::Span<const Transition* const> batch);
  // The fence check at the start of CommitOnce's transaction (cluster
  // mode): per transition of `batch`, OK or why its shard refuses it.
  absl::StatusOr<std::vector<absl::Status>> CheckFence(
      Connection& c, absl::Span<const Transition* const> batch);

  const std::string conninfo_;
  const std::string description_;
  const PostgresOptions options_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> connections_;  // all of them
  std::vector<Connection*> idle_;                         // guarded by pool_mu_

  std::mutex write_mu_;  // one Commit/CommitBatch at a time
  std::atomic<bool> schema_ready_{false};  // statements can be prepared

  const ShardFence* fence_ = nullptr;  // cluster mode when set
  std::atomic<int64_t> fenced_by_database_{0};
  std::atomic<int64_t> fenced_not_held_{0};
};

// Returns `text` with every password of `conninfo` (keyword `password=`
// and the password of a postgresql://user:password@ URI) replaced by ***,
// and any `password=...` / `user:...@` pattern in `text` masked too. Pure;
// thread-safe.
std::string StripPasswords(absl::string_view text, absl::string_view conninfo);

}  // namespace stepwise::storage

#endif  // SW_STORAGE_POSTGRES_STORE_H_
