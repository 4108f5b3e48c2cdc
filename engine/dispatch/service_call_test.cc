// Tasks Stepwise calls out for (ServiceCallDispatcher), through the whole
// engine with a fake ServiceIntegration: which resources it takes, what a
// call carries, results and failures, callbacks, the task row's life, the
// call made again after a restart, and TimeoutSeconds.
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/strings.h"
#include "engine/dispatch/service_call_dispatcher.h"
#include "engine/engine_test_fixture.h"
#include "gtest/gtest.h"
#include "storage/keys.h"

namespace stepwise::engine {
namespace {

// Takes http:invoke, sqs:* and aws-sdk:sqs:* resources (refusing
// aws-sdk:sqs:nosuch); keeps each call until the test answers.
class FakeIntegration : public ServiceIntegration {
 public:
  std::string_view name() const override { return "fake"; }
  bool Takes(const TaskResource& r) const override {
    return r.resource_type == "http" || r.resource_type == "sqs" ||
           r.resource_type == "aws-sdk:sqs";
  }
  bool Refuses(const TaskResource& r) const override {
    return r.resource_type == "aws-sdk:sqs" && r.resource_name == "nosuch";
  }
  void Call(const ServiceCall& call, std::function<void(TaskResult)> done) override {
    calls_.Push({call, std::move(done)});
  }
  struct Pending {
    ServiceCall call;
    std::function<void(TaskResult)> done;
  };
  // The next call (waits up to 5 s); one with an empty resource when none came.
  Pending Next() { return calls_.Next(); }
  size_t waiting() { return calls_.waiting(); }

 private:
  PendingCalls<Pending> calls_;
};

TaskResult Ok(std::string json_text) {
  TaskResult r;
  r.output = *ParseJson(json_text);
  return r;
}

class ServiceCallTest : public EngineTest {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    engine_.reset();
    EngineOptions o;
    o.clock = &clock_;
    o.seed = 7;
    std::shared_ptr<FakeIntegration> integration = integration_;
    o.extra_dispatchers = [integration](TaskInputs& inputs) {
      std::vector<std::unique_ptr<TaskDispatcher>> d;
      d.push_back(std::make_unique<ServiceCallDispatcher>(inputs, integration, "eu-west-1"));
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
      if (p.ok() && p->activity == "service:fake") ++n;
    }
    return n;
  }
  std::shared_ptr<FakeIntegration> integration_ = std::make_shared<FakeIntegration>();
};

TEST_F(ServiceCallTest, TakenResourcesAreCalledAfterTheirCommitOthersAreNot) {
  std::string m = Machine("m", R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","TimeoutSeconds":30,
         "Parameters":{"ApiEndpoint":"https://example.com","Method":"GET","n.$":"$.n"},
         "ResultSelector":{"s.$":"$.StatusCode"},"Next":"B"},
    "B":{"Type":"Task","Resource":"arn:aws:states:::glue:startJobRun","End":true}}})");
  auto e = engine_->StartExecution(m, "e1", R"({"n":4})");
  ASSERT_TRUE(e.ok());
  FakeIntegration::Pending p = integration_->Next();
  ASSERT_EQ(p.call.resource, "arn:aws:states:::http:invoke");
  EXPECT_EQ(SerializeJson(p.call.parameters),
            R"({"ApiEndpoint":"https://example.com","Method":"GET","n":4})");
  EXPECT_EQ(p.call.region, "eu-west-1");
  EXPECT_EQ(p.call.timeout_ms, 31000);
  EXPECT_EQ(p.call.request_id.size(), 36u);
  EXPECT_FALSE(p.call.callback);
  EXPECT_EQ(p.call.execution_arn, e->execution_arn);
  // TaskStarted is committed before the call is made.
  std::vector<std::string> before = Types(e->execution_arn);
  EXPECT_EQ(before.back(), "TaskStarted");
  EXPECT_EQ(Rows(), 1u);
  p.done(Ok(R"({"StatusCode":"200"})"));
  // The resource no integration takes fails as before.
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(*d.error, "States.TaskFailed");
  EXPECT_EQ(Types(e->execution_arn),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                      "TaskStarted", "TaskSucceeded", "TaskStateExited",
                                      "TaskStateEntered", "TaskScheduled", "TaskStarted",
                                      "TaskFailed", "ExecutionFailed"}));
  EXPECT_EQ(Rows(), 0u);
  EXPECT_EQ(integration_->waiting(), 0u);
}

TEST_F(ServiceCallTest, ResourcesTheIntegrationRefusesAreRefusedAtEveryEntryPoint) {
  auto def = [](std::string_view resource) {
    return absl::StrCat(R"({"StartAt":"A","States":{"A":{"Type":"Task","Resource":")",
                        ToAbsl(resource), R"(","End":true}}})");
  };
  const std::string bad = "arn:aws:states:::aws-sdk:sqs:nosuch";
  const std::string words = "SCHEMA_VALIDATION_FAILED: The resource provided " + bad +
                            " is not recognized. The value is not a valid resource ARN, or the "
                            "resource is not available in this region. at /States/A/Resource";
  auto created = engine_->CreateStateMachine("bad", def(bad), "arn:aws:iam::123456789012:role/r",
                                             "STANDARD");
  ASSERT_FALSE(created.ok());
  EXPECT_NE(std::string(created.status().message()).find(words), std::string::npos)
      << created.status();
  std::string m = Machine("m", def("arn:aws:states:::aws-sdk:sqs:sendMessage"));
  auto updated = engine_->UpdateStateMachine(m, def(bad), std::nullopt);
  ASSERT_FALSE(updated.ok());
  EXPECT_NE(std::string(updated.status().message()).find(words), std::string::npos)
      << updated.status();
  auto found = Engine::ValidateStateMachineDefinition(def(bad), "STANDARD",
                                                      engine_->validation_options());
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(absl::StrCat((*found)[0].code, ": ", (*found)[0].message, " at ",
                         (*found)[0].location),
            words);
  // Without the server's options, only asl's own rules.
  found = Engine::ValidateStateMachineDefinition(def(bad), "STANDARD");
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
}

