// The listObjectsV2 ItemSource: one item per key under the Prefix, a
// listing page at a time, shaped as AWS's ItemReader gives them:
// {"Etag":"\"…\"","Key":"…","LastModified":<epoch seconds>,"Size":<bytes>,
//  "StorageClass":"STANDARD"}. Position is the page's continuation token
// and the entries of it handed out. See item_source.h.
#include "engine/map_run/item_sources_internal.h"

namespace stepwise::engine::map_run {
namespace {

class ListingItemSource : public ItemSource {
 public:
  ListingItemSource(const ItemReaderConfig& config, S3Objects* s3, const ItemSourceOptions& o)
      : config_(config), s3_(s3), page_keys_(o.list_page_keys) {}

  absl::Status Next(std::vector<json::value>* out, size_t max) override {
    size_t added = 0;
    while (added < max && !ReachedMaxItems(config_, position_.item_index)) {
      if (!loaded_) {
        absl::StatusOr<S3ListPage> page =
            s3_->List(config_.bucket, config_.prefix, position_.continuation_token, page_keys_);
        if (!page.ok()) return page.status();
        page_ = *std::move(page);
        loaded_ = true;
      }
      if (position_.index_in_page < static_cast<int64_t>(page_.entries.size())) {
        const S3ObjectEntry& e = page_.entries[static_cast<size_t>(position_.index_in_page)];
        json::object item;
        item["Etag"] = e.etag;
        item["Key"] = e.key;
        item["LastModified"] = e.last_modified_epoch_seconds;
        item["Size"] = e.size;
        item["StorageClass"] = e.storage_class;
        out->push_back(std::move(item));
        ++position_.index_in_page;
        ++position_.item_index;
        ++added;
        continue;
      }
      if (page_.next_continuation_token.empty()) break;  // the last page
      position_.continuation_token = page_.next_continuation_token;
      position_.index_in_page = 0;
      loaded_ = false;
    }
    return absl::OkStatus();
  }

  ItemSourcePosition Position() const override { return position_; }

  absl::Status Seek(const ItemSourcePosition& position) override {
    position_ = position;
    loaded_ = false;
    return absl::OkStatus();
  }

  size_t PeakBufferedBytes() const override { return 0; }

 private:
  const ItemReaderConfig config_;
  S3Objects* const s3_;
  const int page_keys_;
  bool loaded_ = false;
  S3ListPage page_;
  ItemSourcePosition position_;
};

}  // namespace

std::unique_ptr<ItemSource> NewListingItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                                 const ItemSourceOptions& options) {
  return std::make_unique<ListingItemSource>(config, s3, options);
}

}  // namespace stepwise::engine::map_run
