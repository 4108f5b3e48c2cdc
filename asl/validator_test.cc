#include "asl/validator.h"

#include <string>
#include <string_view>

#include "asl/definition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::asl {
namespace {

using ::testing::HasSubstr;

// Wraps `states` (the inside of "States") into a machine starting at "A".
std::string Machine(std::string_view states, std::string_view extra = "") {
  return std::string(R"({"StartAt":"A",)") + std::string(extra) +
         R"("States":{)" + std::string(states) + "}}";
}

bool HasDiagnostic(const ValidationResult& r, std::string_view code,
                   std::string_view location = "") {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.code == code && (location.empty() || d.location == location)) {
      return true;
    }
  }
  return false;
}

std::string Dump(const ValidationResult& r) {
  return SerializeJson(ToAwsJson(r));
}

::testing::AssertionResult Accepted(const std::string& text) {
  ValidationResult r = ValidateDefinition(text);
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << text << " -> " << Dump(r);
}

::testing::AssertionResult Rejected(const std::string& text) {
  ValidationResult r = ValidateDefinition(text);
  if (!r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "accepted: " << text;
}

#define EXPECT_VALID(text) EXPECT_TRUE(Accepted(text))
#define EXPECT_INVALID(text) EXPECT_TRUE(Rejected(text))

// ---- JSON and top level -------------------------------------------------

TEST(ValidatorTest, AcceptsMinimalMachine) {
  EXPECT_VALID(Machine(R"("A":{"Type":"Pass","End":true})"));
}

TEST(ValidatorTest, MalformedJsonGivesOneDiagnosticWithLineAndColumn) {
  ValidationResult r = ValidateDefinition("{\n  \"StartAt\": \"A\",\n  oops\n}");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "INVALID_JSON_DESCRIPTION");
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("line 3"));
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("column"));
}

TEST(ValidatorTest, EmptyDefinitionIsMissingDescription) {
  ValidationResult r = ValidateDefinition("  ");
  EXPECT_TRUE(HasDiagnostic(r, "MISSING_DESCRIPTION"));
}

TEST(ValidatorTest, RejectsDefinitionOverOneMebibyte) {
  std::string big = Machine(R"("A":{"Type":"Pass","End":true,"Comment":")" +
                            std::string(kMaxDefinitionBytes, 'x') + "\"}");
  EXPECT_INVALID(big);
}

TEST(ValidatorTest, RejectsDeepNesting) {
  std::string deep(600, '[');
  deep += std::string(600, ']');
  EXPECT_INVALID(Machine(R"("A":{"Type":"Pass","End":true,"Result":)" + deep +
                         "}"));
}

TEST(ValidatorTest, RejectsTooManyStates) {
  std::string states;
  for (size_t i = 0; i <= kMaxStates; ++i) {
    if (i > 0) states += ",";
    std::string name = i == 0 ? "A" : "S" + std::to_string(i);
    std::string next = "S" + std::to_string(i + 1);
    states += "\"" + name + "\":{\"Type\":\"Pass\",";
    states += i == kMaxStates ? std::string("\"End\":true}")
                              : "\"Next\":\"" + next + "\"}";
  }
  ValidationResult r = ValidateDefinition(Machine(states));
  EXPECT_FALSE(r.ok());
}

TEST(ValidatorTest, RequiresStartAtAndStates) {
  ValidationResult r = ValidateDefinition(R"({"States":{"A":{"Type":"Succeed"}}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics[0].code, "SCHEMA_VALIDATION_FAILED");
  EXPECT_EQ(r.diagnostics[0].message, "These fields are required: [StartAt]");
  EXPECT_EQ(r.diagnostics[0].location, "/");
  EXPECT_INVALID(R"({"StartAt":"A"})");
}

TEST(ValidatorTest, TopLevelOptionalFields) {
  EXPECT_VALID(Machine(R"("A":{"Type":"Succeed"})",
                       R"("Comment":"c","Version":"1.0","TimeoutSeconds":10,)"
                       R"("QueryLanguage":"JSONata",)"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Succeed"})", R"("Version":"2.0",)"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Succeed"})", R"("TimeoutSeconds":0,)"));
  EXPECT_INVALID(
      Machine(R"("A":{"Type":"Succeed"})", R"("TimeoutSeconds":"10",)"));
  EXPECT_INVALID(
      Machine(R"("A":{"Type":"Succeed"})", R"("QueryLanguage":"XPath",)"));
}

TEST(ValidatorTest, RejectsUnknownTopLevelField) {
  ValidationResult r =
      ValidateDefinition(Machine(R"("A":{"Type":"Succeed"})", R"("Foo":1,)"));
  EXPECT_TRUE(HasDiagnostic(r, "SCHEMA_VALIDATION_FAILED", "/"));
}

// ---- states -------------------------------------------------------------

TEST(ValidatorTest, RequiresKnownType) {
  EXPECT_INVALID(Machine(R"("A":{"End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Sleep","End":true})"));
}

TEST(ValidatorTest, RejectsUnknownStateField) {
  ValidationResult r = ValidateDefinition(
      Machine(R"("A":{"Type":"Pass","bugInputPath":"$.x","End":true})"));
  EXPECT_TRUE(HasDiagnostic(r, "SCHEMA_VALIDATION_FAILED", "/States/A"));
}

TEST(ValidatorTest, RejectsJsonataFieldOnJsonPathState) {
  ValidationResult r = ValidateDefinition(
      Machine(R"("A":{"Type":"Pass","Output":{"x":1},"End":true})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics[0].message,
            "The QueryLanguage is set to 'JSONPath', but field 'Output' is "
            "only supported for the 'JSONata' QueryLanguage");
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{},"End":true})"));
}

