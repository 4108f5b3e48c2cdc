#include "common/json.h"

#include "gtest/gtest.h"

namespace stepwise {
namespace {

TEST(JsonTest, ParseReportsLineAndColumn) {
  auto v = ParseJson("{\n  \"a\": tru\n}");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("line 2"), std::string::npos)
      << v.status().message();
}

TEST(JsonTest, ParseRejectsTrailingData) {
  EXPECT_FALSE(ParseJson("{} {}").ok());
}

TEST(JsonTest, ParseRejectsDeepNesting) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  EXPECT_TRUE(ParseJson(deep, 200).ok());
  EXPECT_FALSE(ParseJson(deep, 50).ok());
}

TEST(JsonTest, SerializesCompactlyWithJavaDoubles) {
  auto v = ParseJson(R"({"a": 1, "b": 1.0, "c": 1.5, "d": [true, null], "e": "x\"y"})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(SerializeJson(*v),
            R"({"a":1,"b":1.0,"c":1.5,"d":[true,null],"e":"x\"y"})");
}

TEST(JsonTest, FormatsDoublesLikeJava) {
  EXPECT_EQ(FormatJavaDouble(0.1), "0.1");
  EXPECT_EQ(FormatJavaDouble(100.0), "100.0");
  EXPECT_EQ(FormatJavaDouble(1e7), "1.0E7");
  EXPECT_EQ(FormatJavaDouble(1.5e-4), "1.5E-4");
  EXPECT_EQ(FormatJavaDouble(-2.25), "-2.25");
  EXPECT_EQ(FormatJavaDouble(0.001), "0.001");
}

TEST(JsonTest, EqualsComparesNumbersByValueAndIgnoresKeyOrder) {
  auto a = ParseJson(R"({"x": 1, "y": [1, 2]})");
  auto b = ParseJson(R"({"y": [1.0, 2], "x": 1.0})");
  auto c = ParseJson(R"({"y": [2, 1], "x": 1})");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(JsonEquals(*a, *b));
  EXPECT_FALSE(JsonEquals(*a, *c));
}

}  // namespace
}  // namespace stepwise
