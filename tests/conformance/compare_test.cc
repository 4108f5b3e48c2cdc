#include "tests/conformance/compare.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::conformance {
namespace {

json::value J(std::string_view text) {
  auto v = ParseJson(absl::string_view(text.data(), text.size()));
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value();
}

CompareOptions With(std::vector<std::string> placeholders) {
  CompareOptions o;
  o.placeholders = std::move(placeholders);
  return o;
}

bool Matches(std::string_view expected, std::string_view actual,
             const CompareOptions& o = {}) {
  return !CompareJson(J(expected), J(actual), o).has_value();
}

TEST(CompareJsonTest, NumbersCompareByValue) {
  EXPECT_TRUE(Matches("1", "1.0"));
  EXPECT_TRUE(Matches("{\"a\": 1.0}", "{\"a\": 1}"));
  EXPECT_TRUE(Matches("18446744073709551615", "18446744073709551615"));
  EXPECT_TRUE(Matches("5", "5"));
  EXPECT_FALSE(Matches("1", "2"));
  EXPECT_FALSE(Matches("1", "1.5"));
  EXPECT_FALSE(Matches("-1", "18446744073709551615"));
}

TEST(CompareJsonTest, BooleansAndNullAreNotNumbers) {
  EXPECT_FALSE(Matches("1", "true"));
  EXPECT_FALSE(Matches("0", "false"));
  EXPECT_FALSE(Matches("null", "0"));
  EXPECT_FALSE(Matches("null", "\"\""));
  EXPECT_TRUE(Matches("null", "null"));
  EXPECT_FALSE(Matches("true", "false"));
}

TEST(CompareJsonTest, ObjectKeyOrderIgnoredButKeySetsMustMatch) {
  EXPECT_TRUE(Matches("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}"));
  auto missing = CompareJson(J("{\"a\":1,\"b\":2}"), J("{\"a\":1}"), {});
  ASSERT_TRUE(missing.has_value());
  EXPECT_THAT(*missing, testing::HasSubstr("missing key \"b\""));
  auto extra = CompareJson(J("{\"a\":1}"), J("{\"a\":1,\"c\":3}"), {});
  ASSERT_TRUE(extra.has_value());
  EXPECT_THAT(*extra, testing::HasSubstr("unexpected key \"c\""));
}

TEST(CompareJsonTest, ArrayOrderAndLengthMatter) {
  EXPECT_TRUE(Matches("[1,2,3]", "[1,2,3]"));
  EXPECT_FALSE(Matches("[1,2,3]", "[3,2,1]"));
  EXPECT_FALSE(Matches("[1,2]", "[1,2,3]"));
  EXPECT_FALSE(Matches("[1,2,3]", "[1,2]"));
}

TEST(CompareJsonTest, ReportsPathOfFirstDifference) {
  auto d = CompareJson(J("{\"a\":[1,{\"b\":\"x\"}]}"),
                       J("{\"a\":[1,{\"b\":\"y\"}]}"), {});
  ASSERT_TRUE(d.has_value());
  EXPECT_THAT(*d, testing::StartsWith("$.a[1].b: expected \"x\", got \"y\""));
}

TEST(PlaceholderTest, WholeListedPlaceholderMatchesAnyType) {
  CompareOptions o = With({"RandomNumberGenerated", "<uuid>", "date"});
  EXPECT_TRUE(Matches("{\"n\":\"RandomNumberGenerated\"}", "{\"n\":42}", o));
  EXPECT_TRUE(Matches("\"<uuid:3>\"", "{\"x\":1}", o));
  EXPECT_TRUE(Matches("\"date\"", "123", o));
  // Not listed: no wildcard for other types.
  EXPECT_FALSE(Matches("\"generated-uuid\"", "42", o));
}

TEST(PlaceholderTest, DateMatchesIsoTimestampOrTheWord) {
  CompareOptions o;
  EXPECT_TRUE(MatchString("at date now", "at 2024-02-07T13:49:36.123Z now", o));
  EXPECT_TRUE(MatchString("at date now", "at 2024-02-07T13:49:36Z now", o));
  EXPECT_TRUE(MatchString("at date now", "at 2024-02-07T13:49:36+01:00 now", o));
  EXPECT_TRUE(MatchString("at date now", "at date now", o));
  EXPECT_FALSE(MatchString("at date now", "at yesterday now", o));
  // Only as a whole word: "update" is literal text.
  EXPECT_FALSE(MatchString("update", "up2024-02-07T13:49:36.123Z", o));
  EXPECT_TRUE(MatchString("update", "update", o));
}

TEST(PlaceholderTest, NumberedUuid) {
  CompareOptions o;
  EXPECT_TRUE(MatchString("req <uuid:1> end",
                          "req 0f1e2d3c-4b5a-6978-8a9b-abcdefABCDEF end", o));
  EXPECT_FALSE(MatchString("req <uuid:1> end", "req not-a-uuid end", o));
  EXPECT_TRUE(MatchString("<uuid>", "0f1e2d3c-4b5a-6978-8a9b-abcdefabcdef", o));
}

TEST(PlaceholderTest, AccountRegionAndPartition) {
  CompareOptions o;
  std::string_view expected =
      "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>";
  EXPECT_TRUE(MatchString(
      expected, "arn:aws:states:us-east-1:123456789012:stateMachine:local", o));
  EXPECT_TRUE(MatchString(
      expected, "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:m", o));
  EXPECT_TRUE(MatchString(
      expected, "arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:m",
      o));
  // Eleven digits are not an account id.
  EXPECT_FALSE(MatchString(
      expected, "arn:aws:states:us-east-1:12345678901:stateMachine:m", o));
  EXPECT_FALSE(MatchString(
      expected, "arn:gcp:states:us-east-1:123456789012:stateMachine:m", o));
  EXPECT_FALSE(MatchString(
      expected, "arn:aws:states:useast1:123456789012:stateMachine:m", o));
  EXPECT_TRUE(MatchString("<partition>", "aws-cn", o));
  EXPECT_TRUE(MatchString("<region>", "eu-central-1", o));
}

TEST(PlaceholderTest, OtherAngleTokensMatchAnyText) {
  CompareOptions o;
  EXPECT_TRUE(MatchString("no_such_<lambda_function_name>",
                          "no_such_stub-raise-exception-0", o));
  EXPECT_TRUE(MatchString("Request ID: <request_id>; Proxy: null",
                          "Request ID: abc-123; Proxy: null", o));
  EXPECT_TRUE(MatchString("x<json-input:2>y", "xy", o));
  EXPECT_FALSE(MatchString("no_such_<lambda_function_name>", "other", o));
}

TEST(PlaceholderTest, ListedWordPlaceholderInsideText) {
  CompareOptions o = With({"entered-time"});
  EXPECT_TRUE(MatchString("at entered-time!", "at 12:00!", o));
  EXPECT_FALSE(MatchString("at entered-time!", "at 12:00?", o));
}

TEST(PlaceholderTest, LiteralTextMustMatchWithoutTokens) {
  CompareOptions o;
  EXPECT_FALSE(MatchString("hello", "hello!", o));
  EXPECT_TRUE(MatchString("hello", "hello", o));
}

TEST(PlaceholderTest, AnyTokenIsPlaceholderForReplayMatching) {
  CompareOptions o;
  o.any_token_is_placeholder = true;
  EXPECT_TRUE(Matches("{\"FunctionName\":\"<lambda_function_name>\"}",
                      "{\"FunctionName\":\"stub-id-function-0\"}", o));
  EXPECT_TRUE(Matches("\"<x>\"", "17", o));
  CompareOptions strict;
  EXPECT_FALSE(Matches("\"<x>\"", "17", strict));
}

TEST(RelaxedTest, StripsEnteredAtEventId) {
  EXPECT_EQ(StripEnteredAt("in state 'a' (entered at the event id #12). Bad"),
            "in state 'a'. Bad");
  EXPECT_EQ(StripEnteredAt("(entered at the event id #2) x"), " x");
  EXPECT_EQ(StripEnteredAt("(entered at the event id #) x"),
            "(entered at the event id #) x");
  EXPECT_EQ(StripEnteredAt("no marker"), "no marker");
}

TEST(RelaxedTest, RelaxedModeIgnoresEventIdsStrictDoesNot) {
  json::object expected = J(R"({"status":"FAILED","error":"States.Runtime",
    "cause":"An error occurred while executing the state 'p' (entered at the event id #2). Bad"})")
                              .get_object();
  ActualResult actual;
  actual.status = "FAILED";
  actual.error = "States.Runtime";
  actual.cause =
      "An error occurred while executing the state 'p' (entered at the event "
      "id #4). Bad";
  EXPECT_TRUE(CompareResult(expected, actual, {}).has_value());
  CompareOptions relaxed;
  relaxed.relaxed = true;
  EXPECT_FALSE(CompareResult(expected, actual, relaxed).has_value());
}