TEST(ValidatorTest, RejectsJsonPathFieldOnJsonataState) {
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Pass","Parameters":{},"ResultPath":"$.x","End":true})",
      R"("QueryLanguage":"JSONata",)"));
}

TEST(ValidatorTest, QueryLanguageScoping) {
  // JSONPath state under a JSONata machine: rejected.
  ValidationResult r = ValidateDefinition(Machine(
      R"("A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true})",
      R"("QueryLanguage":"JSONata",)"));
  EXPECT_TRUE(HasDiagnostic(r, "SCHEMA_VALIDATION_FAILED", "/States/A"));
  // JSONata Map in a JSONPath machine with a JSONPath inner state: fine.
  EXPECT_VALID(Machine(
      R"("A":{"Type":"Map","QueryLanguage":"JSONata","ItemProcessor":{)"
      R"("ProcessorConfig":{"Mode":"INLINE"},"StartAt":"P","States":{)"
      R"("P":{"QueryLanguage":"JSONPath","Type":"Pass","End":true}}},"End":true})",
      R"("QueryLanguage":"JSONPath",)"));
  // QueryLanguage on ItemProcessor is not allowed.
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Map","ItemProcessor":{"QueryLanguage":"JSONata",)"
      R"("StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true})"));
}

TEST(ValidatorTest, AcceptsJsonataDefinitions) {
  EXPECT_VALID(Machine(
      R"("A":{"Type":"Pass","Output":"{% $states.input.x %}",)"
      R"("Assign":{"v":"{% 1 %}"},"Next":"B"},)"
      R"("B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",)"
      R"("Arguments":{"FunctionName":"f"},"TimeoutSeconds":"{% 10 %}",)"
      R"("Output":"{% $states.result %}","Next":"C"},)"
      R"("C":{"Type":"Choice","Choices":[{"Condition":"{% true %}",)"
      R"("Next":"D","Assign":{"w":1}}],"Default":"D"},)"
      R"("D":{"Type":"Wait","Seconds":"{% 1 %}","Next":"E"},)"
      R"("E":{"Type":"Map","Items":"{% [1,2] %}","ItemProcessor":{"StartAt":"F",)"
      R"("States":{"F":{"Type":"Succeed"}}},"End":true})",
      R"("QueryLanguage":"JSONata",)"));
}

TEST(ValidatorTest, NextAndEndRules) {
  EXPECT_INVALID(Machine(R"("A":{"Type":"Pass"})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Pass","End":false})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Pass","Next":"A","End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Succeed","End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Fail","Next":"B"},"B":{"Type":"Succeed"})"));
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"Next":"B"}],"End":true},)"
      R"("B":{"Type":"Succeed"})"));
}

TEST(ValidatorTest, TransitionTargetsMustExistInScope) {
  ValidationResult r =
      ValidateDefinition(Machine(R"("A":{"Type":"Pass","Next":"Nope"})"));
  EXPECT_TRUE(
      HasDiagnostic(r, "MISSING_TRANSITION_TARGET", "/States/A/Next"));
  r = ValidateDefinition(R"({"StartAt":"X","States":{"A":{"Type":"Succeed"}}})");
  EXPECT_TRUE(HasDiagnostic(r, "MISSING_TRANSITION_TARGET", "/StartAt"));
  // A branch cannot jump outside itself.
  r = ValidateDefinition(Machine(
      R"("A":{"Type":"Parallel","Branches":[{"StartAt":"P","States":{)"
      R"("P":{"Type":"Pass","Next":"B"}}}],"Next":"B"},"B":{"Type":"Succeed"})"));
  EXPECT_TRUE(HasDiagnostic(r, "MISSING_TRANSITION_TARGET",
                            "/States/A/Branches/0/States/P/Next"));
  // Catch and Default targets.
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",)"
      R"("Catch":[{"ErrorEquals":["States.ALL"],"Next":"Gone"}],"End":true})"));
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"Next":"B"}],)"
      R"("Default":"Gone"},"B":{"Type":"Succeed"})"));
}

TEST(ValidatorTest, RejectsUnreachableState) {
  ValidationResult r = ValidateDefinition(Machine(
      R"("A":{"Type":"Succeed"},"B":{"Type":"Succeed"})"));
  EXPECT_TRUE(HasDiagnostic(r, "MISSING_TRANSITION_TARGET", "/States/B"));
  // Reachable through Catch.
  EXPECT_VALID(Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",)"
      R"("Catch":[{"ErrorEquals":["States.ALL"],"Next":"B"}],"End":true},)"
      R"("B":{"Type":"Fail"})"));
}

TEST(ValidatorTest, RequiresATerminalState) {
  ValidationResult r = ValidateDefinition(Machine(
      R"("A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"})"));
  EXPECT_TRUE(HasDiagnostic(r, "MISSING_END_STATE"));
}

