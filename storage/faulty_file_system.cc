#include "storage/faulty_file_system.h"

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "rocksdb/file_system.h"
#include "rocksdb/io_status.h"

namespace stepwise::storage {
namespace {

struct SyncBudget {
  explicit SyncBudget(int64_t n) : left(n) {}
  // False once the budget is spent (and forever after).
  bool Take() { return left.fetch_sub(1) > 0; }
  std::atomic<int64_t> left;
};

rocksdb::IOStatus Injected() {
  return rocksdb::IOStatus::IOError("injected fsync failure (STEPWISE_TEST_FAIL_SYNC_AFTER)");
}

class FailingSyncFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FailingSyncFile(std::unique_ptr<rocksdb::FSWritableFile> f, std::shared_ptr<SyncBudget> b)
      : FSWritableFileOwnerWrapper(std::move(f)), budget_(std::move(b)) {}
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (!budget_->Take()) return Injected();
    return FSWritableFileOwnerWrapper::Sync(o, d);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (!budget_->Take()) return Injected();
    return FSWritableFileOwnerWrapper::Fsync(o, d);
  }
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t n, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* d) override {
    if (budget_->left.load() <= 0) return Injected();
    return FSWritableFileOwnerWrapper::RangeSync(offset, n, o, d);
  }

 private:
  std::shared_ptr<SyncBudget> budget_;
};

class FailingSyncFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit FailingSyncFileSystem(int64_t ok_syncs)
      : FileSystemWrapper(rocksdb::FileSystem::Default()),
        budget_(std::make_shared<SyncBudget>(ok_syncs)) {}
  const char* Name() const override { return "StepwiseFailingSync"; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* d) override {
    return Wrap(target()->NewWritableFile(f, o, r, d), r);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* d) override {
    return Wrap(target()->ReopenWritableFile(f, o, r, d), r);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* d) override {
    return Wrap(target()->ReuseWritableFile(f, old, o, r, d), r);
  }

 private:
  rocksdb::IOStatus Wrap(rocksdb::IOStatus s, std::unique_ptr<rocksdb::FSWritableFile>* r) {
    if (s.ok()) *r = std::make_unique<FailingSyncFile>(std::move(*r), budget_);
    return s;
  }
  std::shared_ptr<SyncBudget> budget_;
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> NewFailingSyncFileSystem(int64_t ok_syncs) {
  return std::make_shared<FailingSyncFileSystem>(ok_syncs);
}

}  // namespace stepwise::storage
