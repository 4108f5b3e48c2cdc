// MapRunItems: the child inputs of a Map Run, in item order, as AWS builds
// them: ItemReader (item_source.h, streamed from S3) or the items the
// interpreter evaluated → ItemSelector (for reader items; $$.Map.Item.Index
// and .Value as for inline maps) → ItemBatcher (item_batcher.h). Pulled a
// page at a time by the MapRunDriver; deterministic, so a resumed run that
// reads again from the start gets the same inputs for the same indexes.
// Errors are the cause of States.ItemReaderFailed (kItemReaderFailed).
// Threads: one at a time (the driver's); blocks on S3.
#ifndef SW_ENGINE_MAP_RUN_MAP_RUN_ITEMS_H_
#define SW_ENGINE_MAP_RUN_MAP_RUN_ITEMS_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "asl/jsonata_template.h"
#include "asl/payload_template.h"
#include "common/json.h"
#include "engine/map_run/item_batcher.h"
#include "engine/map_run/item_source.h"
#include "engine/map_run/map_run_spec.h"
#include "engine/map_run/s3_objects.h"

namespace stepwise::engine {

class MapRunItems {
 public:
  // `spec` and `s3` (null: no S3 reachable; an ItemReader fails) outlive it.
  static absl::StatusOr<std::unique_ptr<MapRunItems>> Open(const MapRunSpec& spec,
                                                           map_run::S3Objects* s3);
  // Appends up to `max` child inputs to `out`; none at the end.
  absl::Status Next(std::vector<json::value>* out, size_t max);

 private:
  explicit MapRunItems(const MapRunSpec& spec) : spec_(spec) {}
  // The next item after ItemSelector, or nullopt at the end.
  absl::StatusOr<std::optional<json::value>> NextItem();
  absl::StatusOr<json::value> Select(json::value item, int64_t index) const;

  const MapRunSpec& spec_;
  size_t inline_next_ = 0;
  std::unique_ptr<map_run::ItemSource> source_;  // null: the inline items
  std::vector<json::value> read_;                // a page from source_
  size_t read_next_ = 0;
  int64_t index_ = 0;  // of the next item
  std::optional<asl::PayloadTemplate> selector_;
  std::optional<asl::JsonataTemplate> jsonata_selector_;
  std::optional<map_run::ItemBatcher> batcher_;
  std::deque<json::value> batches_;
  bool finished_ = false;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_MAP_RUN_MAP_RUN_ITEMS_H_