TEST(ValidatorTest, RejectsDuplicateStateNamesAcrossScopes) {
  ValidationResult r = ValidateDefinition(Machine(
      R"("A":{"Type":"Map","ItemProcessor":{"StartAt":"B","States":{)"
      R"("B":{"Type":"Succeed"}}},"Next":"B"},"B":{"Type":"Succeed"})"));
  EXPECT_TRUE(HasDiagnostic(r, "DUPLICATE_STATE_NAME"));
}

TEST(ValidatorTest, StateNameLength) {
  std::string ok(80, 'n');
  std::string too_long(81, 'n');
  EXPECT_VALID(R"({"StartAt":")" + ok + R"(","States":{")" + ok +
               R"(":{"Type":"Succeed"}}})");
  EXPECT_INVALID(R"({"StartAt":")" + too_long + R"(","States":{")" +
                 too_long + R"(":{"Type":"Succeed"}}})");
}

// ---- Task ---------------------------------------------------------------

TEST(ValidatorTest, TaskResourceRules) {
  EXPECT_INVALID(Machine(R"("A":{"Type":"Task","End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Task","Resource":{"Ref":"x"},"End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Task","Resource":"${lambdaArn}","End":true})"));
  EXPECT_VALID(Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:f","End":true})"));
}

TEST(ValidatorTest, ExpressRejectsActivitiesAndCallbacks) {
  std::string activity = Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a","End":true})");
  std::string sync = Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","End":true})");
  std::string sync2 = Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","End":true})");
  std::string token = Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true})");
  for (const std::string& d : {activity, sync, sync2, token}) {
    EXPECT_TRUE(ValidateDefinition(d, "STANDARD").ok()) << d;
    ValidationResult r = ValidateDefinition(d, "EXPRESS");
    EXPECT_TRUE(HasDiagnostic(r, "SCHEMA_VALIDATION_FAILED", "/States/A/Resource"))
        << d;
  }
  EXPECT_TRUE(ValidateDefinition(
                  Machine(R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true})"),
                  "EXPRESS")
                  .ok());
}

TEST(ValidatorTest, TaskTimeouts) {
  const char* task = R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",)";
  EXPECT_VALID(Machine(std::string(task) +
                       R"("TimeoutSeconds":10,"HeartbeatSeconds":5,"End":true})"));
  EXPECT_INVALID(Machine(std::string(task) + R"("TimeoutSeconds":0,"End":true})"));
  EXPECT_INVALID(Machine(std::string(task) + R"("TimeoutSeconds":1.5,"End":true})"));
  EXPECT_INVALID(Machine(std::string(task) + R"("HeartbeatSeconds":-1,"End":true})"));
  EXPECT_INVALID(Machine(std::string(task) +
                         R"("TimeoutSeconds":10,"HeartbeatSeconds":10,"End":true})"));
  EXPECT_INVALID(Machine(std::string(task) +
                         R"("TimeoutSeconds":10,"TimeoutSecondsPath":"$.t","End":true})"));
  EXPECT_VALID(Machine(std::string(task) +
                       R"("TimeoutSecondsPath":"$.t","HeartbeatSecondsPath":"$.h","End":true})"));
  EXPECT_INVALID(Machine(std::string(task) + R"("TimeoutSecondsPath":"t","End":true})"));
}

TEST(ValidatorTest, TaskCredentials) {
  const char* task = R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",)";
  EXPECT_VALID(Machine(std::string(task) +
                       R"("Credentials":{"RoleArn.$":"$.role"},"End":true})"));
  EXPECT_INVALID(Machine(std::string(task) + R"("Credentials":null,"End":true})"));
  EXPECT_INVALID(Machine(std::string(task) +
                         R"("Credentials":{"RoleArn.$":"not a path"},"End":true})"));
}

// ---- Retry / Catch ------------------------------------------------------

std::string TaskWithRetry(std::string_view retry) {
  return Machine(
      std::string(R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":)") +
      std::string(retry) + R"(,"End":true})");
}

TEST(ValidatorTest, RetrierFieldRanges) {
  EXPECT_VALID(TaskWithRetry(
      R"([{"ErrorEquals":["E"],"IntervalSeconds":1,"MaxAttempts":0,"BackoffRate":1.0,)"
      R"("MaxDelaySeconds":31622400,"JitterStrategy":"FULL","Comment":"c"}])"));
  EXPECT_INVALID(TaskWithRetry(R"([{"ErrorEquals":["E"],"IntervalSeconds":0}])"));
  EXPECT_INVALID(TaskWithRetry(R"([{"ErrorEquals":["E"],"MaxAttempts":-1}])"));
  EXPECT_INVALID(TaskWithRetry(R"([{"ErrorEquals":["E"],"BackoffRate":0.5}])"));
  EXPECT_INVALID(TaskWithRetry(R"([{"ErrorEquals":["E"],"MaxDelaySeconds":0}])"));
  EXPECT_INVALID(TaskWithRetry(R"([{"ErrorEquals":["E"],"MaxDelaySeconds":31622401}])"));
  EXPECT_INVALID(TaskWithRetry(R"([{"ErrorEquals":["E"],"JitterStrategy":"HALF"}])"));
  EXPECT_INVALID(TaskWithRetry(R"([{"ErrorEquals":[]}])"));
  EXPECT_INVALID(TaskWithRetry(R"([{"ErrorEquals":[true]}])"));
  EXPECT_INVALID(TaskWithRetry(R"([{"Error Equals":["E"]}])"));
}

