// ItemReaderConfig: a Distributed Map state's `ItemReader` checked and read
// into plain fields, once the caller (the Map Run room) has evaluated its
// JSONPath `Parameters` or JSONata `Arguments` into a JSON object (Bucket,
// Key or Prefix, VersionId) and resolved `MaxItemsPath` into MaxItems.
// Errors are kInvalidArgument naming the field as AWS does
// (`ItemReader.ReaderConfig.CSVDelimiter`); the caller fails the state
// with States.ItemReaderFailed and the message as the cause.
// Pure functions: any thread.
#ifndef SW_ENGINE_MAP_RUN_ITEM_READER_CONFIG_H_
#define SW_ENGINE_MAP_RUN_ITEM_READER_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace stepwise::engine::map_run {

// The error a Map state fails with when its items cannot be read.
inline constexpr char kItemReaderFailed[] = "States.ItemReaderFailed";

// AWS's ceiling on ReaderConfig.MaxItems.
inline constexpr int64_t kMaxItemsLimit = 100000000;

enum class ItemReaderResource {
  kGetObject,       // arn:aws:states:::s3:getObject
  kListObjectsV2,   // arn:aws:states:::s3:listObjectsV2
};

enum class ItemInputType { kJson, kJsonl, kCsv, kManifest };

enum class CsvHeaderLocation { kFirstRow, kGiven };

struct ItemReaderConfig {
  ItemReaderResource resource = ItemReaderResource::kGetObject;
  std::string bucket;
  std::string key;         // getObject
  std::string version_id;  // getObject, optional
  std::string prefix;      // listObjectsV2, optional
  // Only for getObject (listObjectsV2 has no InputType).
  ItemInputType input_type = ItemInputType::kJson;
  CsvHeaderLocation csv_header_location = CsvHeaderLocation::kFirstRow;
  std::vector<std::string> csv_headers;  // GIVEN only
  char csv_delimiter = ',';
  // JSON only: an RFC 6901 JSON Pointer to the array inside the object
  // ("/data/items"); empty = the whole object is the array.
  std::string items_pointer;
  // 0 = all items.
  int64_t max_items = 0;
};

// Checks `item_reader` (the state's ItemReader field) with `arguments` (its
// Parameters / Arguments, already evaluated; may be null when absent).
// `max_items_from_path` is MaxItemsPath's resolved value when the state has
// one.
absl::StatusOr<ItemReaderConfig> ParseItemReaderConfig(
    const json::value& item_reader, const json::value* arguments,
    std::optional<int64_t> max_items_from_path = std::nullopt);

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_ITEM_READER_CONFIG_H_
