// GzipObjectReader: one S3 object read front to back as text, a ranged GET
// of a page at a time, gunzipped on the way when it is gzip (S3 inventory
// data files are .csv.gz; several gzip members in a row are read as one
// stream); plain objects pass through. data() is the text buffered;
// consumers take whole records and call More() when one is cut. Holds a
// compressed page plus at most a page of text beyond an unfinished record.
// Threads: one at a time (blocks on S3Objects).
#ifndef SW_ENGINE_MAP_RUN_GZIP_OBJECT_READER_H_
#define SW_ENGINE_MAP_RUN_GZIP_OBJECT_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/map_run/s3_objects.h"

namespace stepwise::engine::map_run {

class GzipObjectReader {
 public:
  GzipObjectReader(S3Objects* s3, S3ObjectRef object, size_t page_bytes,
                   size_t max_record_bytes);
  ~GzipObjectReader();
  GzipObjectReader(const GzipObjectReader&) = delete;
  GzipObjectReader& operator=(const GzipObjectReader&) = delete;

  std::string_view data() const { return std::string_view(text_).substr(start_); }
  // True when no text follows data().
  bool at_end() const { return opened_ && read_to_ >= size_ && in_.empty() && stream_done_; }
  // Adds text after data(); kInvalidArgument when the compressed data is
  // corrupt or an unfinished record exceeds max_record_bytes.
  absl::Status More();
  void Consume(size_t n) { start_ += n; }
  size_t peak_buffered_bytes() const { return peak_; }
  const S3ObjectRef& object() const { return object_; }

 private:
  absl::Status Open();

  struct Inflater;
  S3Objects* const s3_;
  const S3ObjectRef object_;
  const size_t page_bytes_;
  const size_t max_record_bytes_;
  bool opened_ = false;
  bool gzip_ = false;
  bool stream_done_ = false;  // the last input was consumed into text
  uint64_t size_ = 0;
  uint64_t read_to_ = 0;
  std::string in_;     // compressed bytes not yet inflated
  std::string text_;
  size_t start_ = 0;
  size_t peak_ = 0;
  std::unique_ptr<Inflater> inflater_;
};

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_GZIP_OBJECT_READER_H_
