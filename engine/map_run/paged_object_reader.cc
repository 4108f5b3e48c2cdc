// Page-at-a-time reads of one S3 object; see paged_object_reader.h.
#include "engine/map_run/paged_object_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace stepwise::engine::map_run {

absl::Status PagedObjectReader::Open(uint64_t offset) {
  if (!opened_) {
    absl::StatusOr<uint64_t> size = s3_->Size(object_);
    if (!size.ok()) return size.status();
    size_ = *size;
    opened_ = true;
  }
  if (offset > size_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "resume offset ", offset, " is past the end of s3://", object_.bucket, "/",
        object_.key, " (", size_, " bytes): the object changed since the Map Run started"));
  }
  buffer_.clear();
  start_ = 0;
  read_to_ = offset;
  return absl::OkStatus();
}

absl::Status PagedObjectReader::ReadPage(int64_t line) {
  if (at_end()) return absl::OkStatus();
  if (buffer_.size() - start_ > max_record_bytes_) {
    return absl::InvalidArgumentError(absl::StrCat("the record at line ", line, " of s3://",
                                                   object_.bucket, "/", object_.key,
                                                   " is longer than ", max_record_bytes_,
                                                   " bytes"));
  }
  buffer_.erase(0, start_);
  start_ = 0;
  uint64_t length = std::min<uint64_t>(page_bytes_, size_ - read_to_);
  absl::StatusOr<std::string> page = s3_->Read(object_, read_to_, length);
  if (!page.ok()) return page.status();
  if (page->empty()) {
    return absl::DataLossError(absl::StrCat("s3://", object_.bucket, "/", object_.key,
                                            " ended at byte ", read_to_, " of ", size_,
                                            ": the object changed while it was read"));
  }
  read_to_ += page->size();
  buffer_ += *page;
  peak_ = std::max(peak_, buffer_.size());
  return absl::OkStatus();
}

}  // namespace stepwise::engine::map_run
