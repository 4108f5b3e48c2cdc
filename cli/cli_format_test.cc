#include "cli/cli_format.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(FormatTableTest, PadsColumnsToTheWidestCell) {
  std::string t = FormatTable({"NAME", "STATUS"},
                              {{"a-long-name", "RUNNING"}, {"b", "OK"}});
  EXPECT_EQ(t,
            "NAME         STATUS\n"
            "a-long-name  RUNNING\n"
            "b            OK\n");
}

TEST(FormatTableTest, EmptyRowsPrintHeadersOnly) {
  EXPECT_EQ(FormatTable({"A", "B"}, {}), "A  B\n");
}

TEST(FormatTest, Durations) {
  EXPECT_EQ(FormatDuration(850), "850us");
  EXPECT_EQ(FormatDuration(12345), "12.3ms");
  EXPECT_EQ(FormatDuration(4560000), "4.56s");
  EXPECT_EQ(FormatDuration(192 * 1000000LL), "3m12s");
  EXPECT_EQ(FormatDuration(125 * 60 * 1000000LL), "2h05m");
}

TEST(FormatTest, Timestamps) {
  google::protobuf::Timestamp ts;
  EXPECT_EQ(FormatTimestamp(ts), "-");
  ts.set_seconds(1714564800);  // 2024-05-01T12:00:00Z
  ts.set_nanos(123456789);
  EXPECT_EQ(FormatTimestamp(ts), "2024-05-01T12:00:00.123Z");
}

v1::HistoryEvent Event(int64_t id, int64_t micros, const std::string& type,
                       const std::string& member, const std::string& details) {
  v1::HistoryEvent e;
  e.set_id(id);
  e.mutable_timestamp()->set_seconds(1714564800 + micros / 1000000);
  e.mutable_timestamp()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  e.set_type(type);
  e.set_details_member(member);
  e.set_details_json(details);
  return e;
}

TEST(HistoryFormatterTest, StateNamesDurationsAndErrors) {
  HistoryFormatter f;
  EXPECT_THAT(f.Row(Event(1, 0, "ExecutionStarted",
                          "executionStartedEventDetails", R"({"input":"{}"})")),
              ElementsAre("1", "+0us", "ExecutionStarted", "", "", ""));
  EXPECT_THAT(f.Row(Event(2, 1000, "TaskStateEntered",
                          "stateEnteredEventDetails", R"({"name":"Work"})")),
              ElementsAre("2", "+1.0ms", "TaskStateEntered", "Work", "", ""));
  EXPECT_THAT(f.Row(Event(3, 2000, "ActivityScheduled",
                          "activityScheduledEventDetails", R"({"resource":"x"})")),
              ElementsAre("3", "+2.0ms", "ActivityScheduled", "", "", ""));
  EXPECT_THAT(
      f.Row(Event(4, 502000, "ActivityFailed", "activityFailedEventDetails",
                  R"({"error":"Boom","cause":"it\nbroke"})")),
      ElementsAre("4", "+502.0ms", "ActivityFailed", "", "500.0ms",
                  "Boom: it broke"));
  EXPECT_THAT(f.Row(Event(5, 600000, "TaskStateExited",
                          "stateExitedEventDetails", R"({"name":"Work"})")),
              ElementsAre("5", "+600.0ms", "TaskStateExited", "Work", "599.0ms",
                          ""));
  EXPECT_THAT(f.Row(Event(6, 2000000, "ExecutionFailed",
                          "executionFailedEventDetails", R"({"error":"Boom"})")),
              ElementsAre("6", "+2.00s", "ExecutionFailed", "", "2.00s",
                          "Boom"));
}

