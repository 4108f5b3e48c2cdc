// The HTTP Task's result and failures in AWS's shapes; secrets masked.
#include "integrations/http/http_task_result.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::integrations::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

net::HttpClientResponse Response(int status, std::string reason, std::string type,
                                 std::string body) {
  net::HttpClientResponse r;
  r.status = status;
  r.reason = std::move(reason);
  if (!type.empty()) r.headers["content-type"] = type;
  r.body = std::move(body);
  return r;
}

TEST(HttpTaskResultTest, ParsesJsonBodiesAndKeepsOthersAsText) {
  SecretRedactor none;
  engine::TaskResult r = OutcomeOfResponse(
      Response(200, "OK", "application/json; charset=utf-8", R"({"a":[1,2]})"), none);
  ASSERT_EQ(r.kind, engine::TaskResult::Kind::kSucceeded);
  EXPECT_EQ(SerializeJson(r.output),
            R"({"Headers":{"content-type":["application/json; charset=utf-8"]},)"
            R"("ResponseBody":{"a":[1,2]},"StatusCode":200,"StatusText":"OK"})");
  r = OutcomeOfResponse(Response(201, "Created", "text/plain", R"({"a":1})"), none);
  EXPECT_EQ(r.output.at("ResponseBody"), json::value(R"({"a":1})"));
  r = OutcomeOfResponse(Response(200, "OK", "application/problem+json", "not json"), none);
  EXPECT_EQ(r.output.at("ResponseBody"), json::value("not json"));
  r = OutcomeOfResponse(Response(200, "OK", "text/plain", "bad \xff byte"), none);
  EXPECT_EQ(r.output.at("ResponseBody"), json::value("bad \xEF\xBF\xBD byte"));
}

TEST(HttpTaskResultTest, NonSuccessIsStatesHttpStatusCode) {
  SecretRedactor none;
  engine::TaskResult r =
      OutcomeOfResponse(Response(500, "Internal Server Error", "", "boom"), none);
  ASSERT_EQ(r.kind, engine::TaskResult::Kind::kFailed);
  EXPECT_EQ(r.error, "States.Http.StatusCode.500");
  absl::StatusOr<json::value> cause = ParseJson(r.cause);
  ASSERT_TRUE(cause.ok());
  EXPECT_EQ(cause->at("StatusCode"), json::value(500));
  EXPECT_EQ(cause->at("StatusText"), json::value("Internal Server Error"));
  EXPECT_EQ(cause->at("ResponseBody"), json::value("boom"));
  EXPECT_EQ(OutcomeOfResponse(Response(302, "Found", "", ""), none).error,
            "States.Http.StatusCode.302");
  EXPECT_EQ(OutcomeOfResponse(Response(404, "Not Found", "", ""), none).error,
            "States.Http.StatusCode.404");
}

TEST(HttpTaskResultTest, TransportFailures) {
  SecretRedactor none;
  EXPECT_EQ(OutcomeOfFailure(absl::UnavailableError("http://h:1: cannot connect"), none).error,
            "States.Http.Socket");
  EXPECT_EQ(OutcomeOfFailure(absl::DeadlineExceededError("timed out"), none).error,
            "States.Http.Socket");
  engine::TaskResult big = OutcomeOfFailure(absl::ResourceExhaustedError("too large"), none);
  EXPECT_EQ(big.error, "States.DataLimitExceeded");
  EXPECT_THAT(big.cause, HasSubstr("262144"));
}

TEST(HttpTaskResultTest, EchoedSecretsAreMasked) {
  SecretRedactor redactor;
  redactor.Add("hunter2-password");
  redactor.Add("abc");  // too short to mask
  engine::TaskResult r = OutcomeOfResponse(
      Response(403, "Forbidden", "application/json",
               R"({"echo":"Authorization: hunter2-password","hunter2-password":"abc"})"),
      redactor);
  EXPECT_THAT(r.cause, Not(HasSubstr("hunter2-password")));
  EXPECT_THAT(r.cause, HasSubstr("*****"));
  EXPECT_THAT(r.cause, HasSubstr("abc"));
  engine::TaskResult ok = OutcomeOfResponse(
      Response(200, "OK", "text/plain", "token=hunter2-password"), redactor);
  EXPECT_EQ(ok.output.at("ResponseBody"), json::value("token=*****"));
}

}  // namespace
}  // namespace stepwise::integrations::http
