// RunTestState: each state type, the inspection data, what Retry / Catch
// make of a mocked error, and AWS's refusals. Pure function: no fixture.
#include "engine/test_state/test_state.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/dispatch/lambda_invoker.h"
#include "engine/dispatch/service_integration.h"
#include "engine/service_error.h"
#include "engine/task_resource.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr char kRole[] = "arn:aws:iam::123456789012:role/r";

TestStateRequest Req(std::string definition, std::string input = "{}",
                     std::string level = "DEBUG") {
  TestStateRequest r;
  r.definition = std::move(definition);
  r.input = std::move(input);
  r.inspection_level = std::move(level);
  r.role_arn = kRole;
  return r;
}

TestStateRequest::Mock Result(std::string json) {
  TestStateRequest::Mock m;
  m.result = std::move(json);
  return m;
}

TestStateRequest::Mock Error(std::string error, std::string cause) {
  TestStateRequest::Mock m;
  m.has_error_output = true;
  m.error = std::move(error);
  m.cause = std::move(cause);
  return m;
}

std::string Data(const TestStateResult& r, const char* key) {
  const json::value* v = r.inspection_data.if_contains(key);
  if (v == nullptr) return "<absent>";
  return v->is_string() ? std::string(v->get_string()) : SerializeJson(*v);
}

// The AWS error name and message of a refused request.
std::string Refusal(const absl::StatusOr<TestStateResult>& r) {
  if (r.ok()) return "<accepted>";
  return ServiceErrorName(r.status()) + ": " +
         std::string(r.status().message());
}

