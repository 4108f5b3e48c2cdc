// A Distributed Map whose ItemReader reads a JSONL object from a real
// s3rver on loopback (tests/conformance/aws_compatible_servers.h) through
// AwsApiClient and AwsS3Objects, run by the engine as a Map Run: 1,000
// items, ItemSelector with $$.Map.Item.Index/Value, ItemBatcher 10 → 100
// child executions, the Map's output in item order; MaxItemsPath and
// MaxItemsPerBatchPath read from the state input (EXPRESS children); a
// missing object fails the Map with States.ItemReaderFailed; a JSON object
// is read as its entries ({"Key", "Value"}, $$.Map.Item.Key). Skips when the servers are not
// installed (scripts/install-aws-servers.sh) or node is missing.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "engine/engine.h"
#include "engine/map_run/s3rver_test_env.h"
#include "gtest/gtest.h"
#include "integrations/aws/aws_api_client.h"
#include "integrations/aws/aws_s3_objects.h"
#include "net/http_client.h"
#include "storage/memory_store.h"
#include "tests/conformance/aws_compatible_servers.h"

namespace stepwise::engine {
namespace {

constexpr char kBucket[] = "bookings";
constexpr int kItems = 1000;

std::string BatchedMap(const std::string& writer = "") {
  return absl::StrCat(R"({"StartAt":"Each","States":{"Each":{"Type":"Map","Label":"bookings",)",
    writer, R"json(
    "ItemReader":{"Resource":"arn:aws:states:::s3:getObject",
      "ReaderConfig":{"InputType":"JSONL"},
      "Parameters":{"Bucket":"bookings","Key.$":"$.key"}},
    "ItemSelector":{"n.$":"$$.Map.Item.Value.n","index.$":"$$.Map.Item.Index",
                    "run.$":"$.run"},
    "ItemBatcher":{"MaxItemsPerBatch":10,"BatchInput":{"batch.$":"$.run"}},
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
      "StartAt":"Sum","States":{"Sum":{"Type":"Pass","Parameters":{
        "first.$":"$.Items[0].index","count.$":"States.ArrayLength($.Items)",
        "batch.$":"$.BatchInput.batch","n.$":"$.Items[9].n"},"End":true}}},
    "End":true}}})json");
}