TEST(HistoryFormatterTest, LinksParentAndChildExecutions) {
  const std::string child =
      "arn:aws:states:us-east-1:123456789012:execution:child:c-1";
  const std::string parent =
      "arn:aws:states:us-east-1:123456789012:execution:parent:p-1";
  HistoryFormatter f;
  EXPECT_THAT(f.Row(Event(1, 0, "ExecutionStarted", "executionStartedEventDetails",
                          R"({"input":"{\"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID\":\")" +
                              parent + R"(\"}"})")),
              ElementsAre("1", "+0us", "ExecutionStarted", "", "", "started by " + parent));
  EXPECT_THAT(f.Row(Event(2, 1000, "TaskSubmitted", "taskSubmittedEventDetails",
                          R"({"output":"{\"ExecutionArn\":\")" + child +
                              R"(\",\"StartDate\":1}","resource":"startExecution.sync"})")),
              ElementsAre("2", "+1.0ms", "TaskSubmitted", "", "", "child " + child));
  // Not an execution ARN, or not a Task event: no link.
  EXPECT_THAT(f.Row(Event(3, 2000, "TaskSucceeded", "taskSucceededEventDetails",
                          R"({"output":"{\"ExecutionArn\":\"nope\"}"})"))[5],
              "");
  EXPECT_THAT(f.Row(Event(4, 3000, "TaskStateExited", "stateExitedEventDetails",
                          R"({"name":"P","output":"{\"ExecutionArn\":\")" + child +
                              R"(\"}"})"))[5],
              "");
  EXPECT_EQ(StartedByExecutionArn("{\"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID\":\"" +
                                  parent + "\"}"),
            parent);
  EXPECT_EQ(StartedByExecutionArn("[1]"), "");
}

TEST(WaitingNoteTest, NamesTheQueueNobodyServes) {
  v1::ExecutionOpenTask t;
  t.set_function_name("ValidateOrder");
  EXPECT_EQ(WaitingNote(t), "waiting for a worker of function ValidateOrder");
  t.set_pollers(1);
  EXPECT_EQ(WaitingNote(t), "");
  t.set_pollers(0);
  t.set_started(true);
  EXPECT_EQ(WaitingNote(t), "");
  v1::ExecutionOpenTask a;
  a.set_activity_arn("arn:aws:states:us-east-1:123456789012:activity:approve");
  EXPECT_EQ(WaitingNote(a), "waiting for a worker of activity "
                            "arn:aws:states:us-east-1:123456789012:activity:approve");
}

TEST(HistoryFormatterTest, FixedWidthLineKeepsColumns) {
  std::string l = HistoryFormatter::FixedWidthLine(
      {"1", "+0us", "ExecutionStarted", "", "", ""});
  EXPECT_EQ(l, "1     +0us        ExecutionStarted\n");
}

TEST(HistoryEventJsonTest, DetailsUnderTheirMember) {
  json::object o = HistoryEventJson(Event(
      2, 0, "PassStateEntered", "stateEnteredEventDetails", R"({"name":"P"})"));
  EXPECT_EQ(SerializeJson(o),
            R"({"id":2,"previousEventId":0,"timestamp":"2024-05-01T12:00:00.000Z","type":"PassStateEntered","stateEnteredEventDetails":{"name":"P"}})");
}

TEST(ReportFromCommandTest, SuccessWithJsonOutput) {
  TaskReport r = ReportFromCommand(0, " {\"a\": 1}\n", "");
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.output, "{\"a\":1}");
}

TEST(ReportFromCommandTest, EmptyOutputIsNull) {
  TaskReport r = ReportFromCommand(0, "\n", "noise");
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.output, "null");
}

TEST(ReportFromCommandTest, NonJsonOutputFails) {
  TaskReport r = ReportFromCommand(0, "hello", "");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "InvalidOutput");
}

TEST(ReportFromCommandTest, NonZeroExitIsCommandFailedWithStderrTail) {
  TaskReport r = ReportFromCommand(3, "", "something broke\nbadly\n", 8);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "CommandFailed");
  EXPECT_EQ(r.cause, "e\nbadly\n");
}

TEST(ReportFromCommandTest, ErrorNameFromFirstStderrLine) {
  TaskReport r = ReportFromCommand(1, "", "error: Payment.Declined\ncard\n");
  EXPECT_EQ(r.error, "Payment.Declined");
  EXPECT_THAT(r.cause, HasSubstr("card"));
  // Not a name: keeps CommandFailed.
  EXPECT_EQ(ReportFromCommand(1, "", "error: no such file\n").error,
            "CommandFailed");
}

TEST(ReportFromCommandTest, EmptyStderrGetsAnExplanation) {
  EXPECT_EQ(ReportFromCommand(7, "", "").cause, "command exited with status 7");
  EXPECT_EQ(ReportFromCommand(-9, "", "").cause, "command killed by signal 9");
}

}  // namespace
}  // namespace stepwise::client
