// Tests of WriteMapRunResults over a fake AwsApi: what is put where, in
// which order, the Map's result, paging, and States.ResultWriterFailed.
#include "engine/map_run/result_writer.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::engine::map_run {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kRunArn[] = "arn:aws:states:us-east-1:123456789012:mapRun:orders/Map:run-1";

// Keeps what PutObject sends; answers HeadObject with the size and an ETag
// that is the MD5 of the bytes (the known MD5 of "" below checks it),
// quoted as S3 sends it; refuses buckets it does not have.
class FakeS3 : public integrations::AwsApi {
 public:
  bool Knows(std::string_view service) const override { return service == "s3"; }
  void Call(integrations::AwsApiRequest request,
            std::function<void(integrations::AwsApiResponse)> done) override {
    integrations::AwsApiResponse r;
    const json::object& p = request.parameters.as_object();
    std::string bucket(p.at("Bucket").as_string());
    std::string key(p.at("Key").as_string());
    if (request.operation == "HeadObject" && bucket == "b") {
      ++heads;
      auto it = objects.find(key);
      if (it == objects.end()) {
        r.status = 404;
        r.error_code = "NoSuchKey";
      } else {
        r.status = 200;
        json::object out;
        out["ContentLength"] = static_cast<int64_t>(it->second.size());
        out["ETag"] = "\"" + (etag_override.empty() ? ObjectMd5Hex(it->second) : etag_override) +
                      "\"";
        r.output = std::move(out);
      }
    } else if (request.operation != "PutObject" || !request.body_bytes || bucket != "b") {
      r.status = 404;
      r.error_code = "NoSuchBucket";
      r.error_message = "The specified bucket does not exist";
    } else {
      r.status = 200;
      order.push_back(key);
      objects[key] = *request.body_bytes;
      content_types[key] = std::string(p.at("ContentType").as_string());
    }
    done(std::move(r));
  }
  std::map<std::string, std::string> objects, content_types;
  std::vector<std::string> order;  // the keys PUT, in order
  int heads = 0;
  std::string etag_override;  // an ETag that is not the MD5 (multipart, SSE-KMS)
};

MapRunChildResult Child(int i, const char* status) {
  MapRunChildResult r;
  r.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:orders/Map:" +
                    std::to_string(i);
  r.name = std::to_string(i);
  r.status = status;
  r.input = "{}";
  if (std::string(status) == "SUCCEEDED") r.output = "[" + std::to_string(i) + "]";
  return r;
}

// Pages of `per_page` children: every 10th FAILED, the last 3 PENDING.
ChildResultPages Pages(int total, int per_page, int* calls) {
  auto next = std::make_shared<int>(0);
  return [=]() -> absl::StatusOr<std::vector<MapRunChildResult>> {
    ++*calls;
    std::vector<MapRunChildResult> page;
    for (; *next < total && static_cast<int>(page.size()) < per_page; ++*next) {
      int i = *next;
      page.push_back(Child(i, i >= total - 3 ? "PENDING" : i % 10 == 0 ? "FAILED" : "SUCCEEDED"));
    }
    return page;
  };
}

ResultWriterConfig Config(ResultTransformation t, ResultOutputType type) {
  ResultWriterConfig c;
  c.writes_to_s3 = true;
  c.bucket = "b";
  c.prefix = "jobs";
  c.transformation = t;
  c.output_type = type;
  return c;
}