TEST(ValidatorTest, StatesAllMustBeAloneAndLast) {
  EXPECT_VALID(TaskWithRetry(
      R"([{"ErrorEquals":["E"]},{"ErrorEquals":["States.ALL"]}])"));
  EXPECT_INVALID(TaskWithRetry(
      R"([{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["E"]}])"));
  EXPECT_INVALID(TaskWithRetry(R"([{"ErrorEquals":["States.ALL","E"]}])"));
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[)"
      R"({"ErrorEquals":["States.ALL"],"Next":"B"},{"ErrorEquals":["E"],"Next":"B"}],)"
      R"("End":true},"B":{"Type":"Succeed"})"));
}

TEST(ValidatorTest, CatcherFields) {
  EXPECT_VALID(Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[)"
      R"({"ErrorEquals":["E"],"Next":"B","ResultPath":"$.err","Assign":{"x.$":"$.Error"}}],)"
      R"("End":true},"B":{"Type":"Succeed"})"));
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[)"
      R"({"ErrorEquals":["E"]}],"End":true})"));
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[)"
      R"({"ErrorEquals":["E"],"Next":"B","Output":{}}],"End":true},"B":{"Type":"Succeed"})"));
}

// ---- Choice -------------------------------------------------------------

std::string ChoiceWith(std::string_view rule) {
  return Machine(std::string(R"("A":{"Type":"Choice","Choices":[)") +
                 std::string(rule) +
                 R"(],"Default":"B"},"B":{"Type":"Succeed"})");
}

TEST(ValidatorTest, ChoiceRules) {
  EXPECT_VALID(ChoiceWith(R"({"Variable":"$.x","NumericEquals":1,"Next":"B"})"));
  EXPECT_VALID(ChoiceWith(
      R"({"And":[{"Variable":"$.x","IsPresent":true},{"Not":{"Variable":"$.y",)"
      R"("StringMatches":"a*"}}],"Next":"B","Assign":{"v":1}})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Choice","Choices":[]})"));
  // Top-level rule needs Next; nested rules must not have one.
  EXPECT_INVALID(ChoiceWith(R"({"Variable":"$.x","NumericEquals":1})"));
  EXPECT_INVALID(ChoiceWith(
      R"({"Not":{"Variable":"$.x","IsNull":true,"Next":"B"},"Next":"B"})"));
  // Exactly one operator.
  EXPECT_INVALID(ChoiceWith(R"({"Variable":"$.x","Next":"B"})"));
  EXPECT_INVALID(ChoiceWith(
      R"({"Variable":"$.x","NumericEquals":1,"IsNull":true,"Next":"B"})"));
  EXPECT_INVALID(ChoiceWith(R"({"Variable":"$.x","Foo":1,"Next":"B"})"));
  EXPECT_INVALID(ChoiceWith(R"({"And":[],"Next":"B"})"));
  // Variable must be a path.
  EXPECT_INVALID(ChoiceWith(
      R"j({"Variable":"States.ArrayContains($.a, 'x')","NumericEquals":1,"Next":"B"})j"));
}

TEST(ValidatorTest, ChoiceOperatorValueTypes) {
  EXPECT_INVALID(ChoiceWith(R"({"Variable":"$.x","StringEquals":1,"Next":"B"})"));
  EXPECT_INVALID(ChoiceWith(R"({"Variable":"$.x","NumericEquals":"1","Next":"B"})"));
  EXPECT_INVALID(ChoiceWith(R"({"Variable":"$.x","BooleanEquals":"true","Next":"B"})"));
  EXPECT_INVALID(ChoiceWith(R"({"Variable":"$.x","IsNull":"true","Next":"B"})"));
  EXPECT_INVALID(
      ChoiceWith(R"({"Variable":"$.x","TimestampEquals":"yesterday","Next":"B"})"));
  EXPECT_VALID(ChoiceWith(
      R"({"Variable":"$.x","TimestampEquals":"2016-03-14T01:59:00.123+01:00","Next":"B"})"));
  EXPECT_VALID(ChoiceWith(R"({"Variable":"$.x","StringEqualsPath":"$.y","Next":"B"})"));
  EXPECT_INVALID(ChoiceWith(R"({"Variable":"$.x","StringEqualsPath":"y","Next":"B"})"));
}

TEST(ValidatorTest, JsonataChoiceRules) {
  const char* jsonata = R"("QueryLanguage":"JSONata",)";
  EXPECT_VALID(Machine(
      R"("A":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.x = 1 %}",)"
      R"("Next":"B","Output":{}}],"Default":"B"},"B":{"Type":"Succeed"})",
      jsonata));
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Choice","Choices":[{"Variable":"$.x","IsNull":true,"Next":"B"}],)"
      R"("Default":"B"},"B":{"Type":"Succeed"})",
      jsonata));
  EXPECT_INVALID(ChoiceWith(R"({"Condition":true,"Next":"B"})"));
}

// ---- Wait / Fail --------------------------------------------------------