TEST(TestStateTest, PassShowsEachStepOfItsInputAndOutputProcessing) {
  auto r = RunTestState(
      Req(R"({"Type":"Pass","InputPath":"$.in","Parameters":{"v.$":"$.x"},)"
          R"("ResultPath":"$.in.out","OutputPath":"$.in","Next":"Then"})",
          R"({"in":{"x":1},"other":2})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "SUCCEEDED");
  EXPECT_EQ(r->next_state, "Then");
  EXPECT_EQ(r->output, R"({"x":1,"out":{"v":1}})");
  EXPECT_EQ(Data(*r, "input"), R"({"in":{"x":1},"other":2})");
  EXPECT_EQ(Data(*r, "afterInputPath"), R"({"x":1})");
  EXPECT_EQ(Data(*r, "afterParameters"), R"({"v":1})");
  EXPECT_EQ(Data(*r, "afterResultSelector"), R"({"v":1})");
  EXPECT_EQ(Data(*r, "afterResultPath"),
            R"({"in":{"x":1,"out":{"v":1}},"other":2})");
}

TEST(TestStateTest, InfoLevelAnswersWithoutInspectionData) {
  auto r =
      RunTestState(Req(R"({"Type":"Pass","End":true})", R"({"a":1})", "INFO"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->output, R"({"a":1})");
  EXPECT_FALSE(r->next_state.has_value());
  EXPECT_TRUE(r->inspection_data.empty());
}

TEST(TestStateTest, ChoiceNamesTheStateItChose) {
  auto r = RunTestState(Req(
      R"({"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":5,"Next":"Big"}],)"
      R"("Default":"Small"})",
      R"({"n":9})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->next_state, "Big");
  EXPECT_EQ(r->output, R"({"n":9})");
}

TEST(TestStateTest, WaitPassesItsInputOnAtOnce) {
  auto r = RunTestState(
      Req(R"({"Type":"Wait","Seconds":3600,"Next":"After"})", R"({"a":1})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "SUCCEEDED");
  EXPECT_EQ(r->next_state, "After");
  EXPECT_EQ(r->output, R"({"a":1})");
}

TEST(TestStateTest, FailReadsErrorAndCauseThroughPaths) {
  auto r =
      RunTestState(Req(R"({"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"})",
                       R"({"e":"Oops","c":"why"})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "FAILED");
  EXPECT_EQ(r->error, "Oops");
  EXPECT_EQ(r->cause, "why");
  EXPECT_FALSE(r->output.has_value());
}

TEST(TestStateTest, TaskRunsItsMockResultThroughResultSelectorAndResultPath) {
  TestStateRequest req = Req(
      R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",)"
      R"("Parameters":{"FunctionName":"f","Payload.$":"$"},)"
      R"("ResultSelector":{"p.$":"$.Payload"},"ResultPath":"$.r","End":true})",
      R"({"a":1})");
  req.mock = Result(R"({"Payload":{"ok":true},"StatusCode":200})");
  auto r = RunTestState(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "SUCCEEDED");
  EXPECT_EQ(r->output, R"({"a":1,"r":{"p":{"ok":true}}})");
  EXPECT_EQ(Data(*r, "afterParameters"),
            R"({"FunctionName":"f","Payload":{"a":1}})");
  EXPECT_EQ(Data(*r, "result"), R"({"Payload":{"ok":true},"StatusCode":200})");
  EXPECT_EQ(Data(*r, "afterResultSelector"), R"({"p":{"ok":true}})");
}

constexpr char kRetryCatchTask[] =
    R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Next":"Done",)"
    R"("Retry":[{"ErrorEquals":["Other"]},)"
    R"({"ErrorEquals":["Boom"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3,)"
    R"("MaxDelaySeconds":10}],)"
    R"("Catch":[{"ErrorEquals":["Nope"],"Next":"X"},)"
    R"({"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Handler"}]})";

TEST(TestStateTest, MockedErrorWithRetriesLeftIsRetriableWithTheBackoff) {
  for (auto [count, backoff] : {std::pair{0, "2"}, {1, "6"}, {2, "10"}}) {
    TestStateRequest req = Req(kRetryCatchTask, R"({"a":1})");
    req.mock = Error("Boom", "bang");
    req.state_configuration = TestStateRequest::Configuration{};
    req.state_configuration->retrier_retry_count = count;
    auto r = RunTestState(req);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, "RETRIABLE") << count;
    EXPECT_EQ(r->error, "Boom");
    EXPECT_EQ(r->cause, "bang");
    EXPECT_FALSE(r->output.has_value());
    EXPECT_FALSE(r->next_state.has_value());
    // 2 * 3^count seconds, at most MaxDelaySeconds.
    EXPECT_EQ(Data(*r, "errorDetails"),
              std::string(R"({"retryIndex":1,"retryBackoffIntervalSeconds":)") +
                  backoff + "}");
  }
}

TEST(TestStateTest, MockedErrorWithRetriesSpentGoesToTheMatchingCatcher) {
  TestStateRequest req = Req(kRetryCatchTask, R"({"a":1})");
  req.mock = Error("Boom", "bang");
  req.state_configuration = TestStateRequest::Configuration{};
  req.state_configuration->retrier_retry_count = 3;
  auto r = RunTestState(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "CAUGHT_ERROR");
  EXPECT_EQ(r->next_state, "Handler");
  EXPECT_EQ(r->output, R"({"a":1,"err":{"Error":"Boom","Cause":"bang"}})");
  EXPECT_EQ(Data(*r, "errorDetails"), R"({"retryIndex":1,"catchIndex":1})");
}

TEST(TestStateTest, MockedErrorNothingHandlesFails) {
  TestStateRequest req = Req(
      R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,)"
      R"("Catch":[{"ErrorEquals":["Nope"],"Next":"X"}]})");
  req.mock = Error("Boom", "bang");
  auto r = RunTestState(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "FAILED");
  EXPECT_EQ(r->error, "Boom");
  EXPECT_EQ(Data(*r, "errorDetails"), "<absent>");
}

TEST(TestStateTest, StatesRuntimeIsNeitherRetriedNorCaught) {
  TestStateRequest req = Req(
      R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true,)"
      R"("InputPath":"$.missing","Retry":[{"ErrorEquals":["States.ALL"]}],)"
      R"("Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}]})");
  req.mock = Result("{}");
  auto r = RunTestState(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "FAILED");
  EXPECT_EQ(r->error, "States.Runtime");
  EXPECT_NE(r->cause->find("$.missing"), std::string::npos) << *r->cause;
}

TEST(TestStateTest, JsonataTaskSeesRequestVariablesAndShowsAssignedOnes) {
  TestStateRequest req = Req(
      R"({"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::lambda:invoke",)"
      R"("Arguments":{"n":"{% $states.input.n + $base %}"},)"
      R"("Assign":{"got":"{% $states.result.v %}"},)"
      R"("Output":"{% $states.result.v * 2 %}","End":true})",
      R"({"n":1})");
  req.variables = R"({"base":10})";
  req.mock = Result(R"({"v":21})");
  auto r = RunTestState(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "SUCCEEDED");
  EXPECT_EQ(r->output, "42");
  EXPECT_EQ(Data(*r, "afterArguments"), R"({"n":11})");
  EXPECT_EQ(Data(*r, "result"), R"({"v":21})");
  EXPECT_EQ(Data(*r, "variables"), R"({"base":10,"got":21})");
  EXPECT_EQ(Data(*r, "afterInputPath"), "<absent>");
}

TEST(TestStateTest, GivenContextReplacesTheContextObject) {
  TestStateRequest req =
      Req(R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",)"
          R"("Parameters":{"id.$":"$$.Execution.Id"},"End":true})");
  req.mock = Result("{}");
  req.context = R"({"Execution":{"Id":"my-id"}})";
  auto r = RunTestState(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Data(*r, "afterParameters"), R"({"id":"my-id"})");
}

TEST(TestStateTest, DefaultContextNamesTheStateAndTheRole) {
  TestStateRequest req = Req(
      R"({"Type":"Pass","Parameters":{"s.$":"$$.State.Name","r.$":"$$.Execution.RoleArn"},)"
      R"("End":true})");
  auto r = RunTestState(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->output,
            std::string(R"({"s":"StateName","r":")") + kRole + "\"}");
}

TEST(TestStateTest, StateNameFindsStatesNestedInParallelBranches) {
  TestStateRequest req = Req(
      R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[)"
      R"({"StartAt":"Inner","States":{"Inner":{"Type":"Pass","Result":7,"Next":"Last"},)"
      R"("Last":{"Type":"Succeed"}}}]}}})");
  req.state_name = "Inner";
  auto r = RunTestState(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->output, "7");
  EXPECT_EQ(r->next_state, "Last");
}

constexpr char kToleratingMap[] =
    R"({"Type":"Map","ToleratedFailureCount":1,"End":true,)"
    R"("Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"TooMany"}],)"
    R"("ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}}})";

