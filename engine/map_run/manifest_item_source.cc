// The MANIFEST ItemSource: an S3 inventory manifest.json (read whole) whose
// CSV data files ("files":[{"key":…}], in "destinationBucket", gzip or
// plain) are streamed in turn; each record becomes an object keyed by the
// manifest's "fileSchema" columns ("Bucket, Key, Size, …"), every value a
// string. Position: the data file and the records of it handed out; a
// resumed source re-reads that file from its start and skips those (gzip
// has no random access). See item_source.h.
#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/map_run/csv_record_parser.h"
#include "engine/map_run/gzip_object_reader.h"
#include "engine/map_run/item_sources_internal.h"

namespace stepwise::engine::map_run {
namespace {

constexpr uint64_t kMaxManifestBytes = 16 << 20;

class ManifestItemSource : public ItemSource {
 public:
  ManifestItemSource(const ItemReaderConfig& config, S3Objects* s3, const ItemSourceOptions& o)
      : config_(config), s3_(s3), options_(o),
        manifest_{config.bucket, config.key, config.version_id} {}

  absl::Status Next(std::vector<json::value>* out, size_t max) override {
    if (!loaded_) {
      absl::Status s = LoadManifest();
      if (!s.ok()) return s;
    }
    size_t added = 0;
    CsvRecord record;
    while (added < max && !ReachedMaxItems(config_, position_.item_index) &&
           position_.file_index < static_cast<int64_t>(files_.size())) {
      if (file_ == nullptr) {
        absl::Status s = OpenFile();
        if (!s.ok()) return s;
      }
      absl::StatusOr<bool> got = ReadRecord(&record);
      if (!got.ok()) return got.status();
      if (!*got) {  // this file is done: the next one
        file_.reset();
        ++position_.file_index;
        position_.item_in_file = 0;
        continue;
      }
      out->push_back(ItemOf(record));
      ++position_.item_in_file;
      ++position_.item_index;
      ++added;
    }
    return absl::OkStatus();
  }

  ItemSourcePosition Position() const override { return position_; }

  absl::Status Seek(const ItemSourcePosition& position) override {
    position_ = position;
    file_.reset();
    return absl::OkStatus();
  }

  size_t PeakBufferedBytes() const override {
    return std::max(peak_, file_ == nullptr ? 0 : file_->peak_buffered_bytes());
  }

 private:
  absl::Status Bad(std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("the manifest ", S3Url(manifest_), " ", absl::string_view(what.data(), what.size())));
  }

  absl::Status LoadManifest() {
    absl::StatusOr<uint64_t> size = s3_->Size(manifest_);
    if (!size.ok()) return size.status();
    if (*size > kMaxManifestBytes) return Bad("is too large");
    absl::StatusOr<std::string> text = s3_->Read(manifest_, 0, *size);
    if (!text.ok()) return text.status();
    peak_ = text->size();
    absl::StatusOr<json::value> v = ParseJson(*text);
    if (!v.ok()) return Bad(absl::StrCat("is not valid JSON: ", v.status().message()));
    const json::object* o = v->if_object();
    if (o == nullptr) return Bad("is not a JSON object");
    const json::value* format = o->if_contains("fileFormat");
    if (format == nullptr || !format->is_string() || format->as_string() != "CSV") {
      return Bad("has a fileFormat other than CSV (the only one supported)");
    }
    const json::value* schema = o->if_contains("fileSchema");
    if (schema == nullptr || !schema->is_string()) return Bad("has no fileSchema");
    for (absl::string_view column : absl::StrSplit(
             absl::string_view(schema->as_string().data(), schema->as_string().size()), ',')) {
      columns_.emplace_back(absl::StripAsciiWhitespace(column));
    }
    data_bucket_ = config_.bucket;
    if (const json::value* dest = o->if_contains("destinationBucket"); dest && dest->is_string()) {
      std::string arn(dest->as_string().data(), dest->as_string().size());
      size_t colons = arn.rfind(":::");
      data_bucket_ = colons == std::string::npos ? arn : arn.substr(colons + 3);
    }
    const json::value* files = o->if_contains("files");
    if (files == nullptr || !files->is_array()) return Bad("has no files array");
    for (const json::value& f : files->as_array()) {
      const json::value* key = f.is_object() ? f.as_object().if_contains("key") : nullptr;
      if (key == nullptr || !key->is_string()) return Bad("has a file without a key");
      files_.emplace_back(key->as_string().data(), key->as_string().size());
    }
    loaded_ = true;
    return absl::OkStatus();
  }

  absl::Status OpenFile() {
    file_ = std::make_unique<GzipObjectReader>(
        s3_, S3ObjectRef{data_bucket_, files_[static_cast<size_t>(position_.file_index)], ""},
        options_.page_bytes, options_.max_record_bytes);
    // A resumed file is read again from its start: skip what was handed out.
    CsvRecord skipped;
    for (int64_t i = 0; i < position_.item_in_file; ++i) {
      absl::StatusOr<bool> got = ReadRecord(&skipped);
      if (!got.ok()) return got.status();
      if (!*got) {
        return absl::DataLossError(absl::StrCat(S3Url(file_->object()), " has fewer than ",
                                                position_.item_in_file,
                                                " records: it changed since the Map Run started"));
      }
    }
    return absl::OkStatus();
  }

  // The next record of the open file; false at its end.
  absl::StatusOr<bool> ReadRecord(CsvRecord* record) {
    while (true) {
      absl::StatusOr<CsvParse> r = ParseCsvRecord(file_->data(), file_->at_end(), ',', 1, record);
      if (!r.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(S3Url(file_->object()), ": ", r.status().message()));
      }
      if (*r == CsvParse::kNeedMore) {
        absl::Status s = file_->More();
        if (!s.ok()) return s;
        continue;
      }
      file_->Consume(record->consumed);
      return *r == CsvParse::kRecord;
    }
  }

  json::value ItemOf(const CsvRecord& record) const {
    json::object item;
    for (size_t i = 0; i < columns_.size(); ++i) {
      item[columns_[i]] = i < record.fields.size() ? record.fields[i] : std::string();
    }
    return item;
  }

  const ItemReaderConfig config_;
  S3Objects* const s3_;
  const ItemSourceOptions options_;
  const S3ObjectRef manifest_;
  bool loaded_ = false;
  std::vector<std::string> columns_;
  std::string data_bucket_;
  std::vector<std::string> files_;
  std::unique_ptr<GzipObjectReader> file_;
  ItemSourcePosition position_;
  size_t peak_ = 0;
};

}  // namespace

std::unique_ptr<ItemSource> NewManifestItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                                  const ItemSourceOptions& options) {
  return std::make_unique<ManifestItemSource>(config, s3, options);
}

}  // namespace stepwise::engine::map_run
