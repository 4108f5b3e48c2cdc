// Distributed Map item sources (engine/map_run/) against a real s3rver on
// loopback, read through AwsS3Objects and AwsApiClient (SigV4, ranged
// GETs, ListObjectsV2 pages): a 100,000-line JSONL object and a CSV object
// streamed page by page with bounded buffering, MaxItems, a listing of
// 2,500 keys in pages of 1,000, and resuming from a stored Position().
// Objects are uploaded with S3's PutObject built by aws_s3_protocol.h and
// signed by net/ (raw bytes, not a Task's JSON Body). Skipped when the
// servers of scripts/install-aws-servers.sh are not installed.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/map_run/item_reader_config.h"
#include "engine/map_run/item_source.h"
#include "integrations/aws/aws_api_client.h"
#include "integrations/aws/aws_s3_objects.h"
#include "integrations/aws/aws_s3_protocol.h"
#include "net/sigv4_signer.h"
#include "tests/conformance/aws_compatible_servers.h"

namespace stepwise {
namespace {

using engine::map_run::ItemReaderConfig;
using engine::map_run::ItemSource;
using engine::map_run::ItemSourceOptions;
using engine::map_run::OpenItemSource;

constexpr char kBucket[] = "items";

std::string ModulesDir() {
  const char* dir = std::getenv("STEPWISE_AWS_SERVERS_DIR");
  return absl::StrCat(dir != nullptr ? dir : SW_DEFAULT_AWS_SERVERS_DIR, "/node_modules");
}

net::AwsCredentials S3rverKeys() {
  net::AwsCredentials c;
  c.access_key_id = "S3RVER";
  c.secret_access_key = "S3RVER";
  c.source = "test";
  return c;
}

class MapRunItemsS3rverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(ModulesDir() + "/s3rver")) return;
    work_ = std::filesystem::temp_directory_path() /
            absl::StrCat("map_run_items_", getpid());
    std::filesystem::create_directories(work_);
    // s3rver's ListObjectsV2 continuation tokens use DES, which Node 17+
    // only has with OpenSSL's legacy provider: without it every truncated
    // listing is an InternalError.
    const char* node_options = std::getenv("NODE_OPTIONS");
    std::string options = node_options == nullptr ? "" : node_options;
    if (options.find("--openssl-legacy-provider") == std::string::npos) {
      setenv("NODE_OPTIONS", absl::StrCat(options, " --openssl-legacy-provider").c_str(), 1);
    }
    servers_ = new conformance::AwsCompatibleServers(SW_AWS_SERVE_JS, ModulesDir(), work_.string());
    std::string error;
    if (!servers_->Start({kBucket}, &error)) {
      ADD_FAILURE() << "servers did not start: " << error;
      delete servers_;
      servers_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete servers_;
    servers_ = nullptr;
    std::error_code ec;
    std::filesystem::remove_all(work_, ec);
  }

  void SetUp() override {
    if (servers_ == nullptr) GTEST_SKIP() << "s3rver not installed (scripts/install-aws-servers.sh)";
    integrations::AwsApiClientOptions o;
    o.endpoints["s3"] = servers_->s3_url();
    o.static_credentials["*"] = S3rverKeys();
    auto http = net::HttpClient::Create({});
    ASSERT_TRUE(http.ok());
    api_ = std::make_unique<integrations::AwsApiClient>(std::move(o), *std::move(http));
    s3_ = std::make_unique<integrations::AwsS3Objects>(api_.get(), "us-east-1");
  }
  void TearDown() override {
    if (api_) api_->Stop();
  }

  // PutObject with `body` as the object's bytes.
  void Put(const std::string& key, const std::string& body) { PutAll({{key, body}}); }

