#include "engine/asl/validator.h"

#include "gtest/gtest.h"

namespace stepwise::asl {
namespace {

TEST(ValidateForStepwiseTest, RefusesAJsonataMachineWithAClearDiagnostic) {
  ValidationResult r = ValidateForStepwise(
      R"({"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "UNSUPPORTED_FEATURE");
  EXPECT_EQ(r.diagnostics[0].location, "/QueryLanguage");
  EXPECT_NE(r.diagnostics[0].message.find("JSONata is not supported yet"), std::string::npos);
  // AWS itself accepts it: the plain verdict stays OK.
  EXPECT_TRUE(ValidateDefinition(
                  R"({"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})")
                  .ok());
}

TEST(ValidateForStepwiseTest, FindsAJsonataStateInsideAMap) {
  ValidationResult r = ValidateForStepwise(R"({"StartAt":"M","States":{"M":{"Type":"Map",
    "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","QueryLanguage":"JSONata",
    "End":true}}},"End":true}}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics.back().location, "/States/M/ItemProcessor/States/P/QueryLanguage");
}

TEST(ValidateForStepwiseTest, AcceptsJsonPathMachines) {
  EXPECT_TRUE(ValidateForStepwise(
                  R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})")
                  .ok());
}

}  // namespace
}  // namespace stepwise::asl
