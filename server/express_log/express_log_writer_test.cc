// Tests of ExpressLogWriter: lines land in the log group's file and on the
// given stream, the recent ring keeps the newest, a full queue drops
// without blocking, rotation reopens the file.
#include "server/express_log/express_log_writer.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace stepwise::server::express_log {
namespace {

constexpr char kMachine[] = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
constexpr char kGroup[] = "arn:aws:logs:us-east-1:123456789012:log-group:/sw/orders:*";

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "sw_express_log_XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

engine::ClosedExpressExecution Closed(const std::string& name) {
  engine::ClosedExpressExecution c;
  c.execution.execution_arn = "arn:aws:states:us-east-1:123456789012:express:m:" + name + ":u";
  c.execution.state_machine_arn = kMachine;
  c.execution.name = name;
  c.execution.status = "SUCCEEDED";
  c.events.push_back(json::object{{"timestamp", 1.5},
                                  {"type", "ExecutionStarted"},
                                  {"id", 1},
                                  {"previousEventId", 0},
                                  {"executionStartedEventDetails",
                                   json::object{{"input", "{\"secretish\":1}"}}}});
  c.events.push_back(json::object{{"timestamp", 2.5},
                                  {"type", "ExecutionSucceeded"},
                                  {"id", 2},
                                  {"previousEventId", 1},
                                  {"executionSucceededEventDetails",
                                   json::object{{"output", "{}"}}}});
  return c;
}

engine::LoggingConfiguration All(bool data) {
  engine::LoggingConfiguration c;
  c.level = "ALL";
  c.include_execution_data = data;
  c.log_group_arns = {kGroup};
  return c;
}

TEST(ExpressLogWriter, WritesTheLogGroupFileAndKeepsRecent) {
  TempDir dir;
  ExpressLogOptions o;
  o.dir = dir.path();
  o.recent_capacity = 2;
  o.lookup = [](const std::string& arn) -> absl::StatusOr<engine::LoggingConfiguration> {
    EXPECT_EQ(arn, kMachine);
    return All(false);
  };
  ExpressLogWriter w(o);
  w.Closed(Closed("a"));
  w.Closed(Closed("b"));
  w.Closed(Closed("c"));
  w.Flush();
  std::vector<std::string> lines = ReadLines(dir.path() + "/_sw_orders.jsonl");
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_NE(lines[0].find("\"execution_arn\":\"arn:aws:states:us-east-1:123456789012:express:m:a:u\""),
            std::string::npos);
  EXPECT_EQ(lines[0].find("secretish"), std::string::npos) << "includeExecutionData false";
  std::vector<RecentExpressExecution> recent = w.recent().List(kMachine);
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0].execution.name, "c");
  EXPECT_EQ(recent[1].execution.name, "b");
  EXPECT_EQ(recent[0].log_lines.size(), 2u);
  EXPECT_TRUE(w.recent().List("arn:other").empty());
  EXPECT_TRUE(w.recent().Find(Closed("c").execution.execution_arn).has_value());
  EXPECT_FALSE(w.recent().Find(Closed("a").execution.execution_arn).has_value());
  ExpressLogStats s = w.stats();
  EXPECT_EQ(s.executions, 3u);
  EXPECT_EQ(s.lines, 6u);
  EXPECT_EQ(s.dropped, 0u);
}

TEST(ExpressLogWriter, WritesToTheStreamWhenAsked) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  ExpressLogOptions o;
  o.to_stdout = true;
  o.out = out;
  o.lookup = [](const std::string&) -> absl::StatusOr<engine::LoggingConfiguration> {
    return All(true);
  };
  {
    ExpressLogWriter w(o);
    w.Closed(Closed("a"));
    w.Stop();
  }
  std::rewind(out);
  char buf[4096] = {};
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, out);
  std::fclose(out);
  std::string text(buf, n);
  EXPECT_NE(text.find("\"type\":\"ExecutionStarted\""), std::string::npos) << text;
  EXPECT_NE(text.find("secretish"), std::string::npos) << "includeExecutionData true";
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST(ExpressLogWriter, LevelOffAndUnknownMachinesWriteNothing) {
  TempDir dir;
  ExpressLogOptions o;
  o.dir = dir.path();
  o.lookup = [](const std::string&) -> absl::StatusOr<engine::LoggingConfiguration> {
    return absl::NotFoundError("state machine gone");
  };
  ExpressLogWriter w(o);
  w.Closed(Closed("a"));
  w.Flush();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  ASSERT_EQ(w.recent().List("").size(), 1u);
  EXPECT_EQ(w.recent().List("")[0].logging_level, "OFF");
  EXPECT_EQ(w.stats().lines, 0u);
}

TEST(ExpressLogWriter, WantsEventsOnlyWhenTheMachineLogs) {
  ExpressLogOptions o;
  o.lookup = [](const std::string& arn) -> absl::StatusOr<engine::LoggingConfiguration> {
    if (arn == "gone") return absl::NotFoundError("state machine gone");
    engine::LoggingConfiguration c;
    c.level = arn;  // the test names each machine by its level
    return c;
  };
  ExpressLogWriter w(o);
  EXPECT_TRUE(w.WantsEvents("ALL"));
  EXPECT_TRUE(w.WantsEvents("ERROR"));
  EXPECT_TRUE(w.WantsEvents("FATAL"));
  EXPECT_FALSE(w.WantsEvents("OFF"));
  EXPECT_FALSE(w.WantsEvents("gone"));
  ExpressLogWriter no_lookup(ExpressLogOptions{});
  EXPECT_FALSE(no_lookup.WantsEvents("ALL"));
}

TEST(ExpressLogWriter, FullQueueDropsWithoutBlocking) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> lookups{0};
  ExpressLogOptions o;
  o.queue_capacity = 2;
  o.lookup = [&](const std::string&) -> absl::StatusOr<engine::LoggingConfiguration> {
    ++lookups;
    released.wait();  // hold the writer
    return engine::LoggingConfiguration{};
  };
  ExpressLogWriter w(o);
  w.Closed(Closed("held"));
  while (lookups.load() == 0) ::usleep(1000);  // the writer holds "held"
  for (int i = 0; i < 5; ++i) w.Closed(Closed("q" + std::to_string(i)));  // 2 fit
  EXPECT_EQ(w.stats().dropped, 3u);
  release.set_value();
  w.Flush();
  EXPECT_EQ(w.stats().executions, 3u);
  w.Stop();
  w.Closed(Closed("late"));
  EXPECT_EQ(w.stats().dropped, 4u);
}

TEST(ExpressLogWriter, ReopensARotatedFile) {
  TempDir dir;
  ExpressLogOptions o;
  o.dir = dir.path();
  o.lookup = [](const std::string&) -> absl::StatusOr<engine::LoggingConfiguration> {
    return All(true);
  };
  ExpressLogWriter w(o);
  std::string file = dir.path() + "/_sw_orders.jsonl";
  w.Closed(Closed("a"));
  w.Flush();
  std::filesystem::rename(file, file + ".1");
  w.Closed(Closed("b"));
  w.Flush();
  EXPECT_EQ(ReadLines(file + ".1").size(), 2u);
  std::vector<std::string> now = ReadLines(file);
  ASSERT_EQ(now.size(), 2u);
  EXPECT_NE(now[0].find(":b:u"), std::string::npos);
}

}  // namespace
}  // namespace stepwise::server::express_log
