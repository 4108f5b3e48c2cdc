#include "asl/variable_limits.h"

#include <string>

#include "asl/errors.h"
#include "gtest/gtest.h"

namespace stepwise::asl {
namespace {

json::value Text(size_t bytes) { return json::value(json::string(std::string(bytes, 'x'))); }

TEST(VariableLimitsTest, AcceptsValuesWithinTheLimits) {
  json::object assigned;
  assigned["a"] = Text(1000);
  assigned["b"] = 42;
  EXPECT_TRUE(CheckAssignedVariables(assigned, json::object()).ok());
  EXPECT_TRUE(CheckAssignedVariables(json::object(), json::object()).ok());
}

TEST(VariableLimitsTest, OneVariableOverItsLimitIsDataLimitExceeded) {
  json::object assigned;
  // 262,142 characters + 2 quotes = exactly 256 KiB: allowed; one more is not.
  assigned["big"] = Text(262142);
  EXPECT_TRUE(CheckAssignedVariables(assigned, json::object()).ok());
  assigned["big"] = Text(262143);
  absl::Status s = CheckAssignedVariables(assigned, json::object());
  EXPECT_EQ(RuntimeErrorName(s), "States.DataLimitExceeded");
  EXPECT_NE(s.message().find("'big' is 262145 bytes"), std::string::npos) << s.message();
}

TEST(VariableLimitsTest, OneAssignOverItsCombinedLimitIsDataLimitExceeded) {
  json::object assigned;
  assigned["x"] = Text(150000);
  assigned["y"] = Text(150000);
  absl::Status s = CheckAssignedVariables(assigned, json::object());
  EXPECT_EQ(RuntimeErrorName(s), "States.DataLimitExceeded");
  EXPECT_NE(s.message().find("300004 bytes together"), std::string::npos) << s.message();
}

TEST(VariableLimitsTest, AllStoredVariablesOverTheExecutionLimitIsDataLimitExceeded) {
  json::object stored;
  for (int i = 0; i < 41; ++i) stored["v" + std::to_string(i)] = Text(260000);  // 10.66 MB
  json::object assigned;
  assigned["one_more"] = 1;
  absl::Status s = CheckAssignedVariables(assigned, stored);
  EXPECT_EQ(RuntimeErrorName(s), "States.DataLimitExceeded");
  // Reassigning stored names counts their new value, not the old one.
  json::object smaller;
  for (int i = 0; i < 5; ++i) smaller["v" + std::to_string(i)] = 1;
  json::object fewer;
  for (int i = 0; i < 38; ++i) fewer["v" + std::to_string(i)] = Text(260000);  // 9.88 MB
  EXPECT_TRUE(CheckAssignedVariables(smaller, fewer).ok());
  VariableLimits tight;
  tight.max_stored_bytes = 1000;
  EXPECT_EQ(RuntimeErrorName(CheckAssignedVariables(assigned, fewer, tight)),
            "States.DataLimitExceeded");
}

}  // namespace
}  // namespace stepwise::asl
