// Hostile input for search (docs/search.md) against the real stepwised on
// loopback, on both APIs: malformed and oversized queries (unterminated
// strings, 5,000 open parentheses, NUL bytes, invalid UTF-8, unknown
// statuses, bad dates), field declarations with bad names, sources, paths,
// JSONata that does not parse or runs away, 21 fields, wrong JSON types,
// forged page tokens. Each must get the AWS-shaped error naming the problem
// (ValidationException with the query's column or the member); nothing
// refused is stored, and afterwards the daemon still answers a search.
#include <string>

#include "tests/hostile/daemon.h"

namespace stepwise::hostile {
namespace {

constexpr char kMachine[] = "arn:aws:states:us-east-1:123456789012:stateMachine:Searched";
constexpr char kDef[] =
    R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";

class SearchHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<Daemon>(MakeTempDir("data"));
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
    http_ = daemon_->http_port();
    v1::CreateStateMachineRequest req;
    req.set_name("Searched");
    req.set_definition(kDef);
    req.set_role_arn("arn:aws:iam::123456789012:role/r");
    v1::CreateStateMachineResponse resp;
    ASSERT_TRUE(daemon_->stub()->CreateStateMachine(Ctx().get(), req, &resp).ok());
    AwsReply put = StepwiseAws(
        http_, "PutIndexedFields",
        J(json::object{{"stateMachineArn", kMachine},
                       {"indexedFields", json::array{json::object{
                                             {"name", "customerId"},
                                             {"source", "INPUT"},
                                             {"path", "$.customerId"}}}}}));
    ASSERT_EQ(put.status, 200) << put.raw;
    v1::StartExecutionRequest start;
    start.set_state_machine_arn(kMachine);
    start.set_name("one");
    start.set_input(R"({"customerId":"c1"})");
    v1::StartExecutionResponse started;
    ASSERT_TRUE(daemon_->stub()->StartExecution(Ctx().get(), start, &started).ok());
  }
  void TearDown() override {
    if (daemon_ != nullptr && !HasFatalFailure()) {
      EXPECT_TRUE(daemon_->Alive()) << "stepwised died:\n" << daemon_->log();
    }
  }

  static void ExpectAwsError(const AwsReply& r, const std::string& name,
                             const std::string& words) {
    EXPECT_EQ(r.status, 400) << r.raw;
    EXPECT_EQ(r.type, name) << r.raw;
    EXPECT_NE(r.message.find(words), std::string::npos)
        << "'" << r.message << "' does not name '" << words << "'";
  }
  AwsReply Search(const std::string& query) {
    return StepwiseAws(http_, "SearchExecutions", J(json::object{{"query", query}}));
  }
  AwsReply Put(const json::value& fields) {
    return StepwiseAws(http_, "PutIndexedFields",
                       J(json::object{{"stateMachineArn", kMachine}, {"indexedFields", fields}}));
  }
  static json::object Field(const char* name, const char* source, const char* key,
                            const std::string& value) {
    return json::object{{"name", name}, {"source", source}, {key, value}};
  }

  std::unique_ptr<Daemon> daemon_;
  int http_ = 0;
};

TEST_F(SearchHostileTest, BadQueriesAreRefusedWithTheirColumn) {
  ExpectAwsError(Search("customerId ="), "ValidationException",
                 "query: expected a value after '=' at column 13");
  ExpectAwsError(Search("customerId = \"c1"), "ValidationException",
                 "unterminated string at column 14");
  ExpectAwsError(Search(std::string(5000, '(')), "ValidationException", "query: ");
  ExpectAwsError(Search(std::string(200, '(') + "status = FAILED" + std::string(200, ')')),
                 "ValidationException", "too deeply nested");
  ExpectAwsError(Search(std::string("customerId = \"a\0b\"", 18)), "ValidationException",
                 "invalid string at column 14");
  ExpectAwsError(Search("status = DANCING"), "ValidationException", "unknown status 'DANCING'");
  ExpectAwsError(Search("startDate > \"last tuesday\""), "ValidationException",
                 "expected a time");
  ExpectAwsError(Search("status = FAILED and and"), "ValidationException",
                 "expected a field name, found 'and' at column 21");
  ExpectAwsError(Search("customerId = c1"), "ValidationException", "found 'c1' at column 14");
  ExpectAwsError(Search("x = 1 )"), "ValidationException", "found ')' at column 7");
  ExpectAwsError(StepwiseAws(http_, "SearchExecutions", J(json::object{{"query", 5}})),
                 "SerializationException", "'query'");
  ExpectAwsError(StepwiseAws(http_, "SearchExecutions",
                             J(json::object{{"maxResults", 5000}})),
                 "ValidationException", "maxResults");
  ExpectAwsError(StepwiseAws(http_, "SearchExecutions",
                             J(json::object{{"nextToken", "not a token!"}})),
                 "InvalidToken", "not a token!");
  ExpectAwsError(StepwiseAws(http_, "CountExecutions",
                             J(json::object{{"stateMachineArn", "arn:aws:nope"}})),
                 "InvalidArn", "arn:aws:nope");
  // A long but well-formed query is fine; past 4096 characters it is refused.
  std::string ors = "customerId = \"c1\"";
  while (ors.size() < 3900) ors += " or customerId = \"c1\"";
  EXPECT_EQ(Search(ors).status, 200);
  ExpectAwsError(Search(ors + std::string(300, ' ') + "or x = 1"), "ValidationException",
                 "longer than 4096");
  // Still answering, and right.
  AwsReply ok = Search("customerId = \"c1\"");
  ASSERT_EQ(ok.status, 200) << ok.raw;
  EXPECT_NE(ok.raw.find("\"name\":\"one\""), std::string::npos) << ok.raw;
}

