#include "tests/faults/power_loss_fs.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace stepwise::faults {
namespace {

rocksdb::IOStatus Off() { return rocksdb::IOStatus::IOError("power is off (simulated)"); }

std::string DirOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

class TrackedFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TrackedFile(std::unique_ptr<rocksdb::FSWritableFile> f, PowerLossFileSystem* fs,
              std::string path)
      : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs), path_(std::move(path)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* d) override {
    if (fs_->powered_off()) return Off();
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Append(data, o, d);
    if (s.ok()) fs_->Appended(path_, target()->GetFileSize(o, d));
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* d) override {
    if (fs_->powered_off()) return Off();
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Append(data, o, v, d);
    if (s.ok()) fs_->Appended(path_, target()->GetFileSize(o, d));
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* d) override {
    if (fs_->powered_off()) return Off();
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, d);
    if (s.ok()) fs_->Appended(path_, offset + data.size());
    return s;
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     const rocksdb::DataVerificationInfo& v,
                                     rocksdb::IODebugContext* d) override {
    if (fs_->powered_off()) return Off();
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, v, d);
    if (s.ok()) fs_->Appended(path_, offset + data.size());
    return s;
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
    if (fs_->powered_off()) return Off();
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Truncate(size, o, d);
    if (s.ok()) fs_->Truncated(path_, size);
    return s;
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (fs_->powered_off()) return Off();
    return FSWritableFileOwnerWrapper::Flush(o, d);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (fs_->powered_off()) return Off();
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Sync(o, d);
    if (s.ok()) fs_->Synced(path_);
    return s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (fs_->powered_off()) return Off();
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Fsync(o, d);
    if (s.ok()) fs_->Synced(path_);
    return s;
  }
  // RangeSync only starts write-back: it promises nothing, so it is not a sync.
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t n, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* d) override {
    if (fs_->powered_off()) return Off();
    return FSWritableFileOwnerWrapper::RangeSync(offset, n, o, d);
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    // Closing writes nothing new; the descriptor is released either way.
    return FSWritableFileOwnerWrapper::Close(o, d);
  }

 private:
  PowerLossFileSystem* const fs_;
  const std::string path_;
};

class TrackedDir final : public rocksdb::FSDirectory {
 public:
  TrackedDir(std::unique_ptr<rocksdb::FSDirectory> d, PowerLossFileSystem* fs, std::string name)
      : target_(std::move(d)), fs_(fs), name_(std::move(name)) {}
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (fs_->powered_off()) return Off();
    rocksdb::IOStatus s = target_->Fsync(o, d);
    if (s.ok()) fs_->DirSynced(name_);
    return s;
  }
  rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d,
                                        const rocksdb::DirFsyncOptions& opts) override {
    if (fs_->powered_off()) return Off();
    rocksdb::IOStatus s = target_->FsyncWithDirOptions(o, d, opts);
    if (s.ok()) fs_->DirSynced(name_);
    return s;
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    return target_->Close(o, d);
  }
  size_t GetUniqueId(char* id, size_t max_size) const override {
    return target_->GetUniqueId(id, max_size);
  }

 private:
  std::unique_ptr<rocksdb::FSDirectory> target_;
  PowerLossFileSystem* const fs_;
  const std::string name_;
};

}  // namespace

PowerLossFileSystem::PowerLossFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

void PowerLossFileSystem::PowerOff() { off_ = true; }

void PowerLossFileSystem::Appended(const std::string& path, uint64_t end_offset) {
  std::lock_guard<std::mutex> l(mu_);
  FileState& f = files_[path];
  if (end_offset > f.size) f.size = end_offset;
}

void PowerLossFileSystem::Synced(const std::string& path) {
  ++syncs_;
  std::lock_guard<std::mutex> l(mu_);
  FileState& f = files_[path];
  f.synced = f.size;
}

void PowerLossFileSystem::Truncated(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  FileState& f = files_[path];
  f.size = size;
  if (f.synced > size) f.synced = size;
}

void PowerLossFileSystem::DirSynced(const std::string& dir) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [path, f] : files_) {
    if (DirOf(path) == dir) f.entry_durable = true;
  }
}