TEST(WriteMapRunResults, WritesFilesThenManifestAndReturnsTheMapResult) {
  FakeS3 s3;
  int calls = 0;
  auto result = WriteMapRunResults(s3, Config(ResultTransformation::kFlatten,
                                              ResultOutputType::kJson),
                                   kRunArn, Pages(23, 5, &calls), {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(calls, 6);  // 5 pages and the empty one
  EXPECT_EQ(SerializeJson(*result),
            std::string(R"({"MapRunArn":")") + kRunArn +
                R"(","ResultWriterDetails":{"Bucket":"b","Key":"jobs/run-1/manifest.json"}})");
  EXPECT_THAT(s3.order, ElementsAre("jobs/run-1/SUCCEEDED_0.json", "jobs/run-1/FAILED_0.json",
                                    "jobs/run-1/PENDING_0.json", "jobs/run-1/manifest.json"));
  EXPECT_EQ(s3.content_types["jobs/run-1/SUCCEEDED_0.json"], "application/json");
  // FLATTEN: [i] becomes i; failures (0, 10) and pending (20..22) unchanged.
  EXPECT_EQ(s3.objects["jobs/run-1/SUCCEEDED_0.json"],
            "[1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19]");
  auto failed = ParseJson(s3.objects["jobs/run-1/FAILED_0.json"]);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->as_array().size(), 2u);
  EXPECT_EQ(failed->as_array()[1].as_object().at("Name"), "10");
  auto manifest = ParseJson(s3.objects["jobs/run-1/manifest.json"]);
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->as_object().at("ResultFiles").as_object().at("PENDING").as_array()[0]
                .as_object().at("Size"),
            s3.objects["jobs/run-1/PENDING_0.json"].size());
}

