// WriteMapRunResults against a real s3rver on loopback (started by
// tests/conformance/aws_compatible_servers.h) through AwsApiClient, SigV4
// signed: 3,000 child results of which 90 failed, written as JSON and as
// JSONL in files cut at a size limit, then read back with GetObject and
// compared member by member; a bucket that does not exist fails with the
// cause naming it. Skips when the servers are not installed
// (scripts/install-aws-servers.sh) or node is missing.
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "engine/map_run/result_writer.h"
#include "engine/map_run/s3rver_test_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "integrations/aws/aws_api_client.h"
#include "net/http_client.h"
#include "tests/conformance/aws_compatible_servers.h"

namespace stepwise::engine::map_run {
namespace {

using ::testing::HasSubstr;

constexpr char kBucket[] = "results";
constexpr int kChildren = 3000;
constexpr int kFailed = 90;

class ResultWriterS3rverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string modules = S3rverTestEnv::ModulesDir(SW_AWS_SERVERS_MODULES);
    if (!S3rverTestEnv::Available(modules)) {
      GTEST_SKIP() << "s3rver not installed (scripts/install-aws-servers.sh) or no node";
    }
    auto env = S3rverTestEnv::Start(SW_AWS_SERVE_JS, modules, {kBucket});
    ASSERT_TRUE(env.ok()) << env.status();
    s3_ = *std::move(env);
    client_ = &s3_->client();
  }
  void TearDown() override { s3_.reset(); }

  // GetObject's Body.
  std::string Get(const std::string& key) {
    absl::StatusOr<std::string> body = s3_->Get(kBucket, key);
    EXPECT_TRUE(body.ok()) << body.status();
    return body.ok() ? *body : "";
  }

  std::unique_ptr<S3rverTestEnv> s3_;
  integrations::AwsApiClient* client_ = nullptr;
};

MapRunChildResult Child(int i) {
  MapRunChildResult r;
  r.name = "item-" + std::to_string(i);
  r.execution_arn =
      "arn:aws:states:us-east-1:123456789012:execution:invoices/Map:" + r.name;
  r.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:invoices/Map";
  r.input = R"({"booking":)" + std::to_string(i) + R"(,"note":"héllo \"q\""})";
  r.start_date_ms = 1780000000000 + i;
  r.stop_date_ms = 1780000000500 + i;
  bool failed = i % 33 == 0 && i / 33 < kFailed;
  if (failed) {
    r.status = "FAILED";
    r.error = "Invoice.Rejected";
    r.cause = "booking " + std::to_string(i) + " has no customer";
    r.redrive_status = "REDRIVABLE_BY_MAP_RUN";
  } else {
    r.status = "SUCCEEDED";
    r.output = R"({"total":)" + std::to_string(i * 7) + "}";
    r.redrive_status = "NOT_REDRIVABLE";
    r.redrive_status_reason = "Execution is SUCCEEDED and cannot be redriven";
  }
  return r;
}

ChildResultPages AllChildren() {
  auto next = std::make_shared<int>(0);
  return [next]() -> absl::StatusOr<std::vector<MapRunChildResult>> {
    std::vector<MapRunChildResult> page;
    for (; *next < kChildren && page.size() < 250; ++*next) page.push_back(Child(*next));
    return page;
  };
}

// The entries of one result file, as JSON values.
std::vector<json::value> Entries(const std::string& body, ResultOutputType type) {
  std::vector<json::value> out;
  if (type == ResultOutputType::kJson) {
    auto v = ParseJson(body);
    EXPECT_TRUE(v.ok() && v->is_array()) << body.substr(0, 200);
    if (v.ok() && v->is_array()) {
      for (const json::value& e : v->get_array()) out.push_back(e);
    }
    return out;
  }
  size_t start = 0;
  for (size_t nl; (nl = body.find('\n', start)) != std::string::npos; start = nl + 1) {
    auto v = ParseJson(body.substr(start, nl - start));
    EXPECT_TRUE(v.ok());
    if (v.ok()) out.push_back(*v);
  }
  EXPECT_EQ(start, body.size()) << "the last line ends with a newline";
  return out;
}

