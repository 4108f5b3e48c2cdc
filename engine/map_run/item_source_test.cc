// Unit tests of the item sources over MemoryS3Objects: JSON, JSONL, CSV
// and listings; MaxItems; pages bounded; resuming from Position(); causes
// naming the line.
#include "engine/map_run/item_source.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "engine/map_run/memory_s3_objects.h"

namespace stepwise::engine::map_run {
namespace {

ItemReaderConfig FileConfig(ItemInputType type, std::string key = "k") {
  ItemReaderConfig c;
  c.bucket = "b";
  c.key = std::move(key);
  c.input_type = type;
  return c;
}

std::vector<json::value> Drain(ItemSource& s, size_t batch = 7) {
  std::vector<json::value> all;
  while (true) {
    size_t before = all.size();
    absl::Status st = s.Next(&all, batch);
    EXPECT_TRUE(st.ok()) << st;
    if (!st.ok() || all.size() == before) break;
  }
  return all;
}

std::string Jsonl(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) absl::StrAppend(&s, R"({"i":)", i, "}\n");
  return s;
}

TEST(ItemSourceTest, JsonArrayAndItemsPointer) {
  MemoryS3Objects s3;
  s3.Put("b", "a.json", R"([1,{"x":2},"three"])");
  s3.Put("b", "o.json", R"({"data":{"rows":[10,20]}})");
  auto src = OpenItemSource(FileConfig(ItemInputType::kJson, "a.json"), &s3);
  auto items = Drain(*src);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(SerializeJson(items[1]), R"({"x":2})");

  ItemReaderConfig c = FileConfig(ItemInputType::kJson, "o.json");
  c.items_pointer = "/data/rows";
  auto ptr = OpenItemSource(c, &s3);
  items = Drain(*ptr);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(SerializeJson(items[1]), "20");

  EXPECT_FALSE(ptr->YieldsObjectEntries());

  // An object (at the top, or where ItemsPointer points) yields its
  // entries in order, as AWS iterates an object.
  c.items_pointer = "";
  auto top = OpenItemSource(c, &s3);
  items = Drain(*top);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(SerializeJson(items[0]), R"({"Key":"data","Value":{"rows":[10,20]}})");
  EXPECT_TRUE(top->YieldsObjectEntries());
  s3.Put("b", "m.json", R"({"cfg":{"b":{"n":2},"a":[1]}})");
  ItemReaderConfig m = FileConfig(ItemInputType::kJson, "m.json");
  m.items_pointer = "/cfg";
  items = Drain(*OpenItemSource(m, &s3));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(SerializeJson(items[0]), R"({"Key":"b","Value":{"n":2}})");
  EXPECT_EQ(SerializeJson(items[1]), R"({"Key":"a","Value":[1]})");

  // Anything else is refused, naming what was found wanting.
  s3.Put("b", "n.json", "42");
  std::vector<json::value> out;
  absl::Status st =
      OpenItemSource(FileConfig(ItemInputType::kJson, "n.json"), &s3)->Next(&out, 10);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("not a JSON array or object"), std::string_view::npos)
      << st;
}

TEST(ItemSourceTest, JsonlStreamsInBoundedPages) {
  MemoryS3Objects s3;
  s3.Put("b", "k", Jsonl(5000));
  ItemSourceOptions o;
  o.page_bytes = 4096;
  auto src = OpenItemSource(FileConfig(ItemInputType::kJsonl), &s3, o);
  auto items = Drain(*src, 100);
  ASSERT_EQ(items.size(), 5000u);
  EXPECT_EQ(SerializeJson(items[4999]), R"({"i":4999})");
  EXPECT_LE(src->PeakBufferedBytes(), o.page_bytes + 16);  // a page and a cut line
  EXPECT_EQ(s3.largest_read, o.page_bytes);
  EXPECT_GT(s3.reads, 10);
}

TEST(ItemSourceTest, JsonlBlankLinesSkippedBadLineNamed) {
  MemoryS3Objects s3;
  s3.Put("b", "k", "{\"a\":1}\n\n  \r\n{\"a\":2}\r\n{bad\n");
  auto src = OpenItemSource(FileConfig(ItemInputType::kJsonl), &s3);
  std::vector<json::value> out;
  ASSERT_TRUE(src->Next(&out, 2).ok());
  EXPECT_EQ(out.size(), 2u);
  absl::Status st = src->Next(&out, 2);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("line 5 of s3://b/k"), std::string_view::npos) << st;
}

TEST(ItemSourceTest, MaxItemsStopsEarly) {
  MemoryS3Objects s3;
  s3.Put("b", "k", Jsonl(100));
  ItemReaderConfig c = FileConfig(ItemInputType::kJsonl);
  c.max_items = 42;
  auto src = OpenItemSource(c, &s3);
  EXPECT_EQ(Drain(*src, 10).size(), 42u);
}

TEST(ItemSourceTest, CsvFirstRowHeadersMissingAndExtraFields) {
  MemoryS3Objects s3;
  s3.Put("b", "k", "name,qty,note\nwidget,3\n\"gad,get\",5,x,extra\n");
  ItemReaderConfig c = FileConfig(ItemInputType::kCsv);
  auto items = Drain(*OpenItemSource(c, &s3));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(SerializeJson(items[0]), R"({"name":"widget","qty":"3","note":""})");
  EXPECT_EQ(SerializeJson(items[1]), R"({"name":"gad,get","qty":"5","note":"x"})");
}

