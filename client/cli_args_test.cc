#include "client/cli_args.h"

#include <cstdio>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::client {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<CliArgs> Parse(std::vector<std::string> args) {
  return ParseCliArgs(args);
}

TEST(CliArgsTest, HelpForms) {
  for (const char* h : {"help", "--help", "-h"}) {
    auto a = Parse({h});
    ASSERT_TRUE(a.ok()) << h;
    EXPECT_EQ(a->command, CliCommand::kHelp);
  }
  auto a = Parse({"run-local", "--help"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->command, CliCommand::kHelp);
}

TEST(CliArgsTest, MissingOrUnknownCommandIsAnError) {
  EXPECT_FALSE(Parse({}).ok());
  auto a = Parse({"frobnicate"});
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("frobnicate"));
}

TEST(CliArgsTest, RunLocalWithAllFlags) {
  auto a = Parse({"run-local", "--definition", "d.json", "--input", "@in.json",
                  "--history", "--seed", "7", "--type", "EXPRESS"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->command, CliCommand::kRunLocal);
  EXPECT_EQ(a->run_local.definition_file, "d.json");
  EXPECT_EQ(a->run_local.input, "@in.json");
  EXPECT_TRUE(a->run_local.history);
  ASSERT_TRUE(a->run_local.seed.has_value());
  EXPECT_EQ(*a->run_local.seed, 7u);
  EXPECT_EQ(a->run_local.type, "EXPRESS");
}

TEST(CliArgsTest, RunLocalEqualsFormAndDefaults) {
  auto a = Parse({"run-local", "--definition=d.json", "--seed=3"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->run_local.definition_file, "d.json");
  EXPECT_EQ(a->run_local.input, "{}");
  EXPECT_FALSE(a->run_local.history);
  EXPECT_EQ(a->run_local.seed.value_or(0), 3u);
  EXPECT_EQ(a->run_local.type, "STANDARD");
}

TEST(CliArgsTest, RunLocalInputMayBeJsonWithEquals) {
  auto a = Parse({"run-local", "--definition", "d", "--input={\"a\":\"x=y\"}"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->run_local.input, "{\"a\":\"x=y\"}");
}

TEST(CliArgsTest, RunLocalErrors) {
  EXPECT_FALSE(Parse({"run-local"}).ok());                      // no --definition
  EXPECT_FALSE(Parse({"run-local", "--definition"}).ok());      // no value
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "--seed", "x"}).ok());
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "--seed", "-1"}).ok());
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "--bogus"}).ok());
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "extra"}).ok());
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "--type", "FAST"}).ok());
  EXPECT_FALSE(Parse({"run-local", "--definition", "d", "--history=yes"}).ok());
}

TEST(CliArgsTest, Validate) {
  auto a = Parse({"validate", "sm.json"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->command, CliCommand::kValidate);
  EXPECT_EQ(a->validate.file, "sm.json");
  EXPECT_EQ(a->validate.type, "STANDARD");
  a = Parse({"validate", "--type", "EXPRESS", "sm.json"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->validate.type, "EXPRESS");
  EXPECT_FALSE(Parse({"validate"}).ok());
  EXPECT_FALSE(Parse({"validate", "a", "b"}).ok());
  EXPECT_FALSE(Parse({"validate", "--history", "a"}).ok());
}

TEST(CliArgsTest, ResolveInputSpec) {
  auto inline_text = ResolveInputSpec("{\"a\":1}");
  ASSERT_TRUE(inline_text.ok());
  EXPECT_EQ(*inline_text, "{\"a\":1}");

  std::string path = ::testing::TempDir() + "/cli_args_test_input.json";
  {
    std::ofstream out(path);
    out << "[1,2]";
  }
  auto from_file = ResolveInputSpec("@" + path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(*from_file, "[1,2]");
  std::remove(path.c_str());

  auto missing = ResolveInputSpec("@/nonexistent/dir/input.json");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(CliArgsTest, UsageMentionsEveryCommand) {
  std::string u = UsageText();
  EXPECT_THAT(u, HasSubstr("run-local"));
  EXPECT_THAT(u, HasSubstr("validate"));
  EXPECT_THAT(u, HasSubstr("help"));
}

}  // namespace
}  // namespace stepwise::client
