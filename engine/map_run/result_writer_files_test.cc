// Tests of the result files' pure parts: the entry AWS writes per child, the
// transformations, keys, the cut into files at a size limit and the
// manifest.
#include "engine/map_run/result_writer_files.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::engine::map_run {
namespace {

using ::testing::ElementsAre;

constexpr char kRunArn[] =
    "arn:aws:states:us-east-1:123456789012:mapRun:orders/Map:ad9b5f27-090b-3ac6-9beb-243cd77144a7";

MapRunChildResult Succeeded(int i, std::string output) {
  MapRunChildResult r;
  r.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:orders/Map:c" +
                    std::to_string(i);
  r.name = "c" + std::to_string(i);
  r.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:orders/Map";
  r.status = "SUCCEEDED";
  r.input = "{\"i\":" + std::to_string(i) + "}";
  r.output = std::move(output);
  r.start_date_ms = 1738633790099;
  r.stop_date_ms = 1738633790163;
  r.redrive_status = "NOT_REDRIVABLE";
  r.redrive_status_reason = "Execution is SUCCEEDED and cannot be redriven";
  return r;
}

MapRunChildResult Failed(int i) {
  MapRunChildResult r = Succeeded(i, "");
  r.output.reset();
  r.status = "FAILED";
  r.error = "States.TaskFailed";
  r.cause = "boom";
  r.redrive_status = "REDRIVABLE_BY_MAP_RUN";
  r.redrive_status_reason.clear();
  return r;
}

TEST(ResultEntry, SucceededHasAwsMembersInAwsOrder) {
  EXPECT_EQ(
      NoneEntryJson(Succeeded(1, "[1,2]")),
      R"({"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:orders/Map:c1",)"
      R"("Input":"{\"i\":1}","InputDetails":{"Included":true},"Name":"c1",)"
      R"("Output":"[1,2]","OutputDetails":{"Included":true},"RedriveCount":0,)"
      R"("RedriveStatus":"NOT_REDRIVABLE",)"
      R"("RedriveStatusReason":"Execution is SUCCEEDED and cannot be redriven",)"
      R"("StartDate":"2025-02-04T01:49:50.099Z",)"
      R"("StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:orders/Map",)"
      R"("Status":"SUCCEEDED","StopDate":"2025-02-04T01:49:50.163Z"})");
}

TEST(ResultEntry, FailedStartsWithCauseAndErrorAndHasNoOutput) {
  EXPECT_EQ(
      NoneEntryJson(Failed(2)),
      R"({"Cause":"boom","Error":"States.TaskFailed",)"
      R"("ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:orders/Map:c2",)"
      R"("Input":"{\"i\":2}","InputDetails":{"Included":true},"Name":"c2",)"
      R"("OutputDetails":{"Included":true},"RedriveCount":0,)"
      R"("RedriveStatus":"REDRIVABLE_BY_MAP_RUN","StartDate":"2025-02-04T01:49:50.099Z",)"
      R"("StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:orders/Map",)"
      R"("Status":"FAILED","StopDate":"2025-02-04T01:49:50.163Z"})");
}

TEST(ResultEntry, StatusPicksTheFile) {
  EXPECT_EQ(FileKindOf("SUCCEEDED"), ResultFileKind::kSucceeded);
  EXPECT_EQ(FileKindOf("FAILED"), ResultFileKind::kFailed);
  EXPECT_EQ(FileKindOf("TIMED_OUT"), ResultFileKind::kFailed);
  EXPECT_EQ(FileKindOf("ABORTED"), ResultFileKind::kFailed);
  EXPECT_EQ(FileKindOf("PENDING"), ResultFileKind::kPending);
}

TEST(Transformation, NoneCompactFlatten) {
  MapRunChildResult r = Succeeded(1, R"([{"customer_id":"145538"},{"customer_id":"898037"}])");
  EXPECT_THAT(ResultRecords(r, ResultTransformation::kNone), ElementsAre(NoneEntryJson(r)));
  EXPECT_THAT(ResultRecords(r, ResultTransformation::kCompact),
              ElementsAre(R"([{"customer_id":"145538"},{"customer_id":"898037"}])"));
  EXPECT_THAT(ResultRecords(r, ResultTransformation::kFlatten),
              ElementsAre(R"({"customer_id":"145538"})", R"({"customer_id":"898037"})"));
  MapRunChildResult scalar = Succeeded(2, R"({"a":1})");
  EXPECT_THAT(ResultRecords(scalar, ResultTransformation::kFlatten), ElementsAre(R"({"a":1})"));
}

TEST(Transformation, FailedChildIsWrittenUnchanged) {
  MapRunChildResult f = Failed(3);
  EXPECT_THAT(ResultRecords(f, ResultTransformation::kCompact), ElementsAre(NoneEntryJson(f)));
  EXPECT_THAT(ResultRecords(f, ResultTransformation::kFlatten), ElementsAre(NoneEntryJson(f)));
}

TEST(Keys, MapRunIdAndPrefix) {
  EXPECT_EQ(MapRunId(kRunArn), "ad9b5f27-090b-3ac6-9beb-243cd77144a7");
  EXPECT_EQ(ResultKey("csvProcessJobs", "id", "manifest.json"), "csvProcessJobs/id/manifest.json");
  EXPECT_EQ(ResultKey("jobs/", "id", "SUCCEEDED_0.json"), "jobs/id/SUCCEEDED_0.json");
  EXPECT_EQ(ResultKey("", "id", "FAILED_0.json"), "id/FAILED_0.json");
}

struct Written {
  std::map<std::string, std::string> objects;
  std::vector<std::string> order;
};

ResultFileSet::Sink Into(Written& w) {
  return [&w](const std::string& key, std::string body) {
    w.order.push_back(key);
    w.objects[key] = std::move(body);
    return absl::OkStatus();
  };
}

TEST(ResultFileSet, CutsFilesAtTheLimitAndKeepsEveryRecordOnce) {
  for (ResultOutputType type : {ResultOutputType::kJson, ResultOutputType::kJsonl}) {
    Written w;
    const uint64_t limit = 100;
    ResultFileSet files("p", "id", type, limit, Into(w));
    std::vector<std::string> records;
    for (int i = 0; i < 40; ++i) {
      records.push_back("{\"n\":" + std::to_string(i) + ",\"pad\":\"xxxxxxxxxx\"}");
      ASSERT_TRUE(files.Add(ResultFileKind::kSucceeded, records.back()).ok());
    }
    ASSERT_TRUE(files.Add(ResultFileKind::kFailed, "{\"f\":1}").ok());
    ASSERT_TRUE(files.Finish().ok());
    const auto& ok_files = files.files(ResultFileKind::kSucceeded);
    ASSERT_GT(ok_files.size(), 5u);
    std::vector<std::string> read_back;
    for (size_t i = 0; i < ok_files.size(); ++i) {
      const std::string ext = type == ResultOutputType::kJson ? ".json" : ".jsonl";
      EXPECT_EQ(ok_files[i].key, "p/id/SUCCEEDED_" + std::to_string(i) + ext);
      const std::string& body = w.objects.at(ok_files[i].key);
      EXPECT_EQ(ok_files[i].size, body.size());
      EXPECT_LE(body.size(), limit);
      if (type == ResultOutputType::kJson) {
        auto parsed = ParseJson(body);
        ASSERT_TRUE(parsed.ok() && parsed->is_array()) << body;
        for (const json::value& v : parsed->get_array()) read_back.push_back(SerializeJson(v));
      } else {
        ASSERT_EQ(body.back(), '\n');
        size_t start = 0;
        for (size_t nl; (nl = body.find('\n', start)) != std::string::npos; start = nl + 1) {
          read_back.push_back(body.substr(start, nl - start));
        }
      }
    }
    EXPECT_EQ(read_back, records);
    ASSERT_EQ(files.files(ResultFileKind::kFailed).size(), 1u);
    EXPECT_TRUE(files.files(ResultFileKind::kPending).empty());
  }
}

TEST(ResultFileSet, ARecordLargerThanTheLimitFillsAFileAlone) {
  Written w;
  ResultFileSet files("", "id", ResultOutputType::kJson, 10, Into(w));
  ASSERT_TRUE(files.Add(ResultFileKind::kSucceeded, "\"a long record\"").ok());
  ASSERT_TRUE(files.Add(ResultFileKind::kSucceeded, "1").ok());
  ASSERT_TRUE(files.Finish().ok());
  EXPECT_EQ(w.objects.at("id/SUCCEEDED_0.json"), "[\"a long record\"]");
  EXPECT_EQ(w.objects.at("id/SUCCEEDED_1.json"), "[1]");
}

TEST(ResultFileSet, SameRecordsGiveSameFiles) {
  Written a, b;
  for (Written* w : {&a, &b}) {
    ResultFileSet files("p", "id", ResultOutputType::kJson, 64, Into(*w));
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(files.Add(i % 7 == 0 ? ResultFileKind::kFailed : ResultFileKind::kSucceeded,
                            NoneEntryJson(i % 7 == 0 ? Failed(i) : Succeeded(i, "1")))
                      .ok());
    }
    ASSERT_TRUE(files.Finish().ok());
  }
  EXPECT_EQ(a.objects, b.objects);
  EXPECT_EQ(a.order, b.order);
}

