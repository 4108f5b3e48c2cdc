// Tests of the loggingConfiguration rules (AWS's InvalidLoggingConfiguration
// cases) and its catalog record form, including records written before the
// field existed.
#include "engine/logging_configuration.h"

#include "gtest/gtest.h"
#include "engine/service_error.h"

namespace stepwise::engine {
namespace {

constexpr char kGroup[] = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/x:*";

LoggingConfiguration Config(const std::string& level, std::vector<std::string> arns) {
  LoggingConfiguration c;
  c.level = level;
  c.log_group_arns = std::move(arns);
  return c;
}

TEST(LoggingConfigurationTest, AcceptsWhatAwsAccepts) {
  EXPECT_TRUE(CheckLoggingConfiguration(LoggingConfiguration{}).ok());
  EXPECT_TRUE(CheckLoggingConfiguration(Config("OFF", {kGroup})).ok());
  for (const char* level : {"ALL", "ERROR", "FATAL"}) {
    EXPECT_TRUE(CheckLoggingConfiguration(Config(level, {kGroup})).ok()) << level;
  }
}

TEST(LoggingConfigurationTest, RefusesInAwsWords) {
  absl::Status none = CheckLoggingConfiguration(Config("ALL", {}));
  EXPECT_EQ(ServiceErrorName(none), "InvalidLoggingConfiguration");
  EXPECT_EQ(none.message(),
            "Invalid Logging Configuration: Must specify exactly one Log Destination.");
  EXPECT_EQ(ServiceErrorName(CheckLoggingConfiguration(Config("OFF", {kGroup, kGroup}))),
            "InvalidLoggingConfiguration");
  EXPECT_EQ(ServiceErrorName(CheckLoggingConfiguration(Config("DEBUG", {kGroup}))),
            "ValidationException");
  for (const char* bad : {"arn:aws:logs:us-east-1:123456789012:log-group:g",
                          "arn:aws:logs:us-east-1:1234:log-group:g:*",
                          "arn:aws:s3:us-east-1:123456789012:log-group:g:*",
                          "arn:aws:logs:us-east-1:123456789012:log-group:a b:*",
                          "arn:aws:logs:us-east-1:123456789012:log-group::*", ""}) {
    absl::Status s = CheckLoggingConfiguration(Config("ALL", {bad}));
    EXPECT_EQ(ServiceErrorName(s), "InvalidLoggingConfiguration") << bad;
    EXPECT_NE(s.message().find("logGroupArn"), absl::string_view::npos) << s.message();
  }
}

TEST(LoggingConfigurationTest, LogGroupNameOfAnArn) {
  EXPECT_EQ(LogGroupName(kGroup), "/aws/vendedlogs/x");
  EXPECT_EQ(LogGroupName("arn:aws:logs:us-east-1:123456789012:log-group:g"), "");
}

TEST(LoggingConfigurationTest, RecordRoundTripAndOldRecords) {
  LoggingConfiguration c = Config("ERROR", {kGroup});
  c.include_execution_data = true;
  json::object rec{{"name", "m"}, {"logging_configuration", LoggingConfigurationRecord(c)}};
  EXPECT_EQ(LoggingConfigurationFromRecord(rec), c);
  json::object old{{"name", "m"}};
  EXPECT_EQ(LoggingConfigurationFromRecord(old), LoggingConfiguration{});
  EXPECT_EQ(LoggingConfigurationFromRecord(old).level, "OFF");
}

}  // namespace
}  // namespace stepwise::engine
