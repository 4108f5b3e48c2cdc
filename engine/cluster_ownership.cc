// ShardNotOwnedError and ShardOwnerOf (cluster_ownership.h). Pure; any
// thread.
#include "engine/cluster_ownership.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace stepwise::engine {

namespace {
constexpr char kOwnerPayloadUrl[] = "stepwise/shard-owner";
}  // namespace

absl::Status ShardNotOwnedError(std::string_view execution_arn, int shard,
                                std::string_view owner_address) {
  std::string owner = owner_address.empty()
                          ? std::string("no node holds it right now")
                          : absl::StrCat("node ", ToAbsl(owner_address), " holds it");
  absl::Status s = absl::UnavailableError(absl::StrCat(
      "execution ", ToAbsl(execution_arn), " belongs to cluster shard ", shard,
      ", which this node does not own (", owner, "); retry, or call the owner"));
  s.SetPayload(kOwnerPayloadUrl, absl::Cord(ToAbsl(owner_address)));
  return s;
}

std::optional<std::string> ShardOwnerOf(const absl::Status& s) {
  if (s.ok()) return std::nullopt;
  auto p = s.GetPayload(kOwnerPayloadUrl);
  if (!p.has_value()) return std::nullopt;
  return std::string(*p);
}

}  // namespace stepwise::engine
