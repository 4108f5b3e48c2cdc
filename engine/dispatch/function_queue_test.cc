// Lambda Tasks on function queues and .waitForTaskToken callbacks, through
// the whole engine (MemoryStore and, for restarts, RocksStore): both Lambda
// forms, the answer shapes AWS records, function errors, callback tokens
// and what survives a restart.
#include <filesystem>
#include <string>

#include <unistd.h>

#include "common/json.h"
#include "engine/engine_test_fixture.h"
#include "engine/service_error.h"
#include "gtest/gtest.h"
#include "storage/rocks_store.h"

namespace stepwise::engine {
namespace {

constexpr char kLegacy[] = R"({"StartAt":"Validate","States":{
  "Validate":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:validate",
              "TimeoutSeconds":30,"Next":"Done"},
  "Done":{"Type":"Pass","End":true}}})";

constexpr char kInvoke[] = R"({"StartAt":"Pay","States":{
  "Pay":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
         "Parameters":{"FunctionName":"pay:live","Payload.$":"$"},
         "ResultSelector":{"paid.$":"$.Payload.paid","code.$":"$.StatusCode"},"End":true}}})";

constexpr char kCallback[] = R"({"StartAt":"Approve","States":{
  "Approve":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
             "Parameters":{"FunctionName":"ask","Payload":{"token.$":"$$.Task.Token",
                                                          "order.$":"$.order"}},
             "HeartbeatSeconds":60,"End":true}}})";

json::object Obj(const std::string& text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.ok() && v->is_object()) << text;
  return v.ok() && v->is_object() ? v->get_object() : json::object();
}

TEST_F(EngineTest, LegacyLambdaArnRunsOnItsFunctionQueueAndReturnsThePayload) {
  std::string m = Machine("legacy", kLegacy);
  auto e = engine_->StartExecution(m, "e1", R"({"order":1})");
  ASSERT_TRUE(e.ok());
  auto t = engine_->GetFunctionTask("validate", "w1", 2000);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_FALSE(t->task_token.empty());
  EXPECT_EQ(t->payload, R"({"order":1})");
  EXPECT_EQ(t->execution_arn, e->execution_arn);
  EXPECT_EQ(t->deadline_ms, clock_.NowMs() + 30000);
  EXPECT_EQ(t->function_arn, "arn:aws:lambda:us-east-1:123456789012:function:validate");
  EXPECT_EQ(t->qualifier, "$LATEST");
  EXPECT_EQ(t->state_name, "Validate");
  EXPECT_EQ(t->request_id.size(), 36u);
  ASSERT_TRUE(engine_->SendTaskSuccess(t->task_token, R"({"valid":true})").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"valid":true})");
  EXPECT_EQ(Types(e->execution_arn),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered",
                                      "LambdaFunctionScheduled", "LambdaFunctionStarted",
                                      "LambdaFunctionSucceeded", "TaskStateExited",
                                      "PassStateEntered", "PassStateExited",
                                      "ExecutionSucceeded"}));
  // Another function's queue never sees it.
  auto other = engine_->GetFunctionTask("other", "w2", 0);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->task_token.empty());
}

