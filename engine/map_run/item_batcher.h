// ItemBatcher: groups a Map Run's items, in order, into child inputs
// {"Items":[…]} or {"Items":[…],"BatchInput":…}, as a Distributed Map's
// ItemBatcher asks (MaxItemsPerBatch and/or MaxInputBytesPerBatch, their
// *Path forms resolved by the caller, BatchInput evaluated by the caller).
// AWS's order: ItemReader → ItemsPath / ItemsPointer → ItemSelector →
// ItemBatcher, so Add() takes items after ItemSelector. A batch's bytes are
// those of its input as serialised (Items, BatchInput and the braces); an
// item whose batch alone exceeds MaxInputBytesPerBatch fails the Map state
// (kInvalidArgument; the caller reports it as States.ItemReaderFailed).
// Threads: one at a time.
#ifndef SW_ENGINE_MAP_RUN_ITEM_BATCHER_H_
#define SW_ENGINE_MAP_RUN_ITEM_BATCHER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace stepwise::engine::map_run {

// AWS's ceiling on MaxInputBytesPerBatch (256 KiB).
inline constexpr int64_t kMaxInputBytesPerBatchLimit = 256 * 1024;

struct ItemBatcherConfig {
  int64_t max_items_per_batch = 0;        // 0 = no count limit
  int64_t max_input_bytes_per_batch = 0;  // 0 = no byte limit
  std::optional<json::value> batch_input;
};

// Checks `item_batcher` (the state's ItemBatcher). The *_from_path values
// are MaxItemsPerBatchPath / MaxInputBytesPerBatchPath resolved, when the
// state has them; `batch_input` is BatchInput evaluated (null when absent).
// kInvalidArgument naming the field (`ItemBatcher.MaxItemsPerBatch`).
absl::StatusOr<ItemBatcherConfig> ParseItemBatcherConfig(
    const json::value& item_batcher, std::optional<int64_t> max_items_from_path,
    std::optional<int64_t> max_bytes_from_path, const json::value* batch_input);

class ItemBatcher {
 public:
  explicit ItemBatcher(ItemBatcherConfig config);

  // Adds the next item; appends to `batches` the batch it closed, if any.
  absl::Status Add(json::value item, std::vector<json::value>* batches);
  // No more items: appends the last, partial batch, if any.
  void Finish(std::vector<json::value>* batches);
  // Items added to the open batch.
  size_t pending() const { return items_.size(); }

 private:
  json::value Close();

  const ItemBatcherConfig config_;
  size_t base_bytes_ = 0;  // {"Items":[]} plus the BatchInput member
  json::array items_;
  size_t items_bytes_ = 0;  // the items serialised, with their commas
  int64_t added_ = 0;
};

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_ITEM_BATCHER_H_