rocksdb::IOStatus PowerLossFileSystem::Track(const std::string& path, bool created,
                                             bool truncated, rocksdb::IOStatus s,
                                             std::unique_ptr<rocksdb::FSWritableFile>* r) {
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(path);
    if (it == files_.end() || truncated) {
      FileState f;
      if (!truncated) {
        // A file written before: what is there now counts as durable.
        std::error_code ec;
        auto size = std::filesystem::file_size(path, ec);
        f.size = f.synced = ec ? 0 : size;
      }
      f.entry_durable = !created || (it != files_.end() && it->second.entry_durable);
      files_[path] = f;
    }
  }
  *r = std::make_unique<TrackedFile>(std::move(*r), this, path);
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::NewWritableFile(
    const std::string& f, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) {
  if (off_) return Off();
  bool existed = std::filesystem::exists(f);
  return Track(f, !existed, true, target()->NewWritableFile(f, o, r, d), r);
}

rocksdb::IOStatus PowerLossFileSystem::ReopenWritableFile(
    const std::string& f, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) {
  if (off_) return Off();
  bool existed = std::filesystem::exists(f);
  return Track(f, !existed, false, target()->ReopenWritableFile(f, o, r, d), r);
}

rocksdb::IOStatus PowerLossFileSystem::ReuseWritableFile(
    const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) {
  if (off_) return Off();
  {
    std::lock_guard<std::mutex> l(mu_);
    files_.erase(old);
  }
  return Track(f, true, true, target()->ReuseWritableFile(f, old, o, r, d), r);
}

rocksdb::IOStatus PowerLossFileSystem::NewDirectory(const std::string& name,
                                                    const rocksdb::IOOptions& o,
                                                    std::unique_ptr<rocksdb::FSDirectory>* r,
                                                    rocksdb::IODebugContext* d) {
  rocksdb::IOStatus s = target()->NewDirectory(name, o, r, d);
  if (s.ok()) {
    std::string n = name;
    while (n.size() > 1 && n.back() == '/') n.pop_back();
    *r = std::make_unique<TrackedDir>(std::move(*r), this, n);
  }
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::RenameFile(const std::string& src,
                                                  const std::string& dst,
                                                  const rocksdb::IOOptions& o,
                                                  rocksdb::IODebugContext* d) {
  if (off_) return Off();
  rocksdb::IOStatus s = target()->RenameFile(src, dst, o, d);
  if (s.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(src);
    if (it != files_.end()) {
      FileState f = it->second;
      files_.erase(it);
      // RocksDB syncs its directory after each rename it relies on (CURRENT).
      // A rename is not undone here; the data it carries is cut back like
      // any other file's.
      files_[dst] = f;
    }
  }
  return s;
}

rocksdb::IOStatus PowerLossFileSystem::DeleteFile(const std::string& f,
                                                  const rocksdb::IOOptions& o,
                                                  rocksdb::IODebugContext* d) {
  if (off_) return Off();
  rocksdb::IOStatus s = target()->DeleteFile(f, o, d);
  if (s.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    files_.erase(f);
  }
  return s;
}

absl::Status PowerLossFileSystem::DropUnsyncedData() {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [path, f] : files_) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) continue;
    if (!f.entry_durable) {
      auto size = std::filesystem::file_size(path, ec);
      if (!ec) bytes_dropped_ += static_cast<int64_t>(size);
      std::filesystem::remove(path, ec);
      if (ec) return absl::InternalError(absl::StrCat("remove ", path, ": ", ec.message()));
      ++files_deleted_;
      continue;
    }
    auto size = std::filesystem::file_size(path, ec);
    if (ec) return absl::InternalError(absl::StrCat("size of ", path, ": ", ec.message()));
    if (size > f.synced) {
      bytes_dropped_ += static_cast<int64_t>(size - f.synced);
      if (::truncate(path.c_str(), static_cast<off_t>(f.synced)) != 0) {
        return absl::InternalError(absl::StrCat("truncate ", path));
      }
    }
  }
  files_.clear();
  return absl::OkStatus();
}

}  // namespace stepwise::faults
