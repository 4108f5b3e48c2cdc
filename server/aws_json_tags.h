// Reading AWS's tag members from an AWS JSON 1.0 request: a TagList
// (`tags` of TagResource, CreateStateMachine, CreateActivity: an array of
// {"key", "value"}) and a TagKeyList (`tagKeys` of UntagResource). Used by
// the action handlers (server/aws_json_actions.cc) on AwsJsonApi's pool.
// Pure functions: any thread.
#ifndef SW_SERVER_AWS_JSON_TAGS_H_
#define SW_SERVER_AWS_JSON_TAGS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "engine/api_types.h"

namespace stepwise::server {

// The tags in member `member` of `req` (none when it is absent or null,
// unless `required`: then ValidationException). SerializationException for
// a member, tag or key/value of the wrong JSON type; ValidationException in
// AWS's words for a tag without a key or one AWS refuses (engine/tags.h). A
// tag's absent value is "".
absl::StatusOr<std::vector<engine::Tag>> ReadTagList(const json::object& req,
                                                     std::string_view member, bool required);

// UntagResource's `tagKeys` (required): SerializationException for a
// non-array or a non-string key, ValidationException for a bad key.
absl::StatusOr<std::vector<std::string>> ReadTagKeys(const json::object& req);

// ListTagsForResource's reply members: {"tags": [{"key", "value"}...]}.
json::object TagListJson(const std::vector<engine::Tag>& tags);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_TAGS_H_