TEST(ValidatorTest, WaitNeedsExactlyOneDuration) {
  EXPECT_VALID(Machine(R"("A":{"Type":"Wait","Seconds":0,"End":true})"));
  EXPECT_VALID(Machine(R"("A":{"Type":"Wait","SecondsPath":"$.s","End":true})"));
  EXPECT_VALID(Machine(R"("A":{"Type":"Wait","TimestampPath":"$.t","End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Wait","End":true})"));
  EXPECT_INVALID(
      Machine(R"("A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Wait","Seconds":-1,"End":true})"));
}

TEST(ValidatorTest, WaitTimestampMustBeRfc3339) {
  EXPECT_VALID(
      Machine(R"("A":{"Type":"Wait","Timestamp":"2016-03-14T01:59:00Z","End":true})"));
  for (const char* bad :
       {"2016-12-05 21:29:29Z", "2016-12-05T21:29:29", "05-12-2016T21:29:29Z",
        "2016-13-05T21:29:29Z", "2016-12-05T25:29:29Z", "2015-02-29T00:00:00Z",
        "{% '2016-03-14T01:59:00Z' %}"}) {
    ValidationResult r = ValidateDefinition(Machine(
        std::string(R"("A":{"Type":"Wait","Timestamp":")") + bad +
        R"(","End":true})"));
    EXPECT_TRUE(HasDiagnostic(r, "SCHEMA_VALIDATION_FAILED",
                              "/States/A/Timestamp"))
        << bad;
  }
}

TEST(ValidatorTest, FailFieldsAreExclusive) {
  EXPECT_VALID(Machine(R"("A":{"Type":"Fail","Error":"E","Cause":"C"})"));
  EXPECT_VALID(Machine(
      R"j("A":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('{}', $.c)"})j"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Fail","Error":"E","ErrorPath":"$.e"})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Fail","Cause":"C","CausePath":"$.c"})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Fail","Error":1})"));
}

// ---- Parallel / Map -----------------------------------------------------

TEST(ValidatorTest, ParallelBranches) {
  EXPECT_VALID(Machine(
      R"("A":{"Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Succeed"}}}],)"
      R"("ResultPath":"$.r","End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Parallel","End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Parallel","Branches":[],"End":true})"));
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Parallel","Branches":[[{"StartAt":"P","States":{"P":{"Type":"Succeed"}}}]],"End":true})"));
  // A branch without a terminal state.
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Wait","Seconds":1}}}],"End":true})"));
}

std::string MapWith(std::string_view fields) {
  return Machine(
      std::string(R"("A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED",)"
                  R"("ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},)") +
      std::string(fields) + R"("End":true})");
}

TEST(ValidatorTest, MapFields) {
  EXPECT_VALID(MapWith(
      R"("ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value"},)"
      R"("MaxConcurrency":0,"ToleratedFailurePercentage":50.5,"ToleratedFailureCount":1,)"
      R"("Label":"my-label_1",)"));
  EXPECT_VALID(Machine(
      R"("A":{"Type":"Map","Iterator":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Map","End":true})"));
  EXPECT_INVALID(MapWith(R"("MaxConcurrency":-1,)"));
  EXPECT_INVALID(MapWith(R"("ToleratedFailurePercentage":105,)"));
  EXPECT_INVALID(MapWith(R"("ToleratedFailureCount":0,"ToleratedFailureCountPath":"$.c",)"));
  EXPECT_INVALID(MapWith(R"("ItemsPath":"items",)"));
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"SIDEWAYS"},)"
      R"("StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true})"));
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"ExecutionType":"BATCH"},)"
      R"("StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true})"));
}

TEST(ValidatorTest, MapLabelRules) {
  EXPECT_INVALID(MapWith(R"("Label":"",)"));
  EXPECT_VALID(MapWith(R"("Label":"1234567890123456789012345678901234567890",)"));
  EXPECT_INVALID(
      MapWith(R"("Label":"12345678901234567890123456789012345678901",)"));
  for (const char* bad : {" ", ":", ";", ",", "\\\\", "|", "^", "~", "$", "#",
                          "%", "?", "&", "`", "\\\"", "*", "<", ">", "{", "}",
                          "[", "]", "\\n", "\\t", "\\u0000", "\\u007f",
                          "\\u0085", "\\u009f"}) {
    EXPECT_INVALID(MapWith(std::string(R"("Label":"label_)") + bad + "\","))
        << bad;
  }
}

TEST(ValidatorTest, MapItemReaderAndBatcher) {
  EXPECT_INVALID(MapWith(
      R"("ItemReader":{"Resource":"arn:aws:states:::s3:getObject",)"
      R"("ReaderConfig":{"InputType":"CSV","MaxItems":1,"MaxItemsPath":"$.m"}},)"));
  EXPECT_INVALID(MapWith(
      R"("ItemBatcher":{"MaxItemsPerBatch":2,"MaxItemsPerBatchPath":"$.b"},)"));
  EXPECT_VALID(MapWith(
      R"("ItemReader":{"Resource":"arn:aws:states:::s3:getObject",)"
      R"("Parameters":{"Bucket":"b","Key":"k"},"ReaderConfig":{"InputType":"CSV",)"
      R"("CSVHeaderLocation":"FIRST_ROW","MaxItems":1}},"ItemBatcher":{"MaxItemsPerBatch":2},)"
      R"("ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b"}},)"));
  EXPECT_VALID(MapWith(
      R"("ItemReader":{"Resource":"arn:aws:states:::s3:getObject",)"
      R"("Parameters":{"Bucket":"b","Key":"k"},)"
      R"("ReaderConfig":{"InputType":"JSON","ItemsPointer":"/orders/items"}},)"));
  EXPECT_INVALID(MapWith(
      R"("ItemReader":{"Resource":"arn:aws:states:::s3:getObject",)"
      R"("Parameters":{"Bucket":"b","Key":"k"},)"
      R"("ReaderConfig":{"InputType":"JSON","ItemsPointer":5}},)"));
  EXPECT_INVALID(MapWith(
      R"("ItemReader":{"Resource":"arn:aws:states:::s3:getObject",)"
      R"("Parameters":{"Bucket":"b","Key":"k"},)"
      R"("ReaderConfig":{"InputType":"JSON","ItemsPointer":"orders"}},)"));
}

