// Tests of MockConfig (mock_config.h): Step Functions Local's file format,
// the errors a bad file gets (naming the JSON path), invocation indices and
// ranges, and the `#TestCase` suffix. gtest's thread.
#include "engine/mock_config/mock_config.h"

#include <string>

#include "engine/service_error.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

// The example of AWS's developer guide ("Configuration File for Mocked
// Service Integrations"; MIT-0 sample code).
constexpr char kAwsExample[] = R"({
  "StateMachines":{"LambdaSQSIntegration":{"TestCases":{
    "HappyPath":{"LambdaState":"MockedLambdaSuccess","SQSState":"MockedSQSSuccess"},
    "RetryPath":{"LambdaState":"MockedLambdaRetry","SQSState":"MockedSQSSuccess"},
    "HybridPath":{"LambdaState":"MockedLambdaSuccess"}}}},
  "MockedResponses":{
    "MockedLambdaSuccess":{"0":{"Return":{"StatusCode":200,
        "Payload":{"StatusCode":200,"body":"Hello from Lambda!"}}}},
    "LambdaMockedResourceNotReady":{"0":{"Throw":{"Error":"Lambda.ResourceNotReadyException",
        "Cause":"Lambda resource is not ready."}}},
    "MockedSQSSuccess":{"0":{"Return":{"MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
        "MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}},
    "MockedLambdaRetry":{
      "0":{"Throw":{"Error":"Lambda.ResourceNotReadyException",
                    "Cause":"Lambda resource is not ready."}},
      "1-2":{"Throw":{"Error":"Lambda.TimeoutException","Cause":"Lambda timed out."}},
      "3":{"Return":{"StatusCode":200,"Payload":{"StatusCode":200,"body":"Hello from Lambda!"}}}}}
})";

// The error message of parsing `text`, "" when it parses.
std::string ErrorOf(const std::string& text) {
  auto c = MockConfig::Parse(text);
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

TEST(MockConfigTest, ReadsAwsExampleUnchanged) {
  auto c = MockConfig::Parse(kAwsExample);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->machine_count(), 1u);
  EXPECT_EQ((*c)->response_count(), 4u);
  EXPECT_TRUE((*c)->HasTestCase("LambdaSQSIntegration", "HybridPath"));
  EXPECT_FALSE((*c)->HasTestCase("LambdaSQSIntegration", "SadPath"));
  EXPECT_FALSE((*c)->HasTestCase("Other", "HappyPath"));
  const std::string* name = (*c)->ResponseNameFor("LambdaSQSIntegration", "RetryPath", "LambdaState");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(*name, "MockedLambdaRetry");
  EXPECT_EQ((*c)->ResponseNameFor("LambdaSQSIntegration", "HybridPath", "SQSState"), nullptr);
  EXPECT_EQ((*c)->ResponseNameFor("LambdaSQSIntegration", "Nope", "LambdaState"), nullptr);
}

TEST(MockConfigTest, InvocationIndicesAndRanges) {
  auto c = MockConfig::Parse(kAwsExample);
  ASSERT_TRUE(c.ok()) << c.status();
  const MockedResponse* retry = (*c)->Response("MockedLambdaRetry");
  ASSERT_NE(retry, nullptr);
  const MockedAnswer* a0 = retry->At(0);
  ASSERT_NE(a0, nullptr);
  EXPECT_TRUE(a0->is_throw);
  EXPECT_EQ(a0->error, "Lambda.ResourceNotReadyException");
  EXPECT_EQ(a0->cause, "Lambda resource is not ready.");
  for (int i : {1, 2}) {
    const MockedAnswer* a = retry->At(i);
    ASSERT_NE(a, nullptr) << i;
    EXPECT_EQ(a->error, "Lambda.TimeoutException") << i;
  }
  const MockedAnswer* a3 = retry->At(3);
  ASSERT_NE(a3, nullptr);
  EXPECT_FALSE(a3->is_throw);
  EXPECT_EQ(SerializeJson(a3->return_value),
            R"({"StatusCode":200,"Payload":{"StatusCode":200,"body":"Hello from Lambda!"}})");
  // Past the list: nothing (Step Functions Local fails the execution), not
  // the last entry again.
  EXPECT_EQ(retry->At(4), nullptr);
  EXPECT_EQ(retry->At(-1), nullptr);
  // Gaps give nothing either; a Return may be any JSON value.
  auto gaps = MockConfig::Parse(R"({"MockedResponses":{"R":{"5-6":{"Return":"x"},
      "1":{"Return":null},"9":{"Return":[1,2]}}}})");
  ASSERT_TRUE(gaps.ok()) << gaps.status();
  const MockedResponse* r = (*gaps)->Response("R");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->At(0), nullptr);
  ASSERT_NE(r->At(1), nullptr);
  EXPECT_TRUE(r->At(1)->return_value.is_null());
  EXPECT_EQ(r->At(2), nullptr);
  ASSERT_NE(r->At(6), nullptr);
  EXPECT_EQ(SerializeJson(r->At(6)->return_value), R"("x")");
  EXPECT_EQ(r->At(7), nullptr);
  ASSERT_NE(r->At(9), nullptr);
  // An empty response parses (Step Functions Local fails at run time).
  auto empty = MockConfig::Parse(R"({"StateMachines":{"M":{"TestCases":{"T":{"S":"E"}}}},
      "MockedResponses":{"E":{}}})");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)->Response("E")->At(0), nullptr);
  // Both sections are optional.
  EXPECT_EQ(ErrorOf("{}"), "");
}

