// RocksStore: the durable Store, on RocksDB, one column family per Table
// (machines, activities, executions, history, visibility, tasks, timers,
// meta). This header does not include RocksDB (only rocks_store.cc does),
// so server/main.cc can wire it without RocksDB's headers.
//
// Commits are serialised by one mutex: it guards the version check (against
// an in-memory cache of execution versions, filled lazily from the DB and
// updated after each successful write) and the one WriteBatch each
// Commit/CommitBatch writes, synced to the WAL when RocksOptions::sync is
// set. Reads go straight to RocksDB without the mutex. Stored layouts: see
// storage/keys.h and storage/README.md. All methods are thread-safe.
#ifndef SW_STORAGE_ROCKS_STORE_H_
#define SW_STORAGE_ROCKS_STORE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/transition.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Env;
class FileSystem;
}  // namespace rocksdb

namespace stepwise::storage {

// A histogram snapshot, Prometheus style: `counts[i]` observations fell in
// (upper_bounds[i-1], upper_bounds[i]]; the last count is above every bound
// (+Inf). Not cumulative.
struct Histogram {
  std::vector<double> upper_bounds;
  std::vector<uint64_t> counts;  // upper_bounds.size() + 1
  double sum = 0;
  uint64_t count = 0;
};

struct RocksOptions {
  // Sync the WAL on every Commit/CommitBatch/Put. Only benchmarks turn this
  // off: without it an acknowledged commit can be lost on power failure.
  bool sync = true;
  // Shared LRU block cache for all column families.
  size_t block_cache_bytes = size_t{64} << 20;
  // Memtable size per column family.
  size_t write_buffer_bytes = size_t{16} << 20;
  // Flush and compaction threads (the target box has 2 cores).
  int max_background_jobs = 2;
  // Execution versions kept in memory to skip a read per commit; the cache
  // is dropped and refilled lazily when it grows past this. Each entry
  // costs ~300 bytes, and parked executions keep theirs: 65,536 covers
  // every execution in flight (a miss is one point read) and bounds the
  // cache to ~20 MiB however many executions are parked.
  size_t version_cache_entries = size_t{1} << 16;
  // Writes (and Open) are refused with a clear error while the data
  // directory's file system has less free space than this (0: no check):
  // RocksDB is never driven into a full disk, which it handles badly (the
  // Debian build aborts on a failed WAL append), and the space left lets it
  // flush and reopen once the operator frees some.
  uint64_t min_free_bytes = uint64_t{64} << 20;
  // Test hook: the file system RocksDB does its I/O through (null: the
  // operating system's). Fault tests wrap the default one (see
  // storage/faulty_file_system.h and tests/faults/).
  std::shared_ptr<rocksdb::FileSystem> file_system;
};

class RocksStore final : public Store {
 public:
  // Opens (creating if needed) the store in directory `dir`. A new store
  // gets meta "schema_version" = kSchemaVersion. Returns
  // kResourceExhausted if its file system has less than
  // options.min_free_bytes free, kFailedPrecondition if the stored schema
  // version is another one,
  // kDataLoss if it is unreadable or RocksDB reports corruption, and
  // kUnavailable if the directory cannot be opened (e.g. another process
  // holds its lock).
  static absl::StatusOr<std::unique_ptr<RocksStore>> Open(
      const std::string& dir, const RocksOptions& options);

  // Closes the database; all acknowledged writes are already durable.
  ~RocksStore() override;

  RocksStore(const RocksStore&) = delete;
  RocksStore& operator=(const RocksStore&) = delete;

  // See Store. Commit/CommitBatch return kAborted per transition on a
  // version mismatch, kInvalidArgument for a transition that can never
  // apply, kDataLoss when the stored execution it updates is malformed;
  // the call itself fails (nothing written) on an I/O error.
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
  absl::StatusOr<std::optional<std::string>> Get(
      Table table, const std::string& key) override;
  // Under the key's stripe lock (key_stripes_), which Put of a
  // non-execution table also takes: one process owns a RocksDB.
  absl::StatusOr<bool> PutIfUnchanged(Table table, const std::string& key,
                                      const std::optional<std::string>& expected,
                                      std::optional<std::string> value) override;
  absl::StatusOr<std::vector<KeyValue>> Scan(Table table,
                                             const ScanOptions& opts) override;
  // One WriteBatch (synced as Put is).
  absl::Status PutBatch(absl::Span<const Write> writes) override;