TEST(TestStateTest, MapIterationFailuresOverTheToleranceFailTheMap) {
  for (auto [failures, status] :
       {std::pair{1, "SUCCEEDED"}, {2, "CAUGHT_ERROR"}}) {
    TestStateRequest req = Req(kToleratingMap, "[1,2,3]");
    req.mock = Result("[10,20,30]");
    req.state_configuration = TestStateRequest::Configuration{};
    req.state_configuration->map_iteration_failure_count = failures;
    auto r = RunTestState(req);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, status) << failures;
    EXPECT_EQ(Data(*r, "afterItemsPath"), "[1,2,3]");
    EXPECT_EQ(Data(*r, "toleratedFailureCount"), "1");
    if (failures == 1) {
      EXPECT_EQ(r->output, "[10,20,30]");
    } else {
      EXPECT_EQ(r->error, "States.ExceedToleratedFailureThreshold");
      EXPECT_EQ(r->next_state, "TooMany");
    }
  }
}

TEST(TestStateTest, RefusesWhatAwsRefuses) {
  TestStateRequest pass_with_mock = Req(R"({"Type":"Pass","End":true})");
  pass_with_mock.mock = Result("{}");
  EXPECT_EQ(Refusal(RunTestState(pass_with_mock)),
            "ValidationException: State type 'Pass' is not supported when a "
            "mock is specified");

  EXPECT_EQ(Refusal(RunTestState(Req(kToleratingMap))),
            "InvalidDefinition: TestState API does not support Map or Parallel "
            "states. "
            "Supported state types include: [Task, Wait, Pass, Succeed, Fail, "
            "Choice]");

  constexpr char kTask[] =
      R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true})";
  TestStateRequest both = Req(kTask);
  both.mock = Result("{}");
  both.mock->has_error_output = true;
  EXPECT_EQ(Refusal(RunTestState(both)),
            "ValidationException: A test mock should have only one of the "
            "following fields: "
            "[result, errorOutput].");

  TestStateRequest secrets = Req(kTask);
  secrets.mock = Result("{}");
  secrets.reveal_secrets = true;
  EXPECT_EQ(Refusal(RunTestState(secrets)),
            "ValidationException: TestState does not support RevealSecrets "
            "when a mock is "
            "specified.");

  TestStateRequest bad_json = Req(kTask);
  bad_json.mock = Result("{nope");
  EXPECT_EQ(Refusal(RunTestState(bad_json)),
            "ValidationException: Mocked result must be valid JSON");

  TestStateRequest no_role = Req(kTask);
  no_role.role_arn.clear();
  EXPECT_EQ(Refusal(RunTestState(no_role)),
            "ValidationException: RoleArn must be specified when testing a "
            "Task state");

  TestStateRequest parallel =
      Req(R"({"Type":"Parallel","End":true,"Branches":[)"
          R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}]})");
  parallel.mock = Result("[1,2]");
  EXPECT_EQ(Refusal(RunTestState(parallel)),
            "ValidationException: Mocked result must contain the same number "
            "of items as "
            "number of Parallel branches.");

  TestStateRequest missing =
      Req(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})");
  missing.state_name = "B";
  EXPECT_EQ(Refusal(RunTestState(missing)),
            "ValidationException: State not found in definition");

  TestStateRequest map_context = Req(kTask);
  map_context.mock = Result("{}");
  map_context.context = R"({"Map":{}})";
  EXPECT_EQ(Refusal(RunTestState(map_context)),
            "ValidationException: Invalid Context object provided: 'Map' field "
            "is not "
            "supported when mocking a Context object");

  TestStateRequest negative = Req(kTask);
  negative.mock = Error("E", "c");
  negative.state_configuration = TestStateRequest::Configuration{};
  negative.state_configuration->retrier_retry_count = -1;
  EXPECT_EQ(Refusal(RunTestState(negative)),
            "ValidationException: 1 validation error detected: Value '-1' at "
            "'stateConfiguration.retrierRetryCount' failed to satisfy "
            "constraint: Member must "
            "have value greater than or equal to 0");

  TestStateRequest level = Req(R"({"Type":"Pass","End":true})", "{}", "LOUD");
  EXPECT_EQ(ServiceErrorName(RunTestState(level).status()),
            "ValidationException");

  EXPECT_EQ(ServiceErrorName(
                RunTestState(Req(R"({"Type":"Nope","End":true})")).status()),
            "InvalidDefinition");
}

