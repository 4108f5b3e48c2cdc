// Unit tests of the search query language (engine/search/query.h): what
// parses, what each comparison matches, and the errors with their columns.
#include "engine/search/query.h"

#include "engine/service_error.h"
#include "gtest/gtest.h"

namespace stepwise::engine::search {
namespace {

ExecutionDescription Row() {
  ExecutionDescription d;
  d.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:order-1";
  d.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
  d.name = "order-1";
  d.status = "FAILED";
  d.start_date = 1796083200000;  // 2026-12-01T00:00:00Z
  d.stop_date = 1796083260000;
  d.version_arn = d.state_machine_arn + ":3";
  d.indexed_fields = {{"customerId", "\"4711\""}, {"amount", "250"}, {"vip", "true"}};
  return d;
}

bool Match(const std::string& q) {
  auto parsed = ParseQuery(q);
  EXPECT_TRUE(parsed.ok()) << q << ": " << parsed.status();
  return parsed.ok() && Matches(*parsed, Row());
}

std::string Error(const std::string& q) {
  auto parsed = ParseQuery(q);
  if (parsed.ok()) return "parsed";
  EXPECT_EQ(ServiceErrorName(parsed.status()), "ValidationException");
  return std::string(parsed.status().message());
}

TEST(SearchQueryTest, EmptyMatchesEverything) {
  EXPECT_TRUE(Match(""));
  EXPECT_TRUE(Match("   "));
}

TEST(SearchQueryTest, IndexedFieldsCompareTheirJsonValues) {
  EXPECT_TRUE(Match(R"(customerId = "4711")"));
  EXPECT_FALSE(Match("customerId = 4711"));  // a number is not the string
  EXPECT_FALSE(Match(R"(customerId = "4712")"));
  EXPECT_TRUE(Match(R"(customerId != "4712")"));
  EXPECT_TRUE(Match("amount = 250"));
  EXPECT_TRUE(Match("amount = 250.0"));  // whole numbers are integers
  EXPECT_TRUE(Match("amount > 100 and amount <= 250"));
  EXPECT_FALSE(Match("amount < 250"));
  EXPECT_TRUE(Match("vip = true"));
  EXPECT_TRUE(Match(R"(customerId starts with "47")"));
  // No value: false, != included.
  EXPECT_FALSE(Match(R"(region = "eu")"));
  EXPECT_FALSE(Match(R"(region != "eu")"));
}

TEST(SearchQueryTest, BuiltInFields) {
  EXPECT_TRUE(Match("status = FAILED"));
  EXPECT_TRUE(Match(R"(status = "FAILED")"));
  EXPECT_FALSE(Match("status = SUCCEEDED"));
  EXPECT_TRUE(Match("status != RUNNING"));
  EXPECT_TRUE(Match(R"(name starts with "order-")"));
  EXPECT_FALSE(Match(R"(name starts with "invoice-")"));
  EXPECT_TRUE(Match(R"(name = "order-1")"));
  EXPECT_TRUE(Match(R"(startDate >= "2026-12-01T00:00:00Z")"));
  EXPECT_FALSE(Match(R"(startDate > "2026-12-01T00:00:00Z")"));
  EXPECT_TRUE(Match(R"(stopDate < "2026-12-01T00:02:00Z")"));
  EXPECT_FALSE(Match(R"(startDate < "2026-12-01T01:00:00+01:00")"));  // the same instant
  EXPECT_TRUE(Match("stateMachine = arn:aws:states:us-east-1:123456789012:stateMachine:m"));
  EXPECT_TRUE(Match("version = arn:aws:states:us-east-1:123456789012:stateMachine:m:3"));
  EXPECT_FALSE(Match(R"(alias = "arn:aws:states:us-east-1:123456789012:stateMachine:m:live")"));
}

TEST(SearchQueryTest, AndOrAndParentheses) {
  EXPECT_TRUE(Match(R"(customerId = "4711" and status = FAILED)"));
  EXPECT_FALSE(Match(R"(customerId = "4711" and status = SUCCEEDED)"));
  EXPECT_TRUE(Match(R"(status = SUCCEEDED or customerId = "4711")"));
  // and binds tighter than or.
  EXPECT_TRUE(Match(R"(status = SUCCEEDED and amount = 1 or vip = true)"));
  EXPECT_FALSE(Match(R"(status = SUCCEEDED and (amount = 1 or vip = true))"));
  EXPECT_TRUE(Match(R"(status = SUCCEEDED OR vip = true)"));  // keywords: any case
  EXPECT_TRUE(Match("vip = true AND status = FAILED"));
}

TEST(SearchQueryTest, ConjunctsAreTheTopLevelAnd) {
  auto q = ParseQuery(R"(customerId = "1" and (status = FAILED and name = "x"))");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(Conjuncts(*q).size(), 3u);
  auto o = ParseQuery(R"(customerId = "1" or status = FAILED)");
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(Conjuncts(*o).empty());
}

TEST(SearchQueryTest, ErrorsNameWhatAndWhere) {
  EXPECT_EQ(Error("customerId ="), "query: expected a value after '=' at column 13");
  EXPECT_EQ(Error("customerId = "), "query: expected a value after '=' at column 14");
  EXPECT_EQ(Error(R"(customerId "4711")"),
            "query: expected an operator (=, !=, <, <=, >, >=, starts with) after "
            "'customerId', found \"4711\" at column 12");
  EXPECT_EQ(Error(R"(customerId = "4711)"), "query: unterminated string at column 14");
  EXPECT_EQ(Error("status = DONE"),
            "query: unknown status 'DONE' (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, "
            "PENDING_REDRIVE) at column 10");
  EXPECT_EQ(Error("status > FAILED"), "query: 'status' takes only = and !=, not '>' at column 1");
  EXPECT_EQ(Error(R"(startDate >= "yesterday")"),
            "query: expected a time such as \"2026-12-01T00:00:00Z\" after '>=' at column 14");
  EXPECT_EQ(Error("customerId = abc"),
            "query: expected a value (a quoted string, a number, true, false or null) after "
            "'=', found 'abc' at column 14");
  EXPECT_EQ(Error(R"(name starts "x")"),
            "query: expected 'with' after 'starts', found \"x\" at column 13");
  EXPECT_EQ(Error(R"(status = FAILED and)"),
            "query: expected a field name, found the end at column 20");
  EXPECT_EQ(Error(R"((status = FAILED)"), "query: expected ')', found the end at column 17");
  EXPECT_EQ(Error(R"(status = FAILED))"),
            "query: expected 'and', 'or' or the end, found ')' at column 16");
  EXPECT_EQ(Error("a ! 1"), "query: expected '!=' after '!' at column 3");
  EXPECT_EQ(Error("9lives = 1"), "query: expected a field name, found '9lives' at column 1");
  EXPECT_EQ(Error(R"(amount starts with 4)"),
            "query: expected a quoted string after 'starts with' at column 20");
}

TEST(SearchQueryTest, HostileInputIsRefusedNotCrashed) {
  EXPECT_NE(Error(std::string(5000, '(')), "parsed");
  EXPECT_NE(Error(std::string(100, '(') + "a = 1" + std::string(100, ')')), "parsed");
  EXPECT_NE(Error(std::string("a = \"\\u00") + "\""), "parsed");
  EXPECT_NE(Error(std::string("a = \"x\0y\"", 9)), "parsed");
}

}  // namespace
}  // namespace stepwise::engine::search
