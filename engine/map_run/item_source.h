// ItemSource: the items of a Distributed Map's ItemReader, pulled in order
// by the Map Run room: Next(out, max) appends up to `max` items (none = the
// end). JSONL, CSV and S3 listings are streamed a page at a time (ranged
// GETs of `page_bytes`, listing pages of 1,000 keys), never held whole; a
// JSON file is read whole (up to `max_json_object_bytes`) since its array
// must be parsed as one value (a JSON object, at the top or at
// ItemsPointer, yields its entries {"Key": k, "Value": v} in order, as AWS
// iterates an object); a MANIFEST (S3 inventory manifest.json) is
// read whole, then its CSV data files (gzip or plain) streamed in turn.
// MaxItems stops early.
// Position() is where the next item starts (byte offset, line and item
// index; the listing page's continuation token and the index in it; the
// manifest's data file and the records of it handed out);
// store it with the items handed out, and after a crash Open + Seek(it)
// continues with the next item, none read twice or skipped.
// Failures are kInvalidArgument / kNotFound / kUnavailable etc. whose
// message is the cause of States.ItemReaderFailed (kItemReaderFailed).
// Threads: one thread at a time per source (it blocks on S3Objects).
#ifndef SW_ENGINE_MAP_RUN_ITEM_SOURCE_H_
#define SW_ENGINE_MAP_RUN_ITEM_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/json.h"
#include "engine/map_run/item_reader_config.h"
#include "engine/map_run/s3_objects.h"

namespace stepwise::engine::map_run {

struct ItemSourcePosition {
  int64_t item_index = 0;   // items handed out so far
  uint64_t byte_offset = 0; // files: where the next record starts
  int64_t line = 1;         // files: its line (1-based)
  std::string continuation_token;  // listings: the page being read ("" = first)
  int64_t index_in_page = 0;       // listings: entries of that page handed out
  int64_t file_index = 0;          // manifests: the data file being read
  int64_t item_in_file = 0;        // manifests: its records handed out

  // As stored with a Map Run ({"item":…,"offset":…,"line":…,"token":…,"inPage":…,
  // "file":…,"inFile":…}).
  json::value ToJson() const;
  static absl::StatusOr<ItemSourcePosition> FromJson(const json::value& v);
};

struct ItemSourceOptions {
  // Bytes per ranged GET of a JSONL / CSV file.
  size_t page_bytes = 1 << 20;
  // The longest record (line) accepted; a longer one fails the read.
  size_t max_record_bytes = 1 << 20;
  // Keys per ListObjectsV2 page (S3's maximum is 1,000).
  int list_page_keys = 1000;
  // The largest JSON (InputType JSON) file read whole.
  uint64_t max_json_object_bytes = 256ull << 20;
};

class ItemSource {
 public:
  virtual ~ItemSource() = default;
  // Appends up to `max` items to `out`; appends none (and returns OK) at
  // the end or once MaxItems were handed out.
  virtual absl::Status Next(std::vector<json::value>* out, size_t max) = 0;
  virtual ItemSourcePosition Position() const = 0;
  // Continues from `position` (one Position() returned, maybe by another
  // source over the same config before a crash).
  virtual absl::Status Seek(const ItemSourcePosition& position) = 0;
  // The most bytes of the object buffered at once so far (pages plus an
  // unfinished record; the whole file for JSON).
  virtual size_t PeakBufferedBytes() const = 0;
  // True when the items are a JSON object's entries ({"Key": k, "Value":
  // v}, the JSON reader over an object): $$.Map.Item.Key is then the key.
  virtual bool YieldsObjectEntries() const { return false; }
};

// A source over `config`'s data, before its first item. `s3` must outlive
// it. Reads nothing yet (the first Next does).
std::unique_ptr<ItemSource> OpenItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                           ItemSourceOptions options = {});

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_ITEM_SOURCE_H_
