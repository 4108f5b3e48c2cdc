// Catalog: the tags of state machines and activities, kept in their
// records (TagResource, UntagResource, ListTagsForResource; see catalog.h
// and engine/tags.h). Any thread: writes hold machines_mu_ and go through
// ModifyRecord (a compare-and-set over the record read from the store,
// catalog_records.cc), as the catalog's other writes do.
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/arn.h"
#include "engine/catalog.h"
#include "engine/service_error.h"
#include "engine/tags.h"

namespace stepwise::engine {

absl::StatusOr<Catalog::TaggedResource> Catalog::ParseTaggedArn(const std::string& arn) const {
  std::string prefix =
      absl::StrCat("arn:aws:states:", options_->region, ":", options_->account, ":");
  if (arn.rfind(prefix, 0) != 0) return InvalidArnError(arn);
  std::string rest = arn.substr(prefix.size());
  size_t colon = rest.find(':');
  std::string kind = rest.substr(0, colon);
  std::string name = colon == std::string::npos ? "" : rest.substr(colon + 1);
  if (kind != "stateMachine" && kind != "activity") {
    // Executions, Express executions, map runs: AWS tags none of them.
    return ServiceError("InvalidArn",
                        "Invalid Arn: 'Resource type not valid in this context: " + kind + "'");
  }
  if (name.empty()) return InvalidArnError(arn);
  // A version or alias ARN (NAME:1, NAME:alias) names no taggable resource;
  // AWS answers ResourceNotFound.
  if (name.find(':') != std::string::npos) return TaggedResourceNotFound(arn);
  return TaggedResource{kind == "stateMachine", name};
}

absl::Status Catalog::RequireTaggable(const TaggedResource& r,
                                      const std::optional<json::object>& rec,
                                      const std::string& arn) {
  if (!rec.has_value() || (r.machine && rec->at("status").as_string() != "ACTIVE")) {
    return TaggedResourceNotFound(arn);
  }
  return absl::OkStatus();
}

absl::Status Catalog::ModifyTags(
    const std::string& arn, const std::function<absl::StatusOr<bool>(json::object& rec)>& change) {
  SW_ASSIGN_OR_RETURN(TaggedResource r, ParseTaggedArn(arn));
  std::lock_guard<std::mutex> l(machines_mu_);
  return ModifyRecord(r.machine ? storage::Table::kMachines : storage::Table::kActivities, r.name,
                      [&](std::optional<json::object>& rec) -> absl::StatusOr<bool> {
                        SW_RETURN_IF_ERROR(RequireTaggable(r, rec, arn));
                        return change(*rec);
                      });
}

absl::Status Catalog::TagResource(const std::string& arn, const std::vector<Tag>& tags) {
  SW_RETURN_IF_ERROR(ValidateTags(tags));
  return ModifyTags(arn, [&](json::object& rec) -> absl::StatusOr<bool> {
    std::vector<Tag> merged = MergeTags(TagsFromRecord(rec), tags);
    SW_RETURN_IF_ERROR(CheckTagCount(merged, arn));
    rec["tags"] = TagsToJson(merged);
    return true;
  });
}

absl::Status Catalog::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  SW_RETURN_IF_ERROR(ValidateTagKeys(keys));
  return ModifyTags(arn, [&](json::object& rec) -> absl::StatusOr<bool> {
    std::vector<Tag> before = TagsFromRecord(rec);
    std::vector<Tag> after = RemoveTags(before, keys);
    if (after.size() == before.size()) return false;  // nothing to write
    if (after.empty()) {
      rec.erase("tags");
    } else {
      rec["tags"] = TagsToJson(after);
    }
    return true;
  });
}

absl::StatusOr<std::vector<Tag>> Catalog::ListTagsForResource(const std::string& arn) {
  SW_ASSIGN_OR_RETURN(TaggedResource r, ParseTaggedArn(arn));
  std::optional<json::object> rec;
  if (r.machine) {
    // As the Describe calls do (LoadMachineToDescribe): fresh when other
    // nodes may write.
    if (options_->catalog_cache_ttl_ms > 0) {
      SW_ASSIGN_OR_RETURN(rec, FreshMachineRecord(r.name));
    } else {
      SW_ASSIGN_OR_RETURN(rec, MachineRecord(r.name));
    }
  } else {
    SW_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        store_->Get(storage::Table::kActivities, r.name));
    if (raw.has_value()) {
      SW_ASSIGN_OR_RETURN(rec, ParseRecord(*raw, "activity " + r.name));
    }
  }
  SW_RETURN_IF_ERROR(RequireTaggable(r, rec, arn));
  return TagsFromRecord(*rec);
}

}  // namespace stepwise::engine
