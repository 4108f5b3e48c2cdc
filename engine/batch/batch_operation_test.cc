// The batch operation record's codec and the checks of a new job's request
// (batch_operation.h). Test-only; gtest's thread.
#include "engine/batch/batch_operation.h"

#include <string>

#include "engine/service_error.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

constexpr char kMachine[] = "arn:aws:states:us-east-1:123456789012:stateMachine:m";

TEST(BatchOperationTest, TheRecordRoundTripsEveryField) {
  BatchOperation op;
  op.id = "id-1";
  op.operation = "STOP";
  op.state_machine_arn = kMachine;
  op.status_filter = "RUNNING";
  op.query = "status = 'RUNNING'";
  op.error = "E";
  op.cause = "C \"quoted\"";
  op.client_token = "tok";
  op.status = "RUNNING";
  op.status_reason = "why";
  op.start_date = 1700000000123;
  op.stop_date = 1700000000456;
  op.selected = 300;
  op.succeeded = 250;
  op.skipped = 3;
  op.failed = 2;
  op.failures = {{"arn:1", "States.Fail", "because"}, {"arn:2", "X", ""}};
  op.cursor = "abc-_";
  op.selection_done = true;
  op.pending = {"arn:a", "arn:b"};
  auto back = DecodeBatchOperation("batch_operation/id-1", EncodeBatchOperation(op));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, op.id);
  EXPECT_EQ(back->operation, op.operation);
  EXPECT_EQ(back->state_machine_arn, op.state_machine_arn);
  EXPECT_EQ(back->status_filter, op.status_filter);
  EXPECT_EQ(back->query, op.query);
  EXPECT_EQ(back->error, op.error);
  EXPECT_EQ(back->cause, op.cause);
  EXPECT_EQ(back->client_token, op.client_token);
  EXPECT_EQ(back->status, op.status);
  EXPECT_EQ(back->status_reason, op.status_reason);
  EXPECT_EQ(back->start_date, op.start_date);
  EXPECT_EQ(back->stop_date, op.stop_date);
  EXPECT_EQ(back->selected, 300);
  EXPECT_EQ(back->succeeded, 250);
  EXPECT_EQ(back->skipped, 3);
  EXPECT_EQ(back->failed, 2);
  EXPECT_EQ(back->processed(), 255);
  ASSERT_EQ(back->failures.size(), 2u);
  EXPECT_EQ(back->failures[0].execution_arn, "arn:1");
  EXPECT_EQ(back->failures[0].error, "States.Fail");
  EXPECT_EQ(back->failures[0].cause, "because");
  EXPECT_EQ(back->cursor, op.cursor);
  EXPECT_TRUE(back->selection_done);
  EXPECT_EQ(back->pending, op.pending);
}

TEST(BatchOperationTest, MalformedBytesAreDataLossNamingTheKey) {
  for (const char* bytes : {"", "[1]", "{\"id\":\"x\"}", "{\"id\":\"x\",\"operation\":\"STOP\","
                            "\"status\":\"RUNNING\",\"pending\":[1]}"}) {
    auto back = DecodeBatchOperation("batch_operation/x", bytes);
    ASSERT_FALSE(back.ok()) << bytes;
    EXPECT_EQ(back.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_NE(back.status().message().find("batch_operation/x"), std::string::npos);
  }
}

TEST(BatchOperationTest, DefaultsFollowTheOperation) {
  auto stop = NewBatchOperation({"STOP", kMachine, "", "", "E", "C", ""});
  ASSERT_TRUE(stop.ok()) << stop.status();
  EXPECT_EQ(stop->status_filter, "RUNNING");
  EXPECT_EQ(stop->status, "RUNNING");
  auto redrive = NewBatchOperation({"REDRIVE", kMachine, "", "", "", "", ""});
  ASSERT_TRUE(redrive.ok()) << redrive.status();
  EXPECT_EQ(redrive->status_filter, "FAILED,TIMED_OUT,ABORTED");
  EXPECT_EQ(BatchStatuses(*redrive),
            (std::vector<std::string>{"FAILED", "TIMED_OUT", "ABORTED"}));
  EXPECT_LE(BatchRedriveToken("0123456789abcdef0123456789abcdef0123").size(), 64u);
}

TEST(BatchOperationTest, BadRequestsNameTheField) {
  struct Case {
    BatchOperationRequest req;
    const char* field;
  };
  const Case cases[] = {
      {{"PAUSE", kMachine, "", "", "", "", ""}, "operation"},
      {{"", kMachine, "", "", "", "", ""}, "operation"},
      {{"STOP", "", "", "", "", "", ""}, "stateMachineArn"},
      {{"STOP", kMachine, "RUNNING,NOPE", "", "", "", ""}, "statusFilter"},
      {{"STOP", kMachine, "", "", std::string(257, 'e'), "", ""}, "error"},
      {{"STOP", kMachine, "", "", "", std::string(32769, 'c'), ""}, "cause"},
      {{"REDRIVE", kMachine, "", "", "E", "", ""}, "error"},
      {{"STOP", kMachine, "", "", "", "", std::string(65, 't')}, "clientToken"},
      {{"STOP", kMachine, "", "", "", "", "with space"}, "clientToken"},
  };
  for (const Case& c : cases) {
    auto op = NewBatchOperation(c.req);
    ASSERT_FALSE(op.ok()) << c.field;
    EXPECT_EQ(ServiceErrorName(op.status()), "ValidationException") << c.field;
    EXPECT_NE(op.status().message().find(c.field), std::string::npos) << op.status();
  }
}

}  // namespace
}  // namespace stepwise::engine
