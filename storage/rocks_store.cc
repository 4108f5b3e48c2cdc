#include "storage/rocks_store.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <system_error>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/check.h"
#include "common/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/iterator.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/table.h"
#include "rocksdb/transaction_log.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/utilities/table_properties_collectors.h"
#include "rocksdb/write_batch.h"
#include "storage/keys.h"

namespace stepwise::storage {
namespace {

using internal::kTableCount;
using internal::TableIndex;
using internal::TableName;

constexpr Table kAllTables[kTableCount] = {
    Table::kMachines,   Table::kActivities, Table::kExecutions, Table::kHistory,
    Table::kVisibility, Table::kTasks,      Table::kTimers,     Table::kMeta,
};

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() ||
      s.IsShutdownInProgress() || s.IsAborted()) {
    return absl::UnavailableError(msg);
  }
  if (s.IsInvalidArgument() || s.IsNotSupported()) {
    return absl::InvalidArgumentError(msg);
  }
  return absl::InternalError(msg);
}

rocksdb::Slice ToSlice(absl::string_view s) { return {s.data(), s.size()}; }
absl::string_view ToView(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

rocksdb::CompressionType PickCompression() {
  std::vector<rocksdb::CompressionType> supported =
      rocksdb::GetSupportedCompressions();
  if (std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) !=
      supported.end()) {
    return rocksdb::kLZ4Compression;
  }
  return rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions TableOptions(
    Table table, const RocksOptions& options,
    const std::shared_ptr<rocksdb::Cache>& cache,
    rocksdb::CompressionType compression) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = options.write_buffer_bytes;
  cf.compression = compression;
  cf.level_compaction_dynamic_level_bytes = true;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.cache_index_and_filter_blocks = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.format_version = 5;
  switch (table) {
    case Table::kMachines:
    case Table::kActivities:
    case Table::kExecutions:
    case Table::kTasks:
    case Table::kMeta:
      // Read by key: a bloom filter saves a disk read for absent keys (every
      // new execution's version check is one).
      t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      break;
    case Table::kHistory:
    case Table::kVisibility:
    case Table::kTimers:
      break;  // read by range only
  }
  if (table == Table::kTasks || table == Table::kTimers) {
    // Short-lived keys read from the front of the range: compact files full
    // of tombstones early so scans do not wade through them.
    cf.table_properties_collector_factories.push_back(
        rocksdb::NewCompactOnDeletionCollectorFactory(128, 64));
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return cf;
}

}  // namespace

// Counts flushes and compactions as RocksDB reports them (on its background
// threads; hence atomics).
class RocksStore::BackgroundListener final : public rocksdb::EventListener {
 public:
  void OnFlushCompleted(rocksdb::DB* /*db*/, const rocksdb::FlushJobInfo& /*info*/) override {
    flushes.fetch_add(1, std::memory_order_relaxed);
  }
  void OnCompactionCompleted(rocksdb::DB* /*db*/,
                             const rocksdb::CompactionJobInfo& info) override {
    if (!info.status.ok()) return;
    compactions.fetch_add(1, std::memory_order_relaxed);
    input_bytes.fetch_add(info.stats.total_input_bytes, std::memory_order_relaxed);
    output_bytes.fetch_add(info.stats.total_output_bytes, std::memory_order_relaxed);
    micros.fetch_add(info.stats.elapsed_micros, std::memory_order_relaxed);
  }

  std::atomic<uint64_t> flushes{0};
  std::atomic<uint64_t> compactions{0};
  std::atomic<uint64_t> input_bytes{0};
  std::atomic<uint64_t> output_bytes{0};
  std::atomic<uint64_t> micros{0};
};