// AWS's enumerations and the one S3 action each of ItemReader and
// ResultWriter takes are checked at create, not left to the run.
TEST(ValidatorTest, MapItemReaderAndResultWriterValues) {
  auto reader = [](const std::string& resource, const std::string& config) {
    return MapWith(R"("ItemReader":{"Resource":")" + resource +
                   R"(","Parameters":{"Bucket":"b","Key":"k"},"ReaderConfig":)" + config +
                   "},");
  };
  const std::string get = "arn:aws:states:::s3:getObject";
  EXPECT_VALID(reader(get, R"({"InputType":"CSV","CSVHeaderLocation":"GIVEN",)"
                           R"("CSVHeaders":["a","b"],"CSVDelimiter":"TAB"})"));
  EXPECT_VALID(reader("arn:aws-cn:states:::s3:getObject", R"({"InputType":"JSONL"})"));
  EXPECT_VALID(MapWith(R"("ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2",)"
                       R"("Parameters":{"Bucket":"b","Prefix":"p/"}},)"));
  EXPECT_INVALID(reader(get, R"({"InputType":"XML"})"));
  EXPECT_INVALID(reader(get, R"({"InputType":3})"));
  EXPECT_INVALID(reader(get, R"({"InputType":"CSV","CSVDelimiter":"COLON"})"));
  EXPECT_INVALID(reader(get, R"({"InputType":"CSV","CSVDelimiter":","})"));
  EXPECT_INVALID(reader(get, R"({"InputType":"CSV","CSVHeaderLocation":"LAST_ROW"})"));
  EXPECT_INVALID(reader(get, R"({"InputType":"CSV","CSVHeaderLocation":"GIVEN",)"
                             R"("CSVHeaders":"a,b"})"));
  EXPECT_INVALID(reader(get, R"({"InputType":"CSV","CSVHeaderLocation":"GIVEN",)"
                             R"("CSVHeaders":[1]})"));
  EXPECT_INVALID(reader("arn:aws:states:::s3:deleteObject", R"({"InputType":"JSONL"})"));
  EXPECT_INVALID(reader("arn:aws:lambda:us-east-1:123456789012:function:f",
                        R"({"InputType":"JSONL"})"));
  auto writer = [](const std::string& resource, const std::string& config) {
    return MapWith(R"("ResultWriter":{"Resource":")" + resource +
                   R"(","Parameters":{"Bucket":"b"})" + config + "},");
  };
  const std::string put = "arn:aws:states:::s3:putObject";
  EXPECT_VALID(writer(put, R"(,"WriterConfig":{"OutputType":"JSONL","Transformation":"FLATTEN"})"));
  EXPECT_INVALID(writer("arn:aws:states:::s3:getObject", ""));
  EXPECT_INVALID(writer(put, R"(,"WriterConfig":"JSON")"));
  EXPECT_INVALID(writer(put, R"(,"WriterConfig":{"OutputType":"CSV"})"));
  EXPECT_INVALID(writer(put, R"(,"WriterConfig":{"Transformation":"SQUASH"})"));
  EXPECT_INVALID(writer(put, R"(,"WriterConfig":{"Compression":"GZIP"})"));
}

// ---- paths and templates ------------------------------------------------

TEST(ValidatorTest, PathFields) {
  EXPECT_VALID(Machine(
      R"("A":{"Type":"Pass","InputPath":"$$.Execution.Id","OutputPath":null,)"
      R"("ResultPath":"$.a.b","End":true})"));
  EXPECT_VALID(Machine(R"("A":{"Type":"Pass","ResultPath":null,"End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Pass","InputPath":".x","End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Pass","OutputPath":5,"End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Pass","ResultPath":"$$.x","End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Pass","ResultPath":"$.a[*]","End":true})"));
  EXPECT_INVALID(Machine(R"j("A":{"Type":"Pass","ResultPath":"()","End":true})j"));
}

TEST(ValidatorTest, PayloadTemplates) {
  EXPECT_VALID(Machine(
      R"j("A":{"Type":"Pass","Parameters":{"a.$":"$.x","b":{"c.$":"States.UUID()"},)j"
      R"("d":[{"e.$":"$$.Execution.Id"}]},"End":true})"));
  ValidationResult r = ValidateDefinition(Machine(
      R"("A":{"Type":"Pass","Parameters":{"a.$":"not a path"},"End":true})"));
  EXPECT_TRUE(
      HasDiagnostic(r, "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters"));
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Pass","Parameters":{"a":{"x":1,"x.$":"$.y"}},"End":true})"));
  EXPECT_INVALID(Machine(
      R"("A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",)"
      R"("ResultSelector":{"a.$":5},"End":true})"));
}

