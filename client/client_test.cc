// Tests of the client's status conversion (no server needed; tests/cli
// drives the real stepwised).
#include "client/activity_worker.h"
#include "client/client.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::client {
namespace {

TEST(StatusFromGrpcTest, CarriesCodeMessageAndAwsErrorName) {
  v1::ErrorInfo info;
  info.set_error("ExecutionDoesNotExist");
  info.set_message("execution x not found");
  absl::Status s = StatusFromGrpc(5, "execution x not found",
                                  info.SerializeAsString());
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "execution x not found");
  EXPECT_EQ(AwsErrorName(s), "ExecutionDoesNotExist");
}

TEST(StatusFromGrpcTest, NoDetailsMeansNoName) {
  absl::Status s = StatusFromGrpc(14, "connection refused", "");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(AwsErrorName(s), "");
  EXPECT_TRUE(StatusFromGrpc(0, "", "").ok());
}

TEST(StatusFromGrpcTest, MessageFromDetailsWhenEmpty) {
  v1::ErrorInfo info;
  info.set_error("InvalidArn");
  info.set_message("bad arn");
  absl::Status s = StatusFromGrpc(3, "", info.SerializeAsString());
  EXPECT_EQ(s.message(), "bad arn");
}

TEST(TaskFailureTest, NameAndCause) {
  absl::Status s = TaskFailure("Boom", "it broke");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(AwsErrorName(s), "Boom");
  EXPECT_EQ(s.message(), "it broke");
}

TEST(ClientTest, ConnectRejectsEmptyEndpointAndMissingTlsFiles) {
  ClientOptions o;
  o.endpoint = "";
  EXPECT_EQ(Client::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.endpoint = "127.0.0.1:1";
  o.tls_ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(Client::Connect(o).status().code(), absl::StatusCode::kNotFound);
}

TEST(ClientTest, CallToNothingIsUnavailable) {
  ClientOptions o;
  o.endpoint = "127.0.0.1:1";
  o.timeout = absl::Seconds(2);
  auto c = Client::Connect(o);
  ASSERT_TRUE(c.ok());
  auto r = (*c)->DescribeExecution(v1::DescribeExecutionRequest());
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace stepwise::client