namespace {

// Free bytes for unprivileged writers on the file system holding `dir` (or
// its nearest existing parent); nullopt when it cannot be asked.
std::optional<uint64_t> FreeBytes(const std::string& dir) {
  std::filesystem::path p(dir);
  std::error_code ec;
  while (!p.empty() && !std::filesystem::exists(p, ec)) p = p.parent_path();
  struct statvfs st;
  if (p.empty() || ::statvfs(p.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

std::string NoSpace(const std::string& dir, uint64_t free, uint64_t reserve) {
  return absl::StrCat("no space left on device: ", free >> 20, " MiB free on the file system of ",
                      dir, ", below the ", reserve >> 20,
                      " MiB stepwised keeps free; free some space");
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksStore>> RocksStore::Open(
    const std::string& dir, const RocksOptions& options) {
  if (options.min_free_bytes > 0) {
    std::optional<uint64_t> free = FreeBytes(dir);
    if (free.has_value() && *free < options.min_free_bytes) {
      return absl::ResourceExhaustedError(NoSpace(dir, *free, options.min_free_bytes));
    }
  }
  auto listener = std::make_shared<BackgroundListener>();
  rocksdb::DBOptions db_options;
  db_options.listeners.push_back(listener);
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = options.max_background_jobs;
  db_options.bytes_per_sync = 1 << 20;
  db_options.keep_log_file_num = 4;
  db_options.max_log_file_size = 16 << 20;
  std::unique_ptr<rocksdb::Env> env;
  if (options.file_system != nullptr) {
    env = rocksdb::NewCompositeEnv(options.file_system);
    db_options.env = env.get();
  }

  std::shared_ptr<rocksdb::Cache> cache =
      rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::CompressionType compression = PickCompression();

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (Table table : kAllTables) {
    descriptors.emplace_back(TableName(table),
                             TableOptions(table, options, cache, compression));
  }
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName,
                           rocksdb::ColumnFamilyOptions());
  // RocksDB refuses to open a database without naming all its column
  // families; open unknown ones (a newer schema's) so that the schema check
  // below can explain the refusal.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, dir, &existing).ok()) {
    for (const std::string& name : existing) {
      bool known =
          std::any_of(descriptors.begin(), descriptors.end(),
                      [&name](const rocksdb::ColumnFamilyDescriptor& d) {
                        return d.name == name;
                      });
      if (!known) {
        descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
      }
    }
  }

  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  SW_RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(db_options, dir, descriptors, &handles, &db),
                absl::StrCat("open store ", dir)));
  std::unique_ptr<RocksStore> store(
      new RocksStore(options, std::move(env), db, std::move(handles)));
  store->dir_ = dir;
  store->listener_ = std::move(listener);

  SW_RETURN_IF_ERROR(internal::CheckSchemaVersionOnOpen(*store, absl::StrCat("store ", dir)));
  return store;
}

RocksStore::RocksStore(const RocksOptions& options, std::unique_ptr<rocksdb::Env> env,
                       rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : options_(options), env_(std::move(env)), db_(db), handles_(std::move(handles)) {}

RocksStore::~RocksStore() {
  for (rocksdb::ColumnFamilyHandle* h : handles_) {
    // Only fails for a null handle or the default family's, which is fine
    // to leave to Close.
    db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  // Every acknowledged write is already in the synced WAL; a failed close
  // loses nothing acknowledged, so there is no one to report it to.
  db_->Close().PermitUncheckedError();
  delete db_;
}

rocksdb::ColumnFamilyHandle* RocksStore::cf(Table table) const {
  return handles_[TableIndex(table)];
}

int64_t RocksStore::writes_issued() const { return writes_issued_.load(); }

RocksStore::AtomicHistogram::AtomicHistogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)) {
  SW_CHECK(bounds_.size() <= kMaxBounds);
}

void RocksStore::AtomicHistogram::Observe(double v) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<uint64_t>(v * 1e6 + 0.5), std::memory_order_relaxed);
}

Histogram RocksStore::AtomicHistogram::Snapshot() const {
  Histogram h;
  h.upper_bounds = bounds_;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    h.counts.push_back(counts_[i].load(std::memory_order_relaxed));
  }
  h.count = count_.load(std::memory_order_relaxed);
  h.sum = static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
  return h;
}

