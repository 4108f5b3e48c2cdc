// ParseIndexFieldOperands and IsSearchCommand (cli/search_cmd.h): the
// operands of `stepwise machine index-fields` and which `list` searches.
#include "cli/search_cmd.h"

#include "gtest/gtest.h"

namespace stepwise::client {
namespace {

TEST(SearchCmdTest, IndexFieldOperandsAreNameEqualsSourceColonPath) {
  auto f = ParseIndexFieldOperands(
      {"customerId=input:$.customer.id", "total=OUTPUT:{% $sum(items.price) %}", "r=variables:$"});
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_EQ(f->size(), 3u);
  EXPECT_EQ((*f)[0].name(), "customerId");
  EXPECT_EQ((*f)[0].source(), "INPUT");
  EXPECT_EQ((*f)[0].path(), "$.customer.id");
  EXPECT_EQ((*f)[1].source(), "OUTPUT");
  EXPECT_EQ((*f)[1].expression(), "$sum(items.price)");
  EXPECT_TRUE((*f)[1].path().empty());
  EXPECT_EQ((*f)[2].source(), "VARIABLES");
  for (const char* bad : {"customerId", "=input:$.a", "a=input", "a:input=$.b"}) {
    EXPECT_FALSE(ParseIndexFieldOperands({bad}).ok()) << bad;
  }
}

TEST(SearchCmdTest, ListSearchesWithWhereOrCountOrWithoutAMachine) {
  RemoteArgs a;
  a.command = "list";
  a.positional = {"orders"};
  EXPECT_FALSE(IsSearchCommand(a));  // ListExecutions
  a.flags["where"] = "status = FAILED";
  EXPECT_TRUE(IsSearchCommand(a));
  a.flags.clear();
  a.flags["count"] = "true";
  EXPECT_TRUE(IsSearchCommand(a));
  a.flags.clear();
  a.positional.clear();
  EXPECT_TRUE(IsSearchCommand(a));
  a.command = "machine index-fields";
  EXPECT_TRUE(IsSearchCommand(a));
}

}  // namespace
}  // namespace stepwise::client
