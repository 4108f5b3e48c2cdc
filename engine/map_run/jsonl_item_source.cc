// The JSONL ItemSource: one JSON value per line, read a page at a time;
// blank lines are skipped; a line that is not JSON fails the read naming
// its line. See item_source.h.
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/map_run/item_sources_internal.h"
#include "engine/map_run/paged_object_reader.h"

namespace stepwise::engine::map_run {
namespace {

class JsonlItemSource : public ItemSource {
 public:
  JsonlItemSource(const ItemReaderConfig& config, S3Objects* s3, const ItemSourceOptions& o)
      : config_(config),
        reader_(s3, S3ObjectRef{config.bucket, config.key, config.version_id}, o.page_bytes,
                o.max_record_bytes) {}

  absl::Status Next(std::vector<json::value>* out, size_t max) override {
    if (!reader_.opened()) {
      absl::Status s = reader_.Open(position_.byte_offset);
      if (!s.ok()) return s;
    }
    size_t added = 0;
    while (added < max && !ReachedMaxItems(config_, position_.item_index)) {
      std::string_view data = reader_.data();
      size_t nl = data.find('\n');
      if (nl == std::string_view::npos && !reader_.at_end()) {
        absl::Status s = reader_.ReadPage(position_.line);
        if (!s.ok()) return s;
        continue;
      }
      if (nl == std::string_view::npos && data.empty()) break;  // the end
      size_t take = nl == std::string_view::npos ? data.size() : nl + 1;
      std::string_view line = data.substr(0, nl == std::string_view::npos ? data.size() : nl);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const int64_t line_no = position_.line;
      if (!absl::StripAsciiWhitespace(ToAbsl(line)).empty()) {
        absl::StatusOr<json::value> v = ParseJson(ToAbsl(line));
        if (!v.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("line ", line_no, " of ",
                                                         S3Url(reader_.object()),
                                                         " is not valid JSON: ",
                                                         v.status().message()));
        }
        out->push_back(*std::move(v));
        ++added;
        ++position_.item_index;
      }
      reader_.Consume(take);
      position_.byte_offset = reader_.offset();
      ++position_.line;
    }
    return absl::OkStatus();
  }

  ItemSourcePosition Position() const override { return position_; }

  absl::Status Seek(const ItemSourcePosition& position) override {
    position_ = position;
    return reader_.Open(position.byte_offset);
  }

  size_t PeakBufferedBytes() const override { return reader_.peak_buffered_bytes(); }

 private:
  const ItemReaderConfig config_;
  PagedObjectReader reader_;
  ItemSourcePosition position_;
};

}  // namespace

std::unique_ptr<ItemSource> NewJsonlItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                               const ItemSourceOptions& options) {
  return std::make_unique<JsonlItemSource>(config, s3, options);
}

}  // namespace stepwise::engine::map_run
