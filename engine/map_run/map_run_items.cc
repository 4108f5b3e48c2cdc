// MapRunItems (map_run_items.h): reader → selector → batcher.
#include "engine/map_run/map_run_items.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/map_run/item_reader_config.h"

namespace stepwise::engine {

namespace {

absl::Status ReaderFailed(const absl::Status& s) {
  return absl::FailedPreconditionError(s.message());
}

}  // namespace

absl::StatusOr<std::unique_ptr<MapRunItems>> MapRunItems::Open(const MapRunSpec& spec,
                                                               map_run::S3Objects* s3) {
  std::unique_ptr<MapRunItems> m(new MapRunItems(spec));
  if (spec.reader.is_object()) {
    const json::object& r = spec.reader.get_object();
    const json::value* config = r.if_contains("config");
    const json::value* args = r.if_contains("arguments");
    if (args != nullptr && args->is_null()) args = nullptr;
    if (config == nullptr) return absl::FailedPreconditionError("ItemReader is missing");
    absl::StatusOr<map_run::ItemReaderConfig> c = map_run::ParseItemReaderConfig(*config, args);
    if (!c.ok()) return ReaderFailed(c.status());
    if (s3 == nullptr) {
      return absl::FailedPreconditionError(
          "ItemReader needs S3, and this server has no S3 client (see --aws-endpoint)");
    }
    // The source keeps a copy of the config.
    m->source_ = map_run::OpenItemSource(*c, s3);
  }
  if (spec.selector.is_object() && m->source_ != nullptr) {
    const json::object& sel = spec.selector.get_object();
    const json::value* t = sel.if_contains("template");
    const json::value* jsonata = sel.if_contains("jsonata");
    if (t != nullptr) {
      if (jsonata != nullptr && jsonata->is_bool() && jsonata->get_bool()) {
        absl::StatusOr<asl::JsonataTemplate> c = asl::JsonataTemplate::Compile(*t);
        if (!c.ok()) return ReaderFailed(c.status());
        m->jsonata_selector_ = *std::move(c);
      } else {
        absl::StatusOr<asl::PayloadTemplate> c = asl::PayloadTemplate::Compile(*t);
        if (!c.ok()) return ReaderFailed(c.status());
        m->selector_ = *std::move(c);
      }
    }
  }
  if (spec.batcher.is_object()) {
    const json::object& b = spec.batcher.get_object();
    const json::value* config = b.if_contains("config");
    const json::value* batch_input = b.if_contains("batchInput");
    if (batch_input != nullptr && batch_input->is_null()) batch_input = nullptr;
    if (config == nullptr) return absl::FailedPreconditionError("ItemBatcher is missing");
    absl::StatusOr<map_run::ItemBatcherConfig> c =
        map_run::ParseItemBatcherConfig(*config, std::nullopt, std::nullopt, batch_input);
    if (!c.ok()) return ReaderFailed(c.status());
    m->batcher_.emplace(*std::move(c));
  }
  return m;
}

absl::StatusOr<json::value> MapRunItems::Select(json::value item, int64_t index) const {
  if (!selector_ && !jsonata_selector_) return item;
  const json::object& sel = spec_.selector.get_object();
  json::value ctx = sel.contains("context") ? sel.at("context") : json::value(json::object());
  if (!ctx.is_object()) ctx = json::object();
  json::object it;
  it["Index"] = index;
  if (source_ != nullptr && source_->YieldsObjectEntries() && item.is_object()) {
    if (const json::value* key = item.get_object().if_contains("Key")) it["Key"] = *key;
  }
  it["Value"] = item;
  json::object m;
  m["Item"] = std::move(it);
  ctx.get_object()["Map"] = std::move(m);
  json::value input = sel.contains("input") ? sel.at("input") : json::value();
  json::object vars;
  if (const json::value* v = sel.if_contains("variables"); v != nullptr && v->is_object()) {
    vars = v->get_object();
  }
  if (jsonata_selector_) {
    asl::JsonataBindings b;
    for (const auto& kv : vars) b.emplace(std::string(kv.key()), kv.value());
    json::object states;
    states["input"] = std::move(input);
    states["context"] = std::move(ctx);
    b["states"] = json::value(std::move(states));
    return jsonata_selector_->Evaluate(b, "ItemSelector");
  }
  asl::EvalContext env;
  env.input = &input;
  env.context = &ctx;
  env.variables = &vars;
  return selector_->Evaluate(env);
}

absl::StatusOr<std::optional<json::value>> MapRunItems::NextItem() {
  if (source_ == nullptr) {
    if (inline_next_ >= spec_.items.size()) return std::optional<json::value>();
    ++index_;
    return std::optional<json::value>(spec_.items[inline_next_++]);
  }
  if (read_next_ >= read_.size()) {
    read_.clear();
    read_next_ = 0;
    absl::Status s = source_->Next(&read_, 100);
    if (!s.ok()) return ReaderFailed(s);
    if (read_.empty()) return std::optional<json::value>();
  }
  int64_t index = index_++;
  absl::StatusOr<json::value> v = Select(std::move(read_[read_next_++]), index);
  if (!v.ok()) return ReaderFailed(v.status());
  return std::optional<json::value>(*std::move(v));
}

absl::Status MapRunItems::Next(std::vector<json::value>* out, size_t max) {
  size_t added = 0;
  while (added < max) {
    if (!batches_.empty()) {
      out->push_back(std::move(batches_.front()));
      batches_.pop_front();
      ++added;
      continue;
    }
    if (finished_) break;
    SW_ASSIGN_OR_RETURN(std::optional<json::value> item, NextItem());
    if (!item) {
      finished_ = true;
      if (batcher_) {
        std::vector<json::value> last;
        batcher_->Finish(&last);
        for (auto& b : last) batches_.push_back(std::move(b));
      }
      continue;
    }
    if (!batcher_) {
      out->push_back(*std::move(item));
      ++added;
      continue;
    }
    std::vector<json::value> closed;
    absl::Status s = batcher_->Add(*std::move(item), &closed);
    if (!s.ok()) return ReaderFailed(s);
    for (auto& b : closed) batches_.push_back(std::move(b));
  }
  return absl::OkStatus();
}

}  // namespace stepwise::engine