  // PutObject of each (key, body), up to 32 at once.
  void PutAll(const std::vector<std::pair<std::string, std::string>>& objects) {
    auto http = net::HttpClient::Create({});
    ASSERT_TRUE(http.ok());
    std::mutex mu;
    std::condition_variable cv;
    size_t in_flight = 0, failed = 0;
    std::string first_error;
    for (const auto& [key, body] : objects) {
      json::object p;
      p["Bucket"] = kBucket;
      p["Key"] = key;
      auto r = integrations::S3Request({servers_->s3_url(), true}, "PutObject", p);
      ASSERT_TRUE(r.ok()) << r.status();
      r->body = body;
      r->headers["x-amz-checksum-crc32"] = integrations::Crc32Base64(body);
      ASSERT_TRUE(net::SignSigV4(*r, S3rverKeys(), {"us-east-1", "s3"}, std::time(nullptr),
                                 {.content_sha256_header = true, .path_as_sent = true})
                      .ok());
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return in_flight < 32; });
      ++in_flight;
      lock.unlock();
      (*http)->Send(*std::move(r), {}, [&](absl::StatusOr<net::HttpClientResponse> a) {
        std::lock_guard<std::mutex> l(mu);
        if (!a.ok() || a->status != 200) {
          if (failed++ == 0) first_error = a.ok() ? a->body : std::string(a.status().message());
        }
        --in_flight;
        cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
    ASSERT_EQ(failed, 0u) << first_error;
  }

  ItemReaderConfig Config(engine::map_run::ItemInputType type, const std::string& key) {
    ItemReaderConfig c;
    c.bucket = kBucket;
    c.key = key;
    c.input_type = type;
    return c;
  }

  // Drains `source` `batch` items at a time; the count.
  size_t Drain(ItemSource& source, size_t batch, std::vector<json::value>* keep = nullptr) {
    size_t n = 0;
    std::vector<json::value> items;
    while (true) {
      items.clear();
      absl::Status s = source.Next(&items, batch);
      EXPECT_TRUE(s.ok()) << s;
      if (!s.ok() || items.empty()) return n;
      n += items.size();
      if (keep != nullptr) keep->insert(keep->end(), items.begin(), items.end());
    }
  }

  static inline conformance::AwsCompatibleServers* servers_ = nullptr;
  static inline std::filesystem::path work_;
  std::unique_ptr<integrations::AwsApiClient> api_;
  std::unique_ptr<integrations::AwsS3Objects> s3_;
};

TEST_F(MapRunItemsS3rverTest, JsonlOfAHundredThousandLinesStreamsInPages) {
  std::string body;
  for (int i = 0; i < 100000; ++i) absl::StrAppend(&body, R"({"booking":)", i, R"(,"amount":)", i % 97, "}\n");
  Put("big.jsonl", body);
  ItemSourceOptions o;
  o.page_bytes = 64 << 10;
  auto source = OpenItemSource(Config(engine::map_run::ItemInputType::kJsonl, "big.jsonl"),
                               s3_.get(), o);
  std::vector<json::value> first;
  ASSERT_TRUE(source->Next(&first, 1).ok());
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(SerializeJson(first[0]), R"({"booking":0,"amount":0})");
  EXPECT_EQ(Drain(*source, 1000), 99999u);
  // Never more than a page and one cut line held, though the object is ~2.8 MB.
  EXPECT_GT(body.size(), 40 * o.page_bytes);
  EXPECT_LE(source->PeakBufferedBytes(), o.page_bytes + 64);
}

TEST_F(MapRunItemsS3rverTest, JsonlMaxItemsAndResume) {
  std::string body;
  for (int i = 0; i < 5000; ++i) absl::StrAppend(&body, i, "\n");
  Put("resume.jsonl", body);
  ItemReaderConfig c = Config(engine::map_run::ItemInputType::kJsonl, "resume.jsonl");
  c.max_items = 4321;
  ItemSourceOptions o;
  o.page_bytes = 1000;
  auto first = OpenItemSource(c, s3_.get(), o);
  std::vector<json::value> got;
  ASSERT_TRUE(first->Next(&got, 1234).ok());
  ASSERT_EQ(got.size(), 1234u);
  // The Map Run stores the position with the items it handed out; a new
  // process resumes from the stored form.
  auto stored = engine::map_run::ItemSourcePosition::FromJson(
      *ParseJson(SerializeJson(first->Position().ToJson())));
  ASSERT_TRUE(stored.ok());
  auto second = OpenItemSource(c, s3_.get(), o);
  ASSERT_TRUE(second->Seek(*stored).ok());
  std::vector<json::value> rest;
  EXPECT_EQ(Drain(*second, 500, &rest), 4321u - 1234u);
  EXPECT_EQ(SerializeJson(rest.front()), "1234");
  EXPECT_EQ(SerializeJson(rest.back()), "4320");
}

TEST_F(MapRunItemsS3rverTest, CsvWithHeaderRowAndGivenHeaders) {
  std::string body = "id,customer,note\n";
  for (int i = 0; i < 20000; ++i) {
    absl::StrAppend(&body, i, ",cust-", i % 13, ",\"a, \"\"quoted\"\"\nnote\"\n");
  }
  Put("bookings.csv", body);
  ItemSourceOptions o;
  o.page_bytes = 16 << 10;
  auto source = OpenItemSource(Config(engine::map_run::ItemInputType::kCsv, "bookings.csv"),
                               s3_.get(), o);
  std::vector<json::value> items;
  EXPECT_EQ(Drain(*source, 777, &items), 20000u);
  EXPECT_EQ(SerializeJson(items[19999]),
            R"({"id":"19999","customer":"cust-5","note":"a, \"quoted\"\nnote"})");
  EXPECT_LE(source->PeakBufferedBytes(), o.page_bytes + 64);

