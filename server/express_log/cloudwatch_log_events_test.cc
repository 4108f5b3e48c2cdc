// Tests of the CloudWatch Logs shape of Express executions' events
// (cloudwatch_log_events.h) against AWS's recordings: the end events
// LocalStack's suite recorded from real AWS CloudWatch Logs for the
// conformance cases cases/express/*_end_event.json (whose definitions,
// inputs and outputs the histories below are built from). In those
// recordings the snapshot tool had parsed JSON-text members (details.output)
// into objects; AWS writes them as JSON text, so the test parses ours before
// comparing. event_timestamp and the ARN parts were masked there.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/json.h"
#include "gtest/gtest.h"
#include "server/express_log/cloudwatch_log_events.h"
#include "server/express_log/log_group_files.h"

namespace stepwise::server::express_log {
namespace {

constexpr char kArn[] =
    "arn:aws:states:us-east-1:123456789012:express:m:e1:6f2c7a7e-0d1e-4b1e-9a55-6f1d2b3c4d5e";

json::value Parse(const std::string& text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value();
}

// The conformance case `id` (its definition, input and AWS's expected result).
json::object Case(const std::string& id) {
  std::ifstream in(std::string(SW_CONFORMANCE_DIR) + "/cases/express/" + id + ".json");
  std::stringstream ss;
  ss << in.rdbuf();
  json::value v = Parse(ss.str());
  EXPECT_TRUE(v.is_object()) << id;
  return v.is_object() ? v.get_object() : json::object();
}

json::object Event(int64_t id, int64_t prev, const std::string& type, double ts,
                   const std::string& member, json::object details) {
  json::object e{{"timestamp", ts}, {"type", type}, {"id", id}, {"previousEventId", prev}};
  if (!member.empty()) e[member] = std::move(details);
  return e;
}

json::object Payload(const char* key, const std::string& text) {
  return json::object{{key, text}, {std::string(key) + "Details", json::object{{"truncated", false}}}};
}

// The history GetExecutionHistory gives for BASE_PASS_RESULT: one Pass state.
engine::ClosedExpressExecution PassResultExecution() {
  json::object c = Case(
      "express_test_express_async_TestExpressAsync_test_base_BASE_PASS_RESULT_end_event");
  std::string input = SerializeJson(c["input"]);
  std::string output = SerializeJson(c["expected"].as_object()["output"]);
  engine::ClosedExpressExecution x;
  x.execution.execution_arn = kArn;
  x.execution.status = "SUCCEEDED";
  json::object started = Payload("input", input);
  started["roleArn"] = "arn:aws:iam::123456789012:role/r";
  x.events.push_back(Event(1, 0, "ExecutionStarted", 1700000000.001, "executionStartedEventDetails",
                           started));
  json::object entered = Payload("input", input);
  entered["name"] = "State_1";
  x.events.push_back(
      Event(2, 1, "PassStateEntered", 1700000000.002, "stateEnteredEventDetails", entered));
  json::object exited = Payload("output", output);
  exited["name"] = "State_1";
  x.events.push_back(
      Event(3, 2, "PassStateExited", 1700000000.003, "stateExitedEventDetails", exited));
  x.events.push_back(Event(4, 3, "ExecutionSucceeded", 1700000000.1234,
                           "executionSucceededEventDetails", Payload("output", output)));
  return x;
}

// BASE_RAISE_FAILURE: one Fail state.
engine::ClosedExpressExecution RaiseFailureExecution() {
  json::object c = Case(
      "express_test_express_async_TestExpressAsync_test_base_BASE_RAISE_FAILURE_end_event");
  json::object& expected = c["expected"].as_object();
  engine::ClosedExpressExecution x;
  x.execution.execution_arn = kArn;
  x.execution.status = "FAILED";
  json::object started = Payload("input", SerializeJson(c["input"]));
  started["roleArn"] = "arn:aws:iam::123456789012:role/r";
  x.events.push_back(Event(1, 0, "ExecutionStarted", 1700000000.001, "executionStartedEventDetails",
                           started));
  json::object entered = Payload("input", SerializeJson(c["input"]));
  entered["name"] = "FailState";
  x.events.push_back(
      Event(2, 1, "FailStateEntered", 1700000000.002, "stateEnteredEventDetails", entered));
  x.events.push_back(Event(3, 2, "ExecutionFailed", 1700000000.003, "executionFailedEventDetails",
                           json::object{{"error", expected["error"]}, {"cause", expected["cause"]}}));
  return x;
}

engine::LoggingConfiguration Level(const std::string& level, bool data = true) {
  engine::LoggingConfiguration c;
  c.level = level;
  c.include_execution_data = data;
  c.log_group_arns = {"arn:aws:logs:us-east-1:123456789012:log-group:g:*"};
  return c;
}

// Our line with details.output parsed (as the recording holds it) and the
// masked members set to the recording's placeholders.
json::object AsRecorded(const std::string& line) {
  json::object o = Parse(line).as_object();
  EXPECT_TRUE(o["event_timestamp"].is_string());
  o["event_timestamp"] = "timestamp";
  EXPECT_EQ(o["execution_arn"].as_string(), kArn);
  o["execution_arn"] = "ARN";
  if (auto* d = o["details"].if_object(); d != nullptr && d->contains("output")) {
    (*d)["output"] = Parse(std::string((*d)["output"].as_string()));
  }
  return o;
}

TEST(CloudWatchLogEvents, SucceededEndEventMatchesAwsRecording) {
  std::vector<std::string> lines = ExpressLogLines(PassResultExecution(), Level("ALL"));
  ASSERT_EQ(lines.size(), 4u);
  // test_express_async.snapshot.json, test_base[BASE_PASS_RESULT], end_event.
  json::value recorded = Parse(R"({
    "details": {"output": {"Arg1": "argument1"}, "outputDetails": {"truncated": false}},
    "event_timestamp": "timestamp", "execution_arn": "ARN", "id": "4",
    "previous_event_id": "3", "redrive_count": "0", "type": "ExecutionSucceeded"})");
  EXPECT_EQ(json::value(AsRecorded(lines.back())), recorded) << lines.back();
}

TEST(CloudWatchLogEvents, FailedEndEventMatchesAwsRecording) {
  std::vector<std::string> lines = ExpressLogLines(RaiseFailureExecution(), Level("ALL"));
  ASSERT_EQ(lines.size(), 3u);
  // test_express_async.snapshot.json, test_base[BASE_RAISE_FAILURE], end_event.
  json::value recorded = Parse(R"({
    "details": {"cause": "This state machines raises a 'SomeFailure' failure.",
                "error": "SomeFailure"},
    "event_timestamp": "timestamp", "execution_arn": "ARN", "id": "3",
    "previous_event_id": "2", "redrive_count": "0", "type": "ExecutionFailed"})");
  EXPECT_EQ(json::value(AsRecorded(lines.back())), recorded) << lines.back();
}

