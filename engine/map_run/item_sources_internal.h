// The concrete ItemSources behind OpenItemSource (item_source.h), one file
// each: json_array_item_source.cc, jsonl_item_source.cc,
// csv_item_source.cc, listing_item_source.cc. Internal to engine/map_run.
// Threads: as ItemSource.
#ifndef SW_ENGINE_MAP_RUN_ITEM_SOURCES_INTERNAL_H_
#define SW_ENGINE_MAP_RUN_ITEM_SOURCES_INTERNAL_H_

#include <memory>
#include <string>

#include "engine/map_run/item_source.h"

namespace stepwise::engine::map_run {

std::unique_ptr<ItemSource> NewJsonArrayItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                                   const ItemSourceOptions& options);
std::unique_ptr<ItemSource> NewJsonlItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                               const ItemSourceOptions& options);
std::unique_ptr<ItemSource> NewCsvItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                             const ItemSourceOptions& options);
std::unique_ptr<ItemSource> NewListingItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                                 const ItemSourceOptions& options);
std::unique_ptr<ItemSource> NewManifestItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                                  const ItemSourceOptions& options);

// "s3://bucket/key", for causes.
std::string S3Url(const S3ObjectRef& object);

// True once `item_index` items reach MaxItems (0 = no limit).
inline bool ReachedMaxItems(const ItemReaderConfig& config, int64_t item_index) {
  return config.max_items > 0 && item_index >= config.max_items;
}

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_ITEM_SOURCES_INTERNAL_H_
