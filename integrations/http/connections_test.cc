// Connections: the connections file, accepted and refused field by field.
#include "integrations/http/connections.h"

#include <algorithm>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::integrations::http {
namespace {

using ::testing::HasSubstr;

constexpr char kArn[] = "arn:aws:events:us-east-1:123456789012:connection/api/0b1c";

std::string File(const std::string& body) {
  return std::string("{\"") + kArn + "\": " + body + "}";
}

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<Connections> c = Connections::Parse(text);
  return c.ok() ? std::string("(accepted)") : std::string(c.status().message());
}

TEST(ConnectionsTest, ReadsTheThreeAuthorizationTypes) {
  std::string text = std::string("{\"") + kArn + R"(": {"Name": "api", "AuthorizationType": "BASIC",
      "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "pw-secret"},
        "InvocationHttpParameters": {"HeaderParameters": [{"Key": "X-Team", "Value": "core"},
          {"Key": "X-Sig", "Value": "hdr-secret", "IsValueSecret": true}]}}},
    "arn:aws:events:us-east-1:123456789012:connection/k/1": {"AuthorizationType": "API_KEY",
      "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "key-secret"}}},
    "arn:aws:events:us-east-1:123456789012:connection/o/2": {"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS",
      "AuthParameters": {"OAuthParameters": {"AuthorizationEndpoint": "https://auth.example/token",
        "HttpMethod": "POST", "ClientParameters": {"ClientID": "id", "ClientSecret": "client-secret"},
        "OAuthHttpParameters": {"BodyParameters": [{"Key": "scope", "Value": "read"}]}}}}})";
  absl::StatusOr<Connections> c = Connections::Parse(text);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->size(), 3u);
  const Connection* basic = c->Find(kArn);
  ASSERT_NE(basic, nullptr);
  EXPECT_EQ(basic->type, AuthorizationType::kBasic);
  EXPECT_EQ(basic->password, "pw-secret");
  ASSERT_EQ(basic->invocation.headers.size(), 2u);
  EXPECT_TRUE(basic->invocation.headers[1].secret);
  const Connection* oauth = c->Find("arn:aws:events:us-east-1:123456789012:connection/o/2");
  ASSERT_NE(oauth, nullptr);
  EXPECT_EQ(oauth->oauth.http_method, "POST");
  EXPECT_EQ(oauth->oauth.http.body[0].key, "scope");
  std::vector<std::string> secrets = c->Secrets();
  for (const char* s : {"pw-secret", "hdr-secret", "key-secret", "client-secret"}) {
    EXPECT_NE(std::find(secrets.begin(), secrets.end(), s), secrets.end()) << s;
  }
  EXPECT_EQ(std::find(secrets.begin(), secrets.end(), "core"), secrets.end());
  EXPECT_EQ(c->Find("arn:aws:events:us-east-1:123456789012:connection/none/1"), nullptr);
}

TEST(ConnectionsTest, RefusesBadFilesNamingTheField) {
  EXPECT_THAT(ErrorOf("{"), HasSubstr("not JSON"));
  EXPECT_THAT(ErrorOf("[]"), HasSubstr("keyed by connection ARN"));
  EXPECT_THAT(ErrorOf(R"({"not-an-arn": {}})"), HasSubstr("is not a connection ARN"));
  EXPECT_THAT(ErrorOf(File(R"({"AuthParameters": {}})")), HasSubstr("AuthorizationType is required"));
  EXPECT_THAT(ErrorOf(File(R"({"AuthorizationType": "DIGEST", "AuthParameters": {}})")),
              HasSubstr("'DIGEST' is not one of BASIC, API_KEY, OAUTH_CLIENT_CREDENTIALS"));
  EXPECT_THAT(ErrorOf(File(R"({"AuthorizationType": "BASIC"})")),
              HasSubstr("AuthParameters is required"));
  EXPECT_THAT(ErrorOf(File(R"({"AuthorizationType": "BASIC", "AuthParameters": {}})")),
              HasSubstr("AuthParameters.BasicAuthParameters is required"));
  EXPECT_THAT(ErrorOf(File(R"({"AuthorizationType": "BASIC", "AuthParameters":
      {"BasicAuthParameters": {"Username": "u"}}})")),
              HasSubstr("AuthParameters.BasicAuthParameters.Password is required"));
  EXPECT_THAT(ErrorOf(File(R"({"AuthorizationType": "BASIC", "AuthParameters":
      {"BasicAuthParameters": {"Username": "u", "Password": "p"},
       "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}})")),
              HasSubstr("AuthParameters.ApiKeyAuthParameters is not allowed with AuthorizationType BASIC"));
  EXPECT_THAT(ErrorOf(File(R"({"AuthorizationType": "API_KEY", "AuthParameters":
      {"ApiKeyAuthParameters": {"ApiKeyName": "bad name", "ApiKeyValue": "v"}}})")),
              HasSubstr("ApiKeyName is not a valid HTTP header name"));
  EXPECT_THAT(ErrorOf(File(R"({"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters":
      {"OAuthParameters": {"AuthorizationEndpoint": "ftp://auth/x", "HttpMethod": "POST",
       "ClientParameters": {"ClientID": "i", "ClientSecret": "s"}}}})")),
              HasSubstr("AuthorizationEndpoint invalid URL"));
  EXPECT_THAT(ErrorOf(File(R"({"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters":
      {"OAuthParameters": {"AuthorizationEndpoint": "https://auth/x", "HttpMethod": "DELETE",
       "ClientParameters": {"ClientID": "i", "ClientSecret": "s"}}}})")),
              HasSubstr("HttpMethod 'DELETE' is not one of GET, POST, PUT"));
  EXPECT_THAT(ErrorOf(File(R"({"AuthorizationType": "BASIC", "AuthParameters":
      {"BasicAuthParameters": {"Username": "u", "Password": "p"},
       "InvocationHttpParameters": {"HeaderParameters": [{"Value": "v"}]}}})")),
              HasSubstr("InvocationHttpParameters.HeaderParameters[0].Key is required"));
  EXPECT_THAT(ErrorOf(File(R"({"AuthorizationType": "BASIC", "AuthParameters":
      {"BasicAuthParameters": {"Username": "u", "Password": "p", "Pasword": "typo"}}})")),
              HasSubstr("BasicAuthParameters.Pasword is not a field"));
}

TEST(ConnectionsTest, ErrorsNeverShowTheSecret) {
  std::string e = ErrorOf(File(R"({"AuthorizationType": "BASIC", "AuthParameters":
      {"BasicAuthParameters": {"Username": "u", "Password": "the-password\n"}}})"));
  EXPECT_THAT(e, HasSubstr("Password contains a control character"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("the-password")));
}

TEST(ConnectionsTest, LoadNamesTheFile) {
  absl::StatusOr<Connections> c = Connections::Load("/nonexistent/connections.json");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("/nonexistent/connections.json"));
}

}  // namespace
}  // namespace stepwise::integrations::http