TEST(TestStateTest, TaskWithoutMockNeedsTheTargetsOfRunTestStateAsync) {
  auto r = RunTestState(Req(
      R"({"Type":"Task","Resource":"arn:aws:states:::http:invoke",)"
      R"("Parameters":{"ApiEndpoint":"http://h","Method":"GET"},"End":true})"));
  EXPECT_EQ(ServiceErrorName(r.status()), "ValidationException");
  EXPECT_NE(std::string(r.status().message()).find("mock"), std::string::npos);
}

// A service integration answering each call at once with `answer`, and
// keeping the calls (a fake for the logic: the real ones are called in
// tests/integrations/test_state_calls_test.py).
class AnsweringIntegration : public ServiceIntegration {
 public:
  explicit AnsweringIntegration(TaskResult answer)
      : answer_(std::move(answer)) {}
  std::string_view name() const override { return "answering"; }
  bool Takes(const TaskResource& r) const override {
    return r.resource_type == "http";
  }
  void Call(const ServiceCall& call,
            std::function<void(TaskResult)> done) override {
    calls.push_back(call);
    done(answer_);
  }
  std::vector<ServiceCall> calls;

 private:
  TaskResult answer_;
};

absl::StatusOr<TestStateResult> RunWith(
    const TestStateRequest& r, std::shared_ptr<AnsweringIntegration> target) {
  auto targets = std::make_shared<TestStateTargets>();
  if (target != nullptr) targets->integrations.push_back(target);
  std::optional<absl::StatusOr<TestStateResult>> got;
  RunTestStateAsync(r, targets, [&got](absl::StatusOr<TestStateResult> out) {
    got = std::move(out);
  });
  if (!got.has_value()) return absl::InternalError("done never ran");
  return *std::move(got);
}

TEST(TestStateTest, TaskWithoutMockCallsItsResourceOnceAndRunsTheAnswer) {
  TaskResult ok;
  ok.output = json::object{{"StatusCode", 200}, {"ResponseBody", "hi"}};
  auto target = std::make_shared<AnsweringIntegration>(ok);
  auto r = RunWith(
      Req(R"({"Type":"Task","Resource":"arn:aws:states:::http:invoke",)"
          R"("TimeoutSeconds":7,"Parameters":{"ApiEndpoint.$":"$.url",)"
          R"("Method":"GET"},"ResultSelector":{"body.$":"$.ResponseBody"},)"
          R"("ResultPath":"$.r","End":true})",
          R"({"url":"http://h/x"})"),
      target);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "SUCCEEDED");
  EXPECT_EQ(r->output, R"({"url":"http://h/x","r":{"body":"hi"}})");
  EXPECT_EQ(Data(*r, "result"), R"({"StatusCode":200,"ResponseBody":"hi"})");
  ASSERT_EQ(target->calls.size(), 1u);
  EXPECT_EQ(SerializeJson(target->calls[0].parameters),
            R"({"ApiEndpoint":"http://h/x","Method":"GET"})");
  EXPECT_EQ(target->calls[0].region, "us-east-1");
  // TimeoutSeconds is the deadline; the call gets a second more to answer.
  EXPECT_EQ(target->calls[0].timeout_ms, 8000);
}

TEST(TestStateTest, ACallsFailureGoesThroughRetryAndCatch) {
  auto target = std::make_shared<AnsweringIntegration>(
      TaskResult::Failed("States.Http.StatusCode.500", "boom"));
  std::string def =
      R"({"Type":"Task","Resource":"arn:aws:states:::http:invoke",)"
      R"("Parameters":{"ApiEndpoint":"http://h","Method":"GET"},)"
      R"("Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":1}],)"
      R"("Catch":[{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true})";
  auto r = RunWith(Req(def), target);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "RETRIABLE");
  EXPECT_EQ(r->error, "States.Http.StatusCode.500");
  TestStateRequest spent = Req(def);
  spent.state_configuration.emplace();
  spent.state_configuration->retrier_retry_count = 1;
  r = RunWith(spent, target);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "CAUGHT_ERROR");
  EXPECT_EQ(r->next_state, "H");
  EXPECT_EQ(target->calls.back().attempt, 1);
}

TEST(TestStateTest, TaskWithoutMockThatNeedsAnExecutionIsRefused) {
  for (const char* resource :
       {"arn:aws:states:us-east-1:123456789012:activity:a",
        "arn:aws:states:::http:invoke.waitForTaskToken",
        "arn:aws:states:::states:startExecution.sync:2"}) {
    auto r = RunWith(Req(absl::StrCat(R"({"Type":"Task","Resource":")",
                                      resource, R"(","End":true})")),
                     nullptr);
    EXPECT_EQ(Refusal(r).substr(0, 18), "InvalidDefinition:") << resource;
  }
  // A Lambda function on a Stepwise function queue: only its workers
  // answer, and they take tasks of executions only.
  auto r = RunWith(Req(R"({"Type":"Task","Resource":)"
                       R"("arn:aws:lambda:us-east-1:123456789012:function:f",)"
                       R"("End":true})"),
                   nullptr);
  EXPECT_EQ(ServiceErrorName(r.status()), "ValidationException");
  // A resource nothing calls fails as an execution's Task does.
  r = RunWith(Req(R"({"Type":"Task","Resource":"arn:aws:states:::ecs:runTask",)"
                  R"("End":true})"),
              nullptr);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, "FAILED");
  EXPECT_EQ(r->error, "States.TaskFailed");
}