TEST(WriteMapRunResults, JsonlWritesOneRecordALine) {
  FakeS3 s3;
  int calls = 0;
  auto result = WriteMapRunResults(
      s3, Config(ResultTransformation::kCompact, ResultOutputType::kJsonl), kRunArn,
      Pages(8, 10, &calls), {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(s3.objects["jobs/run-1/SUCCEEDED_0.jsonl"], "[1]\n[2]\n[3]\n[4]\n");
  EXPECT_EQ(s3.content_types["jobs/run-1/SUCCEEDED_0.jsonl"], "application/jsonl");
  EXPECT_EQ(s3.objects.count("jobs/run-1/FAILED_0.jsonl"), 1u);
}

TEST(WriteMapRunResults, WritingAgainGivesTheSameObjects) {
  FakeS3 first, second;
  int calls = 0;
  ResultWriterOptions small;
  small.max_file_bytes = 300;
  for (FakeS3* s3 : {&first, &second}) {
    ASSERT_TRUE(WriteMapRunResults(*s3, Config(ResultTransformation::kNone,
                                               ResultOutputType::kJson),
                                   kRunArn, Pages(50, 7, &calls), small)
                    .ok());
  }
  EXPECT_GT(first.objects.size(), 6u);
  EXPECT_EQ(first.objects, second.objects);
}

TEST(ObjectMd5Hex, IsTheMd5S3GivesAsETag) {
  EXPECT_EQ(ObjectMd5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(ObjectMd5Hex("[1]"), "35dba5d75538a9bbe0b4da4422759a0e");  // md5sum
}

// A writer run again after a restart (same run, same results) finds every
// file in S3 with the same bytes and sends no PutObject at all.
TEST(WriteMapRunResults, WritingAgainAfterARestartPutsNothing) {
  FakeS3 s3;
  int calls = 0;
  ResultWriterOptions small;
  small.max_file_bytes = 300;
  const ResultWriterConfig config = Config(ResultTransformation::kNone, ResultOutputType::kJson);
  auto first = WriteMapRunResults(s3, config, kRunArn, Pages(50, 7, &calls), small);
  ASSERT_TRUE(first.ok()) << first.status();
  const size_t files = s3.order.size();
  EXPECT_GT(files, 6u);
  EXPECT_EQ(files, s3.objects.size()) << "each key PUT once";
  const std::map<std::string, std::string> written = s3.objects;
  auto again = WriteMapRunResults(s3, config, kRunArn, Pages(50, 7, &calls), small);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(s3.order.size(), files) << "the second run PUT something again";
  EXPECT_EQ(s3.heads, static_cast<int>(2 * files));
  EXPECT_EQ(s3.objects, written);
}

// The kill fell after some files were PUT: the resumed writer sends only
// the missing ones, and a file whose bytes differ (results changed, e.g. by
// a redrive) is written again.
TEST(WriteMapRunResults, WritingAgainPutsOnlyWhatIsMissingOrDifferent) {
  FakeS3 s3;
  int calls = 0;
  ResultWriterOptions small;
  small.max_file_bytes = 300;
  const ResultWriterConfig config = Config(ResultTransformation::kNone, ResultOutputType::kJson);
  ASSERT_TRUE(WriteMapRunResults(s3, config, kRunArn, Pages(50, 7, &calls), small).ok());
  const std::map<std::string, std::string> written = s3.objects;
  s3.objects.erase("jobs/run-1/manifest.json");
  s3.objects.erase("jobs/run-1/SUCCEEDED_1.json");
  s3.objects["jobs/run-1/SUCCEEDED_0.json"] = "[]";  // other bytes
  s3.order.clear();
  ASSERT_TRUE(WriteMapRunResults(s3, config, kRunArn, Pages(50, 7, &calls), small).ok());
  EXPECT_THAT(s3.order, ElementsAre("jobs/run-1/SUCCEEDED_0.json", "jobs/run-1/SUCCEEDED_1.json",
                                    "jobs/run-1/manifest.json"));
  EXPECT_EQ(s3.objects, written);
}

// An ETag that is not the MD5 of the bytes (multipart upload, SSE-KMS):
// the writer cannot tell, and PUTs the same bytes again.
TEST(WriteMapRunResults, AnETagThatIsNotTheMd5IsWrittenAgain) {
  FakeS3 s3;
  int calls = 0;
  const ResultWriterConfig config = Config(ResultTransformation::kNone, ResultOutputType::kJson);
  ASSERT_TRUE(WriteMapRunResults(s3, config, kRunArn, Pages(20, 7, &calls), {}).ok());
  const size_t files = s3.order.size();
  s3.etag_override = "9b2cf535f27731c974343645a3985328-2";
  ASSERT_TRUE(WriteMapRunResults(s3, config, kRunArn, Pages(20, 7, &calls), {}).ok());
  EXPECT_EQ(s3.order.size(), 2 * files);
}

TEST(WriteMapRunResults, MissingBucketIsResultWriterFailedNamingIt) {
  FakeS3 s3;
  ResultWriterConfig c = Config(ResultTransformation::kNone, ResultOutputType::kJson);
  c.bucket = "nope";
  int calls = 0;
  auto result = WriteMapRunResults(s3, c, kRunArn, Pages(3, 10, &calls), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("Amazon S3 bucket 'nope'"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("NoSuchBucket"));
  EXPECT_STREQ(kResultWriterFailed, "States.ResultWriterFailed");
}

TEST(WriteMapRunResults, PageErrorIsReturnedAndNoManifestWritten) {
  FakeS3 s3;
  auto result = WriteMapRunResults(
      s3, Config(ResultTransformation::kNone, ResultOutputType::kJson), kRunArn,
      []() -> absl::StatusOr<std::vector<MapRunChildResult>> {
        return absl::DataLossError("bad record");
      },
      {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(s3.objects.empty());
}

// Never calls `done`, as an AwsApi after Stop.
class SilentS3 : public integrations::AwsApi {
 public:
  bool Knows(std::string_view) const override { return true; }
  void Call(integrations::AwsApiRequest, std::function<void(integrations::AwsApiResponse)>) override {}
};

TEST(WriteMapRunResults, NoAnswerIsUnavailable) {
  SilentS3 s3;
  ResultWriterOptions fast;
  fast.timeout_ms = 50;
  fast.answer_grace_ms = 50;
  int calls = 0;
  auto result = WriteMapRunResults(s3, Config(ResultTransformation::kNone, ResultOutputType::kJson),
                                   kRunArn, Pages(2, 10, &calls), fast);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
}

TEST(WriteMapRunResults, InlineConfigIsRefused) {
  FakeS3 s3;
  ResultWriterConfig c;
  int calls = 0;
  EXPECT_FALSE(WriteMapRunResults(s3, c, kRunArn, Pages(1, 1, &calls), {}).ok());
}

}  // namespace
}  // namespace stepwise::engine::map_run