TEST_F(ServiceCallTest, FailuresGoThroughRetryAndCatchWithANewRequestIdPerAttempt) {
  std::string m = Machine("m", R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
         "Parameters":{"ApiEndpoint":"https://example.com","Method":"GET"},
         "Retry":[{"ErrorEquals":["States.Http.StatusCode.500"],"IntervalSeconds":1,
                   "MaxAttempts":1}],
         "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"C"}],
         "End":true},
    "C":{"Type":"Pass","End":true}}})");
  auto e = engine_->StartExecution(m, "e1", "{}");
  ASSERT_TRUE(e.ok());
  FakeIntegration::Pending first = integration_->Next();
  ASSERT_FALSE(first.call.resource.empty());
  EXPECT_EQ(first.call.timeout_ms, ServiceCallDispatcher::kDefaultCallTimeoutMs);
  first.done(TaskResult::Failed("States.Http.StatusCode.500", "boom"));
  // The retry's timer is armed by the step that records the failure.
  for (int i = 0; i < 500; ++i) {
    std::vector<std::string> t = Types(e->execution_arn);
    if (std::find(t.begin(), t.end(), "TaskFailed") != t.end()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  clock_.Advance(1500);
  FakeIntegration::Pending second = integration_->Next();
  ASSERT_FALSE(second.call.resource.empty());
  EXPECT_NE(second.call.request_id, first.call.request_id);
  EXPECT_EQ(second.call.attempt, first.call.attempt + 1);
  second.done(TaskResult::Failed("States.Http.StatusCode.404", "missing"));
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output,
            R"({"err":{"Error":"States.Http.StatusCode.404","Cause":"missing"}})");
  EXPECT_EQ(Rows(), 0u);
}

TEST_F(ServiceCallTest, CallbackTaskIsSubmittedAndWaitsForItsToken) {
  std::string m = Machine("m", R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
         "Parameters":{"QueueUrl":"q","MessageBody":{"token.$":"$$.Task.Token"}},
         "End":true}}})");
  auto e = engine_->StartExecution(m, "e1", "{}");
  ASSERT_TRUE(e.ok());
  FakeIntegration::Pending p = integration_->Next();
  ASSERT_TRUE(p.call.callback);
  std::string token(p.call.parameters.at("MessageBody").at("token").as_string());
  p.done(Ok(R"({"StatusCode":"202"})"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(engine_->DescribeExecution(e->execution_arn)->status, "RUNNING");
  // Submitted: a restart does not call again.
  Reopen();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(integration_->waiting(), 0u);
  ASSERT_TRUE(engine_->SendTaskSuccess(token, R"({"ok":true})").ok());
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"ok":true})");
  std::vector<std::string> types = Types(e->execution_arn);
  EXPECT_NE(std::find(types.begin(), types.end(), "TaskSubmitted"), types.end());
  EXPECT_EQ(Rows(), 0u);
}

TEST_F(ServiceCallTest, OpenCallsAreMadeAgainAfterARestartWithTheSameRequestId) {
  std::string m = Machine("m", R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
         "Parameters":{"ApiEndpoint":"https://example.com","Method":"GET","n":1},
         "End":true}}})");
  auto e = engine_->StartExecution(m, "e1", "{}");
  ASSERT_TRUE(e.ok());
  FakeIntegration::Pending first = integration_->Next();
  ASSERT_FALSE(first.call.resource.empty());
  // The server goes down before the answer arrives; the late answer of the
  // old engine is dropped.
  Reopen();
  first.done(Ok(R"({"stale":true})"));
  FakeIntegration::Pending again = integration_->Next();
  ASSERT_EQ(again.call.resource, first.call.resource);
  EXPECT_EQ(SerializeJson(again.call.parameters),
            R"({"ApiEndpoint":"https://example.com","Method":"GET","n":1})");
  EXPECT_EQ(again.call.request_id, first.call.request_id);
  EXPECT_EQ(again.call.region, first.call.region);
  again.done(Ok(R"({"done":1})"));
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(*d.output, R"({"done":1})");
  EXPECT_EQ(Rows(), 0u);
  Reopen();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(integration_->waiting(), 0u);
}

TEST_F(ServiceCallTest, TimeoutSecondsEndsTheTaskWhateverTheServiceDoes) {
  std::string m = Machine("m", R"({"StartAt":"A","States":{
    "A":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","TimeoutSeconds":5,
         "Parameters":{"ApiEndpoint":"https://example.com","Method":"GET"},"End":true}}})");
  auto e = engine_->StartExecution(m, "e1", "{}");
  ASSERT_TRUE(e.ok());
  FakeIntegration::Pending p = integration_->Next();
  ASSERT_FALSE(p.call.resource.empty());
  clock_.Advance(6000);
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(*d.error, "States.Timeout");
  EXPECT_EQ(Rows(), 0u);
  p.done(Ok("{}"));  // late: ignored
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(engine_->DescribeExecution(e->execution_arn)->status, "FAILED");
}

}  // namespace
}  // namespace stepwise::engine
