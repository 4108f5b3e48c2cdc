// RecentlyClosed: bounded, oldest forgotten first, Forget/ForgetIf. gtest's thread.
#include "engine/recently_closed.h"

#include <string>

#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

TEST(RecentlyClosedTest, KeepsTheNewestUpToItsCapacity) {
  RecentlyClosed c(3);
  for (const char* id : {"a", "b", "c", "d"}) c.Add(id);
  EXPECT_FALSE(c.Contains("a"));
  EXPECT_TRUE(c.Contains("b"));
  EXPECT_TRUE(c.Contains("d"));
  EXPECT_EQ(c.size(), 3u);
}

TEST(RecentlyClosedTest, ForgetsOnRequestAndStaysBoundedAfterwards) {
  RecentlyClosed c(2);
  c.Add("a");
  c.Add("b");
  c.Forget("a");
  EXPECT_FALSE(c.Contains("a"));
  c.Add("a");  // closed again
  EXPECT_TRUE(c.Contains("a"));
  for (int i = 0; i < 100; ++i) {
    c.Add("x" + std::to_string(i));
    c.Forget("x" + std::to_string(i - 1));
  }
  EXPECT_LE(c.size(), 2u);
  EXPECT_TRUE(c.Contains("x99"));
  c.ForgetIf([](const std::string& id) { return id == "x99"; });
  EXPECT_FALSE(c.Contains("x99"));
}

TEST(RecentlyClosedTest, CapacityZeroRemembersNothing) {
  RecentlyClosed c(0);
  c.Add("a");
  EXPECT_FALSE(c.Contains("a"));
}

}  // namespace
}  // namespace stepwise::engine