TEST_F(SearchHostileTest, BadFieldDeclarationsAreRefusedAndNothingIsStored) {
  ExpectAwsError(Put(json::array{Field("bad name", "INPUT", "path", "$.a")}),
                 "ValidationException", "indexedFields.1.member.name");
  ExpectAwsError(Put(json::array{Field(std::string(65, 'a').c_str(), "INPUT", "path", "$.a")}),
                 "ValidationException", "indexedFields.1.member.name");
  ExpectAwsError(Put(json::array{Field("a", "CONTEXT", "path", "$.a")}), "ValidationException",
                 "indexedFields.1.member.source");
  ExpectAwsError(Put(json::array{Field("a", "INPUT", "path", "$.a[?(@.b ==")}),
                 "ValidationException", "indexedFields.1.member.path");
  ExpectAwsError(Put(json::array{Field("a", "INPUT", "path", "$$.Execution.Input")}),
                 "ValidationException", "indexedFields.1.member.path");
  ExpectAwsError(Put(json::array{Field("a", "INPUT", "expression", "(((")}),
                 "ValidationException", "indexedFields.1.member.expression");
  ExpectAwsError(Put(json::array{json::object{{"name", "a"}, {"source", "INPUT"}}}),
                 "ValidationException", "Exactly one of path and expression");
  json::array many;
  for (int i = 0; i < 21; ++i) {
    many.push_back(Field(("f" + std::to_string(i)).c_str(), "INPUT", "path", "$.a"));
  }
  ExpectAwsError(Put(many), "ValidationException", "less than or equal to 20");
  ExpectAwsError(Put(json::value("customerId")), "SerializationException", "'indexedFields'");
  ExpectAwsError(Put(json::array{json::value(7)}), "SerializationException",
                 "'indexedFields[0]'");
  ExpectAwsError(Put(json::array{json::object{{"name", 1}, {"source", "INPUT"}}}),
                 "SerializationException", "'name'");
  ExpectAwsError(StepwiseAws(http_, "PutIndexedFields", J(json::object{{"stateMachineArn",
                                                                        kMachine}})),
                 "ValidationException", "'indexedFields'");
  ExpectAwsError(StepwiseAws(http_, "PutIndexedFields",
                             J(json::object{{"stateMachineArn", std::string(kMachine) + ":1"},
                                            {"indexedFields", json::array{}}})),
                 "ValidationException", "version or alias");
  // Nothing refused was stored: the one field is still there.
  AwsReply got = StepwiseAws(http_, "GetIndexedFields",
                             J(json::object{{"stateMachineArn", kMachine}}));
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(got.raw,
            R"({"indexedFields":[{"name":"customerId","source":"INPUT","path":"$.customerId"}]})");
}

TEST_F(SearchHostileTest, ARunawayExpressionIndexesNothingAndTheExecutionRuns) {
  AwsReply put = Put(json::array{
      Field("slow", "INPUT", "expression", "$sum([1..10000000])"),
      Field("deep", "INPUT", "expression", "($f := function($n){ $f($n + 1) }; $f(0))")});
  ASSERT_EQ(put.status, 200) << put.raw;
  v1::StartExecutionRequest start;
  start.set_state_machine_arn(kMachine);
  start.set_name("runaway");
  start.set_input("{}");
  v1::StartExecutionResponse started;
  grpc::Status s = daemon_->stub()->StartExecution(Ctx().get(), start, &started);
  ASSERT_TRUE(s.ok()) << s.error_message();
  AwsReply found = Search("name = \"runaway\" and status = SUCCEEDED");
  ASSERT_EQ(found.status, 200) << found.raw;
  EXPECT_NE(found.raw.find("\"indexedFields\":{}"), std::string::npos) << found.raw;
}

}  // namespace
}  // namespace stepwise::hostile