TEST_F(EngineTest, LambdaInvokeWrapsTheAnswerAsAwsRecordsIt) {
  std::string m = Machine("invoke", kInvoke);
  auto e = engine_->StartExecution(m, "e1", R"({"amount":5})");
  ASSERT_TRUE(e.ok());
  auto t = engine_->GetFunctionTask("pay", "w1", 2000);
  ASSERT_TRUE(t.ok() && !t->task_token.empty());
  EXPECT_EQ(t->payload, R"({"amount":5})");
  EXPECT_EQ(t->qualifier, "live");
  EXPECT_EQ(t->function_arn, "arn:aws:lambda:us-east-1:123456789012:function:pay:live");
  ASSERT_TRUE(engine_->SendTaskSuccess(t->task_token, R"({"paid":true})").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"paid":true,"code":200})");
  auto h = engine_->GetExecutionHistory(e->execution_arn, 100, "", false, true);
  ASSERT_TRUE(h.ok());
  bool seen = false;
  for (auto& ev : h->events) {
    if (ev["type"].as_string() != "TaskSucceeded") continue;
    seen = true;
    const json::object& det = ev["taskSucceededEventDetails"].as_object();
    json::object out = Obj(std::string(det.at("output").as_string()));
    EXPECT_EQ(out.at("ExecutedVersion").as_string(), "live");
    EXPECT_EQ(out.at("StatusCode").as_int64(), 200);
    EXPECT_EQ(SerializeJson(out.at("Payload")), R"({"paid":true})");
    EXPECT_EQ(out.at("SdkResponseMetadata").at("RequestId").as_string(), t->request_id);
    EXPECT_EQ(out.at("SdkHttpMetadata").at("HttpStatusCode").as_int64(), 200);
  }
  EXPECT_TRUE(seen);
}

TEST_F(EngineTest, FunctionErrorsCarryTheErrorTypeAndTheCatchSeesThem) {
  std::string m = Machine("caught", R"({"StartAt":"F","States":{
    "F":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:boom",
         "Catch":[{"ErrorEquals":["ValueError"],"ResultPath":"$.err","Next":"H"}],"End":true},
    "H":{"Type":"Pass","End":true}}})");
  auto e = engine_->StartExecution(m, "e1", "{}");
  ASSERT_TRUE(e.ok());
  auto t = engine_->GetFunctionTask("boom", "w", 2000);
  ASSERT_TRUE(t.ok() && !t->task_token.empty());
  std::string cause = R"({"errorMessage":"bad","errorType":"ValueError","requestId":"r","stackTrace":[]})";
  ASSERT_TRUE(engine_->SendTaskFailure(t->task_token, "ValueError", cause).ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED");
  json::object out = Obj(*d.output);
  EXPECT_EQ(out.at("err").at("Error").as_string(), "ValueError");
  EXPECT_EQ(out.at("err").at("Cause").as_string(), cause);
  // A failure without an error type is Lambda.Unknown, as AWS reports it.
  auto e2 = engine_->StartExecution(m, "e2", "{}");
  ASSERT_TRUE(e2.ok());
  auto t2 = engine_->GetFunctionTask("boom", "w", 2000);
  ASSERT_TRUE(t2.ok() && !t2->task_token.empty());
  ASSERT_TRUE(engine_->SendTaskFailure(t2->task_token, "", "").ok());
  ExecutionDescription d2 = AwaitEnd(e2->execution_arn);
  EXPECT_EQ(d2.status, "FAILED");
  EXPECT_EQ(*d2.error, "Lambda.Unknown");
}

TEST_F(EngineTest, CallbackTokenCompletesTheTaskAfterTheWorkerSubmitsIt) {
  std::string m = Machine("approve", kCallback);
  auto e = engine_->StartExecution(m, "e1", R"({"order":7})");
  ASSERT_TRUE(e.ok());
  auto t = engine_->GetFunctionTask("ask", "w", 2000);
  ASSERT_TRUE(t.ok() && !t->task_token.empty());
  json::object event = Obj(t->payload);
  std::string callback(event.at("token").as_string());
  EXPECT_EQ(event.at("order").as_int64(), 7);
  EXPECT_NE(callback, t->task_token);
  EXPECT_LE(callback.size(), 2048u);
  // The function returns: the task is submitted, not done.
  ASSERT_TRUE(engine_->SendTaskSuccess(t->task_token, R"({"asked":true})").ok());
  ASSERT_TRUE(engine_->SendTaskSuccess(t->task_token, R"({"asked":true})").ok());  // no-op
  EXPECT_EQ(engine_->DescribeExecution(e->execution_arn)->status, "RUNNING");
  ASSERT_TRUE(engine_->SendTaskHeartbeat(callback).ok());
  // A forged token is refused, a callback token completes the task.
  EXPECT_EQ(ServiceErrorName(engine_->SendTaskSuccess(callback + "x", "{}")), "InvalidToken");
  ASSERT_TRUE(engine_->SendTaskSuccess(callback, R"({"approved":true})").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"approved":true})");
  EXPECT_EQ(Types(e->execution_arn),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                      "TaskStarted", "TaskSubmitted", "TaskSucceeded",
                                      "TaskStateExited", "ExecutionSucceeded"}));
  // Used once: the task is gone.
  EXPECT_EQ(ServiceErrorName(engine_->SendTaskSuccess(callback, "{}")), "TaskTimedOut");
}