TEST(CloudWatchLogEvents, TimestampIsEpochMillisecondsAsText) {
  std::vector<std::string> lines = ExpressLogLines(PassResultExecution(), Level("ALL"));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(Parse(lines[0]).as_object().at("event_timestamp"), json::value("1700000000001"));
  EXPECT_EQ(Parse(lines[3]).as_object().at("event_timestamp"), json::value("1700000000123"));
  EXPECT_EQ(Parse(lines[0]).as_object().at("previous_event_id"), json::value("0"));
}

TEST(CloudWatchLogEvents, FieldOrderIsAws) {
  std::vector<std::string> lines = ExpressLogLines(PassResultExecution(), Level("ALL"));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0].rfind(R"({"id":"1","type":"ExecutionStarted","details":{)", 0), 0u)
      << lines[0];
}

std::vector<std::string> Types(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const std::string& l : lines) out.emplace_back(Parse(l).as_object().at("type").as_string());
  return out;
}

TEST(CloudWatchLogEvents, LevelsKeepTheirEvents) {
  engine::ClosedExpressExecution failed = RaiseFailureExecution();
  EXPECT_EQ(Types(ExpressLogLines(failed, Level("ALL"))),
            (std::vector<std::string>{"ExecutionStarted", "FailStateEntered", "ExecutionFailed"}));
  EXPECT_EQ(Types(ExpressLogLines(failed, Level("ERROR"))),
            (std::vector<std::string>{"FailStateEntered", "ExecutionFailed"}));
  EXPECT_EQ(Types(ExpressLogLines(failed, Level("FATAL"))),
            (std::vector<std::string>{"ExecutionFailed"}));
  EXPECT_TRUE(ExpressLogLines(failed, Level("OFF")).empty());
  // A success has no error events.
  EXPECT_TRUE(ExpressLogLines(PassResultExecution(), Level("ERROR")).empty());
  EXPECT_TRUE(ExpressLogLines(PassResultExecution(), Level("FATAL")).empty());
}