Histogram RocksStore::CommitWriteSeconds() const { return write_seconds_.Snapshot(); }
Histogram RocksStore::CommitGroupSizes() const { return group_sizes_.Snapshot(); }

absl::Status RocksStore::Checkpoint(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("backup directory is empty");
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) || ec) {
    return absl::AlreadyExistsError(absl::StrCat("backup directory ", dir, " already exists"));
  }
  rocksdb::Checkpoint* raw = nullptr;
  SW_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_, &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush 0: flush the memtables first, so the checkpoint
  // needs little WAL; with several column families RocksDB still copies
  // the live WAL so that all families are cut at the same sequence number.
  return FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                   absl::StrCat("checkpoint to ", dir));
}

uint64_t RocksStore::ApproximateSize() const {
  uint64_t total = 0;
  for (size_t i = 0; i < kTableCount; ++i) {
    uint64_t v = 0;
    if (db_->GetIntProperty(handles_[i], "rocksdb.live-sst-files-size", &v)) total += v;
  }
  rocksdb::VectorLogPtr wal_files;
  if (db_->GetSortedWalFiles(wal_files).ok()) {
    for (const auto& f : wal_files) total += f->SizeFileBytes();
  }
  return total;
}

RocksStore::BackgroundStats RocksStore::Background() const {
  BackgroundStats b;
  b.flushes = listener_->flushes.load(std::memory_order_relaxed);
  b.compactions = listener_->compactions.load(std::memory_order_relaxed);
  b.compaction_input_bytes = listener_->input_bytes.load(std::memory_order_relaxed);
  b.compaction_output_bytes = listener_->output_bytes.load(std::memory_order_relaxed);
  b.compaction_seconds =
      static_cast<double>(listener_->micros.load(std::memory_order_relaxed)) / 1e6;
  uint64_t v = 0;
  if (db_->GetIntProperty("rocksdb.num-running-compactions", &v)) b.running_compactions = v;
  if (db_->GetIntProperty("rocksdb.num-running-flushes", &v)) b.running_flushes = v;
  for (size_t i = 0; i < kTableCount; ++i) {
    if (db_->GetIntProperty(handles_[i], "rocksdb.estimate-pending-compaction-bytes", &v)) {
      b.pending_compaction_bytes += v;
    }
    if (db_->GetIntProperty(handles_[i], "rocksdb.num-files-at-level0", &v)) b.l0_files += v;
  }
  if (db_->GetIntProperty("rocksdb.actual-delayed-write-rate", &v) && v > 0) {
    b.write_stall_active = 1;
  }
  if (db_->GetIntProperty("rocksdb.is-write-stopped", &v) && v > 0) b.write_stall_active = 1;
  return b;
}

absl::StatusOr<int64_t> RocksStore::StoredVersion(
    const std::string& execution_id) {
  auto it = versions_.find(execution_id);
  if (it != versions_.end()) return it->second;
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(Table::kExecutions),
                               ToSlice(execution_id), &value);
  int64_t version = 0;
  if (!s.IsNotFound()) {
    SW_RETURN_IF_ERROR(
        FromRocks(s, absl::StrCat("read execution ", execution_id)));
    SW_ASSIGN_OR_RETURN(auto decoded,
                        DecodeExecutionValue(execution_id, ToView(value)));
    version = decoded.first;
  }
  if (versions_.size() >= options_.version_cache_entries) versions_.clear();
  versions_.emplace(execution_id, version);
  return version;
}

absl::Status RocksStore::CheckFreeSpace() const {
  if (options_.min_free_bytes == 0) return absl::OkStatus();
  std::optional<uint64_t> free = FreeBytes(dir_);
  if (free.has_value() && *free < options_.min_free_bytes) {
    return absl::UnavailableError(NoSpace(dir_, *free, options_.min_free_bytes));
  }
  return absl::OkStatus();
}

