#include "engine/asl/validator.h"

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

}  // namespace
}  // namespace stepwise::asl
