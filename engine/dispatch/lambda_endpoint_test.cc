// Lambda Tasks routed to an Invoke endpoint: the outcome mapping
// (LambdaOutcomeResult) and, through the whole engine with a fake
// LambdaInvoker, routing, results, function errors, callbacks, the task
// row's life and the invoke again after a restart.
#include <string>

#include "common/json.h"
#include "engine/dispatch/lambda_endpoint_dispatcher.h"
#include "engine/engine_test_fixture.h"
#include "gtest/gtest.h"
#include "storage/keys.h"

namespace stepwise::engine {
namespace {

LambdaCall Call(bool invoke_api) {
  LambdaCall c;
  c.function_name = "fn";
  c.function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fn";
  c.region = "us-east-1";
  c.invoke_api = invoke_api;
  c.request_id = "11111111-2222-3333-4444-555555555555";
  return c;
}

LambdaInvokeOutcome Answer(int status, std::string body, std::string error_type = "") {
  LambdaInvokeOutcome o;
  o.status = status;
  o.body = std::move(body);
  o.error_type = std::move(error_type);
  o.request_id = "req-1";
  return o;
}

TEST(LambdaOutcomeTest, SuccessIsTheFunctionsResult) {
  TaskResult r = LambdaOutcomeResult(Call(false), Answer(200, R"({"a":1})"), 0);
  EXPECT_EQ(r.kind, TaskResult::Kind::kSucceeded);
  EXPECT_EQ(SerializeJson(r.output), R"({"a":1})");

  LambdaInvokeOutcome o = Answer(200, R"({"a":1})");
  o.executed_version = "7";
  r = LambdaOutcomeResult(Call(true), o, 0);
  ASSERT_EQ(r.kind, TaskResult::Kind::kSucceeded);
  EXPECT_EQ(r.output.at("ExecutedVersion").as_string(), "7");
  EXPECT_EQ(r.output.at("StatusCode").as_int64(), 200);
  EXPECT_EQ(r.output.at("SdkResponseMetadata").at("RequestId").as_string(), "req-1");
  EXPECT_EQ(r.output.at("SdkHttpMetadata").at("HttpHeaders").at("X-Amz-Executed-Version")
                .as_string(),
            "7");
  EXPECT_EQ(SerializeJson(r.output.at("Payload")), R"({"a":1})");

  // Event (202) and DryRun (204) pass through as Lambda answers them.
  r = LambdaOutcomeResult(Call(true), Answer(202, ""), 0);
  ASSERT_EQ(r.kind, TaskResult::Kind::kSucceeded);
  EXPECT_EQ(r.output.at("StatusCode").as_int64(), 202);
  EXPECT_EQ(r.output.get_object().count("ExecutedVersion"), 0u);
  r = LambdaOutcomeResult(Call(true), Answer(204, ""), 0);
  EXPECT_EQ(r.output.at("StatusCode").as_int64(), 204);
}

TEST(LambdaOutcomeTest, FunctionErrorsCarryTheErrorType) {
  std::string body =
      R"({"errorMessage":"Some exception was raised.","errorType":"Exception","stackTrace":[]})";
  LambdaInvokeOutcome o = Answer(200, body);
  o.function_error = "Unhandled";
  TaskResult r = LambdaOutcomeResult(Call(true), o, 0);
  EXPECT_EQ(r.kind, TaskResult::Kind::kFailed);
  EXPECT_EQ(r.error, "Exception");
  EXPECT_EQ(r.cause, body);
  o.body = "not json";
  r = LambdaOutcomeResult(Call(false), o, 0);
  EXPECT_EQ(r.error, "Lambda.Unknown");
  EXPECT_EQ(r.cause, "not json");
}

TEST(LambdaOutcomeTest, ApiErrorsAreLambdaPrefixedWithTheSdkCause) {
  // As AWS recorded it (errors_retry_catch/*no_such_function_catch*).
  TaskResult r = LambdaOutcomeResult(
      Call(true),
      Answer(404,
             R"({"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST"})",
             "ResourceNotFoundException"),
      0);
  EXPECT_EQ(r.error, "Lambda.ResourceNotFoundException");
  EXPECT_EQ(r.cause,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST "
            "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; "
            "Request ID: req-1; Proxy: null)");
  // A bare 404 (a compatible server saying nothing) reads the same.
  LambdaInvokeOutcome bare = Answer(404, "");
  bare.request_id.clear();
  r = LambdaOutcomeResult(Call(true), bare, 0);
  EXPECT_EQ(r.error, "Lambda.ResourceNotFoundException");
  EXPECT_EQ(r.cause,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST "
            "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; "
            "Request ID: 11111111-2222-3333-4444-555555555555; Proxy: null)");
  r = LambdaOutcomeResult(Call(true), Answer(429, R"({"message":"Rate exceeded"})"), 0);
  EXPECT_EQ(r.error, "Lambda.TooManyRequestsException");
  EXPECT_EQ(r.cause.rfind("Rate exceeded (Service: AWSLambda; Status Code: 429;", 0), 0u);
  r = LambdaOutcomeResult(Call(true), Answer(503, "oops"), 0);
  EXPECT_EQ(r.error, "Lambda.ServiceException");
  r = LambdaOutcomeResult(
      Call(true),
      Answer(400, R"({"Message":"bad"})", "InvalidRequestContentException:http://internal/"),
      0);
  EXPECT_EQ(r.error, "Lambda.InvalidRequestContentException");
  r = LambdaOutcomeResult(Call(true), Answer(400, R"({"__type":"ns#KMSAccessDeniedException"})"),
                          0);
  EXPECT_EQ(r.error, "Lambda.KMSAccessDeniedException");
  r = LambdaOutcomeResult(Call(true), Answer(403, ""), 0);
  EXPECT_EQ(r.error, "Lambda.AWSLambdaException");
}

TEST(LambdaOutcomeTest, NoAnswerIsSdkClientException) {
  LambdaInvokeOutcome o;
  o.transport_failed = true;
  o.transport_error =
      "Unable to execute HTTP request: http://127.0.0.1:1: cannot connect: Connection refused";
  TaskResult r = LambdaOutcomeResult(Call(true), o, 0);
  EXPECT_EQ(r.error, "Lambda.SdkClientException");
  EXPECT_EQ(r.cause,
            "Unable to execute HTTP request: http://127.0.0.1:1: cannot connect: Connection "
            "refused");
}

// Routes functions named "remote-*"; keeps each call until the test answers.
class FakeInvoker : public LambdaInvoker {
 public:
  bool Routes(std::string_view name) const override { return name.starts_with("remote-"); }
  void Invoke(const LambdaCall& call, int64_t timeout_ms,
              std::function<void(LambdaInvokeOutcome)> done) override {
    calls_.Push({call, timeout_ms, std::move(done)});
  }
  struct Pending {
    LambdaCall call;
    int64_t timeout_ms;
    std::function<void(LambdaInvokeOutcome)> done;
  };
  // The next call (waits up to 5 s); a call with an empty name when none came.
  Pending Next() { return calls_.Next(); }
  size_t waiting() { return calls_.waiting(); }

 private:
  PendingCalls<Pending> calls_;
};

class LambdaEndpointTest : public EngineTest {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    engine_.reset();
    EngineOptions o;
    o.clock = &clock_;
    o.seed = 7;
    std::shared_ptr<FakeInvoker> invoker = invoker_;
    const Clock* clock = &clock_;
    o.extra_dispatchers = [invoker, clock](TaskInputs& inputs) {
      std::vector<std::unique_ptr<TaskDispatcher>> d;
      d.push_back(std::make_unique<LambdaEndpointDispatcher>(inputs, clock, invoker, "us-east-1",
                                                             "123456789012"));
      return d;
    };
    auto e = Engine::Open(store_.get(), o);
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = *std::move(e);
  }
  size_t Rows() {
    auto rows = store_->Scan(storage::Table::kTasks, storage::ScanOptions{});
    EXPECT_TRUE(rows.ok());
    size_t n = 0;
    for (auto& kv : *rows) {
      auto p = storage::DecodeTaskKey(kv.key);
      if (p.ok() && p->activity == LambdaEndpointDispatcher::kRowKey) ++n;
    }
    return n;
  }
  std::shared_ptr<FakeInvoker> invoker_ = std::make_shared<FakeInvoker>();
};

TEST_F(LambdaEndpointTest, RoutedFunctionsAreInvokedAndOthersStayOnTheirQueue) {
  std::string m = Machine("m", R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:remote-a",
         "TimeoutSeconds":30,"Next":"B"},
    "B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
         "Parameters":{"FunctionName":"local-b","Payload.$":"$"},
         "ResultSelector":{"p.$":"$.Payload"},"End":true}}})");
  auto e = engine_->StartExecution(m, "e1", R"({"x":1})");
  ASSERT_TRUE(e.ok());
  FakeInvoker::Pending p = invoker_->Next();
  ASSERT_EQ(p.call.function_name, "remote-a");
  EXPECT_EQ(p.call.payload, R"({"x":1})");
  EXPECT_EQ(p.timeout_ms, 31000);
  EXPECT_EQ(p.call.request_id.size(), 36u);
  EXPECT_EQ(Rows(), 1u);
  p.done(Answer(200, R"({"y":2})"));
  // local-b goes to the function queue.
  auto t = engine_->GetFunctionTask("local-b", "w", 2000);
  ASSERT_TRUE(t.ok() && !t->task_token.empty()) << t.status();
  EXPECT_EQ(t->payload, R"({"y":2})");
  ASSERT_TRUE(engine_->SendTaskSuccess(t->task_token, R"({"z":3})").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"p":{"z":3}})");
  EXPECT_EQ(Rows(), 0u);
  EXPECT_EQ(invoker_->waiting(), 0u);
}