  Put("given.csv", "1;x\n2;y\n");
  ItemReaderConfig g = Config(engine::map_run::ItemInputType::kCsv, "given.csv");
  g.csv_header_location = engine::map_run::CsvHeaderLocation::kGiven;
  g.csv_headers = {"n", "v"};
  g.csv_delimiter = ';';
  auto given = OpenItemSource(g, s3_.get());
  items.clear();
  EXPECT_EQ(Drain(*given, 10, &items), 2u);
  EXPECT_EQ(SerializeJson(items[1]), R"({"n":"2","v":"y"})");
}

TEST_F(MapRunItemsS3rverTest, ListingOfTwentyFiveHundredKeysInPages) {
  std::vector<std::pair<std::string, std::string>> objects;
  for (int i = 0; i < 2500; ++i) objects.emplace_back(absl::StrCat("in/", 100000 + i, ".json"), "{}");
  objects.emplace_back("other/x.json", "{}");
  PutAll(objects);
  ItemReaderConfig c;
  c.resource = engine::map_run::ItemReaderResource::kListObjectsV2;
  c.bucket = kBucket;
  c.prefix = "in/";
  auto source = OpenItemSource(c, s3_.get());
  std::vector<json::value> items;
  absl::Status listed = source->Next(&items, 1500);
  ASSERT_TRUE(listed.ok()) << listed;
  ASSERT_EQ(items.size(), 1500u);
  // Past the first page of 1,000: the position is the second page's token.
  engine::map_run::ItemSourcePosition at = source->Position();
  EXPECT_FALSE(at.continuation_token.empty());
  EXPECT_EQ(at.index_in_page, 500);
  const json::object& first = items[0].as_object();
  EXPECT_EQ(first.at("Key"), "in/100000.json");
  EXPECT_EQ(first.at("Size"), 2);
  EXPECT_EQ(first.at("StorageClass"), "STANDARD");
  EXPECT_TRUE(first.at("Etag").as_string().starts_with("\""));
  EXPECT_GT(first.at("LastModified").as_int64(), 1600000000);

  auto resumed = OpenItemSource(c, s3_.get());
  ASSERT_TRUE(resumed->Seek(at).ok());
  std::vector<json::value> rest;
  EXPECT_EQ(Drain(*resumed, 400, &rest), 1000u);
  EXPECT_EQ(rest.front().as_object().at("Key"), "in/101500.json");
  EXPECT_EQ(rest.back().as_object().at("Key"), "in/102499.json");

  c.max_items = 1234;
  EXPECT_EQ(Drain(*OpenItemSource(c, s3_.get()), 1000), 1234u);
}

TEST_F(MapRunItemsS3rverTest, MissingObjectNamesS3sError) {
  std::vector<json::value> items;
  absl::Status s = OpenItemSource(Config(engine::map_run::ItemInputType::kJsonl, "absent.jsonl"),
                                  s3_.get())
                       ->Next(&items, 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
}

}  // namespace
}  // namespace stepwise
