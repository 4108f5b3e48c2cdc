#include "asl/validator.h"

#include "common/json.h"
#include "asl/definition.h"

#include "gtest/gtest.h"

namespace stepwise::asl {
namespace {

TEST(ValidateForStepwiseTest, AcceptsJsonataMachines) {
  EXPECT_TRUE(ValidateForStepwise(
                  R"({"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})")
                  .ok());
  EXPECT_TRUE(ValidateForStepwise(R"({"StartAt":"M","States":{"M":{"Type":"Map",
    "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","QueryLanguage":"JSONata",
    "End":true}}},"End":true}}})")
                  .ok());
}

TEST(ValidateForStepwiseTest, KeepsTheFieldRulesOfEachLanguage) {
  ValidationResult r = ValidateForStepwise(
      R"({"StartAt":"P","States":{"P":{"Type":"Pass","Output":{"a":1},"End":true}}})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.diagnostics[0].message.find("only supported for the 'JSONata' QueryLanguage"),
            std::string::npos);
}

TEST(ValidateForStepwiseTest, AcceptsJsonPathMachines) {
  EXPECT_TRUE(ValidateForStepwise(
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