TEST(CloudWatchLogEvents, LevelTables) {
  for (const char* t : {"TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "MapRunFailed",
                        "ParallelStateFailed", "WaitStateAborted", "ExecutionTimedOut"}) {
    EXPECT_TRUE(LoggedAtLevel("ERROR", t)) << t;
  }
  for (const char* t : {"TaskSucceeded", "TaskStateEntered", "ExecutionSucceeded",
                        "ExecutionStarted", "MapIterationSucceeded"}) {
    EXPECT_FALSE(LoggedAtLevel("ERROR", t)) << t;
  }
  EXPECT_TRUE(LoggedAtLevel("FATAL", "ExecutionAborted"));
  EXPECT_TRUE(LoggedAtLevel("FATAL", "ExecutionTimedOut"));
  EXPECT_FALSE(LoggedAtLevel("FATAL", "TaskFailed"));
  EXPECT_TRUE(LoggedAtLevel("ALL", "PassStateEntered"));
  EXPECT_FALSE(LoggedAtLevel("OFF", "ExecutionFailed"));
}

TEST(CloudWatchLogEvents, WithoutExecutionDataInputAndOutputAreLeftOut) {
  std::vector<std::string> lines = ExpressLogLines(PassResultExecution(), Level("ALL", false));
  ASSERT_EQ(lines.size(), 4u);
  json::object started = Parse(lines[0]).as_object();
  EXPECT_EQ(started["details"], json::value(json::object{
                                    {"roleArn", "arn:aws:iam::123456789012:role/r"}}));
  json::object exited = Parse(lines[2]).as_object();
  EXPECT_EQ(exited["details"], json::value(json::object{{"name", "State_1"}}));
  json::object end = Parse(lines[3]).as_object();
  EXPECT_EQ(end["details"], json::value(json::object{}));
  for (const std::string& l : lines) {
    EXPECT_EQ(l.find("argument1"), std::string::npos) << l;
  }
  // Error and cause are not execution data.
  std::vector<std::string> failed = ExpressLogLines(RaiseFailureExecution(), Level("FATAL", false));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].find("SomeFailure"), std::string::npos);
}

TEST(CloudWatchLogEvents, EventsWithoutDetailsHaveNoDetailsMember) {
  json::object e = Event(5, 4, "ParallelStateStarted", 1.0, "", {});
  json::object line = CloudWatchLogEvent(e, kArn, true);
  EXPECT_FALSE(line.contains("details"));
  EXPECT_EQ(line["id"], json::value("5"));
}

TEST(LogGroupFileName, MapsTheLogGroupNameToASafeFileName) {
  EXPECT_EQ(LogGroupFileName("arn:aws:logs:us-east-1:123456789012:log-group:orders:*"),
            "orders.jsonl");
  EXPECT_EQ(LogGroupFileName(
                "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/x#1:*"),
            "_aws_vendedlogs_states_x_1.jsonl");
  EXPECT_EQ(LogGroupFileName("arn:aws:logs:us-east-1:123456789012:log-group:../etc:*"),
            ".._etc.jsonl");
  EXPECT_EQ(LogGroupFileName("arn:aws:logs:us-east-1:123456789012:log-group:a"), "");
  EXPECT_EQ(LogGroupFileName("not an arn"), "");
}

}  // namespace
}  // namespace stepwise::server::express_log
