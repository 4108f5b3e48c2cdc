// PagedObjectReader: one S3 object read front to back in ranged GETs of a
// page each, for the line-based item sources (JSONL, CSV): data() is what
// is buffered from offset() on; a parser consumes whole records from it and
// asks for the next page when a record is cut. Holds at most one page plus
// an unfinished record (a record longer than max_record_bytes fails).
// Threads: one at a time (blocks on S3Objects).
#ifndef SW_ENGINE_MAP_RUN_PAGED_OBJECT_READER_H_
#define SW_ENGINE_MAP_RUN_PAGED_OBJECT_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/map_run/s3_objects.h"

namespace stepwise::engine::map_run {

class PagedObjectReader {
 public:
  PagedObjectReader(S3Objects* s3, S3ObjectRef object, size_t page_bytes,
                    size_t max_record_bytes)
      : s3_(s3), object_(std::move(object)), page_bytes_(page_bytes),
        max_record_bytes_(max_record_bytes) {}

  // Learns the object's size (once) and positions at `offset`, dropping
  // what is buffered.
  absl::Status Open(uint64_t offset);
  bool opened() const { return opened_; }
  // The bytes buffered from offset() on.
  std::string_view data() const {
    return std::string_view(buffer_).substr(start_);
  }
  // True when no byte of the object lies beyond data().
  bool at_end() const { return read_to_ >= size_; }
  // Appends the next page. kInvalidArgument when the unconsumed bytes
  // already exceed max_record_bytes (a record too long); `line` names it.
  absl::Status ReadPage(int64_t line);
  // Drops the first `n` bytes of data().
  void Consume(size_t n) { start_ += n; }
  uint64_t offset() const { return read_to_ - (buffer_.size() - start_); }
  size_t peak_buffered_bytes() const { return peak_; }
  const S3ObjectRef& object() const { return object_; }

 private:
  S3Objects* const s3_;
  const S3ObjectRef object_;
  const size_t page_bytes_;
  const size_t max_record_bytes_;
  bool opened_ = false;
  uint64_t size_ = 0;
  uint64_t read_to_ = 0;  // object bytes [0, read_to_) were read
  std::string buffer_;    // holds object bytes [read_to_ - size(), read_to_)
  size_t start_ = 0;      // offset() within buffer_
  size_t peak_ = 0;
};

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_PAGED_OBJECT_READER_H_
