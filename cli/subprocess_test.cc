// Tests of the worker's subprocess runner.
#include "cli/subprocess.h"

#include "gtest/gtest.h"

namespace stepwise::client {
namespace {

TEST(RunCommandTest, PipesInputAndCollectsOutput) {
  auto r = RunCommand({"sh", "-c", "cat; echo oops >&2; exit 3"}, "{\"x\":1}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->stdout_text, "{\"x\":1}");
  EXPECT_EQ(r->stderr_text, "oops\n");
}

TEST(RunCommandTest, LargeInputWhenChildIgnoresStdin) {
  std::string big(1 << 20, 'a');
  auto r = RunCommand({"sh", "-c", "echo done"}, big);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->stdout_text, "done\n");
  auto echo = RunCommand({"cat"}, big);
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(echo->stdout_text.size(), big.size());
}

TEST(RunCommandTest, MissingProgramIsNotFound) {
  auto r = RunCommand({"/nonexistent/program"}, "");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace stepwise::client
