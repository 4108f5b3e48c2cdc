// A RocksDB file system that fails on purpose, for fault tests: wraps the
// operating system's file system and, after a given number of successful
// file syncs, makes every later Sync/Fsync/RangeSync of a writable file fail
// with an I/O error (as a dying disk does). Plug it into
// RocksOptions::file_system. stepwised uses it only when the environment
// variable STEPWISE_TEST_FAIL_SYNC_AFTER is set (server/README.md), to test
// its fail-stop path; tests/faults/ uses it directly. Thread-safe.
#ifndef SW_STORAGE_FAULTY_FILE_SYSTEM_H_
#define SW_STORAGE_FAULTY_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>

namespace rocksdb {
class FileSystem;
}  // namespace rocksdb

namespace stepwise::storage {

// Returns a file system on which the first `ok_syncs` file syncs succeed
// and every later one fails ("injected fsync failure"). Nothing else
// changes: writes reach the files, reads work.
std::shared_ptr<rocksdb::FileSystem> NewFailingSyncFileSystem(int64_t ok_syncs);

}  // namespace stepwise::storage

#endif  // SW_STORAGE_FAULTY_FILE_SYSTEM_H_
