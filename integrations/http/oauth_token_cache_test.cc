// OAuthTokenCache: the client-credentials request EventBridge makes, the
// cached token, its expiry, one fetch for many callers, and refusals.
#include "integrations/http/oauth_token_cache.h"

#include <deque>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::integrations::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Connection OAuth() {
  Connection c;
  c.arn = "arn:aws:events:us-east-1:1:connection/o/1";
  c.type = AuthorizationType::kOAuthClientCredentials;
  c.oauth.authorization_endpoint = "https://auth.example/token";
  c.oauth.http_method = "POST";
  c.oauth.client_id = "client";
  c.oauth.client_secret = "s3cret";
  c.oauth.http.body = {{"scope", "read write", false}};
  c.oauth.http.headers = {{"X-Tenant", "t1", false}};
  c.oauth.http.query = {{"aud", "api", false}};
  return c;
}

// Records requests; answers them when told.
struct FakeSender {
  std::deque<std::pair<net::HttpClientRequest, net::HttpClient::Done>> pending;
  bool stopped = false;
  HttpSend Fn() {
    return [this](net::HttpClientRequest r, net::HttpCallOptions, net::HttpClient::Done d) {
      if (stopped) return false;
      pending.emplace_back(std::move(r), std::move(d));
      return true;
    };
  }
  void Answer(int status, std::string body) {
    auto [req, done] = std::move(pending.front());
    pending.pop_front();
    net::HttpClientResponse res;
    res.status = status;
    res.reason = status == 200 ? "OK" : "Unauthorized";
    res.body = std::move(body);
    done(res);
  }
};

TEST(OAuthTokenCacheTest, TokenRequestIsClientCredentials) {
  net::HttpClientRequest r = OAuthTokenCache::TokenRequest(OAuth());
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://auth.example/token?aud=api");
  EXPECT_EQ(r.body, "grant_type=client_credentials&scope=read%20write");
  EXPECT_EQ(r.headers["authorization"], "Basic Y2xpZW50OnMzY3JldA==");  // client:s3cret
  EXPECT_EQ(r.headers["content-type"], "application/x-www-form-urlencoded");
  EXPECT_EQ(r.headers["x-tenant"], "t1");
  Connection get = OAuth();
  get.oauth.http_method = "GET";
  r = OAuthTokenCache::TokenRequest(get);
  EXPECT_EQ(r.url, "https://auth.example/token?aud=api&grant_type=client_credentials&scope=read%20write");
  EXPECT_TRUE(r.body.empty());
}

TEST(OAuthTokenCacheTest, FetchesOnceCachesUntilExpiryAndRefreshesAStaleToken) {
  FakeSender sender;
  SecretRedactor redactor;
  auto now = std::chrono::steady_clock::time_point{};
  OAuthTokenCache cache(sender.Fn(), redactor, [&] { return now; });
  Connection c = OAuth();
  std::vector<std::string> got;
  auto collect = [&](absl::StatusOr<std::string> t) { got.push_back(t.ok() ? *t : "error"); };
  cache.Get(c, "", 1000, collect);
  cache.Get(c, "", 1000, collect);  // waits for the same fetch
  ASSERT_EQ(sender.pending.size(), 1u);
  sender.Answer(200, R"({"access_token":"tok-1","token_type":"Bearer","expires_in":3600})");
  EXPECT_EQ(got, (std::vector<std::string>{"tok-1", "tok-1"}));
  EXPECT_EQ(redactor.Redact("x tok-1 y"), "x ***** y");  // now a secret too

  cache.Get(c, "", 1000, collect);  // cached
  EXPECT_TRUE(sender.pending.empty());
  EXPECT_EQ(got.back(), "tok-1");

  cache.Get(c, "tok-1", 1000, collect);  // refused by the API: fetched again
  ASSERT_EQ(sender.pending.size(), 1u);
  sender.Answer(200, R"({"access_token":"tok-2","expires_in":3600})");
  EXPECT_EQ(got.back(), "tok-2");

  now += std::chrono::seconds(3600);  // expired
  cache.Get(c, "", 1000, collect);
  ASSERT_EQ(sender.pending.size(), 1u);
  sender.Answer(200, R"({"access_token":"tok-3"})");
  EXPECT_EQ(got.back(), "tok-3");
}

TEST(OAuthTokenCacheTest, RefusalsNameTheEndpointNeverTheSecret) {
  FakeSender sender;
  SecretRedactor redactor;
  OAuthTokenCache cache(sender.Fn(), redactor);
  absl::Status error;
  cache.Get(OAuth(), "", 1000, [&](absl::StatusOr<std::string> t) { error = t.status(); });
  sender.Answer(401, R"({"error":"invalid_client"})");
  EXPECT_EQ(error.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(error.message()), HasSubstr("https://auth.example"));
  EXPECT_THAT(std::string(error.message()), HasSubstr("401"));
  EXPECT_THAT(std::string(error.message()), Not(HasSubstr("s3cret")));
  cache.Get(OAuth(), "", 1000, [&](absl::StatusOr<std::string> t) { error = t.status(); });
  sender.Answer(200, R"({"token":"x"})");
  EXPECT_THAT(std::string(error.message()), HasSubstr("access_token"));
}

}  // namespace
}  // namespace stepwise::integrations::http