TEST(CompareResultTest, StatusMustMatch) {
  json::object expected = J(R"({"status":"SUCCEEDED","output":{}})").get_object();
  ActualResult actual;
  actual.status = "FAILED";
  auto d = CompareResult(expected, actual, {});
  ASSERT_TRUE(d.has_value());
  EXPECT_THAT(*d, testing::StartsWith("status: expected SUCCEEDED, got FAILED"));
}

TEST(CompareResultTest, OutputParsedAsJson) {
  json::object expected =
      J(R"({"status":"SUCCEEDED","output":{"a":1.0}})").get_object();
  ActualResult actual;
  actual.status = "SUCCEEDED";
  actual.output = "{\"a\":1}";
  EXPECT_FALSE(CompareResult(expected, actual, {}).has_value());
  actual.output = "not json";
  EXPECT_TRUE(CompareResult(expected, actual, {}).has_value());
  actual.output.reset();
  EXPECT_TRUE(CompareResult(expected, actual, {}).has_value());
}

TEST(CompareResultTest, MissingErrorMeansNoneAndEmptyCountsAsNone) {
  json::object expected = J(R"({"status":"FAILED","error":"E"})").get_object();
  ActualResult actual;
  actual.status = "FAILED";
  actual.error = "E";
  actual.cause = "";
  EXPECT_FALSE(CompareResult(expected, actual, {}).has_value());
  actual.cause = "something";
  auto d = CompareResult(expected, actual, {});
  ASSERT_TRUE(d.has_value());
  EXPECT_THAT(*d, testing::StartsWith("cause: expected none"));
  actual.cause.reset();
  actual.error.reset();
  EXPECT_TRUE(CompareResult(expected, actual, {}).has_value());
}