TEST_F(LambdaEndpointTest, FunctionErrorFailsTheExecutionWithItsType) {
  std::string m = Machine("m", R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:remote-a",
         "End":true}}})");
  auto e = engine_->StartExecution(m, "e1", "{}");
  ASSERT_TRUE(e.ok());
  FakeInvoker::Pending p = invoker_->Next();
  ASSERT_EQ(p.call.function_name, "remote-a");
  EXPECT_EQ(p.timeout_ms, LambdaEndpointDispatcher::kDefaultInvokeTimeoutMs);
  LambdaInvokeOutcome o = Answer(200, R"({"errorType":"ValueError","errorMessage":"no"})");
  o.function_error = "Unhandled";
  p.done(o);
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(*d.error, "ValueError");
  EXPECT_EQ(*d.cause, R"({"errorType":"ValueError","errorMessage":"no"})");
  EXPECT_EQ(Types(e->execution_arn),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered",
                                      "LambdaFunctionScheduled", "LambdaFunctionStarted",
                                      "LambdaFunctionFailed", "ExecutionFailed"}));
  EXPECT_EQ(Rows(), 0u);
}

TEST_F(LambdaEndpointTest, CallbackTaskIsSubmittedAndWaitsForItsToken) {
  std::string m = Machine("m", R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
         "Parameters":{"FunctionName":"remote-ask","Payload":{"token.$":"$$.Task.Token"}},
         "End":true}}})");
  auto e = engine_->StartExecution(m, "e1", "{}");
  ASSERT_TRUE(e.ok());
  FakeInvoker::Pending p = invoker_->Next();
  ASSERT_EQ(p.call.function_name, "remote-ask");
  auto payload = ParseJson(p.call.payload);
  ASSERT_TRUE(payload.ok());
  std::string token(payload->at("token").as_string());
  p.done(Answer(200, "null"));
  // Still running: the token completes it.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(engine_->DescribeExecution(e->execution_arn)->status, "RUNNING");
  ASSERT_TRUE(engine_->SendTaskSuccess(token, R"({"ok":true})").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"ok":true})");
  EXPECT_EQ(Rows(), 0u);
}

