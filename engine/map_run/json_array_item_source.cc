// The JSON ItemSource: the object is one JSON array or object (or a
// document holding one at ReaderConfig.ItemsPointer), read and parsed whole,
// up to ItemSourceOptions::max_json_object_bytes; an object yields its
// entries {"Key": k, "Value": v} in order. See item_source.h.
#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/map_run/item_sources_internal.h"

namespace stepwise::engine::map_run {
namespace {

class JsonArrayItemSource : public ItemSource {
 public:
  JsonArrayItemSource(const ItemReaderConfig& config, S3Objects* s3, const ItemSourceOptions& o)
      : config_(config), s3_(s3), options_(o),
        object_{config.bucket, config.key, config.version_id} {}

  absl::Status Next(std::vector<json::value>* out, size_t max) override {
    if (!items_.has_value()) {
      absl::Status s = Load();
      if (!s.ok()) return s;
    }
    size_t added = 0;
    while (added < max && !ReachedMaxItems(config_, position_.item_index) &&
           position_.item_index < static_cast<int64_t>(items_->size())) {
      out->push_back((*items_)[static_cast<size_t>(position_.item_index)]);
      ++position_.item_index;
      ++added;
    }
    return absl::OkStatus();
  }

  ItemSourcePosition Position() const override { return position_; }

  absl::Status Seek(const ItemSourcePosition& position) override {
    position_ = position;
    return absl::OkStatus();
  }

  size_t PeakBufferedBytes() const override { return peak_; }
  bool YieldsObjectEntries() const override { return entries_; }

 private:
  absl::Status Load() {
    absl::StatusOr<uint64_t> size = s3_->Size(object_);
    if (!size.ok()) return size.status();
    if (*size > options_.max_json_object_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          S3Url(object_), " is ", *size, " bytes, more than the ",
          options_.max_json_object_bytes, " bytes a JSON ItemReader file may have"));
    }
    std::string text;
    while (text.size() < *size) {
      absl::StatusOr<std::string> page =
          s3_->Read(object_, text.size(), std::min<uint64_t>(options_.page_bytes, *size - text.size()));
      if (!page.ok()) return page.status();
      if (page->empty()) break;
      text += *page;
    }
    peak_ = text.size();
    absl::StatusOr<json::value> v = ParseJson(text);
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(S3Url(object_), " is not valid JSON: ", v.status().message()));
    }
    json::value* at = &*v;
    if (!config_.items_pointer.empty()) {
      boost::system::error_code ec;
      at = v->find_pointer(config_.items_pointer, ec);
      if (at == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("ItemsPointer ", config_.items_pointer,
                                                       " selects nothing in ", S3Url(object_)));
      }
    }
    if (json::object* o = at->if_object()) {
      items_ = ObjectEntries(*o);
      entries_ = true;
      return absl::OkStatus();
    }
    json::array* a = at->if_array();
    if (a == nullptr) {
      return absl::InvalidArgumentError(
          config_.items_pointer.empty()
              ? absl::StrCat("the content of ", S3Url(object_),
                             " is not a JSON array or object")
              : absl::StrCat("ItemsPointer ", config_.items_pointer, " in ", S3Url(object_),
                             " does not select a JSON array or object"));
    }
    items_ = std::move(*a);
    return absl::OkStatus();
  }

  const ItemReaderConfig config_;
  S3Objects* const s3_;
  const ItemSourceOptions options_;
  const S3ObjectRef object_;
  std::optional<json::array> items_;
  ItemSourcePosition position_;
  size_t peak_ = 0;
  bool entries_ = false;
};

}  // namespace

std::unique_ptr<ItemSource> NewJsonArrayItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                                   const ItemSourceOptions& options) {
  return std::make_unique<JsonArrayItemSource>(config, s3, options);
}

}  // namespace stepwise::engine::map_run