void ExpectSameMembers(const json::value& got, const MapRunChildResult& r) {
  json::value want = *ParseJson(NoneEntryJson(r));
  ASSERT_TRUE(got.is_object()) << r.name;
  const json::object& g = got.get_object();
  const json::object& w = want.get_object();
  EXPECT_EQ(g.size(), w.size()) << r.name;
  for (const auto& kv : w) {
    const json::value* member = g.if_contains(kv.key());
    ASSERT_NE(member, nullptr) << r.name << " lacks " << kv.key();
    EXPECT_EQ(*member, kv.value()) << r.name << " " << kv.key();
  }
  // And independently of NoneEntryJson, the members AWS documents.
  EXPECT_EQ(g.at("Status").as_string(), r.status);
  EXPECT_EQ(g.at("Input").as_string(), *r.input);
  EXPECT_EQ(g.at("ExecutionArn").as_string(), r.execution_arn);
  EXPECT_EQ(g.at("Name").as_string(), r.name);
  EXPECT_EQ(g.at("StateMachineArn").as_string(), r.state_machine_arn);
  EXPECT_EQ(g.at("StartDate").as_string(), FormatIso8601(*r.start_date_ms));
  EXPECT_EQ(g.at("StopDate").as_string(), FormatIso8601(*r.stop_date_ms));
  EXPECT_EQ(g.at("RedriveCount").as_int64(), 0);
  EXPECT_EQ(g.at("InputDetails"), *ParseJson(R"({"Included":true})"));
  if (r.status == "FAILED") {
    EXPECT_EQ(g.at("Error").as_string(), *r.error);
    EXPECT_EQ(g.at("Cause").as_string(), *r.cause);
    EXPECT_EQ(g.if_contains("Output"), nullptr);
  } else {
    EXPECT_EQ(g.at("Output").as_string(), *r.output);
  }
}

TEST_F(ResultWriterS3rverTest, ThreeThousandResultsReadBackMemberByMember) {
  for (ResultOutputType type : {ResultOutputType::kJson, ResultOutputType::kJsonl}) {
    const bool jsonl = type == ResultOutputType::kJsonl;
    SCOPED_TRACE(jsonl ? "JSONL" : "JSON");
    const std::string run_arn =
        std::string("arn:aws:states:us-east-1:123456789012:mapRun:invoices/Map:") +
        (jsonl ? "run-jsonl" : "run-json");
    ResultWriterConfig config;
    config.writes_to_s3 = true;
    config.bucket = kBucket;
    config.prefix = "monthly";
    config.output_type = type;
    ResultWriterOptions options;
    options.region = "us-east-1";
    options.max_file_bytes = 256 << 10;  // several SUCCEEDED files
    auto result = WriteMapRunResults(*client_, config, run_arn, AllChildren(), options);
    ASSERT_TRUE(result.ok()) << result.status();
    const std::string run_id = jsonl ? "run-jsonl" : "run-json";
    const std::string manifest_key = "monthly/" + run_id + "/manifest.json";
    EXPECT_EQ(*result, *ParseJson(R"({"MapRunArn":")" + run_arn +
                                  R"(","ResultWriterDetails":{"Bucket":"results","Key":")" +
                                  manifest_key + R"("}})"));

    auto manifest = ParseJson(Get(manifest_key));
    ASSERT_TRUE(manifest.ok()) << manifest.status();
    const json::object& m = manifest->as_object();
    EXPECT_EQ(m.at("DestinationBucket").as_string(), kBucket);
    EXPECT_EQ(m.at("MapRunArn").as_string(), run_arn);
    const json::object& files = m.at("ResultFiles").as_object();
    ASSERT_EQ(files.size(), 3u);
    EXPECT_TRUE(files.at("PENDING").as_array().empty());
    EXPECT_GT(files.at("SUCCEEDED").as_array().size(), 3u);
    ASSERT_EQ(files.at("FAILED").as_array().size(), 1u);

    std::map<std::string, std::vector<json::value>> by_status;
    for (const char* kind : {"SUCCEEDED", "FAILED"}) {
      const json::array& list = files.at(kind).as_array();
      for (size_t n = 0; n < list.size(); ++n) {
        const json::object& f = list[n].as_object();
        const std::string key(f.at("Key").as_string());
        EXPECT_EQ(key, "monthly/" + run_id + "/" + kind + "_" + std::to_string(n) +
                           (jsonl ? ".jsonl" : ".json"));
        std::string body = Get(key);
        EXPECT_EQ(static_cast<uint64_t>(f.at("Size").as_int64()), body.size()) << key;
        EXPECT_LE(body.size(), options.max_file_bytes) << key;
        for (json::value& e : Entries(body, type)) by_status[kind].push_back(std::move(e));
      }
    }
    ASSERT_EQ(by_status["FAILED"].size(), static_cast<size_t>(kFailed));
    ASSERT_EQ(by_status["SUCCEEDED"].size(), static_cast<size_t>(kChildren - kFailed));
    size_t ok = 0, failed = 0;
    for (int i = 0; i < kChildren; ++i) {
      MapRunChildResult r = Child(i);
      if (r.status == "FAILED") {
        ExpectSameMembers(by_status["FAILED"][failed++], r);
      } else {
        ExpectSameMembers(by_status["SUCCEEDED"][ok++], r);
      }
    }
  }
}

