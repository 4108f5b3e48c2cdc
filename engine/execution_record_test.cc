// Golden test of the execution record codec: engine/testdata/records/ holds
// records as the engine of 7560271 wrote them (before ExecutionRecord
// existed); each must decode and re-encode byte for byte, so data
// directories written by earlier builds keep opening.
#include "engine/execution_record.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "common/json.h"
#include "engine/arn.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

const std::filesystem::path kDir = SW_RECORDS_DIR;

std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The machine each record names, from testdata/records/machines/NAME.json.
absl::StatusOr<std::shared_ptr<const asl::StateMachine>> Machine(const std::string& machine_arn,
                                                                  int64_t revision) {
  EXPECT_EQ(revision, 1);
  std::string text = ReadText(kDir / "machines" / (ArnTail(machine_arn) + ".json"));
  auto def = ParseJson(text);
  if (!def.ok()) return def.status();
  return asl::ParseStateMachine(*def);
}

absl::StatusOr<ExecutionRecord> Decode(const std::string& text) {
  return DecodeExecutionRecord(text, "arn:aws:states:us-east-1:123456789012:execution:m:e",
                               Machine);
}

TEST(ExecutionRecordTest, EveryGoldenRecordReencodesByteForByte) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kDir)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().filename().string());
    std::string text = ReadText(entry.path());
    absl::StatusOr<ExecutionRecord> r = Decode(text);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(EncodeExecutionRecord(*r), text);
    ++n;
  }
  EXPECT_GE(n, 12);
}

TEST(ExecutionRecordTest, DecodesTheFieldsOfAStartedActivityTask) {
  auto r = Decode(ReadText(kDir / "activity_started_heartbeat.json"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->machine_arn, "arn:aws:states:us-east-1:123456789012:stateMachine:activity");
  EXPECT_EQ(r->revision, 1);
  EXPECT_EQ(r->input, R"({"job":"b"})");
  EXPECT_EQ(r->start_date, 1700000000000);
  EXPECT_EQ(r->stop_date, 0);
  EXPECT_EQ(r->state->status, ExecutionStatus::kRunning);
  EXPECT_EQ(r->state->info.execution_name, "started");
  ASSERT_EQ(r->tasks.size(), 1u);
  const OpenTask& t = r->tasks.at(1);
  EXPECT_TRUE(t.started);
  EXPECT_EQ(t.queue, "arn:aws:states:us-east-1:123456789012:activity:jobs");
  EXPECT_EQ(t.timeout_seconds, 100);
  EXPECT_EQ(t.heartbeat_seconds, 5);
  EXPECT_EQ(t.last_heartbeat, 1700000002000);  // moved by the heartbeat
  EXPECT_EQ(r->timer_dues, (std::map<int64_t, TimeMs>{{HeartbeatTimerId(1), 1700000007000},
                                                      {TaskTimeoutTimerId(1), 1700000100000}}));
}

TEST(ExecutionRecordTest, DecodesQueuedTasksAndClosedExecutions) {
  auto queued = Decode(ReadText(kDir / "jsonata_variables.json"));
  ASSERT_TRUE(queued.ok()) << queued.status();
  ASSERT_EQ(queued->tasks.size(), 1u);
  EXPECT_FALSE(queued->tasks.at(1).started);
  EXPECT_EQ(queued->tasks.at(1).input, R"({"c":42,"l":"x"})");

  auto aborted = Decode(ReadText(kDir / "aborted.json"));
  ASSERT_TRUE(aborted.ok()) << aborted.status();
  EXPECT_EQ(aborted->state->status, ExecutionStatus::kAborted);
  EXPECT_EQ(aborted->stop_date, 1700000003000);
  EXPECT_TRUE(aborted->tasks.empty());
  EXPECT_TRUE(aborted->timer_dues.empty());
}

TEST(ExecutionRecordTest, DescribesARecordWithoutItsMachine) {
  auto d = DescribeExecutionRecord(ReadText(kDir / "failed.json"), "arn-x");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->execution_arn, "arn-x");
  EXPECT_EQ(d->name, "broke");
  EXPECT_EQ(d->status, "FAILED");
  EXPECT_EQ(d->error, "Boom");
  EXPECT_EQ(d->cause, "it broke");
  EXPECT_FALSE(d->output.has_value());
  auto s = DescribeExecutionRecord(ReadText(kDir / "succeeded.json"), "arn-y");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->output, R"({"x":0,"a":1})");
  EXPECT_FALSE(s->error.has_value());
}

TEST(ExecutionRecordTest, MalformedRecordsAreDataLoss) {
  EXPECT_EQ(Decode("not json").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Decode(R"({"machine_arn":1})").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DescribeExecutionRecord("[]", "a").status().code(), absl::StatusCode::kDataLoss);
}

TEST(ExecutionRecordTest, VisibilityRowRoundTrips) {
  std::string row = EncodeVisibilityRow("arn-e", "e", "RUNNING", 5, 0);
  EXPECT_EQ(row, R"({"arn":"arn-e","name":"e","status":"RUNNING","start_date":5,"stop_date":0})");
  auto d = DecodeVisibilityRow(row);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->execution_arn, "arn-e");
  EXPECT_EQ(d->status, "RUNNING");
  EXPECT_EQ(d->start_date, 5);
}

}  // namespace
}  // namespace stepwise::engine