namespace {
// Puts `key` -> `prefix` + `text` into `wb` without joining them first.
absl::Status PutParts(rocksdb::WriteBatch* wb, rocksdb::ColumnFamilyHandle* cf,
                      absl::string_view key, absl::string_view prefix, absl::string_view text) {
  rocksdb::Slice key_slice = ToSlice(key);
  rocksdb::Slice parts[] = {ToSlice(prefix), ToSlice(text)};
  return FromRocks(
      wb->Put(cf, rocksdb::SliceParts(&key_slice, 1), rocksdb::SliceParts(parts, 2)),
      "build write batch");
}
}  // namespace

absl::Status RocksStore::Commit(const Transition& t) {
  const Transition* one[] = {&t};
  SW_ASSIGN_OR_RETURN(std::vector<absl::Status> statuses, CommitBatch(one));
  return statuses.front();
}

absl::StatusOr<std::vector<absl::Status>> RocksStore::CommitBatch(
    absl::Span<const Transition* const> batch) {
  std::lock_guard<std::mutex> lock(commit_mu_);
  SW_ASSIGN_OR_RETURN(internal::BatchPlan plan,
                      internal::PlanBatch(batch, [this](const std::string& id) {
                        return StoredVersion(id);
                      }));
  // The batch is built straight from the transitions, its buffer sized
  // once: the record and the history chunk are not copied into
  // intermediate values, and a batch of large payloads (a group commit of
  // 64 executions with 64 KiB inputs is ~90 MB) does not grow by doubling,
  // copying and faulting in fresh pages on every growth.
  size_t bytes = 64;
  bool any = false;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!plan.statuses[i].ok()) continue;
    const Transition& t = *batch[i];
    any = true;
    bytes += 2 * t.execution_id.size() + t.execution_record.size() + t.history_chunk.size() + 64;
    for (const Write& w : t.writes) bytes += w.key.size() + (w.value ? w.value->size() : 0) + 16;
  }
  if (!any) return std::move(plan.statuses);  // nothing to sync
  SW_RETURN_IF_ERROR(CheckFreeSpace());
  rocksdb::WriteBatch wb(bytes);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!plan.statuses[i].ok()) continue;
    const Transition& t = *batch[i];
    // The stored values are EncodeExecutionValue / EncodeHistoryValue's,
    // put as their 8-byte prefix and the text.
    SW_RETURN_IF_ERROR(PutParts(&wb, cf(Table::kExecutions), t.execution_id,
                                ExecutionValuePrefix(t.new_version), t.execution_record));
    if (t.first_event_id > 0) {
      SW_RETURN_IF_ERROR(PutParts(&wb, cf(Table::kHistory),
                                  HistoryKey(t.execution_id, t.first_event_id),
                                  HistoryValuePrefix(t.last_event_id), t.history_chunk));
    }
    for (const Write& w : t.writes) {
      rocksdb::Status s = w.value.has_value()
                              ? wb.Put(cf(w.table), ToSlice(w.key), ToSlice(*w.value))
                              : wb.Delete(cf(w.table), ToSlice(w.key));
      SW_RETURN_IF_ERROR(FromRocks(s, "build write batch"));
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  auto write_start = std::chrono::steady_clock::now();
  rocksdb::Status s = db_->Write(wo, &wb);
  write_seconds_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count());
  group_sizes_.Observe(static_cast<double>(batch.size()));
  if (!s.ok()) {
    // What is on disk is uncertain now; re-read versions from the DB.
    versions_.clear();
    return FromRocks(s, "commit");
  }
  ++writes_issued_;
  if (versions_.size() + plan.new_versions.size() >
      options_.version_cache_entries) {
    versions_.clear();
  }
  for (auto& [id, version] : plan.new_versions) {
    versions_[id] = version;
  }
  return std::move(plan.statuses);
}

