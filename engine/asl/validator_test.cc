#include "engine/asl/validator.h"

#include "gtest/gtest.h"

namespace stepwise::asl {
namespace {
TEST(ValidatorTest, Smoke) {
  EXPECT_TRUE(ValidateDefinition(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})").ok());
}
}  // namespace
}  // namespace stepwise::asl
