// Paged, gunzipping reads of one S3 object; see gzip_object_reader.h.
#include "engine/map_run/gzip_object_reader.h"

#include <zlib.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace stepwise::engine::map_run {

struct GzipObjectReader::Inflater {
  z_stream z{};
  bool ready = false;
  ~Inflater() {
    if (ready) inflateEnd(&z);
  }
};

GzipObjectReader::GzipObjectReader(S3Objects* s3, S3ObjectRef object, size_t page_bytes,
                                   size_t max_record_bytes)
    : s3_(s3), object_(std::move(object)), page_bytes_(page_bytes),
      max_record_bytes_(max_record_bytes) {}

GzipObjectReader::~GzipObjectReader() = default;

absl::Status GzipObjectReader::Open() {
  absl::StatusOr<uint64_t> size = s3_->Size(object_);
  if (!size.ok()) return size.status();
  size_ = *size;
  opened_ = true;
  return absl::OkStatus();
}

absl::Status GzipObjectReader::More() {
  if (!opened_) {
    absl::Status s = Open();
    if (!s.ok()) return s;
  }
  if (text_.size() - start_ > max_record_bytes_) {
    return absl::InvalidArgumentError(absl::StrCat("a record of s3://", object_.bucket, "/",
                                                   object_.key, " is longer than ",
                                                   max_record_bytes_, " bytes"));
  }
  text_.erase(0, start_);
  start_ = 0;
  while (true) {
    if (in_.empty() && read_to_ < size_) {
      absl::StatusOr<std::string> page =
          s3_->Read(object_, read_to_, std::min<uint64_t>(page_bytes_, size_ - read_to_));
      if (!page.ok()) return page.status();
      if (page->empty()) {
        return absl::DataLossError(absl::StrCat("s3://", object_.bucket, "/", object_.key,
                                                " ended early: it changed while it was read"));
      }
      if (read_to_ == 0) {
        gzip_ = page->size() >= 2 && static_cast<unsigned char>((*page)[0]) == 0x1f &&
                static_cast<unsigned char>((*page)[1]) == 0x8b;
      }
      read_to_ += page->size();
      in_ = *std::move(page);
    }
    if (in_.empty() && (!gzip_ || inflater_ == nullptr || stream_done_)) {
      stream_done_ = true;
      return absl::OkStatus();
    }
    if (!gzip_) {
      text_ += in_;
      in_.clear();
      stream_done_ = read_to_ >= size_;
      peak_ = std::max(peak_, text_.size());
      return absl::OkStatus();
    }
    if (inflater_ == nullptr) {
      inflater_ = std::make_unique<Inflater>();
      if (inflateInit2(&inflater_->z, 15 + 32) != Z_OK) {
        return absl::InternalError("zlib could not start");
      }
      inflater_->ready = true;
    }
    z_stream& z = inflater_->z;
    const size_t before = text_.size();
    text_.resize(before + page_bytes_);
    z.next_in = reinterpret_cast<Bytef*>(in_.data());
    z.avail_in = static_cast<uInt>(in_.size());
    z.next_out = reinterpret_cast<Bytef*>(text_.data() + before);
    z.avail_out = static_cast<uInt>(page_bytes_);
    int rc = inflate(&z, Z_NO_FLUSH);
    text_.resize(before + (page_bytes_ - z.avail_out));
    in_.erase(0, in_.size() - z.avail_in);
    peak_ = std::max(peak_, text_.size() + in_.size());
    if (rc == Z_STREAM_END) {
      inflateReset(&z);  // another gzip member may follow
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return absl::InvalidArgumentError(absl::StrCat("s3://", object_.bucket, "/", object_.key,
                                                     " is not valid gzip data"));
    }
    const bool output_full = z.avail_out == 0;  // zlib may hold more
    if (in_.empty() && read_to_ >= size_ && !output_full) stream_done_ = true;
    if (text_.size() > before || stream_done_) return absl::OkStatus();
  }
}

}  // namespace stepwise::engine::map_run
