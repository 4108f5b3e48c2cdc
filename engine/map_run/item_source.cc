// OpenItemSource and ItemSourcePosition's stored form; see item_source.h.
#include "engine/map_run/item_source.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/map_run/item_sources_internal.h"

namespace stepwise::engine::map_run {
namespace {

absl::StatusOr<int64_t> IntMember(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v->as_uint64());
  }
  return absl::DataLossError(absl::StrCat("item source position: ", ToAbsl(name), " is not an integer"));
}

}  // namespace

std::string S3Url(const S3ObjectRef& object) {
  return absl::StrCat("s3://", object.bucket, "/", object.key);
}

json::value ItemSourcePosition::ToJson() const {
  json::object o;
  o["item"] = item_index;
  o["offset"] = byte_offset;
  o["line"] = line;
  if (!continuation_token.empty()) o["token"] = continuation_token;
  if (index_in_page != 0) o["inPage"] = index_in_page;
  if (file_index != 0) o["file"] = file_index;
  if (item_in_file != 0) o["inFile"] = item_in_file;
  return o;
}

absl::StatusOr<ItemSourcePosition> ItemSourcePosition::FromJson(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return absl::DataLossError("item source position is not a JSON object");
  ItemSourcePosition p;
  absl::StatusOr<int64_t> n = IntMember(*o, "item");
  if (!n.ok()) return n.status();
  p.item_index = *n;
  n = IntMember(*o, "offset");
  if (!n.ok()) return n.status();
  p.byte_offset = static_cast<uint64_t>(*n);
  n = IntMember(*o, "line");
  if (!n.ok()) return n.status();
  p.line = *n == 0 ? 1 : *n;
  n = IntMember(*o, "inPage");
  if (!n.ok()) return n.status();
  p.index_in_page = *n;
  n = IntMember(*o, "file");
  if (!n.ok()) return n.status();
  p.file_index = *n;
  n = IntMember(*o, "inFile");
  if (!n.ok()) return n.status();
  p.item_in_file = *n;
  if (const json::value* t = o->if_contains("token")) {
    const json::string* s = t->if_string();
    if (s == nullptr) return absl::DataLossError("item source position: token is not a string");
    p.continuation_token.assign(s->data(), s->size());
  }
  return p;
}

std::unique_ptr<ItemSource> OpenItemSource(const ItemReaderConfig& config, S3Objects* s3,
                                           ItemSourceOptions options) {
  if (config.resource == ItemReaderResource::kListObjectsV2) {
    return NewListingItemSource(config, s3, options);
  }
  switch (config.input_type) {
    case ItemInputType::kJson:
      return NewJsonArrayItemSource(config, s3, options);
    case ItemInputType::kJsonl:
      return NewJsonlItemSource(config, s3, options);
    case ItemInputType::kCsv:
      return NewCsvItemSource(config, s3, options);
    case ItemInputType::kManifest:
      return NewManifestItemSource(config, s3, options);
  }
  return nullptr;
}

}  // namespace stepwise::engine::map_run
