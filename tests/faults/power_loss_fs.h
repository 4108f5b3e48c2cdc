// PowerLossFileSystem: a RocksDB file system for tests that remembers, for
// every file written through it, how much of it has been synced, and can
// then simulate a power loss: PowerOff() makes every later write, sync,
// rename and delete fail (the machine is gone; nothing more reaches the
// disk), and DropUnsyncedData() - once the database is closed - cuts each
// file back to its last synced length and deletes the files created since
// their directory was last synced (their directory entry was never made
// durable). What is left is what a disk would hold after the power went.
// Plugged in through storage::RocksOptions::file_system. Thread-safe.
#ifndef SW_TESTS_FAULTS_POWER_LOSS_FS_H_
#define SW_TESTS_FAULTS_POWER_LOSS_FS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "rocksdb/file_system.h"

namespace stepwise::faults {

class PowerLossFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  PowerLossFileSystem();
  const char* Name() const override { return "StepwisePowerLoss"; }

  // From now on nothing more is written: appends, syncs, renames, deletes
  // and new files fail with an I/O error.
  void PowerOff();
  bool powered_off() const { return off_.load(); }

  // Truncates every tracked file to its synced length and deletes files
  // whose creation was never made durable. Call after the database using
  // this file system is closed. Returns the first I/O error.
  absl::Status DropUnsyncedData();

  // What DropUnsyncedData dropped, and how many syncs were seen.
  int64_t bytes_dropped() const { return bytes_dropped_; }
  int64_t files_deleted() const { return files_deleted_; }
  int64_t syncs() const { return syncs_.load(); }

  // Called by the file wrappers.
  void Appended(const std::string& path, uint64_t end_offset);
  void Synced(const std::string& path);
  void Truncated(const std::string& path, uint64_t size);

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& o,
                                 std::unique_ptr<rocksdb::FSDirectory>* r,
                                 rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override;
  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* d) override;

  // A directory was fsynced: the files created in it are now durable.
  void DirSynced(const std::string& dir);

 private:
  struct FileState {
    uint64_t size = 0;         // bytes written so far
    uint64_t synced = 0;       // bytes known to be on disk
    bool entry_durable = true;  // its directory entry survives a power loss
  };
  rocksdb::IOStatus Track(const std::string& path, bool created, bool truncated,
                          rocksdb::IOStatus s, std::unique_ptr<rocksdb::FSWritableFile>* r);

  std::atomic<bool> off_{false};
  std::atomic<int64_t> syncs_{0};
  std::mutex mu_;
  std::map<std::string, FileState> files_;  // guarded by mu_
  int64_t bytes_dropped_ = 0;
  int64_t files_deleted_ = 0;
};

}  // namespace stepwise::faults

#endif  // SW_TESTS_FAULTS_POWER_LOSS_FS_H_
