// Tags of state machines and activities: AWS's limits and checks (key 1-128
// and value 0-256 characters of Unicode letters, digits, white space and
// `_ . : / = + - @`; keys starting with `aws:` reserved; at most 50 per
// resource), and the merge TagResource and UntagResource make. The catalog
// (engine/catalog.cc) stores the result in the resource's record. Pure
// functions: any thread.
#ifndef SW_ENGINE_TAGS_H_
#define SW_ENGINE_TAGS_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/json.h"
#include "engine/api_types.h"

namespace stepwise::engine {

// AWS's quota of tags on one resource.
inline constexpr size_t kMaxTagsPerResource = 50;
// AWS's TagKey and TagValue lengths, in UTF-16 code units (as AWS counts).
inline constexpr size_t kMaxTagKeyLength = 128;
inline constexpr size_t kMaxTagValueLength = 256;
// The pattern AWS documents for keys and values.
inline constexpr std::string_view kTagPattern = R"(^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$)";

// True if `cp` is a Unicode letter (L*), number (N*) or separator (Z*): the
// \p{L}\p{Z}\p{N} of kTagPattern (engine/tag_chars.cc, generated).
bool IsTagLetterNumberOrSeparator(char32_t cp);

// True if `s` is valid UTF-8 made only of characters kTagPattern takes.
bool MatchesTagPattern(std::string_view s);

// Checks a request's tag list (`member` names it in AWS's words, e.g.
// "tags"): ValidationException in AWS's wording naming the first bad
// member (e.g. 'tags.2.member.key'): key absent, empty, over 128 characters,
// outside kTagPattern or starting with `aws:` (any case); value over 256
// characters or outside kTagPattern. `has_key` tells a key that was absent
// from an empty one (only the AWS JSON front end can tell them apart; pass
// null when every key was given).
absl::Status ValidateTags(const std::vector<Tag>& tags, std::string_view member = "tags",
                          const std::vector<bool>* has_key = nullptr);

// Checks UntagResource's key list: each key 1-128 characters within
// kTagPattern; ValidationException naming the first bad 'tagKeys.N.member'.
absl::Status ValidateTagKeys(const std::vector<std::string>& keys);

// `existing` with `added` applied in order: a key already there gets the
// new value in place, a new key goes at the end (a key given twice in
// `added`: the last value wins).
std::vector<Tag> MergeTags(std::vector<Tag> existing, const std::vector<Tag>& added);

// `existing` without the tags whose key is in `keys` (absent keys are fine).
std::vector<Tag> RemoveTags(const std::vector<Tag>& existing, const std::vector<std::string>& keys);

// TooManyTags naming `resource_arn` (as resourceName, see
// TaggedResourceName) when `tags` holds more than kMaxTagsPerResource.
absl::Status CheckTagCount(const std::vector<Tag>& tags, const std::string& resource_arn);

// ResourceNotFound in AWS's words ("Resource not found: 'ARN'" unless
// `message` is given), naming `resource_arn` as resourceName.
absl::Status TaggedResourceNotFound(const std::string& resource_arn,
                                    const std::string& message = "");

// The resourceName member AWS sends with TooManyTags and ResourceNotFound,
// "" when `s` carries none.
std::string TaggedResourceName(const absl::Status& s);

// The stored form of tags in a machine or activity record ("tags": an array
// of {"key","value"}), and back; a record without "tags" has none, a
// malformed entry is skipped.
json::array TagsToJson(const std::vector<Tag>& tags);
std::vector<Tag> TagsFromRecord(const json::object& rec);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_TAGS_H_