// Passes every call to the real client and counts the PutObjects by key.
class CountingS3 : public integrations::AwsApi {
 public:
  explicit CountingS3(integrations::AwsApi& real) : real_(real) {}
  bool Knows(std::string_view service) const override { return real_.Knows(service); }
  void Call(integrations::AwsApiRequest request,
            std::function<void(integrations::AwsApiResponse)> done) override {
    if (request.operation == "PutObject") {
      std::lock_guard<std::mutex> lock(mu_);
      ++puts_[std::string(request.parameters.as_object().at("Key").as_string())];
    }
    real_.Call(std::move(request), std::move(done));
  }
  std::map<std::string, int> Puts() {
    std::lock_guard<std::mutex> lock(mu_);
    return puts_;
  }

 private:
  integrations::AwsApi& real_;
  std::mutex mu_;
  std::map<std::string, int> puts_;
};

// The same run written twice (a restart after the files were PUT): s3rver's
// ETags are the MD5 of the bytes, so the second writer PUTs nothing.
TEST_F(ResultWriterS3rverTest, WritingTheSameRunAgainPutsNoFileTwice) {
  CountingS3 s3(*client_);
  ResultWriterConfig config;
  config.writes_to_s3 = true;
  config.bucket = kBucket;
  config.prefix = "again";
  ResultWriterOptions options;
  options.region = "us-east-1";
  options.max_file_bytes = 256 << 10;
  const std::string run_arn = "arn:aws:states:us-east-1:123456789012:mapRun:invoices/Map:twice";
  auto first = WriteMapRunResults(s3, config, run_arn, AllChildren(), options);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::map<std::string, int> after_first = s3.Puts();
  EXPECT_GT(after_first.size(), 4u);  // several SUCCEEDED files, FAILED, manifest
  auto second = WriteMapRunResults(s3, config, run_arn, AllChildren(), options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, *first);
  for (const auto& [key, puts] : s3.Puts()) EXPECT_EQ(puts, 1) << key << " PUT again";
  EXPECT_EQ(s3.Puts(), after_first);
}

TEST_F(ResultWriterS3rverTest, MissingBucketFailsNamingIt) {
  ResultWriterConfig config;
  config.writes_to_s3 = true;
  config.bucket = "no-such-bucket";
  config.prefix = "p";
  ResultWriterOptions options;
  options.region = "us-east-1";
  auto result = WriteMapRunResults(
      *client_, config, "arn:aws:states:us-east-1:123456789012:mapRun:invoices/Map:r",
      AllChildren(), options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("bucket 'no-such-bucket'"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("NoSuchBucket"));
  std::cout << "cause: " << result.status().message() << "\n";
}

}  // namespace
}  // namespace stepwise::engine::map_run
