// The CSV ItemSource: one JSON object per record, keyed by the header row
// (CSVHeaderLocation FIRST_ROW) or CSVHeaders (GIVEN), every value a
// string; a record with fewer fields gets "" for the missing ones, one with
// more has the extra fields dropped (as AWS documents). Read a page at a
// time through csv_record_parser.h. See item_source.h.
#include "absl/strings/str_cat.h"
#include "engine/map_run/csv_record_parser.h"
#include "engine/map_run/item_sources_internal.h"
#include "engine/map_run/paged_object_reader.h"

namespace stepwise::engine::map_run {
namespace {

class CsvItemSource : public ItemSource {
 public:
  CsvItemSource(const ItemReaderConfig& config, S3Objects* s3, const ItemSourceOptions& o)
      : config_(config),
        reader_(s3, S3ObjectRef{config.bucket, config.key, config.version_id}, o.page_bytes,
                o.max_record_bytes) {
    if (config.csv_header_location == CsvHeaderLocation::kGiven) headers_ = config.csv_headers;
  }

  absl::Status Next(std::vector<json::value>* out, size_t max) override {
    if (!reader_.opened() || need_headers()) {
      absl::Status s = Start();
      if (!s.ok()) return s;
    }
    size_t added = 0;
    CsvRecord record;
    while (added < max && !ReachedMaxItems(config_, position_.item_index)) {
      absl::StatusOr<CsvParse> r = ReadRecord(&record);
      if (!r.ok()) return r.status();
      if (*r == CsvParse::kEnd) break;
      json::object item;
      for (size_t i = 0; i < headers_.size(); ++i) {
        item[headers_[i]] = i < record.fields.size() ? record.fields[i] : std::string();
      }
      out->push_back(std::move(item));
      ++added;
      ++position_.item_index;
    }
    return absl::OkStatus();
  }

  ItemSourcePosition Position() const override { return position_; }

  absl::Status Seek(const ItemSourcePosition& position) override {
    position_ = position;
    return Start();
  }

  size_t PeakBufferedBytes() const override { return reader_.peak_buffered_bytes(); }

 private:
  bool need_headers() const { return headers_.empty(); }

  // Opens at position_, reading the header row first when it is needed
  // (FIRST_ROW, including after a Seek past it).
  absl::Status Start() {
    if (need_headers()) {
      absl::Status s = reader_.Open(0);
      if (!s.ok()) return s;
      ItemSourcePosition resume = position_;
      position_ = ItemSourcePosition{};
      CsvRecord header;
      absl::StatusOr<CsvParse> r = ReadRecord(&header);
      if (!r.ok()) return r.status();
      if (*r == CsvParse::kEnd) {
        return absl::InvalidArgumentError(
            absl::StrCat(S3Url(reader_.object()), " has no header row (CSVHeaderLocation FIRST_ROW)"));
      }
      headers_ = std::move(header.fields);
      if (resume.byte_offset > position_.byte_offset) {
        position_ = resume;
      } else {
        resume.byte_offset = position_.byte_offset;
        resume.line = position_.line;
        position_ = resume;
        return absl::OkStatus();  // already just after the header
      }
    }
    return reader_.Open(position_.byte_offset);
  }

  absl::StatusOr<CsvParse> ReadRecord(CsvRecord* record) {
    while (true) {
      absl::StatusOr<CsvParse> r = ParseCsvRecord(reader_.data(), reader_.at_end(),
                                                  config_.csv_delimiter, position_.line, record);
      if (!r.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(S3Url(reader_.object()), ": ", r.status().message()));
      }
      if (*r == CsvParse::kNeedMore) {
        absl::Status s = reader_.ReadPage(position_.line);
        if (!s.ok()) return s;
        continue;
      }
      reader_.Consume(record->consumed);
      position_.byte_offset = reader_.offset();
      position_.line += record->newlines;
      return *r;
    }
  }

  const ItemReaderConfig config_;
  PagedObjectReader reader_;
  std::vector<std::string> headers_;
  ItemSourcePosition position_;
};

}  // namespace

std::unique_ptr<ItemSource> NewCsvItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                             const ItemSourceOptions& options) {
  return std::make_unique<CsvItemSource>(config, s3, options);
}

}  // namespace stepwise::engine::map_run
