// Unit tests of the live workers' stub behaviours (StubFunctionReply,
// StubActivityReply): what a worker sends for each `behaviour`.
#include "tests/conformance/live_workers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::conformance {
namespace {

json::object Stub(std::string_view text) {
  auto v = ParseJson(absl::string_view(text.data(), text.size()));
  EXPECT_TRUE(v.ok() && v->is_object()) << text;
  return v.ok() && v->is_object() ? v->get_object() : json::object();
}

TEST(StubFunctionReplyTest, IdentityReturnsTheEventAsPythonDumpsIt) {
  FunctionReply r = StubFunctionReply(Stub(R"({"behaviour": "identity"})"),
                                      R"({"a":[1,"é"]})", "req-1");
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.output, R"({"a": [1, "\u00e9"]})");
  EXPECT_EQ(r.sleep_seconds, 0);
  // No payload is the event null.
  EXPECT_EQ(StubFunctionReply(Stub(R"({"behaviour": "identity"})"), "", "r").output, "null");
}

TEST(StubFunctionReplyTest, ConstantsAndFormats) {
  EXPECT_EQ(StubFunctionReply(
                Stub(R"({"behaviour": "constant", "result": {"Return": "HelloWorld"}})"), "{}", "r")
                .output,
            R"({"Return": "HelloWorld"})");
  EXPECT_EQ(StubFunctionReply(
                Stub(R"({"behaviour": "constant_bytes", "result": "\"HelloWorld!\""})"), "{}", "r")
                .output,
            R"("HelloWorld!")");
  EXPECT_EQ(StubFunctionReply(Stub(R"({"behaviour": "python_format"})"),
                              R"({"k":true,"n":null})", "r")
                .output,
            R"("input-event-{'k': True, 'n': None}")");
  FunctionReply large =
      StubFunctionReply(Stub(R"({"behaviour": "large_output", "size_bytes": 300000})"), "{}", "r");
  EXPECT_EQ(large.output.size(), 300002u);
}

TEST(StubFunctionReplyTest, SleepThenIdentitySleepsFirst) {
  FunctionReply r = StubFunctionReply(
      Stub(R"({"behaviour": "sleep_then_identity", "seconds": 60})"), "{}", "r");
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.sleep_seconds, 60);
  EXPECT_EQ(r.output, "{}");
}

TEST(StubFunctionReplyTest, RaiseFailsWithTheErrorTypeAndTheRuntimeErrorJson) {
  FunctionReply r = StubFunctionReply(
      Stub(R"({"behaviour": "raise", "error": "CustomException", "message": "boom"})"), "{}",
      "0120624f-19ea-4798-ad37-ee7aeed5a847");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "CustomException");
  EXPECT_EQ(r.cause,
            R"({"errorMessage": "boom", "errorType": "CustomException", )"
            R"("requestId": "0120624f-19ea-4798-ad37-ee7aeed5a847", "stackTrace": []})");
}

TEST(StubFunctionReplyTest, UnknownBehaviourFails) {
  FunctionReply r = StubFunctionReply(Stub(R"({"behaviour": "dance"})"), "{}", "r");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "UnknownStubBehaviour");
  EXPECT_THAT(r.cause, testing::HasSubstr("dance"));
}

TEST(StubActivityReplyTest, Behaviours) {
  ActivityReply id = StubActivityReply(Stub(R"({"behaviour": "identity"})"), R"({"v":1})");
  EXPECT_EQ(id.kind, ActivityReply::Kind::kSucceed);
  EXPECT_EQ(id.output, R"({"v":1})");
  EXPECT_EQ(id.heartbeats, 0);

  ActivityReply beat =
      StubActivityReply(Stub(R"({"behaviour": "heartbeat_then_identity"})"), "{}");
  EXPECT_EQ(beat.kind, ActivityReply::Kind::kSucceed);
  // Longer in all than the recorded case's HeartbeatSeconds (10), each gap shorter.
  EXPECT_GT(beat.heartbeats * beat.heartbeat_interval_seconds, 10);
  EXPECT_LT(beat.heartbeat_interval_seconds, 10);

  ActivityReply fail =
      StubActivityReply(Stub(R"({"behaviour": "send_task_failure"})"), R"({"v":1})");
  EXPECT_EQ(fail.kind, ActivityReply::Kind::kFail);
  EXPECT_EQ(fail.error, "Programmatic Error");
  EXPECT_EQ(fail.cause, R"({"v":1})");

  EXPECT_EQ(StubActivityReply(Stub(R"({"behaviour": "never_answers"})"), "{}").kind,
            ActivityReply::Kind::kNeverAnswer);
}

}  // namespace
}  // namespace stepwise::conformance
