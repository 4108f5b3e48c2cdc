// AWS's tag checks and the tag merge (engine/tags.h): pure functions.
#include "engine/tags.h"

#include <string>
#include <vector>

#include "engine/service_error.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

std::string ErrorOf(const absl::Status& s) { return ServiceErrorName(s); }

TEST(TagsTest, AcceptsLettersDigitsSpaceAndTheListedSymbols) {
  EXPECT_TRUE(ValidateTags({{"Cost Center", "34567"},
                            {"team_a.b:c/d=e+f-g@h", ""},
                            {"équipe", "données 東京 ٣"},
                            {"k", std::string(256, 'v')},
                            {std::string(128, 'k'), "v"}})
                  .ok());
}

TEST(TagsTest, RefusesCharactersOutsideThePattern) {
  for (const char* bad : {"team!", "a*b", "tab\there", "new\nline", "quote\"", "semi;", "\xff"}) {
    absl::Status s = ValidateTags({{"ok", "v"}, {bad, "v"}});
    EXPECT_EQ(ErrorOf(s), "ValidationException") << bad;
    EXPECT_NE(std::string(s.message()).find("'tags.2.member.key'"), std::string::npos)
        << s.message();
    EXPECT_NE(std::string(s.message()).find("regular expression pattern"), std::string::npos);
  }
  absl::Status v = ValidateTags({{"k", "value#1"}});
  EXPECT_EQ(ErrorOf(v), "ValidationException");
  EXPECT_NE(std::string(v.message()).find("'tags.1.member.value'"), std::string::npos);
}

TEST(TagsTest, RefusesKeysAndValuesOfTheWrongLength) {
  absl::Status empty = ValidateTags({{"", "v"}});
  EXPECT_EQ(ErrorOf(empty), "ValidationException");
  EXPECT_NE(std::string(empty.message()).find("greater than or equal to 1"), std::string::npos);
  absl::Status long_key = ValidateTags({{std::string(129, 'k'), "v"}});
  EXPECT_NE(std::string(long_key.message()).find("less than or equal to 128"),
            std::string::npos);
  absl::Status long_value = ValidateTags({{"k", std::string(257, 'v')}});
  EXPECT_NE(std::string(long_value.message()).find("less than or equal to 256"),
            std::string::npos);
  // AWS counts UTF-16 code units: 128 two-byte letters fit, 65 letters
  // beyond U+FFFF (130 units) do not.
  std::string e_acute;
  for (int i = 0; i < 128; ++i) e_acute += "\xc3\xa9";
  EXPECT_TRUE(ValidateTags({{e_acute, "v"}}).ok());
  std::string astral;
  for (int i = 0; i < 65; ++i) astral += "\xf0\x9d\x90\x80";  // U+1D400, a letter
  EXPECT_EQ(ErrorOf(ValidateTags({{astral, "v"}})), "ValidationException");
}

TEST(TagsTest, RefusesTheReservedAwsPrefixInAnyCase) {
  for (const char* key : {"aws:owner", "AWS:owner", "Aws:x"}) {
    absl::Status s = ValidateTags({{key, "v"}});
    EXPECT_EQ(ErrorOf(s), "ValidationException") << key;
    EXPECT_NE(std::string(s.message()).find("aws:"), std::string::npos);
  }
  EXPECT_TRUE(ValidateTags({{"aws", "v"}, {"my:aws:x", "v"}}).ok());
}

TEST(TagsTest, NamesAnAbsentKey) {
  std::vector<bool> has_key = {true, false};
  absl::Status s = ValidateTags({{"a", "1"}, {"", "2"}}, "tags", &has_key);
  EXPECT_EQ(ErrorOf(s), "ValidationException");
  EXPECT_NE(std::string(s.message()).find("Value null at 'tags.2.member.key'"), std::string::npos)
      << s.message();
}

TEST(TagsTest, ChecksUntagKeys) {
  EXPECT_TRUE(ValidateTagKeys({"a", "Cost Center"}).ok());
  absl::Status s = ValidateTagKeys({"a", ""});
  EXPECT_EQ(ErrorOf(s), "ValidationException");
  EXPECT_NE(std::string(s.message()).find("'tagKeys.2.member'"), std::string::npos);
}

TEST(TagsTest, MergeReplacesInPlaceAndAppendsNewKeys) {
  std::vector<Tag> merged =
      MergeTags({{"a", "1"}, {"b", "2"}}, {{"c", "3"}, {"a", "9"}, {"c", "4"}});
  EXPECT_EQ(merged, (std::vector<Tag>{{"a", "9"}, {"b", "2"}, {"c", "4"}}));
  EXPECT_EQ(RemoveTags(merged, {"b", "zz"}), (std::vector<Tag>{{"a", "9"}, {"c", "4"}}));
}

TEST(TagsTest, FiftyTagsFitFiftyOneAreTooMany) {
  std::vector<Tag> tags;
  for (int i = 0; i < 50; ++i) tags.push_back({"k" + std::to_string(i), "v"});
  EXPECT_TRUE(CheckTagCount(tags, "arn:x").ok());
  tags.push_back({"one-more", "v"});
  absl::Status s = CheckTagCount(tags, "arn:x");
  EXPECT_EQ(ErrorOf(s), "TooManyTags");
  EXPECT_EQ(TaggedResourceName(s), "arn:x");
}

TEST(TagsTest, RecordRoundTrip) {
  json::object rec;
  EXPECT_TRUE(TagsFromRecord(rec).empty());
  std::vector<Tag> tags = {{"a", ""}, {"b", "2"}};
  rec["tags"] = TagsToJson(tags);
  EXPECT_EQ(TagsFromRecord(rec), tags);
}

}  // namespace
}  // namespace stepwise::engine