TEST(CompareResultTest, CauseAsJsonObject) {
  json::object expected = J(R"({"status":"FAILED","error":"Exception",
      "cause":{"errorMessage":"boom","requestId":"<uuid:1>","n":1},
      "cause_is_json_object":true,"placeholders":["<uuid>"]})")
                              .get_object();
  CompareOptions o = With({"<uuid>"});
  ActualResult actual;
  actual.status = "FAILED";
  actual.error = "Exception";
  actual.cause = R"({"n": 1.0, "errorMessage": "boom", "requestId": "whatever"})";
  EXPECT_FALSE(CompareResult(expected, actual, o).has_value());
  actual.cause = "boom";
  EXPECT_TRUE(CompareResult(expected, actual, o).has_value());
}

TEST(CompareHistoryTest, ComparesTypePreviousIdAndStateNames) {
  json::array expected = J(R"([
    {"id":1,"previousEventId":0,"type":"ExecutionStarted","details":{}},
    {"id":2,"previousEventId":0,"type":"PassStateEntered","details":{"name":"A"}},
    {"id":3,"previousEventId":2,"type":"PassStateExited","details":{"name":"A","output":"{}"}},
    {"id":4,"previousEventId":3,"type":"ExecutionSucceeded","details":null}])")
                             .get_array();
  std::vector<ActualEvent> actual = {
      {1, 0, "ExecutionStarted", {}},
      {2, 0, "PassStateEntered", {{"name", "A"}}},
      {3, 2, "PassStateExited", {{"name", "A"}, {"output", "different"}}},
      {4, 3, "ExecutionSucceeded", {}},
  };
  EXPECT_FALSE(CompareHistory(expected, actual).has_value());

  auto renamed = actual;
  renamed[1].details["name"] = "B";
  auto d = CompareHistory(expected, renamed);
  ASSERT_TRUE(d.has_value());
  EXPECT_THAT(*d, testing::HasSubstr("position 2 (expected id 2)"));
  EXPECT_THAT(*d, testing::HasSubstr("name"));

  auto relinked = actual;
  relinked[2].previous_event_id = 1;
  d = CompareHistory(expected, relinked);
  ASSERT_TRUE(d.has_value());
  EXPECT_THAT(*d, testing::HasSubstr("previousEventId: expected 2, got 1"));

  auto short_history = actual;
  short_history.pop_back();
  d = CompareHistory(expected, short_history);
  ASSERT_TRUE(d.has_value());
  EXPECT_THAT(*d, testing::HasSubstr("history ended after 3 events"));

  auto long_history = actual;
  long_history.push_back({5, 4, "ExecutionFailed", {}});
  d = CompareHistory(expected, long_history);
  ASSERT_TRUE(d.has_value());
  EXPECT_THAT(*d, testing::HasSubstr("extra event ExecutionFailed"));

  auto retyped = actual;
  retyped[3].type = "ExecutionFailed";
  d = CompareHistory(expected, retyped);
  ASSERT_TRUE(d.has_value());
  EXPECT_THAT(*d, testing::HasSubstr(
                      "type: expected ExecutionSucceeded, got ExecutionFailed"));
}

}  // namespace
}  // namespace stepwise::conformance