TEST(ValidatorTest, AssignVariableNames) {
  EXPECT_VALID(Machine(R"("A":{"Type":"Pass","Assign":{"x":1,"y.$":"$.y"},"End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Pass","Assign":{"states":1},"End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Pass","Assign":{"1x":1},"End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Pass","Assign":[],"End":true})"));
  EXPECT_INVALID(Machine(R"("A":{"Type":"Succeed","Assign":{"x":1}})"));
}

TEST(ValidatorTest, JsonataExpressionSyntax) {
  const char* jsonata = R"("QueryLanguage":"JSONata",)";
  auto pass = [&](std::string_view output) {
    return Machine(std::string(R"("A":{"Type":"Pass","Comment":"{% not parsed",)"
                               R"("Output":")") +
                       std::string(output) + R"(","End":true})",
                   jsonata);
  };
  for (const char* good :
       {"{% 1+2 %}", "{% $sum($states.input.numbers) %}",
        "{% $states.input.items[price > 10].name %}", "{% -1 %}",
        "{% $states.input.* %}", "{% $x ? 'a' : 'b' %}",
        "{% $match($s, /a+b/i) %}", "{% {'k': [1, 2]} %}",
        "{% ($a := 1; $a * 2) %}"}) {
    EXPECT_VALID(pass(good));
  }
  for (const char* bad :
       {"{% 10 + * 2 %}", "{% $sum($states.input.x %}", "{% 420. %}",
        "{% $.store.book[?(@.price < 10)].title %}", "{% 'open %}"}) {
    ValidationResult r = ValidateDefinition(pass(bad));
    EXPECT_TRUE(HasDiagnostic(r, "INVALID_JSONATA_EXPRESSION")) << bad;
  }
  // JSONPath states do not evaluate "{% %}" strings.
  EXPECT_VALID(Machine(R"("A":{"Type":"Pass","Result":"{% 10 + * 2 %}","End":true})"));
}

// The check is the JSONata parser itself: what it compiles is accepted
// (lambda signatures, partial application, a trailing ';' in a block), what
// it refuses is rejected, and the common syntax errors keep their words.
TEST(ValidatorTest, JsonataExpressionSyntaxIsTheParsers) {
  const char* jsonata = R"("QueryLanguage":"JSONata",)";
  auto pass = [&](std::string_view output) {
    return Machine(std::string(R"("A":{"Type":"Pass","Output":")") + std::string(output) +
                       R"(","End":true})",
                   jsonata);
  };
  for (const char* good :
       {"{% λ($x)<n:n>{$x + 1}(2) %}", "{% $substringAfter(?, '@') %}", "{% (1; 2; 3;) %}",
        "{% function($f)<f<n:n>:n>{$f(1)} %}"}) {
    EXPECT_VALID(pass(good));
  }
  for (const char* bad : {"{% x := 1 %}", "{% function(x){$x}(3) %}", "{% [1:2] %}",
                          "{% [1,2]{'n': $}{'n': $} %}"}) {
    ValidationResult r = ValidateDefinition(pass(bad));
    EXPECT_TRUE(HasDiagnostic(r, "INVALID_JSONATA_EXPRESSION", "/States/A/Output")) << bad;
  }
  struct Case {
    const char* expr;
    const char* problem;
  };
  for (const Case& c : {Case{"{% 10 + * 2 %}", "an operand is missing"},
                        Case{"{% 'open %}", "unterminated string"},
                        Case{"{% 1 /* note %}", "unterminated comment"},
                        Case{"{% $sum($x %}", "unbalanced brackets"},
                        Case{"{% 420. %}", "the expression ends with an operator"},
                        Case{"{%  %}", "the expression is empty"}}) {
    ValidationResult r = ValidateDefinition(pass(c.expr));
    ASSERT_EQ(r.diagnostics.size(), 1u) << c.expr;
    EXPECT_EQ(r.diagnostics[0].message,
              std::string("Invalid JSONata expression '") + c.expr + "': " + c.problem);
  }
}

// ---- rendering ----------------------------------------------------------

TEST(ValidatorTest, ToAwsJsonShape) {
  json::object ok = ToAwsJson(ValidateDefinition(Machine(R"("A":{"Type":"Succeed"})")));
  EXPECT_EQ(SerializeJson(ok), R"({"result":"OK","diagnostics":[]})");
  ValidationResult r =
      ValidateDefinition(Machine(R"("A":{"Type":"Pass","Next":"Nope"})"));
  json::object fail = ToAwsJson(r);
  EXPECT_EQ(fail.at("result").as_string(), "FAIL");
  const json::object& d = fail.at("diagnostics").as_array().at(0).as_object();
  EXPECT_EQ(d.at("severity").as_string(), "ERROR");
  EXPECT_EQ(d.at("code").as_string(), "MISSING_TRANSITION_TARGET");
  EXPECT_EQ(d.at("location").as_string(), "/States/A/Next");
  EXPECT_EQ(d.at("message").as_string(), "Missing 'Next' target: Nope");
}

