// Unit tests of the MANIFEST item source over MemoryS3Objects: an S3
// inventory manifest whose gzip (two members) and plain CSV data files are
// read in small pages, items keyed by fileSchema, resume mid-file, and a
// manifest in another format refused.
#include <zlib.h>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "engine/map_run/item_source.h"
#include "engine/map_run/memory_s3_objects.h"

namespace stepwise::engine::map_run {
namespace {

// `text` as one gzip member.
std::string Gzip(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string Rows(int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i) absl::StrAppend(&s, "\"src\",\"data/", i, ".csv\",\"", i * 10, "\"\n");
  return s;
}

class ManifestItemSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s3_.Put("inv", "inventory/manifest.json", R"({
      "sourceBucket":"src","destinationBucket":"arn:aws:s3:::dest","version":"2016-11-30",
      "fileFormat":"CSV","fileSchema":"Bucket, Key, Size",
      "files":[{"key":"inventory/data/a.csv.gz","size":1,"MD5checksum":"x"},
               {"key":"inventory/data/b.csv","size":1,"MD5checksum":"y"}]})");
    s3_.Put("dest", "inventory/data/a.csv.gz", Gzip(Rows(0, 3000)) + Gzip(Rows(3000, 4000)));
    s3_.Put("dest", "inventory/data/b.csv", Rows(4000, 4500));
    config_.bucket = "inv";
    config_.key = "inventory/manifest.json";
    config_.input_type = ItemInputType::kManifest;
    options_.page_bytes = 2048;
  }

  std::vector<json::value> Drain(ItemSource& s, size_t batch) {
    std::vector<json::value> all;
    while (true) {
      size_t before = all.size();
      absl::Status st = s.Next(&all, batch);
      EXPECT_TRUE(st.ok()) << st;
      if (!st.ok() || all.size() == before) return all;
    }
  }

  MemoryS3Objects s3_;
  ItemReaderConfig config_;
  ItemSourceOptions options_;
};

TEST_F(ManifestItemSourceTest, ReadsEveryDataFileInPages) {
  auto source = OpenItemSource(config_, &s3_, options_);
  auto items = Drain(*source, 333);
  ASSERT_EQ(items.size(), 4500u);
  EXPECT_EQ(SerializeJson(items[0]), R"({"Bucket":"src","Key":"data/0.csv","Size":"0"})");
  EXPECT_EQ(SerializeJson(items[3000]), R"({"Bucket":"src","Key":"data/3000.csv","Size":"30000"})");
  EXPECT_EQ(SerializeJson(items[4499]), R"({"Bucket":"src","Key":"data/4499.csv","Size":"44990"})");
  EXPECT_LE(s3_.largest_read, options_.page_bytes);
}

TEST_F(ManifestItemSourceTest, ResumesMidFile) {
  auto all = Drain(*OpenItemSource(config_, &s3_, options_), 1000);
  auto first = OpenItemSource(config_, &s3_, options_);
  std::vector<json::value> got;
  ASSERT_TRUE(first->Next(&got, 3210).ok());
  ItemSourcePosition at = first->Position();
  EXPECT_EQ(at.file_index, 0);
  EXPECT_EQ(at.item_in_file, 3210);
  auto second = OpenItemSource(config_, &s3_, options_);
  ASSERT_TRUE(second->Seek(*ItemSourcePosition::FromJson(at.ToJson())).ok());
  auto rest = Drain(*second, 400);
  ASSERT_EQ(rest.size(), 4500u - 3210u);
  EXPECT_EQ(SerializeJson(rest[0]), SerializeJson(all[3210]));
}

TEST_F(ManifestItemSourceTest, OnlyCsvInventories) {
  s3_.Put("inv", "orc.json", R"({"fileFormat":"ORC","fileSchema":"x","files":[]})");
  config_.key = "orc.json";
  std::vector<json::value> out;
  absl::Status st = OpenItemSource(config_, &s3_, options_)->Next(&out, 1);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("fileFormat"), std::string::npos) << st;
}

}  // namespace
}  // namespace stepwise::engine::map_run
