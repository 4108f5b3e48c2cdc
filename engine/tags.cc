// Tags: AWS's checks and the tag merge (see tags.h). Pure, any thread.
#include "engine/tags.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "engine/service_error.h"

namespace stepwise::engine {

namespace {

constexpr char kResourceNamePayload[] = "stepwise/aws-resource-name";

// The next code point of `s` at `*i` (advancing it), nullopt for a
// malformed, overlong or surrogate sequence.
std::optional<char32_t> NextCodePoint(std::string_view s, size_t* i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = byte(*i);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || *i + n > s.size()) return std::nullopt;
  char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(*i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(*i + k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  *i += n;
  return cp;
}

// The length of `s` as AWS counts it: UTF-16 code units (a code point
// beyond U+FFFF counts twice). Malformed bytes count one each.
size_t Utf16Length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    std::optional<char32_t> cp = NextCodePoint(s, &i);
    if (!cp.has_value()) {
      ++i;
      ++n;
      continue;
    }
    n += *cp > 0xFFFF ? 2 : 1;
  }
  return n;
}

// AWS's wording for one failed member constraint (as the AWS JSON front end
// words its own).
absl::Status Constraint(std::optional<std::string_view> value, std::string_view member,
                        std::string_view constraint) {
  std::string shown = value.has_value() ? absl::StrCat("'", ToAbsl(*value), "'") : "null";
  return ServiceError("ValidationException",
                      absl::StrCat("1 validation error detected: Value ", shown, " at '",
                                   ToAbsl(member), "' failed to satisfy constraint: ",
                                   ToAbsl(constraint)));
}

absl::Status CheckString(std::string_view value, std::string_view member, size_t min,
                         size_t max) {
  size_t len = Utf16Length(value);
  if (len < min) {
    return Constraint(value, member,
                      absl::StrCat("Member must have length greater than or equal to ", min));
  }
  if (len > max) {
    return Constraint(value, member,
                      absl::StrCat("Member must have length less than or equal to ", max));
  }
  if (!MatchesTagPattern(value)) {
    return Constraint(value, member,
                      absl::StrCat("Member must satisfy regular expression pattern: ",
                                   ToAbsl(kTagPattern)));
  }
  return absl::OkStatus();
}

absl::Status WithResourceName(absl::Status s, const std::string& resource_arn) {
  s.SetPayload(kResourceNamePayload, absl::Cord(resource_arn));
  return s;
}

}  // namespace

bool MatchesTagPattern(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    std::optional<char32_t> cp = NextCodePoint(s, &i);
    if (!cp.has_value()) return false;
    if (*cp < 0x80 && std::string_view("_.:/=+-@").find(static_cast<char>(*cp)) !=
                          std::string_view::npos) {
      continue;
    }
    if (!IsTagLetterNumberOrSeparator(*cp)) return false;
  }
  return true;
}

absl::Status ValidateTags(const std::vector<Tag>& tags, std::string_view member,
                          const std::vector<bool>* has_key) {
  for (size_t i = 0; i < tags.size(); ++i) {
    std::string at = absl::StrCat(ToAbsl(member), ".", i + 1, ".member.");
    if (has_key != nullptr && i < has_key->size() && !(*has_key)[i]) {
      return Constraint(std::nullopt, at + "key", "Member must not be null");
    }
    const Tag& t = tags[i];
    if (absl::Status s = CheckString(t.key, at + "key", 1, kMaxTagKeyLength); !s.ok()) return s;
    if (absl::StartsWithIgnoreCase(t.key, "aws:")) {
      return ServiceError("ValidationException",
                          absl::StrCat("Tag keys starting with 'aws:' are reserved for AWS use: '",
                                       t.key, "' at '", at, "key'"));
    }
    if (absl::Status s = CheckString(t.value, at + "value", 0, kMaxTagValueLength); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTagKeys(const std::vector<std::string>& keys) {
  for (size_t i = 0; i < keys.size(); ++i) {
    absl::Status s =
        CheckString(keys[i], absl::StrCat("tagKeys.", i + 1, ".member"), 1, kMaxTagKeyLength);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

std::vector<Tag> MergeTags(std::vector<Tag> existing, const std::vector<Tag>& added) {
  for (const Tag& t : added) {
    auto it = std::find_if(existing.begin(), existing.end(),
                           [&](const Tag& e) { return e.key == t.key; });
    if (it != existing.end()) {
      it->value = t.value;
    } else {
      existing.push_back(t);
    }
  }
  return existing;
}

std::vector<Tag> RemoveTags(const std::vector<Tag>& existing,
                            const std::vector<std::string>& keys) {
  std::vector<Tag> out;
  for (const Tag& t : existing) {
    if (std::find(keys.begin(), keys.end(), t.key) == keys.end()) out.push_back(t);
  }
  return out;
}

absl::Status CheckTagCount(const std::vector<Tag>& tags, const std::string& resource_arn) {
  if (tags.size() <= kMaxTagsPerResource) return absl::OkStatus();
  return WithResourceName(
      ServiceError("TooManyTags",
                   absl::StrCat("Too many tags: resource '", resource_arn, "' would have ",
                                tags.size(), " tags; the limit is ", kMaxTagsPerResource)),
      resource_arn);
}

absl::Status TaggedResourceNotFound(const std::string& resource_arn, const std::string& message) {
  return WithResourceName(
      ServiceError("ResourceNotFound",
                   message.empty() ? absl::StrCat("Resource not found: '", resource_arn, "'")
                                   : message),
      resource_arn);
}

std::string TaggedResourceName(const absl::Status& s) {
  if (s.ok()) return "";
  auto p = s.GetPayload(kResourceNamePayload);
  return p.has_value() ? std::string(*p) : "";
}

json::array TagsToJson(const std::vector<Tag>& tags) {
  json::array out;
  for (const Tag& t : tags) {
    out.push_back(json::object{{"key", t.key}, {"value", t.value}});
  }
  return out;
}

std::vector<Tag> TagsFromRecord(const json::object& rec) {
  std::vector<Tag> out;
  const json::value* v = rec.if_contains("tags");
  if (v == nullptr || !v->is_array()) return out;
  for (const json::value& e : v->get_array()) {
    const json::object* o = e.if_object();
    if (o == nullptr) continue;
    const json::value* k = o->if_contains("key");
    const json::value* val = o->if_contains("value");
    if (k == nullptr || !k->is_string() || val == nullptr || !val->is_string()) continue;
    out.push_back(Tag{std::string(k->get_string()), std::string(val->get_string())});
  }
  return out;
}

}  // namespace stepwise::engine
