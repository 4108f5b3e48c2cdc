// ParseRouteOperands (cli/versions_cmd.h): `stepwise alias` routes.
#include "cli/versions_cmd.h"

#include "gtest/gtest.h"

namespace stepwise::client {
namespace {

TEST(VersionsCmdTest, RouteOperandsAreVersionEqualsWeight) {
  auto routes = ParseRouteOperands("arn:m", {"1=90", "arn:m:2=10"});
  ASSERT_TRUE(routes.ok()) << routes.status();
  ASSERT_EQ(routes->size(), 2u);
  EXPECT_EQ((*routes)[0].state_machine_version_arn(), "arn:m:1");
  EXPECT_EQ((*routes)[0].weight(), 90);
  EXPECT_EQ((*routes)[1].state_machine_version_arn(), "arn:m:2");
  EXPECT_EQ((*routes)[1].weight(), 10);
  for (const char* bad : {"1", "1=x", "=5", "1=", "1=5x"}) {
    EXPECT_FALSE(ParseRouteOperands("arn:m", {bad}).ok()) << bad;
  }
}

}  // namespace
}  // namespace stepwise::client
