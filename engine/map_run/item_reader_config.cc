// Parses and checks a Map state's ItemReader; see item_reader_config.h.
#include "engine/map_run/item_reader_config.h"

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace stepwise::engine::map_run {
namespace {

std::string_view Sv(const json::string& s) { return {s.data(), s.size()}; }

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("ItemReader.", ToAbsl(field), " ", ToAbsl(what)));
}

// A string member of `o`: "" when absent; an error when not a string.
absl::StatusOr<std::string> StringMember(const json::object& o, std::string_view name,
                                         std::string_view where) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return std::string();
  const json::string* s = v->if_string();
  if (s == nullptr) return Bad(absl::StrCat(ToAbsl(where), ToAbsl(name)), "must be a string");
  return std::string(Sv(*s));
}

absl::StatusOr<ItemInputType> InputTypeOf(std::string_view t) {
  if (t == "JSON") return ItemInputType::kJson;
  if (t == "JSONL") return ItemInputType::kJsonl;
  if (t == "CSV") return ItemInputType::kCsv;
  if (t == "MANIFEST") return ItemInputType::kManifest;
  return Bad("ReaderConfig.InputType",
             absl::StrCat("has an unsupported value '", ToAbsl(t),
                          "': expected one of CSV, JSON, JSONL, MANIFEST"));
}

absl::StatusOr<char> DelimiterOf(std::string_view d) {
  if (d == "COMMA") return ',';
  if (d == "PIPE") return '|';
  if (d == "SEMICOLON") return ';';
  if (d == "TAB") return '\t';
  if (d == "SPACE") return ' ';
  return Bad("ReaderConfig.CSVDelimiter",
             absl::StrCat("has an unsupported value '", ToAbsl(d),
                          "': expected one of COMMA, PIPE, SEMICOLON, SPACE, TAB"));
}

absl::StatusOr<int64_t> MaxItemsOf(const json::value& v) {
  if (!IsIntegral(v) || ToDouble(v) < 0 || ToDouble(v) > static_cast<double>(kMaxItemsLimit)) {
    return Bad("ReaderConfig.MaxItems",
               absl::StrCat("must be an integer from 0 to ", kMaxItemsLimit));
  }
  return static_cast<int64_t>(ToDouble(v));
}

