// Unit tests of ParseItemReaderConfig: each source's fields, and errors
// naming the field.
#include "engine/map_run/item_reader_config.h"

#include <gtest/gtest.h>

#include "common/strings.h"

namespace stepwise::engine::map_run {
namespace {

json::value J(std::string_view text) { return *ParseJson(ToAbsl(text)); }

absl::StatusOr<ItemReaderConfig> Parse(std::string_view reader, std::string_view args) {
  json::value a = J(args);
  return ParseItemReaderConfig(J(reader), &a);
}

TEST(ItemReaderConfigTest, CsvGivenHeadersAndDelimiter) {
  auto c = Parse(R"({"Resource":"arn:aws:states:::s3:getObject",
                     "ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN",
                       "CSVHeaders":["a","b"],"CSVDelimiter":"PIPE","MaxItems":7}})",
                 R"({"Bucket":"b","Key":"k.csv"})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->resource, ItemReaderResource::kGetObject);
  EXPECT_EQ(c->input_type, ItemInputType::kCsv);
  EXPECT_EQ(c->csv_header_location, CsvHeaderLocation::kGiven);
  EXPECT_EQ(c->csv_headers, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c->csv_delimiter, '|');
  EXPECT_EQ(c->max_items, 7);
  EXPECT_EQ(c->bucket, "b");
  EXPECT_EQ(c->key, "k.csv");
}

TEST(ItemReaderConfigTest, DelimitersByName) {
  for (auto [name, ch] : std::vector<std::pair<std::string, char>>{
           {"COMMA", ','}, {"PIPE", '|'}, {"SEMICOLON", ';'}, {"TAB", '\t'}, {"SPACE", ' '}}) {
    auto c = Parse(R"({"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV",
                       "CSVDelimiter":")" + name + R"("}})",
                   R"({"Bucket":"b","Key":"k"})");
    ASSERT_TRUE(c.ok()) << name;
    EXPECT_EQ(c->csv_delimiter, ch) << name;
  }
}

TEST(ItemReaderConfigTest, ListingWithPrefix) {
  auto c = Parse(R"({"Resource":"arn:aws:states:::s3:listObjectsV2"})",
                 R"({"Bucket":"b","Prefix":"in/"})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->resource, ItemReaderResource::kListObjectsV2);
  EXPECT_EQ(c->prefix, "in/");
}

TEST(ItemReaderConfigTest, ItemsPointerAndMaxItemsPath) {
  json::value a = J(R"({"Bucket":"b","Key":"k.json"})");
  auto c = ParseItemReaderConfig(
      J(R"({"Resource":"arn:aws:states:::s3:getObject",
            "ReaderConfig":{"InputType":"JSON","ItemsPointer":"/data/rows","MaxItemsPath":"$.n"}})"),
      &a, 12);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->items_pointer, "/data/rows");
  EXPECT_EQ(c->max_items, 12);
}

void ExpectError(std::string_view reader, std::string_view args, std::string_view names) {
  auto c = Parse(reader, args);
  ASSERT_FALSE(c.ok()) << reader;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(c.status().message()).find(names), std::string_view::npos) << c.status();
}

TEST(ItemReaderConfigTest, ErrorsNameTheField) {
  ExpectError(R"({"Resource":"arn:aws:states:::s3:putObject","ReaderConfig":{"InputType":"JSON"}})",
              R"({"Bucket":"b","Key":"k"})", "ItemReader.Resource");
  ExpectError(R"({"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"XML"}})",
              R"({"Bucket":"b","Key":"k"})", "ItemReader.ReaderConfig.InputType");
  ExpectError(R"({"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV",
                  "CSVDelimiter":"COLON"}})",
              R"({"Bucket":"b","Key":"k"})", "ItemReader.ReaderConfig.CSVDelimiter");
  ExpectError(R"({"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV",
                  "CSVHeaderLocation":"GIVEN"}})",
              R"({"Bucket":"b","Key":"k"})", "ItemReader.ReaderConfig.CSVHeaders");
  ExpectError(R"({"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL",
                  "CSVDelimiter":"PIPE"}})",
              R"({"Bucket":"b","Key":"k"})", "ItemReader.ReaderConfig.CSVDelimiter");
  ExpectError(R"({"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON",
                  "MaxItems":-1}})",
              R"({"Bucket":"b","Key":"k"})", "ItemReader.ReaderConfig.MaxItems");
  ExpectError(R"({"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"}})",
              R"({"Key":"k"})", "ItemReader.Parameters.Bucket");
  ExpectError(R"({"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},
                  "Arguments":{}})",
              R"({"Bucket":"b"})", "ItemReader.Arguments.Key");
  ExpectError(R"({"Resource":"arn:aws:states:::s3:getObject"})", R"({"Bucket":"b","Key":"k"})",
              "ItemReader.ReaderConfig");
  ExpectError(R"({"Resource":"arn:aws:states:::s3:listObjectsV2"})", R"({"Bucket":"b","Key":"k"})",
              "ItemReader.Parameters.Key");
  ExpectError(R"({"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV",
                  "ItemsPointer":"/a"}})",
              R"({"Bucket":"b","Key":"k"})", "ItemReader.ReaderConfig.ItemsPointer");
  ExpectError(R"({"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON",
                  "Nope":1}})",
              R"({"Bucket":"b","Key":"k"})", "ItemReader.ReaderConfig.Nope");
}

}  // namespace
}  // namespace stepwise::engine::map_run