// A Lambda endpoint serving function "f" only, answering with `body`.
class AnsweringLambda : public LambdaInvoker {
 public:
  explicit AnsweringLambda(std::string body) : body_(std::move(body)) {}
  bool Routes(std::string_view name) const override { return name == "f"; }
  void Invoke(const LambdaCall& call, int64_t timeout_ms,
              std::function<void(LambdaInvokeOutcome)> done) override {
    calls.push_back(call);
    timeouts.push_back(timeout_ms);
    LambdaInvokeOutcome o;
    o.status = 200;
    o.body = body_;
    done(o);
  }
  std::vector<LambdaCall> calls;
  std::vector<int64_t> timeouts;

 private:
  std::string body_;
};

TEST(TestStateTest, LambdaFunctionBehindAnEndpointIsInvokedOnce) {
  auto lambda = std::make_shared<AnsweringLambda>(R"({"sum":3})");
  auto targets = std::make_shared<TestStateTargets>();
  targets->lambda = lambda;
  TestStateRequest r =
      Req(R"({"Type":"Task","Resource":)"
          R"("arn:aws:lambda:us-east-1:123456789012:function:f",)"
          R"("Parameters":{"a.$":"$.x","b":2},"End":true})",
          R"({"x":1})");
  std::optional<absl::StatusOr<TestStateResult>> got;
  RunTestStateAsync(r, targets, [&got](absl::StatusOr<TestStateResult> out) {
    got = std::move(out);
  });
  ASSERT_TRUE(got.has_value() && got->ok());
  EXPECT_EQ((*got)->status, "SUCCEEDED");
  EXPECT_EQ((*got)->output, R"({"sum":3})");
  ASSERT_EQ(lambda->calls.size(), 1u);
  EXPECT_EQ(lambda->calls[0].payload, R"({"a":1,"b":2})");
  // No TimeoutSeconds: TestState's five minutes, and a second to answer.
  EXPECT_EQ(lambda->timeouts[0], 301000);
}