class MapRunReaderS3rverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string modules = map_run::S3rverTestEnv::ModulesDir(SW_AWS_SERVERS_MODULES);
    if (!map_run::S3rverTestEnv::Available(modules)) {
      GTEST_SKIP() << "s3rver not installed (scripts/install-aws-servers.sh) or no node";
    }
    auto env = map_run::S3rverTestEnv::Start(SW_AWS_SERVE_JS, modules, {kBucket});
    ASSERT_TRUE(env.ok()) << env.status();
    s3_ = *std::move(env);
    client_ = &s3_->client();
    EngineOptions eo;
    eo.map_run_s3 = std::make_shared<integrations::AwsS3Objects>(client_, "us-east-1");
    // Not owned: the client outlives the engine (TearDown).
    eo.map_run_aws = std::shared_ptr<integrations::AwsApi>(client_, [](integrations::AwsApi*) {});
    auto e = Engine::Open(&store_, eo);
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = *std::move(e);
  }
  void TearDown() override {
    engine_.reset();  // before the client it calls
    s3_.reset();
  }

  // GetObject's Body.
  std::string Get(const std::string& key) {
    absl::StatusOr<std::string> body = s3_->Get(kBucket, key);
    EXPECT_TRUE(body.ok()) << body.status();
    return body.ok() ? *body : "";
  }

  void Put(const std::string& key, std::string body) {
    absl::Status s = s3_->Put(kBucket, key, std::move(body));
    ASSERT_TRUE(s.ok()) << s;
  }

  ExecutionDescription AwaitEnd(const std::string& arn) {
    ExecutionDescription d;
    for (int i = 0; i < 3000; ++i) {
      auto r = engine_->DescribeExecution(arn);
      EXPECT_TRUE(r.ok()) << r.status();
      d = *r;
      if (d.status != "RUNNING") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return d;
  }

  std::unique_ptr<map_run::S3rverTestEnv> s3_;
  integrations::AwsApiClient* client_ = nullptr;
  storage::MemoryStore store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(MapRunReaderS3rverTest, AThousandJsonlItemsInBatchesOfTenRunAsAHundredChildren) {
  std::string body;
  for (int i = 0; i < kItems; ++i) absl::StrAppend(&body, R"({"n":)", i * 3, "}\n");
  Put("in/bookings.jsonl", body);
  auto m = engine_->CreateStateMachine("monthly", BatchedMap(),
                                       "arn:aws:iam::123456789012:role/r", "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  auto e = engine_->StartExecution(m->arn, "december",
                                   R"({"key":"in/bookings.jsonl","run":"dec"})");
  ASSERT_TRUE(e.ok()) << e.status();
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.error.value_or("") << ": " << d.cause.value_or("");
  auto out = ParseJson(*d.output);
  ASSERT_TRUE(out.ok() && out->is_array());
  ASSERT_EQ(out->get_array().size(), 100u);
  for (int b = 0; b < 100; ++b) {
    const json::object& o = out->get_array()[b].get_object();
    EXPECT_EQ(o.at("first").as_int64(), b * 10) << b;
    EXPECT_EQ(o.at("count").as_int64(), 10) << b;
    EXPECT_EQ(o.at("n").as_int64(), (b * 10 + 9) * 3) << b;
    EXPECT_EQ(o.at("batch").as_string(), "dec") << b;
  }
  auto children = engine_->ListExecutions(
      "arn:aws:states:us-east-1:123456789012:stateMachine:monthly/bookings", "", 1000, "");
  ASSERT_TRUE(children.ok()) << children.status();
  EXPECT_EQ(children->executions.size(), 100u);
}

TEST_F(MapRunReaderS3rverTest, AResultWriterWritesTheChildrensResultsAndAManifest) {
  std::string body;
  for (int i = 0; i < 50; ++i) absl::StrAppend(&body, R"({"n":)", i, "}\n");
  Put("in/small.jsonl", body);
  auto m = engine_->CreateStateMachine(
      "written",
      BatchedMap(R"("ResultWriter":{"Resource":"arn:aws:states:::s3:putObject",
        "Parameters":{"Bucket":"bookings","Prefix":"out"}},)"),
      "arn:aws:iam::123456789012:role/r", "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  auto e = engine_->StartExecution(m->arn, "w1", R"({"key":"in/small.jsonl","run":"w"})");
  ASSERT_TRUE(e.ok()) << e.status();
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.error.value_or("") << ": " << d.cause.value_or("");
  auto out = ParseJson(*d.output);
  ASSERT_TRUE(out.ok() && out->is_object()) << *d.output;
  const json::object& details = out->get_object().at("ResultWriterDetails").as_object();
  EXPECT_EQ(details.at("Bucket").as_string(), "bookings");
  std::string manifest_key(details.at("Key").as_string());
  EXPECT_TRUE(manifest_key.starts_with("out/")) << manifest_key;
  auto manifest = ParseJson(Get(manifest_key));
  ASSERT_TRUE(manifest.ok() && manifest->is_object());
  const json::array& files =
      manifest->get_object().at("ResultFiles").at("SUCCEEDED").as_array();
  ASSERT_EQ(files.size(), 1u);
  auto results = ParseJson(Get(std::string(files[0].at("Key").as_string())));
  ASSERT_TRUE(results.ok() && results->is_array());
  ASSERT_EQ(results->get_array().size(), 5u);  // 50 items in batches of 10
  for (int b = 0; b < 5; ++b) {
    const json::object& entry = results->get_array()[b].get_object();
    EXPECT_EQ(entry.at("Status").as_string(), "SUCCEEDED");
    auto child_out = ParseJson(std::string(entry.at("Output").as_string()));
    ASSERT_TRUE(child_out.ok());
    EXPECT_EQ(child_out->at("first").as_int64(), b * 10);
  }
}

TEST_F(MapRunReaderS3rverTest, MaxItemsPathLimitsTheItemsReadFromTheInput) {
  std::string body;
  for (int i = 0; i < 100; ++i) absl::StrAppend(&body, R"({"n":)", i, "}\n");
  Put("in/limited.jsonl", body);
  auto m = engine_->CreateStateMachine("limited", R"json({"StartAt":"Each","States":{
    "Each":{"Type":"Map","Label":"first",
      "ItemReader":{"Resource":"arn:aws:states:::s3:getObject",
        "ReaderConfig":{"InputType":"JSONL","MaxItemsPath":"$.max"},
        "Parameters":{"Bucket":"bookings","Key":"in/limited.jsonl"}},
      "ItemBatcher":{"MaxItemsPerBatchPath":"$.per"},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
        "StartAt":"Count","States":{"Count":{"Type":"Pass","Parameters":{
          "count.$":"States.ArrayLength($.Items)","first.$":"$.Items[0].n"},"End":true}}},
      "End":true}}})json", "arn:aws:iam::123456789012:role/r", "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  auto e = engine_->StartExecution(m->arn, "m", R"({"max":25,"per":10})");
  ASSERT_TRUE(e.ok()) << e.status();
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.error.value_or("") << ": " << d.cause.value_or("");
  EXPECT_EQ(*d.output,
            R"([{"count":10,"first":0},{"count":10,"first":10},{"count":5,"first":20}])");
  e = engine_->StartExecution(m->arn, "neg", R"({"max":-1,"per":10})");
  ASSERT_TRUE(e.ok()) << e.status();
  d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "States.Runtime");
  EXPECT_NE(d.cause.value_or("").find("MaxItems cannot be negative."), std::string::npos)
      << d.cause.value_or("");
}

