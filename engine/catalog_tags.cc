// Catalog: the tags of state machines and activities, kept in their
// records (TagResource, UntagResource, ListTagsForResource; see catalog.h
// and engine/tags.h). Any thread: writes hold machines_mu_ across the
// read-modify-write, as the catalog's other writes do.
#include <mutex>
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

absl::StatusOr<Catalog::TaggedRecord> Catalog::LoadTagged(const std::string& arn) {
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
  TaggedRecord r;
  r.machine = kind == "stateMachine";
  r.name = name;
  if (r.machine) {
    SW_ASSIGN_OR_RETURN(std::optional<json::object> rec, MachineRecord(name));
    if (!rec.has_value() || (*rec)["status"].as_string() != "ACTIVE") {
      return TaggedResourceNotFound(arn);
    }
    r.rec = std::move(*rec);
  } else {
    SW_ASSIGN_OR_RETURN(std::optional<std::string> raw,
                        store_->Get(storage::Table::kActivities, name));
    if (!raw.has_value()) return TaggedResourceNotFound(arn);
    SW_ASSIGN_OR_RETURN(r.rec, ParseRecord(*raw, "activity " + name));
  }
  return r;
}

absl::Status Catalog::PutTagged(const TaggedRecord& r) {
  if (r.machine) return PutMachineRecord(r.name, r.rec);
  return store_->Put(storage::Table::kActivities, r.name, SerializeJson(r.rec));
}

absl::Status Catalog::TagResource(const std::string& arn, const std::vector<Tag>& tags) {
  SW_RETURN_IF_ERROR(ValidateTags(tags));
  std::lock_guard<std::mutex> l(machines_mu_);
  SW_ASSIGN_OR_RETURN(TaggedRecord r, LoadTagged(arn));
  std::vector<Tag> merged = MergeTags(TagsFromRecord(r.rec), tags);
  SW_RETURN_IF_ERROR(CheckTagCount(merged, arn));
  r.rec["tags"] = TagsToJson(merged);
  return PutTagged(r);
}

absl::Status Catalog::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  SW_RETURN_IF_ERROR(ValidateTagKeys(keys));
  std::lock_guard<std::mutex> l(machines_mu_);
  SW_ASSIGN_OR_RETURN(TaggedRecord r, LoadTagged(arn));
  std::vector<Tag> before = TagsFromRecord(r.rec);
  std::vector<Tag> after = RemoveTags(before, keys);
  if (after.size() == before.size()) return absl::OkStatus();  // nothing to write
  if (after.empty()) {
    r.rec.erase("tags");
  } else {
    r.rec["tags"] = TagsToJson(after);
  }
  return PutTagged(r);
}

absl::StatusOr<std::vector<Tag>> Catalog::ListTagsForResource(const std::string& arn) {
  SW_ASSIGN_OR_RETURN(TaggedRecord r, LoadTagged(arn));
  return TagsFromRecord(r.rec);
}

}  // namespace stepwise::engine
