#include "common/clock.h"

#include "gtest/gtest.h"

namespace stepwise {
namespace {

TEST(ClockTest, FormatsIso8601WithMillis) {
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(1707313776123), "2024-02-07T13:49:36.123Z");
}

TEST(ClockTest, ParsesRfc3339WithOffsetsAndFractions) {
  auto a = ParseRfc3339Nanos("2024-02-07T13:49:36Z");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, 1707313776LL * 1000000000);
  auto b = ParseRfc3339Nanos("2024-02-07T14:49:36.5+01:00");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b, 1707313776LL * 1000000000 + 500000000);
}

TEST(ClockTest, RejectsMalformedTimestamps) {
  EXPECT_FALSE(ParseRfc3339Nanos("2024-02-07t13:49:36Z").has_value());
  EXPECT_FALSE(ParseRfc3339Nanos("2024-02-07T13:49:36").has_value());
  EXPECT_FALSE(ParseRfc3339Nanos("2023-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(ParseRfc3339Nanos("2024-13-01T00:00:00Z").has_value());
  EXPECT_FALSE(ParseRfc3339Nanos("").has_value());
}

// Found by fuzz_definition: a TimestampEquals operand in year 4024 made the
// nanosecond arithmetic overflow (UB) instead of failing cleanly.
TEST(ClockTest, RejectsTimestampsOutsideInt64Nanos) {
  EXPECT_FALSE(ParseRfc3339Nanos("4024-10-09T19:00:56Z").has_value());
  EXPECT_FALSE(ParseRfc3339Nanos("9999-12-31T23:59:59.999999999Z").has_value());
  EXPECT_FALSE(ParseRfc3339Nanos("0000-01-01T00:00:00Z").has_value());
  EXPECT_TRUE(ParseRfc3339Nanos("2262-04-11T23:47:16Z").has_value());
  EXPECT_TRUE(ParseRfc3339Nanos("1677-09-21T00:12:44Z").has_value());
}

TEST(ClockTest, ManualClockAdvances) {
  ManualClock c(1000);
  c.Advance(500);
  EXPECT_EQ(c.NowMs(), 1500);
}

TEST(ScaledClockTest, RunsScaleTimesFasterThanBaseFromConstruction) {
  ManualClock base(10'000);
  ScaledClock c(&base, 60.0);
  EXPECT_EQ(c.NowMs(), 10'000);
  base.Advance(1'000);
  EXPECT_EQ(c.NowMs(), 10'000 + 60'000);
  base.Advance(500);
  EXPECT_EQ(c.NowMs(), 10'000 + 90'000);
}

TEST(ScaledClockTest, ScaleOneFollowsBaseAndFractionalScaleSlowsDown) {
  ManualClock base(1'000);
  ScaledClock same(&base, 1.0);
  ScaledClock slow(&base, 0.5);
  base.Advance(4'000);
  EXPECT_EQ(same.NowMs(), base.NowMs());
  EXPECT_EQ(slow.NowMs(), 1'000 + 2'000);
}

TEST(ScaledClockTest, NonPositiveScaleFreezesTime) {
  ManualClock base(1'000);
  ScaledClock c(&base, 0.0);
  base.Advance(4'000);
  EXPECT_EQ(c.NowMs(), 1'000);
}

}  // namespace
}  // namespace stepwise