TEST(ValidatorTest, ParsedOverloadMatchesText) {
  json::value v = json::parse(R"({"StartAt":"A","States":{"A":{"Type":"Succeed"}}})");
  EXPECT_TRUE(ValidateDefinition(v).ok());
  EXPECT_FALSE(ValidateDefinition(json::value(42)).ok());
}

// ---- variable scopes -----------------------------------------------------

TEST(ValidatorTest, MapIterationMayReadButNotAssignAnOuterVariable) {
  std::string reads = Machine(
      R"("A":{"Type":"Pass","Assign":{"bias":1},"Next":"M"},)"
      R"("M":{"Type":"Map","ItemProcessor":{"StartAt":"S","States":{)"
      R"("S":{"Type":"Pass","Assign":{"sum.$":"$bias"},"End":true}}},"End":true})");
  EXPECT_VALID(reads);
  std::string assigns = Machine(
      R"("A":{"Type":"Pass","Assign":{"bias":1},"Next":"M"},)"
      R"("M":{"Type":"Map","ItemProcessor":{"StartAt":"S","States":{)"
      R"("S":{"Type":"Pass","Assign":{"bias.$":"$"},"End":true}}},"End":true})");
  ValidationResult r = ValidateDefinition(assigns);
  EXPECT_TRUE(HasDiagnostic(r, "SCHEMA_VALIDATION_FAILED",
                            "/States/M/ItemProcessor/States/S/Assign/bias.$"))
      << Dump(r);
}

TEST(ValidatorTest, ParallelBranchesHaveTheirOwnScopes) {
  // Sibling branches may use the same name; a nested branch may not reuse
  // a name its enclosing branch assigns, even from a Catch or Choice rule.
  std::string siblings = Machine(
      R"("A":{"Type":"Parallel","End":true,"Branches":[)"
      R"({"StartAt":"X","States":{"X":{"Type":"Pass","Assign":{"v":1},"End":true}}},)"
      R"({"StartAt":"Y","States":{"Y":{"Type":"Pass","Assign":{"v":2},"End":true}}}]})");
  EXPECT_VALID(siblings);
  std::string nested = Machine(
      R"("A":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"X","States":{)"
      R"("X":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,)"
      R"("Assign":{"v":1},"Next":"P"}],"Default":"P"},)"
      R"("P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"Z","States":{)"
      R"("Z":{"Type":"Pass","End":true}}}],)"
      R"("Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"w":1},"Next":"Q"}]},)"
      R"("Q":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"R","States":{)"
      R"("R":{"Type":"Pass","Assign":{"v":3,"w":4},"End":true}}}}}}]})");
  ValidationResult r = ValidateDefinition(nested);
  std::string at = "/States/A/Branches/0/States/Q/ItemProcessor/States/R/Assign/";
  EXPECT_TRUE(HasDiagnostic(r, "SCHEMA_VALIDATION_FAILED", at + "v")) << Dump(r);
  EXPECT_TRUE(HasDiagnostic(r, "SCHEMA_VALIDATION_FAILED", at + "w")) << Dump(r);
}

TEST(ValidatorLanguagesTest, AcceptsJsonataMachines) {
  EXPECT_TRUE(ValidateDefinition(
                  R"({"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})")
                  .ok());
  EXPECT_TRUE(ValidateDefinition(R"({"StartAt":"M","States":{"M":{"Type":"Map",
    "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","QueryLanguage":"JSONata",
    "End":true}}},"End":true}}})")
                  .ok());
}

TEST(ValidatorLanguagesTest, KeepsTheFieldRulesOfEachLanguage) {
  ValidationResult r = ValidateDefinition(
      R"({"StartAt":"P","States":{"P":{"Type":"Pass","Output":{"a":1},"End":true}}})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.diagnostics[0].message.find("only supported for the 'JSONata' QueryLanguage"),
            std::string::npos);
}

TEST(ValidatorLanguagesTest, AcceptsJsonPathMachines) {
  EXPECT_TRUE(ValidateDefinition(
                  R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})")
                  .ok());
}

TEST(ParseStateMachineTest, CompilesJsonataOnceAndNamesTheFieldOfASyntaxError) {
  auto ok = ParseStateMachine(*ParseJson(
      R"({"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass",
          "Output":{"a":"{% $states.input.x + 1 %}"},"End":true}}})"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  const State& p = (*ok)->root->states[0];
  EXPECT_TRUE(p.jsonata);
  ASSERT_TRUE(p.output.has_value());
  EXPECT_FALSE(p.output->constant());

  auto bad = ParseStateMachine(*ParseJson(
      R"({"StartAt":"P","States":{"P":{"Type":"Pass","QueryLanguage":"JSONata",
          "Output":"{% $states.input.x + %}","End":true}}})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("/States/P/Output"), absl::string_view::npos)
      << bad.status();
}

TEST(ParseStateMachineTest, StatesInsideAMapInheritTheMachineLanguage) {
  auto m = ParseStateMachine(*ParseJson(
      R"({"StartAt":"M","States":{"M":{"Type":"Map","QueryLanguage":"JSONata",
          "Items":"{% [1,2] %}","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass",
          "ResultPath":"$.r","End":true}}},"End":true}}})"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE((*m)->root->states[0].jsonata);
  EXPECT_FALSE((*m)->root->states[0].processor->states[0].jsonata);
}

}  // namespace
}  // namespace stepwise::asl