  // Number of synced (or, with sync off, unsynced) writes issued so far:
  // one per successful Commit, CommitBatch or Put.
  int64_t writes_issued() const;

  // Writes an online, consistent copy of the database (a RocksDB checkpoint:
  // SST files hard-linked when `dir` is on the same filesystem, copied
  // otherwise, plus the WAL needed to make it whole) to `dir`, which must
  // not exist; its parent must. Opening `dir` with Open gives the store as
  // of one instant while commits carry on. Returns kAlreadyExists if `dir`
  // exists, kInvalidArgument for an empty path, kUnavailable on an I/O
  // error. On error a partial `dir` may be left behind.
  absl::Status Checkpoint(const std::string& dir);

  // Approximate bytes on disk: live SST files of every column family plus
  // the WAL files (memtables not yet flushed are counted by their WAL).
  uint64_t ApproximateSize() const;

  // Seconds each CommitBatch write took in RocksDB (with sync on: WAL append
  // + fsync, i.e. what a group commit waits for), and the number of
  // transitions handed to each CommitBatch that wrote (commit group sizes).
  Histogram CommitWriteSeconds() const;
  Histogram CommitGroupSizes() const;

  // Flush and compaction activity since Open (counted by a RocksDB event
  // listener) and the current backlog (RocksDB properties, summed over
  // the column families).
  struct BackgroundStats {
    uint64_t flushes = 0;
    uint64_t compactions = 0;
    uint64_t compaction_input_bytes = 0;
    uint64_t compaction_output_bytes = 0;
    double compaction_seconds = 0;
    uint64_t running_compactions = 0;
    uint64_t running_flushes = 0;
    uint64_t pending_compaction_bytes = 0;  // estimate-pending-compaction-bytes
    uint64_t l0_files = 0;
    uint64_t write_stall_active = 0;  // 1 while writes are delayed or stopped
  };
  BackgroundStats Background() const;

 private:
  RocksStore(const RocksOptions& options, std::unique_ptr<rocksdb::Env> env, rocksdb::DB* db,
             std::vector<rocksdb::ColumnFamilyHandle*> handles);

  rocksdb::ColumnFamilyHandle* cf(Table table) const;
  // kUnavailable ("no space left on device ...") when the data directory's
  // file system has less than options_.min_free_bytes free.
  absl::Status CheckFreeSpace() const;
  // Stored version of `execution_id` (0 = absent), from the cache or the
  // DB. Requires commit_mu_.
  absl::StatusOr<int64_t> StoredVersion(const std::string& execution_id);

  class BackgroundListener;

  const RocksOptions options_;
  std::string dir_;
  // The Env over options_.file_system (null without one); outlives db_.
  std::unique_ptr<rocksdb::Env> env_;
  rocksdb::DB* db_;
  std::shared_ptr<BackgroundListener> listener_;
  // First kTableCount are ours, in Table order; the rest are unknown column
  // families found on disk (opened only because RocksDB requires it).
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  // Striped by (table, key): serialises PutIfUnchanged's read and write
  // against other writes of the same non-execution key.
  static constexpr size_t kKeyStripes = 64;
  std::mutex& KeyStripe(Table table, const std::string& key);
  std::array<std::mutex, kKeyStripes> key_stripes_;

  std::mutex commit_mu_;
  std::unordered_map<std::string, int64_t> versions_;  // guarded by commit_mu_
  std::atomic<int64_t> writes_issued_{0};

  // Lock-free fixed-bucket histogram behind the two accessors above.
  class AtomicHistogram {
   public:
    static constexpr size_t kMaxBounds = 16;
    explicit AtomicHistogram(std::vector<double> upper_bounds);
    void Observe(double v);
    Histogram Snapshot() const;

   private:
    const std::vector<double> bounds_;
    std::array<std::atomic<uint64_t>, kMaxBounds + 1> counts_{};
    std::atomic<uint64_t> count_{0};
    std::atomic<uint64_t> sum_micro_{0};  // sum in millionths
  };
  AtomicHistogram write_seconds_{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                  0.05, 0.1, 0.25, 1}};
  AtomicHistogram group_sizes_{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}};
};

}  // namespace stepwise::storage

#endif  // SW_STORAGE_ROCKS_STORE_H_