absl::StatusOr<std::optional<VersionedValue>> RocksStore::GetExecution(
    const std::string& execution_id) {
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(Table::kExecutions),
                               ToSlice(execution_id), &value);
  if (s.IsNotFound()) return std::nullopt;
  SW_RETURN_IF_ERROR(
      FromRocks(s, absl::StrCat("read execution ", execution_id)));
  SW_ASSIGN_OR_RETURN(auto decoded,
                      DecodeExecutionValue(execution_id, ToView(value)));
  return VersionedValue{decoded.first, std::move(decoded.second)};
}

absl::StatusOr<std::vector<HistoryChunk>> RocksStore::ReadHistory(
    const std::string& execution_id, int64_t from_event_id, size_t max_chunks) {
  if (from_event_id < 1) from_event_id = 1;
  const std::string prefix = HistoryPrefix(execution_id);
  const std::string target = HistoryKey(execution_id, from_event_id);
  // HistoryPrefix ends in the string terminator, so it has a successor.
  const std::string upper = PrefixSuccessor(prefix).value_or(std::string());
  rocksdb::Slice lower_slice = ToSlice(prefix);
  rocksdb::Slice upper_slice = ToSlice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(ro, cf(Table::kHistory)));
  // The chunk holding from_event_id is the last one starting at or before it.
  it->SeekForPrev(ToSlice(target));
  if (!it->Valid()) {
    SW_RETURN_IF_ERROR(FromRocks(it->status(), "read history"));
    it->Seek(ToSlice(prefix));
  }
  std::vector<HistoryChunk> chunks;
  for (; it->Valid(); it->Next()) {
    absl::string_view key = ToView(it->key());
    if (!absl::StartsWith(key, prefix)) break;
    SW_ASSIGN_OR_RETURN(HistoryKeyParts parts, DecodeHistoryKey(key));
    SW_ASSIGN_OR_RETURN(HistoryValue value,
                        DecodeHistoryValue(key, ToView(it->value())));
    if (value.last_event_id < from_event_id) continue;
    chunks.push_back(HistoryChunk{parts.first_event_id, value.last_event_id,
                                  std::move(value.chunk)});
    if (max_chunks != 0 && chunks.size() >= max_chunks) break;
  }
  SW_RETURN_IF_ERROR(FromRocks(
      it->status(), absl::StrCat("read history of execution ", execution_id)));
  return chunks;
}

absl::Status RocksStore::Put(Table table, const std::string& key,
                             std::optional<std::string> value) {
  SW_RETURN_IF_ERROR(CheckFreeSpace());
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  auto write = [&] {
    rocksdb::Status s =
        value.has_value()
            ? db_->Put(wo, cf(table), ToSlice(key), ToSlice(*value))
            : db_->Delete(wo, cf(table), ToSlice(key));
    return FromRocks(s, absl::StrCat("write ", TableName(table), " key \"",
                                     EscapeKey(key), "\""));
  };
  absl::Status status;
  if (table == Table::kExecutions) {
    // Bypasses the version check: keep the version cache in step.
    std::lock_guard<std::mutex> lock(commit_mu_);
    versions_.erase(key);
    status = write();
  } else {
    std::lock_guard<std::mutex> lock(KeyStripe(table, key));  // see PutIfUnchanged
    status = write();
  }
  if (status.ok()) ++writes_issued_;
  return status;
}

std::mutex& RocksStore::KeyStripe(Table table, const std::string& key) {
  size_t h = std::hash<std::string>()(key) ^ (static_cast<size_t>(table) * 0x9e3779b97f4a7c15ULL);
  return key_stripes_[h % kKeyStripes];
}

