// ItemBatcher and its config; see item_batcher.h.
#include "engine/map_run/item_batcher.h"

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace stepwise::engine::map_run {
namespace {

absl::StatusOr<int64_t> PositiveInt(const json::value& v, std::string_view field, int64_t max) {
  if (!IsIntegral(v) || ToDouble(v) < 1 || ToDouble(v) > static_cast<double>(max)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ItemBatcher.", ToAbsl(field), " must be an integer from 1 to ", max));
  }
  return static_cast<int64_t>(ToDouble(v));
}

}  // namespace

absl::StatusOr<ItemBatcherConfig> ParseItemBatcherConfig(const json::value& item_batcher,
                                                         std::optional<int64_t> max_items_from_path,
                                                         std::optional<int64_t> max_bytes_from_path,
                                                         const json::value* batch_input) {
  const json::object* o = item_batcher.if_object();
  if (o == nullptr) return absl::InvalidArgumentError("ItemBatcher must be a JSON object");
  ItemBatcherConfig c;
  if (const json::value* v = o->if_contains("MaxItemsPerBatch")) {
    absl::StatusOr<int64_t> n = PositiveInt(*v, "MaxItemsPerBatch", INT32_MAX);
    if (!n.ok()) return n.status();
    c.max_items_per_batch = *n;
  }
  if (max_items_from_path.has_value()) {
    absl::StatusOr<int64_t> n =
        PositiveInt(json::value(*max_items_from_path), "MaxItemsPerBatchPath", INT32_MAX);
    if (!n.ok()) return n.status();
    c.max_items_per_batch = *n;
  }
  if (const json::value* v = o->if_contains("MaxInputBytesPerBatch")) {
    absl::StatusOr<int64_t> n =
        PositiveInt(*v, "MaxInputBytesPerBatch", kMaxInputBytesPerBatchLimit);
    if (!n.ok()) return n.status();
    c.max_input_bytes_per_batch = *n;
  }
  if (max_bytes_from_path.has_value()) {
    absl::StatusOr<int64_t> n = PositiveInt(json::value(*max_bytes_from_path),
                                            "MaxInputBytesPerBatchPath",
                                            kMaxInputBytesPerBatchLimit);
    if (!n.ok()) return n.status();
    c.max_input_bytes_per_batch = *n;
  }
  if (c.max_items_per_batch == 0 && c.max_input_bytes_per_batch == 0) {
    return absl::InvalidArgumentError(
        "ItemBatcher needs MaxItemsPerBatch(Path) or MaxInputBytesPerBatch(Path)");
  }
  if (batch_input != nullptr) {
    if (!batch_input->is_object()) {
      return absl::InvalidArgumentError("ItemBatcher.BatchInput must be a JSON object");
    }
    c.batch_input = *batch_input;
  }
  return c;
}

ItemBatcher::ItemBatcher(ItemBatcherConfig config) : config_(std::move(config)) {
  base_bytes_ = std::string_view(R"({"Items":[]})").size();
  if (config_.batch_input.has_value()) {
    base_bytes_ += std::string_view(R"(,"BatchInput":)").size() +
                   SerializeJson(*config_.batch_input).size();
  }
}

absl::Status ItemBatcher::Add(json::value item, std::vector<json::value>* batches) {
  ++added_;
  const size_t item_bytes = SerializeJson(item).size();
  const int64_t limit = config_.max_input_bytes_per_batch;
  if (limit > 0 && static_cast<int64_t>(base_bytes_ + item_bytes) > limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "item ", added_ - 1, " alone makes a batch input of ", base_bytes_ + item_bytes,
        " bytes, more than ItemBatcher.MaxInputBytesPerBatch (", limit, ")"));
  }
  if (!items_.empty() && limit > 0 &&
      static_cast<int64_t>(base_bytes_ + items_bytes_ + 1 + item_bytes) > limit) {
    batches->push_back(Close());
  }
  items_bytes_ += (items_.empty() ? 0 : 1) + item_bytes;
  items_.push_back(std::move(item));
  if (config_.max_items_per_batch > 0 &&
      static_cast<int64_t>(items_.size()) >= config_.max_items_per_batch) {
    batches->push_back(Close());
  }
  return absl::OkStatus();
}

void ItemBatcher::Finish(std::vector<json::value>* batches) {
  if (!items_.empty()) batches->push_back(Close());
}

json::value ItemBatcher::Close() {
  json::object batch;
  batch["Items"] = std::move(items_);
  if (config_.batch_input.has_value()) batch["BatchInput"] = *config_.batch_input;
  items_ = json::array();
  items_bytes_ = 0;
  return batch;
}

}  // namespace stepwise::engine::map_run