// A JSON object (here at ItemsPointer) is iterated entry by entry, as AWS
// does: each item {"Key": k, "Value": v}, $$.Map.Item.Key the key.
TEST_F(MapRunReaderS3rverTest, AJsonObjectIsReadAsItsEntries) {
  Put("in/servers.json", R"({"fleet":{"web":{"port":80},"db":{"port":5432},"cache":{"port":6379}}})");
  auto m = engine_->CreateStateMachine("entries", R"json({"StartAt":"Each","States":{
    "Each":{"Type":"Map",
      "ItemReader":{"Resource":"arn:aws:states:::s3:getObject",
        "ReaderConfig":{"InputType":"JSON","ItemsPointer":"/fleet"},
        "Parameters":{"Bucket":"bookings","Key":"in/servers.json"}},
      "ItemSelector":{"name.$":"$$.Map.Item.Key","port.$":"$$.Map.Item.Value.Value.port",
                      "i.$":"$$.Map.Item.Index"},
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
      "End":true}}})json", "arn:aws:iam::123456789012:role/r", "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  auto e = engine_->StartExecution(m->arn, "o", "{}");
  ASSERT_TRUE(e.ok()) << e.status();
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  ASSERT_EQ(d.status, "SUCCEEDED") << d.error.value_or("") << ": " << d.cause.value_or("");
  EXPECT_EQ(*d.output, R"([{"name":"web","port":80,"i":0},{"name":"db","port":5432,"i":1},)"
                       R"({"name":"cache","port":6379,"i":2}])");
}

TEST_F(MapRunReaderS3rverTest, AMissingObjectFailsTheMapWithItemReaderFailed) {
  auto m = engine_->CreateStateMachine("missing", BatchedMap(),
                                       "arn:aws:iam::123456789012:role/r", "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  auto e = engine_->StartExecution(m->arn, "x", R"({"key":"in/none.jsonl","run":"x"})");
  ASSERT_TRUE(e.ok()) << e.status();
  ExecutionDescription d = AwaitEnd(e->execution_arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error.value_or(""), "States.ItemReaderFailed");
  EXPECT_NE(d.cause.value_or("").find("none.jsonl"), std::string::npos) << d.cause.value_or("");
}

}  // namespace
}  // namespace stepwise::engine