TEST(MockConfigTest, BadFilesNameTheJsonPath) {
  EXPECT_NE(ErrorOf("{").find("not JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("[]").find("$: expected an object"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StateMachine":{}})").find("$.StateMachine: unknown field"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StateMachines":[]})").find("$.StateMachines: expected an object"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StateMachines":{"M":{}}})").find("$.StateMachines.M.TestCases"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StateMachines":{"M":{"TestCases":{},"X":1}}})")
                .find("$.StateMachines.M.X: unknown field"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StateMachines":{"M":{"TestCases":{"T":"S"}}}})")
                .find("$.StateMachines.M.TestCases.T: expected an object"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StateMachines":{"M":{"TestCases":{"T":{"S":1}}}}})")
                .find("$.StateMachines.M.TestCases.T.S: expected the name"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StateMachines":{"M":{"TestCases":{"T":{"S":"Nope"}}}}})")
                .find("$.StateMachines.M.TestCases.T.S: no mocked response 'Nope'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StateMachines":{"M":{"TestCases":{"":{}}}}})")
                .find("must not be empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"StateMachines":{"M":{"TestCases":{"T":{"State name":"Nope"}}}}})")
                .find(R"($.StateMachines.M.TestCases.T["State name"])"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"MockedResponses":{"R":[]}})").find("$.MockedResponses.R: expected"),
            std::string::npos);
  for (const char* key : {"a", "-1", "1-", "-", "2-1", "1.5", " 1", "99999999999"}) {
    std::string text = std::string(R"({"MockedResponses":{"R":{")") + key +
                       R"(":{"Return":1}}}})";
    EXPECT_NE(ErrorOf(text).find(std::string("$.MockedResponses.R[\"") + key + "\"]"),
              std::string::npos)
        << key << ": " << ErrorOf(text);
  }
  EXPECT_NE(ErrorOf(R"({"MockedResponses":{"R":{"0-2":{"Return":1},"2":{"Return":2}}}})")
                .find("invocation 2 is given more than once"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"MockedResponses":{"R":{"0":{}}}})")
                .find(R"($.MockedResponses.R["0"]: expected exactly one of Return or Throw)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"MockedResponses":{"R":{"0":{"Return":1,"Throw":{"Error":"E"}}}}})")
                .find("exactly one"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"MockedResponses":{"R":{"0":{"Returns":1}}}})")
                .find(R"($.MockedResponses.R["0"].Returns: unknown field)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"MockedResponses":{"R":{"0":{"Throw":"E"}}}})")
                .find(R"($.MockedResponses.R["0"].Throw: expected an object)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"MockedResponses":{"R":{"0":{"Throw":{"Cause":"c"}}}}})")
                .find(R"($.MockedResponses.R["0"].Throw.Error: expected a non-empty string)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"MockedResponses":{"R":{"0":{"Throw":{"Error":"E","Cause":3}}}}})")
                .find(R"($.MockedResponses.R["0"].Throw.Cause: expected a string)"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"MockedResponses":{"R":{"0":{"Throw":{"Error":"E","Code":3}}}}})")
                .find(R"($.MockedResponses.R["0"].Throw.Code: unknown field)"),
            std::string::npos);
}

TEST(MockConfigTest, LoadNamesTheFile) {
  auto c = MockConfig::Load("/nonexistent/MockConfigFile.json");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("/nonexistent/MockConfigFile.json"),
            std::string::npos);
}

TEST(MockConfigTest, SplitsTheTestCaseSuffix) {
  TestCaseArn plain = SplitTestCaseArn("arn:aws:states:us-east-1:1:stateMachine:M");
  EXPECT_EQ(plain.machine_arn, "arn:aws:states:us-east-1:1:stateMachine:M");
  EXPECT_FALSE(plain.test_case.has_value());
  TestCaseArn t = SplitTestCaseArn("arn:aws:states:us-east-1:1:stateMachine:M#HappyPath");
  EXPECT_EQ(t.machine_arn, "arn:aws:states:us-east-1:1:stateMachine:M");
  EXPECT_EQ(t.test_case, "HappyPath");
  TestCaseArn empty = SplitTestCaseArn("arn:aws:states:us-east-1:1:stateMachine:M#");
  ASSERT_TRUE(empty.test_case.has_value());
  EXPECT_EQ(*empty.test_case, "");
}

TEST(MockConfigTest, CheckTestCaseNamesWhatIsMissing) {
  auto c = MockConfig::Parse(kAwsExample);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(CheckTestCase(**c, "a#HappyPath", "LambdaSQSIntegration", "HappyPath").ok());
  absl::Status unknown = CheckTestCase(**c, "a#SadPath", "LambdaSQSIntegration", "SadPath");
  EXPECT_EQ(ServiceErrorName(unknown), "InvalidArn");
  EXPECT_NE(std::string(unknown.message()).find("'SadPath'"), std::string::npos);
  EXPECT_NE(std::string(unknown.message()).find("'LambdaSQSIntegration'"), std::string::npos);
  absl::Status empty = CheckTestCase(**c, "a#", "LambdaSQSIntegration", "");
  EXPECT_EQ(ServiceErrorName(empty), "InvalidArn");
  EXPECT_NE(std::string(empty.message()).find("empty"), std::string::npos);
}

}  // namespace
}  // namespace stepwise::engine