TEST_F(EngineTest, CallbackMayArriveBeforeTheWorkerTakesTheTask) {
  std::string m = Machine("early", kCallback);
  auto e = engine_->StartExecution(m, "e1", R"({"order":1})");
  ASSERT_TRUE(e.ok());
  // The token as $$.Task.Token showed it: read from the scheduled event.
  auto h = engine_->GetExecutionHistory(e->execution_arn, 100, "", false, true);
  ASSERT_TRUE(h.ok());
  std::string callback;
  for (auto& ev : h->events) {
    if (ev["type"].as_string() == "TaskScheduled") {
      json::object p = Obj(std::string(
          ev["taskScheduledEventDetails"].as_object().at("parameters").as_string()));
      callback = std::string(p.at("Payload").at("token").as_string());
    }
  }
  ASSERT_FALSE(callback.empty());
  ASSERT_TRUE(engine_->SendTaskFailure(callback, "Rejected", "no").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(*d.error, "Rejected");
  // Its queue entry went with it.
  auto t = engine_->GetFunctionTask("ask", "w", 0);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->task_token.empty());
}

TEST_F(EngineTest, BadFunctionNamesFailTheTaskOrThePoll) {
  std::string m = Machine("badname", R"({"StartAt":"F","States":{
    "F":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
         "Parameters":{"FunctionName.$":"$.fn"},"End":true}}})");
  auto e = engine_->StartExecution(m, "e1", R"({"fn":"no spaces allowed"})");
  ASSERT_TRUE(e.ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(*d.error, "Lambda.InvalidParameterValueException");
  auto p = engine_->GetFunctionTask("no spaces", "w", 0);
  EXPECT_EQ(ServiceErrorName(p.status()), "InvalidArn");
}


using FunctionQueueRestartTest = RocksEngineTest;

TEST_F(FunctionQueueRestartTest, FunctionTasksAndCallbacksSurviveARestart) {
  std::string legacy = Machine("legacy", kLegacy);
  std::string cb = Machine("approve", kCallback);
  auto a = engine_->StartExecution(legacy, "a", R"({"v":1})");
  auto b = engine_->StartExecution(cb, "b", R"({"order":2})");
  ASSERT_TRUE(a.ok() && b.ok());
  Reopen();
  // Re-queued from the store; handed out once.
  auto t = engine_->GetFunctionTask("validate", "w", 2000);
  ASSERT_TRUE(t.ok() && !t->task_token.empty());
  auto c = engine_->GetFunctionTask("ask", "w", 2000);
  ASSERT_TRUE(c.ok() && !c->task_token.empty());
  std::string callback(Obj(c->payload).at("token").as_string());
  ASSERT_TRUE(engine_->SendTaskSuccess(c->task_token, "null").ok());
  Reopen();
  auto again = engine_->GetFunctionTask("validate", "w2", 100);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->task_token.empty());
  ASSERT_TRUE(engine_->SendTaskSuccess(t->task_token, "7").ok());
  EXPECT_EQ(*AwaitEnd(a->execution_arn).output, "7");
  // The callback token still works after the restart (the key is stored).
  ASSERT_TRUE(engine_->SendTaskSuccess(callback, R"("yes")").ok());
  ExecutionDescription d = AwaitEnd(b->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"("yes")");
}

}  // namespace
}  // namespace stepwise::engine