TEST(TestStateTest, MockedResultIsCheckedUnlessFieldValidationModeIsNone) {
  auto targets = std::make_shared<TestStateTargets>();
  std::vector<bool> strict_seen;
  targets->check_mocked_result = [&strict_seen](std::string_view resource,
                                                const json::value& result,
                                                bool strict) {
    strict_seen.push_back(strict);
    if (resource == "arn:aws:states:::aws-sdk:dynamodb:getItem" &&
        result.is_object() && result.get_object().contains("Bad")) {
      return ServiceError("ValidationException",
                          "Mock result schema validation error: x");
    }
    return absl::OkStatus();
  };
  TestStateRequest r = Req(
      R"({"Type":"Task","Resource":"arn:aws:states:::aws-sdk:dynamodb:getItem",)"
      R"("Parameters":{"TableName":"t"},"End":true})");
  auto run = [&](const std::string& mode) {
    r.mock = Result(R"({"Bad":1})");
    r.mock->field_validation_mode = mode;
    std::optional<absl::StatusOr<TestStateResult>> got;
    RunTestStateAsync(r, targets, [&got](absl::StatusOr<TestStateResult> out) {
      got = std::move(out);
    });
    return *std::move(got);
  };
  EXPECT_EQ(Refusal(run("STRICT")),
            "ValidationException: Mock result schema validation error: x");
  EXPECT_EQ(Refusal(run("PRESENT")),
            "ValidationException: Mock result schema validation error: x");
  EXPECT_EQ(strict_seen, (std::vector<bool>{true, false}));
  auto none = run("NONE");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->status, "SUCCEEDED");
  EXPECT_EQ(strict_seen.size(), 2u);
}

}  // namespace
}  // namespace stepwise::engine
