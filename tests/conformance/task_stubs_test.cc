#include "tests/conformance/task_stubs.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::conformance {
namespace {

json::value J(std::string_view text) {
  auto v = ParseJson(absl::string_view(text.data(), text.size()));
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value();
}

TEST(PythonFormatTest, StrLooksLikePython) {
  EXPECT_EQ(PythonStr(J(R"({"a": 1, "b": [true, null, 1.5], "c": "it's"})")),
            R"({'a': 1, 'b': [True, None, 1.5], 'c': "it's"})");
  EXPECT_EQ(PythonStr(J("1.0")), "1.0");
  EXPECT_EQ(PythonStr(J("1e20")), "1e+20");
  EXPECT_EQ(PythonStr(J("0.00001")), "1e-05");
}

TEST(PythonFormatTest, JsonDumpsUsesSpacedSeparators) {
  EXPECT_EQ(PythonJsonDumps(J(R"({"errorMessage":"x","stackTrace":["a\n"]})")),
            R"({"errorMessage": "x", "stackTrace": ["a\n"]})");
  EXPECT_EQ(PythonJsonDumps(J(R"("é")")), R"("\u00e9")");
}

const char* kLambdaCase = R"({
  "definition": {"StartAt": "Start", "States": {
    "Start": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "TimeoutSeconds": 5, "End": true}}},
  "lambda_stubs": {
    "stub-id-function-0": {"behaviour": "identity"},
    "stub-raise-exception-0": {"behaviour": "raise", "error": "Exception",
                               "message": "Some exception was raised."},
    "stub-wait-60-seconds-0": {"behaviour": "sleep_then_identity", "seconds": 60}
  },
  "task_replay": [
    {"state": "Start", "kind": "TaskScheduled", "resource": "invoke",
     "parameters": {"FunctionName": "<lambda_function_name>", "Payload": {"k": 1}},
     "result": {"output": {"ExecutedVersion": "$LATEST", "Payload": {"k": 1},
                           "StatusCode": 200, "Recorded": true}}}
  ]
})";

TEST(TaskResponderTest, LambdaInvokeWrapsStubPayloadInRecordedEnvelope) {
  json::object doc = J(kLambdaCase).get_object();
  TaskResponder responder(doc, 1);
  engine::TaskRequest req;
  req.state_name = "Start";
  req.resource = "arn:aws:states:::lambda:invoke";
  req.input = J(R"({"FunctionName": "stub-id-function-0", "Payload": {"k": 1}})");
  engine::TaskOutcome out = responder.Answer(req);
  ASSERT_TRUE(out.success);
  EXPECT_EQ(out.output.at("Payload"), J(R"({"k": 1})"));
  EXPECT_EQ(out.output.at("Recorded"), json::value(true));
}

TEST(TaskResponderTest, LambdaInvokeWithoutReplaySynthesisesEnvelope) {
  json::object doc = J(kLambdaCase).get_object();
  TaskResponder responder(doc, 1);
  engine::TaskRequest req;
  req.state_name = "Start";
  req.resource = "arn:aws:states:::lambda:invoke";
  req.input = J(R"({"FunctionName": "stub-id-function-0", "Payload": "[1,2]"})");
  engine::TaskOutcome out = responder.Answer(req);
  ASSERT_TRUE(out.success);
  EXPECT_EQ(out.output.at("Payload"), J("[1,2]"));
  EXPECT_EQ(out.output.at("StatusCode"), json::value(200));
  EXPECT_TRUE(out.output.as_object().contains("SdkHttpMetadata"));
}

TEST(TaskResponderTest, RaiseAndTimeoutAndUnknownFunction) {
  json::object doc = J(kLambdaCase).get_object();
  TaskResponder responder(doc, 1);
  engine::TaskRequest req;
  req.state_name = "Start";
  req.resource = "arn:aws:states:::lambda:invoke";
  req.input = J(R"({"FunctionName": "stub-raise-exception-0"})");
  engine::TaskOutcome out = responder.Answer(req);
  EXPECT_FALSE(out.success);
  EXPECT_EQ(out.error, "Exception");
  // Through lambda:invoke the cause is compact JSON.
  EXPECT_THAT(out.cause, testing::HasSubstr("\"errorMessage\":\"Some exception"));

  req.input = J(R"({"FunctionName": "stub-wait-60-seconds-0"})");
  out = responder.Answer(req);
  EXPECT_FALSE(out.success);
  EXPECT_TRUE(out.timed_out);

  req.input = J(R"({"FunctionName": "no_such_function"})");
  out = responder.Answer(req);
  EXPECT_FALSE(out.success);
  EXPECT_EQ(out.error, "Lambda.ResourceNotFoundException");
}

TEST(TaskResponderTest, LegacyLambdaResourceGetsRawPayload) {
  json::object doc = J(kLambdaCase).get_object();
  TaskResponder responder(doc, 1);
  engine::TaskRequest req;
  req.state_name = "Other";
  req.resource = "arn:aws:lambda:us-east-1:111111111111:function:stub-id-function-0";
  req.input = J("[1, 2]");
  engine::TaskOutcome out = responder.Answer(req);
  ASSERT_TRUE(out.success);
  EXPECT_EQ(out.output, J("[1, 2]"));
}

TEST(TaskResponderTest, ReplayMatchesByStateParametersThenOrder) {
  json::object doc = J(R"({
    "task_replay": [
      {"state": "S", "parameters": {"a": 1}, "result": {"failure_event": "TaskFailed",
                                                         "error": "E1", "cause": "c1"}},
      {"state": "S", "parameters": {"a": 1}, "result": {"output": "second"}},
      {"state": "S", "parameters": {"a": 2}, "result": {"output": "two"}}
    ]})")
                         .get_object();
  TaskResponder responder(doc, 1);
  engine::TaskRequest req;
  req.state_name = "S";
  req.resource = "arn:aws:states:::sqs:sendMessage";
  req.input = J(R"({"a": 2})");
  engine::TaskOutcome out = responder.Answer(req);
  ASSERT_TRUE(out.success);
  EXPECT_EQ(out.output, json::value("two"));
  req.input = J(R"({"a": 1})");
  out = responder.Answer(req);
  EXPECT_FALSE(out.success);
  EXPECT_EQ(out.error, "E1");
  out = responder.Answer(req);
  ASSERT_TRUE(out.success);
  EXPECT_EQ(out.output, json::value("second"));
  out = responder.Answer(req);  // exhausted: no recorded answer
  EXPECT_FALSE(out.success);
  EXPECT_THAT(out.cause, testing::HasSubstr("no recorded answer"));
}

}  // namespace
}  // namespace stepwise::conformance
