// Reading AWS's tag members (see aws_json_tags.h). Any thread.
#include "server/aws_json_tags.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/service_error.h"
#include "engine/tags.h"
#include "server/aws_json_members.h"

namespace stepwise::server {

absl::StatusOr<std::vector<engine::Tag>> ReadTagList(const json::object& req,
                                                     std::string_view member, bool required) {
  const json::value* v = Members(req).Get(member);
  if (v == nullptr) {
    if (required) return AwsMissingMember(member);
    return std::vector<engine::Tag>{};
  }
  if (!v->is_array()) {
    return AwsSerializationError(absl::StrCat("member '", ToAbsl(member), "' must be a list"));
  }
  std::vector<engine::Tag> tags;
  std::vector<bool> has_key;
  size_t i = 0;
  for (const json::value& e : v->get_array()) {
    ++i;
    std::string at = absl::StrCat(ToAbsl(member), "[", i - 1, "]");
    const json::object* o = e.if_object();
    if (o == nullptr) {
      return AwsSerializationError(absl::StrCat("member '", at, "' must be a Tag object"));
    }
    engine::Tag t;
    const json::value* key = Members(*o).Get("key");
    const json::value* value = Members(*o).Get("value");
    if (key != nullptr && !key->is_string()) {
      return AwsSerializationError(absl::StrCat("member '", at, ".key' must be a string"));
    }
    if (value != nullptr && !value->is_string()) {
      return AwsSerializationError(absl::StrCat("member '", at, ".value' must be a string"));
    }
    if (key != nullptr) t.key = std::string(key->get_string());
    if (value != nullptr) t.value = std::string(value->get_string());
    has_key.push_back(key != nullptr);
    tags.push_back(std::move(t));
  }
  if (absl::Status s = engine::ValidateTags(tags, member, &has_key); !s.ok()) return s;
  return tags;
}

absl::StatusOr<std::vector<std::string>> ReadTagKeys(const json::object& req) {
  const json::value* v = Members(req).Get("tagKeys");
  if (v == nullptr) return AwsMissingMember("tagKeys");
  if (!v->is_array()) return AwsSerializationError("member 'tagKeys' must be a list");
  std::vector<std::string> keys;
  for (const json::value& e : v->get_array()) {
    if (!e.is_string()) {
      return AwsSerializationError(
          absl::StrCat("member 'tagKeys[", keys.size(), "]' must be a string"));
    }
    keys.emplace_back(e.get_string());
  }
  if (absl::Status s = engine::ValidateTagKeys(keys); !s.ok()) return s;
  return keys;
}

json::object TagListJson(const std::vector<engine::Tag>& tags) {
  return json::object{{"tags", engine::TagsToJson(tags)}};
}

}  // namespace stepwise::server
