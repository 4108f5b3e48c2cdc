// HttpTaskIntegration over a scripted HttpClient: which resources it takes,
// the connection lookup, OAuth's refresh on 401, the 60 s cap.
#include "integrations/http/http_task_integration.h"
#include "integrations/http/http_task_result.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::integrations::http {
namespace {

using ::testing::HasSubstr;

// Answers each request at once with `answer`.
class ScriptedClient : public net::HttpClient {
 public:
  using Answer = std::function<absl::StatusOr<net::HttpClientResponse>(const net::HttpClientRequest&)>;
  ScriptedClient(Answer answer, std::vector<net::HttpClientRequest>* seen,
                 std::vector<int64_t>* timeouts)
      : answer_(std::move(answer)), seen_(seen), timeouts_(timeouts) {}
  void Send(net::HttpClientRequest request, net::HttpCallOptions options, Done done) override {
    seen_->push_back(request);
    timeouts_->push_back(options.timeout_ms);
    done(answer_(request));
  }

 private:
  Answer answer_;
  std::vector<net::HttpClientRequest>* seen_;
  std::vector<int64_t>* timeouts_;
};

net::HttpClientResponse Status(int status, std::string body = "") {
  net::HttpClientResponse r;
  r.status = status;
  r.reason = status == 200 ? "OK" : "Unauthorized";
  r.headers["content-type"] = "application/json";
  r.body = std::move(body);
  return r;
}

constexpr char kConnections[] = R"({
  "arn:aws:events:us-east-1:123456789012:connection/oauth/1": {
    "AuthorizationType": "OAUTH_CLIENT_CREDENTIALS",
    "AuthParameters": {"OAuthParameters": {"AuthorizationEndpoint": "http://auth.local/token",
      "HttpMethod": "POST", "ClientParameters": {"ClientID": "id", "ClientSecret": "cs-secret"}}}}})";

struct Fixture {
  std::vector<net::HttpClientRequest> seen;
  std::vector<int64_t> timeouts;
  std::shared_ptr<HttpTaskIntegration> integration;
  explicit Fixture(ScriptedClient::Answer answer) {
    integration = std::make_shared<HttpTaskIntegration>(
        *Connections::Parse(kConnections),
        std::make_unique<ScriptedClient>(std::move(answer), &seen, &timeouts));
  }
  engine::TaskResult Call(const char* params, int64_t timeout_ms = 0) {
    engine::ServiceCall call;
    call.resource = "arn:aws:states:::http:invoke";
    call.parameters = *ParseJson(params);
    call.region = "eu-west-1";
    call.timeout_ms = timeout_ms;
    engine::TaskResult out;
    out.error = "(no answer)";
    out.kind = engine::TaskResult::Kind::kFailed;
    integration->Call(call, [&](engine::TaskResult r) { out = std::move(r); });
    return out;
  }
};

TEST(HttpTaskIntegrationTest, TakesHttpInvokeOnly) {
  Fixture f([](const net::HttpClientRequest&) { return Status(200); });
  auto takes = [&](const char* r) { return f.integration->Takes(engine::TaskResource::Parse(r)); };
  EXPECT_TRUE(takes("arn:aws:states:::http:invoke"));
  EXPECT_TRUE(takes("arn:aws:states:::http:invoke.waitForTaskToken"));
  EXPECT_FALSE(takes("arn:aws:states:::http:get"));
  EXPECT_FALSE(takes("arn:aws:states:::lambda:invoke"));
  EXPECT_EQ(f.integration->name(), "http");
}

TEST(HttpTaskIntegrationTest, UnknownConnectionAndBadEndpointFailClearly) {
  Fixture f([](const net::HttpClientRequest&) { return Status(200); });
  engine::TaskResult r = f.Call(R"({"ApiEndpoint": "http://api.local/", "Method": "GET",
      "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/nope/9"}})");
  EXPECT_EQ(r.error, "Events.ConnectionResource.ResourceNotFound");
  EXPECT_THAT(r.cause, HasSubstr("connection/nope/9"));
  EXPECT_THAT(r.cause, HasSubstr("--connections-file"));
  r = f.Call(R"({"ApiEndpoint": "ftp://files.local/x", "Method": "GET"})");
  EXPECT_EQ(r.error, "States.Runtime");
  EXPECT_THAT(r.cause, HasSubstr("ApiEndpoint"));
  EXPECT_TRUE(f.seen.empty());
}

TEST(HttpTaskIntegrationTest, OAuthTokenIsRefreshedOnceWhenTheApiRefusesIt) {
  int tokens = 0;
  Fixture f([&](const net::HttpClientRequest& r) -> absl::StatusOr<net::HttpClientResponse> {
    if (r.url.find("auth.local") != std::string::npos) {
      ++tokens;
      return Status(200, absl::StrCat(R"({"access_token":"tok-)", tokens, R"(","expires_in":600})"));
    }
    return r.headers.at("authorization") == "Bearer tok-2" ? Status(200, R"({"ok":true})")
                                                           : Status(401);
  });
  const char* params = R"({"ApiEndpoint": "http://api.local/x", "Method": "GET",
      "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/oauth/1"}})";
  engine::TaskResult r = f.Call(params);
  ASSERT_EQ(r.kind, engine::TaskResult::Kind::kSucceeded) << r.error << r.cause;
  ASSERT_EQ(f.seen.size(), 4u);  // token, API (401), token, API (200)
  EXPECT_EQ(f.seen[1].headers.at("authorization"), "Bearer tok-1");
  EXPECT_EQ(f.seen[3].headers.at("authorization"), "Bearer tok-2");
  // Refused again: one refresh per call, then the 401 is the outcome.
  tokens = 10;
  r = f.Call(params);  // tok-2 cached → 200
  EXPECT_EQ(r.kind, engine::TaskResult::Kind::kSucceeded);
  EXPECT_EQ(f.seen.size(), 5u);
}

TEST(HttpTaskIntegrationTest, StatusErrorsAndTheSixtySecondCap) {
  Fixture f([](const net::HttpClientRequest&) { return Status(503, "{}"); });
  engine::TaskResult r = f.Call(R"({"ApiEndpoint": "http://api.local/", "Method": "GET"})");
  EXPECT_EQ(r.error, "States.Http.StatusCode.503");
  f.Call(R"({"ApiEndpoint": "http://api.local/", "Method": "GET"})", 300000);
  f.Call(R"({"ApiEndpoint": "http://api.local/", "Method": "GET"})", 5000);
  ASSERT_EQ(f.timeouts.size(), 3u);
  EXPECT_LE(f.timeouts[0], kHttpTaskTimeoutMs);
  EXPECT_GT(f.timeouts[0], kHttpTaskTimeoutMs - 5000);
  EXPECT_LE(f.timeouts[1], kHttpTaskTimeoutMs);
  EXPECT_LE(f.timeouts[2], 5000);
}

TEST(HttpTaskIntegrationTest, StoppedCallsNeverAnswer) {
  Fixture f([](const net::HttpClientRequest&) { return Status(200); });
  f.integration->Stop();
  engine::TaskResult r = f.Call(R"({"ApiEndpoint": "http://api.local/", "Method": "GET"})");
  EXPECT_EQ(r.error, "(no answer)");
}

}  // namespace
}  // namespace stepwise::integrations::http