TEST_F(LambdaEndpointTest, OpenTasksAreInvokedAgainAfterARestart) {
  std::string m = Machine("m", R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
         "Parameters":{"FunctionName":"remote-a","Payload":{"n":1}},
         "ResultSelector":{"p.$":"$.Payload"},"End":true}}})");
  auto e = engine_->StartExecution(m, "e1", "{}");
  ASSERT_TRUE(e.ok());
  FakeInvoker::Pending first = invoker_->Next();
  ASSERT_EQ(first.call.function_name, "remote-a");
  // The server goes down before the answer arrives.
  Reopen();
  FakeInvoker::Pending again = invoker_->Next();
  ASSERT_EQ(again.call.function_name, "remote-a");
  EXPECT_EQ(again.call.payload, R"({"n":1})");
  EXPECT_EQ(again.call.request_id, first.call.request_id);
  EXPECT_TRUE(again.call.invoke_api);
  again.done(Answer(200, R"({"done":1})"));
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"p":{"done":1}})");
  EXPECT_EQ(Rows(), 0u);
  // A restart after the end invokes nothing.
  Reopen();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(invoker_->waiting(), 0u);
}

TEST_F(LambdaEndpointTest, TimeoutSecondsEndsTheTaskWhateverTheEndpointDoes) {
  std::string m = Machine("m", R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:remote-a",
         "TimeoutSeconds":5,"End":true}}})");
  auto e = engine_->StartExecution(m, "e1", "{}");
  ASSERT_TRUE(e.ok());
  FakeInvoker::Pending p = invoker_->Next();
  ASSERT_EQ(p.call.function_name, "remote-a");
  clock_.Advance(6000);
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(*d.error, "States.Timeout");
  EXPECT_EQ(Rows(), 0u);
  p.done(Answer(200, "{}"));  // late: ignored
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(engine_->DescribeExecution(e->execution_arn)->status, "FAILED");
}

}  // namespace
}  // namespace stepwise::engine