TEST(ResultFileSet, SinkErrorStops) {
  ResultFileSet files("p", "id", ResultOutputType::kJson, 5,
                      [](const std::string&, std::string) {
                        return absl::FailedPreconditionError("no bucket");
                      });
  ASSERT_TRUE(files.Add(ResultFileKind::kSucceeded, "1234").ok());
  EXPECT_EQ(files.Add(ResultFileKind::kSucceeded, "5678").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Manifest, AwsShape) {
  Written w;
  ResultFileSet files("jobs", "id", ResultOutputType::kJson, 1000, Into(w));
  ASSERT_TRUE(files.Add(ResultFileKind::kSucceeded, "1").ok());
  ASSERT_TRUE(files.Add(ResultFileKind::kFailed, "22").ok());
  ASSERT_TRUE(files.Finish().ok());
  EXPECT_EQ(ManifestJson("b", kRunArn, files),
            std::string(R"({"DestinationBucket":"b","MapRunArn":")") + kRunArn +
                R"(","ResultFiles":{"FAILED":[{"Key":"jobs/id/FAILED_0.json","Size":4}],)"
                R"("PENDING":[],"SUCCEEDED":[{"Key":"jobs/id/SUCCEEDED_0.json","Size":3}]}})");
  EXPECT_EQ(SerializeJson(MapResultWithWriter(kRunArn, "b", "jobs/id/manifest.json")),
            std::string(R"({"MapRunArn":")") + kRunArn +
                R"(","ResultWriterDetails":{"Bucket":"b","Key":"jobs/id/manifest.json"}})");
}

}  // namespace
}  // namespace stepwise::engine::map_run
