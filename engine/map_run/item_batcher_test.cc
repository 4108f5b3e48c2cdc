// Unit tests of ItemBatcher and its config: batches by count and by bytes,
// BatchInput, an item too large alone.
#include "engine/map_run/item_batcher.h"

#include <gtest/gtest.h>

#include "common/strings.h"

namespace stepwise::engine::map_run {
namespace {

json::value J(std::string_view text) { return *ParseJson(ToAbsl(text)); }

std::vector<std::string> Batch(ItemBatcherConfig c, int n) {
  ItemBatcher b(std::move(c));
  std::vector<json::value> batches;
  for (int i = 0; i < n; ++i) EXPECT_TRUE(b.Add(json::value(i), &batches).ok());
  b.Finish(&batches);
  std::vector<std::string> out;
  for (const auto& v : batches) out.push_back(SerializeJson(v));
  return out;
}

TEST(ItemBatcherTest, ByCountWithBatchInput) {
  json::value bi = J(R"({"run":"r1"})");
  auto c = ParseItemBatcherConfig(J(R"({"MaxItemsPerBatch":2})"), std::nullopt, std::nullopt, &bi);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(Batch(*c, 5), (std::vector<std::string>{R"({"Items":[0,1],"BatchInput":{"run":"r1"}})",
                                                     R"({"Items":[2,3],"BatchInput":{"run":"r1"}})",
                                                     R"({"Items":[4],"BatchInput":{"run":"r1"}})"}));
}

TEST(ItemBatcherTest, ByBytes) {
  // {"Items":[0,1,2]} is 17 bytes; a fourth item would make 19.
  auto c = ParseItemBatcherConfig(J(R"({"MaxInputBytesPerBatch":17})"), std::nullopt,
                                  std::nullopt, nullptr);
  ASSERT_TRUE(c.ok());
  auto batches = Batch(*c, 7);
  EXPECT_EQ(batches, (std::vector<std::string>{R"({"Items":[0,1,2]})", R"({"Items":[3,4,5]})",
                                               R"({"Items":[6]})"}));
  for (const auto& b : batches) EXPECT_LE(b.size(), 17u);
}

TEST(ItemBatcherTest, PathValuesWin) {
  auto c = ParseItemBatcherConfig(J(R"({"MaxItemsPerBatchPath":"$.n"})"), 3, std::nullopt, nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Batch(*c, 4).size(), 2u);
}

TEST(ItemBatcherTest, ItemTooLargeAlone) {
  auto c = ParseItemBatcherConfig(J(R"({"MaxInputBytesPerBatch":20})"), std::nullopt,
                                  std::nullopt, nullptr);
  ASSERT_TRUE(c.ok());
  ItemBatcher b(*c);
  std::vector<json::value> batches;
  ASSERT_TRUE(b.Add(json::value(1), &batches).ok());
  absl::Status st = b.Add(json::value("a string far longer than twenty bytes"), &batches);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("MaxInputBytesPerBatch"), std::string_view::npos) << st;
}

TEST(ItemBatcherTest, ConfigErrorsNameTheField) {
  for (auto [text, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"MaxItemsPerBatch":0})", "ItemBatcher.MaxItemsPerBatch"},
           {R"({"MaxInputBytesPerBatch":262145})", "ItemBatcher.MaxInputBytesPerBatch"},
           {R"({"BatchInput":{}})", "MaxItemsPerBatch"}}) {
    auto c = ParseItemBatcherConfig(J(text), std::nullopt, std::nullopt, nullptr);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_NE(std::string(c.status().message()).find(field), std::string_view::npos) << c.status();
  }
}

}  // namespace
}  // namespace stepwise::engine::map_run
