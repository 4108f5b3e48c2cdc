// Runs every declarative case under tests/asl/<case>/ through RunLocal:
// definition.json + input.json → expected.json {"status", "output" |
// "error"/"cause", optional "events": [types in order]}. Behaviour the
// shared AWS corpus does not cover is pinned here; add a folder, no C++.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/json.h"
#include "engine/local_runner.h"
#include "gtest/gtest.h"

namespace stepwise {
namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(SW_ASL_CASES_DIR)) {
    if (e.is_directory()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class AslCaseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AslCaseTest, MatchesExpected) {
  std::filesystem::path dir = std::filesystem::path(SW_ASL_CASES_DIR) / GetParam();
  std::string definition = ReadFile(dir / "definition.json");
  std::string input = ReadFile(dir / "input.json");
  auto expected = ParseJson(ReadFile(dir / "expected.json"));
  ASSERT_TRUE(expected.ok()) << expected.status();
  const json::object& want = expected->as_object();

  engine::LocalRunOptions opts;
  opts.start_time = 1700000000000;
  opts.seed = 1;
  auto got = engine::RunLocal(definition, input, opts);
  ASSERT_TRUE(got.ok()) << got.status();

  EXPECT_EQ(got->status, std::string(want.at("status").as_string()));
  if (const json::value* out = want.if_contains("output")) {
    ASSERT_TRUE(got->output.has_value());
    auto actual = ParseJson(*got->output);
    ASSERT_TRUE(actual.ok());
    EXPECT_TRUE(JsonEquals(*actual, *out)) << "output " << *got->output;
  }
  if (const json::value* err = want.if_contains("error")) {
    EXPECT_EQ(got->error.value_or(""), std::string(err->as_string()));
  }
  if (const json::value* cause = want.if_contains("cause")) {
    EXPECT_EQ(got->cause.value_or(""), std::string(cause->as_string()));
  }
  if (const json::value* events = want.if_contains("events")) {
    std::vector<std::string> want_types, got_types;
    for (const json::value& t : events->as_array()) want_types.emplace_back(t.as_string());
    for (const auto& e : got->events) got_types.push_back(e.type);
    EXPECT_EQ(got_types, want_types);
  }
  // Ids are one gap-free sequence starting at 1.
  for (size_t i = 0; i < got->events.size(); ++i) {
    EXPECT_EQ(got->events[i].id, static_cast<int64_t>(i + 1));
    EXPECT_LT(got->events[i].previous_event_id, got->events[i].id);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, AslCaseTest, ::testing::ValuesIn(CaseNames()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace stepwise