absl::StatusOr<bool> RocksStore::PutIfUnchanged(Table table, const std::string& key,
                                                const std::optional<std::string>& expected,
                                                std::optional<std::string> value) {
  if (table == Table::kExecutions) {
    return absl::InvalidArgumentError("PutIfUnchanged is for non-execution tables");
  }
  SW_RETURN_IF_ERROR(CheckFreeSpace());
  std::lock_guard<std::mutex> lock(KeyStripe(table, key));
  SW_ASSIGN_OR_RETURN(std::optional<std::string> found, Get(table, key));
  if (found != expected) return false;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  rocksdb::Status s = value.has_value()
                          ? db_->Put(wo, cf(table), ToSlice(key), ToSlice(*value))
                          : db_->Delete(wo, cf(table), ToSlice(key));
  SW_RETURN_IF_ERROR(FromRocks(s, absl::StrCat("write ", TableName(table), " key \"",
                                               EscapeKey(key), "\"")));
  ++writes_issued_;
  return true;
}

absl::Status RocksStore::PutBatch(absl::Span<const Write> writes) {
  if (writes.empty()) return absl::OkStatus();
  SW_RETURN_IF_ERROR(CheckFreeSpace());
  rocksdb::WriteBatch batch;
  bool executions = false;
  for (const Write& w : writes) {
    executions = executions || w.table == Table::kExecutions;
    rocksdb::Status s = w.value.has_value()
                            ? batch.Put(cf(w.table), ToSlice(w.key), ToSlice(*w.value))
                            : batch.Delete(cf(w.table), ToSlice(w.key));
    SW_RETURN_IF_ERROR(FromRocks(s, absl::StrCat("batch ", TableName(w.table), " key \"",
                                                 EscapeKey(w.key), "\"")));
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  absl::Status status;
  if (executions) {
    // Bypasses the version check: keep the version cache in step.
    std::lock_guard<std::mutex> lock(commit_mu_);
    for (const Write& w : writes) {
      if (w.table == Table::kExecutions) versions_.erase(w.key);
    }
    status = FromRocks(db_->Write(wo, &batch), "write a batch of rows");
  } else {
    status = FromRocks(db_->Write(wo, &batch), "write a batch of rows");
  }
  if (status.ok()) ++writes_issued_;
  return status;
}

absl::StatusOr<std::optional<std::string>> RocksStore::Get(
    Table table, const std::string& key) {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), cf(table), ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  SW_RETURN_IF_ERROR(
      FromRocks(s, absl::StrCat("read ", TableName(table), " key \"",
                                EscapeKey(key), "\"")));
  return value;
}

absl::StatusOr<std::vector<KeyValue>> RocksStore::Scan(
    Table table, const ScanOptions& opts) {
  const internal::ScanRange range = internal::ComputeScanRange(opts);
  std::vector<KeyValue> out;
  if (range.empty) return out;
  rocksdb::Slice lower_slice = ToSlice(range.lower);
  rocksdb::Slice upper_slice;
  rocksdb::ReadOptions ro;
  if (!range.lower.empty()) ro.iterate_lower_bound = &lower_slice;
  if (range.upper.has_value()) {
    upper_slice = ToSlice(*range.upper);
    ro.iterate_upper_bound = &upper_slice;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(table)));
  if (!opts.reverse) {
    it->Seek(lower_slice);
    if (it->Valid() && range.lower_exclusive &&
        ToView(it->key()) == range.lower) {
      it->Next();
    }
  } else if (range.upper.has_value()) {
    it->SeekForPrev(upper_slice);
    if (it->Valid() && ToView(it->key()) >= absl::string_view(*range.upper)) {
      it->Prev();
    }
  } else {
    it->SeekToLast();
  }
  while (it->Valid() && (opts.limit == 0 || out.size() < opts.limit)) {
    absl::string_view key = ToView(it->key());
    if (!internal::InRange(range, key)) break;
    out.push_back(KeyValue{std::string(key), it->value().ToString()});
    if (opts.reverse) {
      it->Prev();
    } else {
      it->Next();
    }
  }
  SW_RETURN_IF_ERROR(
      FromRocks(it->status(), absl::StrCat("scan ", TableName(table))));
  return out;
}

}  // namespace stepwise::storage
