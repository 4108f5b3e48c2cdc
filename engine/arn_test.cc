// Names, ARNs and UUIDs (engine/arn.h); the Express execution ARN shape is
// checked against an execution AWS recorded (the conformance corpus).
#include "engine/arn.h"

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "engine/service_error.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr char kRecorded[] =
    SW_SHARED_DIR "/conformance/cases/express/"
                  "express_test_express_async_TestExpressAsync_test_query_runtime_memory_end_event.json";

// The first string in `text` matching `pattern` (a JSON string's content).
std::string FirstMatch(const std::string& text, const std::string& pattern) {
  std::smatch m;
  std::regex re("\"(" + pattern + ")\"");
  return std::regex_search(text, m, re) ? m[1].str() : "";
}

TEST(ArnTest, ExpressExecutionArnHasTheShapeAwsRecords) {
  std::ifstream in(kRecorded);
  ASSERT_TRUE(in.good()) << kRecorded;
  std::stringstream s;
  s << in.rdbuf();
  // e.g. arn:<partition>:states:<region>:111111111111:express:<ArnPart_0idx>:
  //      <ExpressExecArn_Part1_0idx>:<ExpressExecArn_Part2_0idx>
  std::string aws_exec = FirstMatch(s.str(), "arn:[^\"]*:express:[^\"]*");
  std::string aws_machine = FirstMatch(s.str(), "arn:[^\"]*:stateMachine:[^\"]*");
  ASSERT_FALSE(aws_exec.empty());
  ASSERT_FALSE(aws_machine.empty());
  std::vector<std::string> aws = absl::StrSplit(aws_exec, ':');
  std::vector<std::string> aws_m = absl::StrSplit(aws_machine, ':');

  std::string ours_exec = ExpressExecutionArn("us-east-1", "111111111111", "machine", "name",
                                              "2f1c1cc6-8f4e-4f7a-9c1e-0d2b3c4d5e6f");
  std::string ours_machine = MachineArn("us-east-1", "111111111111", "machine");
  std::vector<std::string> ours = absl::StrSplit(ours_exec, ':');
  std::vector<std::string> ours_m = absl::StrSplit(ours_machine, ':');

  ASSERT_EQ(ours.size(), aws.size()) << ours_exec << " vs " << aws_exec;
  ASSERT_EQ(ours_m.size(), aws_m.size());
  // Same kind word and account in the same places.
  EXPECT_EQ(ours[5], aws[5]);
  EXPECT_EQ(ours[5], "express");
  EXPECT_EQ(ours[4], aws[4]);
  // The part after "express" is the machine's name, as in its ARN.
  EXPECT_EQ(aws[6], aws_m.back());
  EXPECT_EQ(ours[6], ours_m.back());
  // Then the execution name, then a per-run id.
  EXPECT_EQ(ours[7], "name");
  EXPECT_EQ(ours[8].size(), 36u);
  EXPECT_TRUE(CheckExecutionArn("us-east-1", "111111111111", ours_exec).ok());
}

TEST(ArnTest, BuildsAndChecksArns) {
  EXPECT_EQ(ExecutionArn("r", "1", "m", "e"), "arn:aws:states:r:1:execution:m:e");
  EXPECT_EQ(ActivityArn("r", "1", "a"), "arn:aws:states:r:1:activity:a");
  EXPECT_TRUE(CheckExecutionArn("r", "1", "arn:aws:states:r:1:execution:m:e").ok());
  EXPECT_EQ(ServiceErrorName(CheckExecutionArn("r", "1", "arn:aws:states:r:1:execution:m")),
            "InvalidArn");
  EXPECT_EQ(ServiceErrorName(CheckExecutionArn("r", "2", "arn:aws:states:r:1:execution:m:e")),
            "InvalidArn");
  EXPECT_EQ(ArnTail("a:b:c"), "c");
  EXPECT_EQ(ArnTail("a:b:c", 2), "b:c");
  EXPECT_EQ(ArnTail("abc"), "");
}

TEST(ArnTest, NamesAndUuids) {
  EXPECT_TRUE(ValidName("ok-name_1"));
  EXPECT_FALSE(ValidName(""));
  EXPECT_FALSE(ValidName(std::string(81, 'a')));
  EXPECT_FALSE(ValidName("a b"));
  EXPECT_FALSE(ValidName("a:b"));
  EXPECT_EQ(FormatUuid(0, 0), "00000000-0000-4000-8000-000000000000");
  std::mt19937_64 rng(1);
  std::string u = NewUuid(rng);
  EXPECT_TRUE(std::regex_match(u, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                             "[0-9a-f]{12}")))
      << u;
}

}  // namespace
}  // namespace stepwise::engine