absl::Status ReadReaderConfig(const json::object& rc, ItemReaderConfig& c) {
  constexpr std::string_view kAt = "ReaderConfig.";
  absl::StatusOr<std::string> input_type = StringMember(rc, "InputType", kAt);
  if (!input_type.ok()) return input_type.status();
  if (c.resource == ItemReaderResource::kGetObject) {
    if (input_type->empty()) {
      return Bad("ReaderConfig.InputType", "is required with arn:aws:states:::s3:getObject");
    }
    absl::StatusOr<ItemInputType> t = InputTypeOf(*input_type);
    if (!t.ok()) return t.status();
    c.input_type = *t;
  } else if (!input_type->empty() && *input_type != "JSON") {
    // listObjectsV2 reads a listing, not a file.
    return Bad("ReaderConfig.InputType", "is not allowed with arn:aws:states:::s3:listObjectsV2");
  }
  const bool csv = c.resource == ItemReaderResource::kGetObject &&
                   c.input_type == ItemInputType::kCsv;

  absl::StatusOr<std::string> location = StringMember(rc, "CSVHeaderLocation", kAt);
  if (!location.ok()) return location.status();
  absl::StatusOr<std::string> delimiter = StringMember(rc, "CSVDelimiter", kAt);
  if (!delimiter.ok()) return delimiter.status();
  const json::value* headers = rc.if_contains("CSVHeaders");
  if (!csv && (!location->empty() || !delimiter->empty() || headers != nullptr)) {
    std::string_view f = !location->empty() ? "CSVHeaderLocation"
                         : !delimiter->empty() ? "CSVDelimiter" : "CSVHeaders";
    return Bad(absl::StrCat(ToAbsl(kAt), ToAbsl(f)), "is only allowed with InputType CSV");
  }
  if (csv) {
    if (location->empty() || *location == "FIRST_ROW") {
      c.csv_header_location = CsvHeaderLocation::kFirstRow;
    } else if (*location == "GIVEN") {
      c.csv_header_location = CsvHeaderLocation::kGiven;
    } else {
      return Bad("ReaderConfig.CSVHeaderLocation",
                 absl::StrCat("has an unsupported value '", *location,
                              "': expected one of FIRST_ROW, GIVEN"));
    }
    if (!delimiter->empty()) {
      absl::StatusOr<char> d = DelimiterOf(*delimiter);
      if (!d.ok()) return d.status();
      c.csv_delimiter = *d;
    }
    if (c.csv_header_location == CsvHeaderLocation::kGiven) {
      const json::array* a = headers == nullptr ? nullptr : headers->if_array();
      if (a == nullptr || a->empty()) {
        return Bad("ReaderConfig.CSVHeaders",
                   "must be a non-empty array of strings when CSVHeaderLocation is GIVEN");
      }
      for (const json::value& h : *a) {
        const json::string* s = h.if_string();
        if (s == nullptr) return Bad("ReaderConfig.CSVHeaders", "must contain only strings");
        c.csv_headers.emplace_back(Sv(*s));
      }
    } else if (headers != nullptr) {
      return Bad("ReaderConfig.CSVHeaders", "is only allowed when CSVHeaderLocation is GIVEN");
    }
  }

  absl::StatusOr<std::string> pointer = StringMember(rc, "ItemsPointer", kAt);
  if (!pointer.ok()) return pointer.status();
  if (!pointer->empty()) {
    if (c.resource != ItemReaderResource::kGetObject || c.input_type != ItemInputType::kJson) {
      return Bad("ReaderConfig.ItemsPointer", "is only allowed with InputType JSON");
    }
    if ((*pointer)[0] != '/') {
      return Bad("ReaderConfig.ItemsPointer", "must be a JSON Pointer starting with '/'");
    }
    c.items_pointer = *pointer;
  }

  if (const json::value* m = rc.if_contains("MaxItems")) {
    absl::StatusOr<int64_t> n = MaxItemsOf(*m);
    if (!n.ok()) return n.status();
    c.max_items = *n;
  }
  for (const auto& kv : rc) {
    std::string_view k(kv.key().data(), kv.key().size());
    if (k != "InputType" && k != "CSVHeaderLocation" && k != "CSVHeaders" &&
        k != "CSVDelimiter" && k != "MaxItems" && k != "MaxItemsPath" &&
        k != "ItemsPointer" && k != "ManifestType") {
      return Bad(absl::StrCat(ToAbsl(kAt), ToAbsl(k)), "is not a supported field");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ItemReaderConfig> ParseItemReaderConfig(const json::value& item_reader,
                                                       const json::value* arguments,
                                                       std::optional<int64_t> max_items_from_path) {
  const json::object* o = item_reader.if_object();
  if (o == nullptr) {
    return absl::InvalidArgumentError("ItemReader must be a JSON object");
  }
  ItemReaderConfig c;
  absl::StatusOr<std::string> resource = StringMember(*o, "Resource", "");
  if (!resource.ok()) return resource.status();
  // Any partition (aws, aws-cn, aws-us-gov): the service and action decide.
  if (resource->ends_with(":states:::s3:getObject") && resource->starts_with("arn:")) {
    c.resource = ItemReaderResource::kGetObject;
  } else if (resource->ends_with(":states:::s3:listObjectsV2") && resource->starts_with("arn:")) {
    c.resource = ItemReaderResource::kListObjectsV2;
  } else if (resource->empty()) {
    return Bad("Resource", "is required");
  } else {
    return Bad("Resource",
               absl::StrCat("'", *resource,
                            "' is not supported: expected arn:aws:states:::s3:getObject or "
                            "arn:aws:states:::s3:listObjectsV2"));
  }

  const json::object* args = arguments == nullptr ? nullptr : arguments->if_object();
  if (args == nullptr) {
    return Bad(o->contains("Arguments") ? "Arguments" : "Parameters",
               "must be a JSON object with Bucket");
  }
  std::string_view args_name = o->contains("Arguments") ? "Arguments." : "Parameters.";
  absl::StatusOr<std::string> bucket = StringMember(*args, "Bucket", args_name);
  if (!bucket.ok()) return bucket.status();
  if (bucket->empty()) return Bad(absl::StrCat(ToAbsl(args_name), "Bucket"), "is required");
  c.bucket = *bucket;
  absl::StatusOr<std::string> key = StringMember(*args, "Key", args_name);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> prefix = StringMember(*args, "Prefix", args_name);
  if (!prefix.ok()) return prefix.status();
  absl::StatusOr<std::string> version = StringMember(*args, "VersionId", args_name);
  if (!version.ok()) return version.status();
  if (c.resource == ItemReaderResource::kGetObject) {
    if (key->empty()) {
      return Bad(absl::StrCat(ToAbsl(args_name), "Key"), "is required with arn:aws:states:::s3:getObject");
    }
    if (args->contains("Prefix")) {
      return Bad(absl::StrCat(ToAbsl(args_name), "Prefix"),
                 "is not allowed with arn:aws:states:::s3:getObject");
    }
    c.key = *key;
    c.version_id = *version;
  } else {
    if (args->contains("Key")) {
      return Bad(absl::StrCat(ToAbsl(args_name), "Key"),
                 "is not allowed with arn:aws:states:::s3:listObjectsV2");
    }
    c.prefix = *prefix;
  }

  const json::value* rc = o->if_contains("ReaderConfig");
  if (rc == nullptr) {
    if (c.resource == ItemReaderResource::kGetObject) {
      return Bad("ReaderConfig", "is required with arn:aws:states:::s3:getObject");
    }
  } else {
    const json::object* rco = rc->if_object();
    if (rco == nullptr) return Bad("ReaderConfig", "must be a JSON object");
    absl::Status s = ReadReaderConfig(*rco, c);
    if (!s.ok()) return s;
  }
  if (max_items_from_path.has_value()) {
    if (*max_items_from_path < 0 || *max_items_from_path > kMaxItemsLimit) {
      return Bad("ReaderConfig.MaxItemsPath",
                 absl::StrCat("must resolve to an integer from 0 to ", kMaxItemsLimit));
    }
    c.max_items = *max_items_from_path;
  }
  return c;
}

}  // namespace stepwise::engine::map_run
