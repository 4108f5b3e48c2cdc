#include "server/status_conversion.h"

#include "engine/service_error.h"
#include "gtest/gtest.h"
#include "stepwise/v1/service.pb.h"

namespace stepwise::server {
namespace {

v1::ErrorInfo Details(const grpc::Status& s) {
  v1::ErrorInfo info;
  EXPECT_TRUE(info.ParseFromString(s.error_details()));
  return info;
}

TEST(StatusConversionTest, OkIsOk) {
  grpc::Status s = ToGrpcStatus(absl::OkStatus());
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE(s.error_details().empty());
}

TEST(StatusConversionTest, ServiceErrorKeepsAwsNameAndCode) {
  struct Case {
    const char* name;
    grpc::StatusCode code;
  } cases[] = {
      {"ExecutionDoesNotExist", grpc::StatusCode::NOT_FOUND},
      {"StateMachineAlreadyExists", grpc::StatusCode::ALREADY_EXISTS},
      {"InvalidDefinition", grpc::StatusCode::INVALID_ARGUMENT},
      {"TaskTimedOut", grpc::StatusCode::FAILED_PRECONDITION},
      {"ActivityWorkerLimitExceeded", grpc::StatusCode::RESOURCE_EXHAUSTED},
  };
  for (const Case& c : cases) {
    grpc::Status s = ToGrpcStatus(engine::ServiceError(c.name, "boom here"));
    EXPECT_EQ(s.error_code(), c.code) << c.name;
    EXPECT_EQ(s.error_message(), "boom here");
    v1::ErrorInfo info = Details(s);
    EXPECT_EQ(info.error(), c.name);
    EXPECT_EQ(info.message(), "boom here");
  }
}

TEST(StatusConversionTest, PlainStatusGetsGenericName) {
  grpc::Status s = ToGrpcStatus(absl::UnavailableError("the engine is shutting down"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Details(s).error(), "ServiceUnavailable");
  s = ToGrpcStatus(absl::InternalError("bug"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(Details(s).error(), "InternalFailure");
  s = ToGrpcStatus(absl::InvalidArgumentError("bad"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Details(s).error(), "ValidationException");
  s = ToGrpcStatus(absl::UnauthenticatedError("no token"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Details(s).error(), "UnrecognizedClientException");
}

TEST(StatusConversionTest, EveryCodeMaps) {
  for (int i = 0; i <= 16; ++i) {
    EXPECT_EQ(static_cast<int>(ToGrpcCode(static_cast<absl::StatusCode>(i))), i);
  }
}

}  // namespace
}  // namespace stepwise::server