TEST(ItemSourceTest, CsvGivenHeadersAndPipe) {
  MemoryS3Objects s3;
  s3.Put("b", "k", "1|a\n2|b\n");
  ItemReaderConfig c = FileConfig(ItemInputType::kCsv);
  c.csv_header_location = CsvHeaderLocation::kGiven;
  c.csv_headers = {"n", "s"};
  c.csv_delimiter = '|';
  auto items = Drain(*OpenItemSource(c, &s3));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(SerializeJson(items[1]), R"({"n":"2","s":"b"})");
}

TEST(ItemSourceTest, CsvQuotedNewlinesAcrossPagesAndResume) {
  MemoryS3Objects s3;
  std::string csv = "id,text\n";
  for (int i = 0; i < 300; ++i) absl::StrAppend(&csv, i, ",\"line one\nline, two \"\"", i, "\"\"\"\n");
  s3.Put("b", "k", csv);
  ItemSourceOptions o;
  o.page_bytes = 100;
  ItemReaderConfig c = FileConfig(ItemInputType::kCsv);
  auto all = Drain(*OpenItemSource(c, &s3, o), 13);
  ASSERT_EQ(all.size(), 300u);
  EXPECT_EQ(SerializeJson(all[299]), R"({"id":"299","text":"line one\nline, two \"299\""})");

  // Read 120, "crash", resume in a new source from the stored position.
  auto first = OpenItemSource(c, &s3, o);
  std::vector<json::value> got;
  while (got.size() < 120) ASSERT_TRUE(first->Next(&got, 120 - got.size()).ok());
  json::value stored = first->Position().ToJson();
  auto pos = ItemSourcePosition::FromJson(*ParseJson(SerializeJson(stored)));
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(pos->item_index, 120);
  EXPECT_EQ(pos->line, 1 + 1 + 120 * 2);
  auto second = OpenItemSource(c, &s3, o);
  ASSERT_TRUE(second->Seek(*pos).ok());
  auto rest = Drain(*second, 50);
  ASSERT_EQ(rest.size(), 180u);
  EXPECT_EQ(SerializeJson(rest[0]), SerializeJson(all[120]));
  EXPECT_EQ(SerializeJson(rest[179]), SerializeJson(all[299]));
}

TEST(ItemSourceTest, JsonlResumeNeitherRepeatsNorSkips) {
  MemoryS3Objects s3;
  s3.Put("b", "k", Jsonl(1000));
  ItemSourceOptions o;
  o.page_bytes = 512;
  auto first = OpenItemSource(FileConfig(ItemInputType::kJsonl), &s3, o);
  std::vector<json::value> got;
  ASSERT_TRUE(first->Next(&got, 333).ok());
  ASSERT_EQ(got.size(), 333u);
  auto second = OpenItemSource(FileConfig(ItemInputType::kJsonl), &s3, o);
  ASSERT_TRUE(second->Seek(first->Position()).ok());
  auto rest = Drain(*second, 100);
  ASSERT_EQ(rest.size(), 667u);
  EXPECT_EQ(SerializeJson(rest[0]), R"({"i":333})");
}

TEST(ItemSourceTest, LineLongerThanTheLimitFails) {
  MemoryS3Objects s3;
  s3.Put("b", "k", "{\"a\":\"" + std::string(5000, 'x') + "\"}\n");
  ItemSourceOptions o;
  o.page_bytes = 1000;
  o.max_record_bytes = 2000;
  std::vector<json::value> out;
  absl::Status st = OpenItemSource(FileConfig(ItemInputType::kJsonl), &s3, o)->Next(&out, 1);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("line 1"), std::string_view::npos) << st;
}

TEST(ItemSourceTest, ListingPagesAndResume) {
  MemoryS3Objects s3;
  for (int i = 0; i < 2500; ++i) s3.Put("b", absl::StrCat("in/", 10000 + i), "x");
  s3.Put("b", "other/1", "x");
  ItemReaderConfig c;
  c.resource = ItemReaderResource::kListObjectsV2;
  c.bucket = "b";
  c.prefix = "in/";
  auto all = Drain(*OpenItemSource(c, &s3), 300);
  ASSERT_EQ(all.size(), 2500u);
  EXPECT_EQ(s3.lists, 3);
  EXPECT_EQ(SerializeJson(all[0]),
            R"({"Etag":"\"etag\"","Key":"in/10000","LastModified":1668699881,"Size":1,"StorageClass":"STANDARD"})");

  auto first = OpenItemSource(c, &s3);
  std::vector<json::value> got;
  ASSERT_TRUE(first->Next(&got, 1234).ok());
  auto second = OpenItemSource(c, &s3);
  ASSERT_TRUE(second->Seek(first->Position()).ok());
  auto rest = Drain(*second, 500);
  ASSERT_EQ(rest.size(), 2500u - 1234u);
  EXPECT_EQ(SerializeJson(rest[0]), SerializeJson(all[1234]));
}

TEST(ItemSourceTest, MissingObjectIsTheCause) {
  MemoryS3Objects s3;
  std::vector<json::value> out;
  absl::Status st = OpenItemSource(FileConfig(ItemInputType::kCsv), &s3)->Next(&out, 1);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(st.message()).find("NoSuchKey"), std::string_view::npos);
}

}  // namespace
}  // namespace stepwise::engine::map_run
