// CheckMockedTaskResult / CheckOutputShape: TestState's check of a mocked
// result against the output shapes botocore models (service_shapes.inc):
// types, required members (STRICT only), enums, PascalCase members of
// camelCase APIs, unmodeled members let through, resources not checked.
#include <string>

#include "engine/service_error.h"
#include "gtest/gtest.h"
#include "integrations/aws/mocked_result_check.h"

namespace stepwise::integrations {
namespace {

// "" when accepted, else "<AWS error name>: <message>".
std::string Check(const std::string& resource, const std::string& result,
                  bool strict = true) {
  absl::Status st = CheckMockedTaskResult(resource, *ParseJson(result), strict);
  if (st.ok()) return "";
  return engine::ServiceErrorName(st) + ": " + std::string(st.message());
}

constexpr char kGetItem[] = "arn:aws:states:::aws-sdk:dynamodb:getItem";

TEST(MockedResultCheckTest, AcceptsAResultOfTheOutputShape) {
  EXPECT_EQ(Check(kGetItem, R"({"Item":{"id":{"S":"x"},"n":{"N":"1"}}})"), "");
  // Members the model does not name (the optimized integrations' metadata).
  EXPECT_EQ(
      Check(
          "arn:aws:states:::dynamodb:getItem",
          R"({"Item":{"id":{"S":"x"}},"SdkHttpMetadata":{"HttpStatusCode":200}})"),
      "");
}

TEST(MockedResultCheckTest, NamesTheFieldOfTheWrongType) {
  EXPECT_EQ(Check(kGetItem, R"({"Item":"x"})"),
            "ValidationException: Mock result schema validation error: Field "
            "'Item' must be an "
            "object");
  EXPECT_EQ(Check(kGetItem, R"({"Item":{"id":{"S":5}}})"),
            "ValidationException: Mock result schema validation error: Field "
            "'S' must be a "
            "string");
  EXPECT_EQ(Check(kGetItem, R"({"Item":{"id":{"BOOL":"yes"}}})"),
            "ValidationException: Mock result schema validation error: Field "
            "'BOOL' must be a "
            "boolean");
  EXPECT_EQ(Check("arn:aws:states:::sqs:sendMessage", R"({"MessageId":1})"),
            "ValidationException: Mock result schema validation error: Field "
            "'MessageId' must "
            "be a string");
  EXPECT_EQ(
      Check("arn:aws:states:::aws-sdk:dynamodb:query", R"({"Count":"3"})"),
      "ValidationException: Mock result schema validation error: Field 'Count' "
      "must be a "
      "number");
  EXPECT_EQ(Check("arn:aws:states:::aws-sdk:dynamodb:query", R"({"Items":{}})"),
            "ValidationException: Mock result schema validation error: Field "
            "'Items' must be an "
            "array");
}

TEST(MockedResultCheckTest, StrictWantsRequiredMembersPresentDoesNot) {
  // sfn is a camelCase API: Step Functions shows its members in PascalCase.
  const std::string start = "arn:aws:states:::aws-sdk:sfn:startExecution";
  EXPECT_EQ(Check(start, R"({"StartDate":"2025-01-01T00:00:00Z"})"),
            "ValidationException: Mock result schema validation error: "
            "Required field "
            "'ExecutionArn' is missing");
  EXPECT_EQ(Check(start, R"({"StartDate":"2025-01-01T00:00:00Z"})", false), "");
  EXPECT_EQ(Check(start,
                  R"({"ExecutionArn":"a","StartDate":"2025-01-01T00:00:00Z"})"),
            "");
}

TEST(MockedResultCheckTest, EnumsTakeTheirValuesOnly) {
  const std::string describe = "arn:aws:states:::aws-sdk:sfn:describeExecution";
  EXPECT_EQ(Check(describe, R"({"Status":"SUCCEEDED"})", false), "");
  EXPECT_EQ(Check(describe, R"({"Status":"DONE"})", false),
            "ValidationException: Mock result schema validation error: Field "
            "'Status' is not an "
            "expected value");
}

TEST(MockedResultCheckTest, ResourcesWithoutAnAwsApiAreNotChecked) {
  EXPECT_EQ(Check("arn:aws:states:::http:invoke", R"({"StatusCode":"x"})"), "");
  EXPECT_EQ(Check("arn:aws:states:::lambda:invoke", R"({"Payload":1})"), "");
  EXPECT_EQ(Check("arn:aws:lambda:us-east-1:123456789012:function:f", "[]"),
            "");
}

}  // namespace
}  // namespace stepwise::integrations
