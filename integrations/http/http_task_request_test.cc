// BuildHttpTaskRequest: the request an HTTP Task sends, merged with its
// connection as AWS documents; parameters refused by field.
#include "integrations/http/http_task_request.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace stepwise::integrations::http {
namespace {

using ::testing::HasSubstr;

json::value Params(const char* text) { return *ParseJson(text); }

net::HttpClientRequest Build(const char* params, const Connection* c = nullptr) {
  absl::StatusOr<net::HttpClientRequest> r = BuildHttpTaskRequest(Params(params), c, "us-east-1");
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : net::HttpClientRequest{};
}

std::string ErrorOf(const char* params, const Connection* c = nullptr) {
  absl::StatusOr<net::HttpClientRequest> r = BuildHttpTaskRequest(Params(params), c, "us-east-1");
  return r.ok() ? std::string("(built)") : std::string(r.status().message());
}

TEST(HttpTaskRequestTest, BuildsMethodUrlHeadersQueryAndJsonBody) {
  net::HttpClientRequest r = Build(R"({"ApiEndpoint": "https://api.example/v1/items?x=1",
      "Method": "POST", "Headers": {"X-Trace": "abc", "X-Count": 3},
      "QueryParameters": {"q": "a b&c", "tag": ["t1", "t2"]},
      "RequestBody": {"name": "n", "n": 1}})");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.example/v1/items?x=1&q=a%20b%26c&tag=t1&tag=t2");
  EXPECT_EQ(r.headers["x-trace"], "abc");
  EXPECT_EQ(r.headers["x-count"], "3");
  EXPECT_EQ(r.headers["content-type"], "application/json; charset=UTF-8");
  EXPECT_EQ(r.headers["user-agent"], "Amazon|StepFunctions|HttpInvoke|us-east-1");
  EXPECT_EQ(r.headers["range"], "bytes=0-262144");
  EXPECT_EQ(r.body, R"({"name":"n","n":1})");
  EXPECT_EQ(r.headers.count("authorization"), 0u);
}

TEST(HttpTaskRequestTest, UrlEncodesTheBodyInEachArrayFormat) {
  json::object body = Params(R"({"a": ["x", "y"], "o": {"k": "v w"}, "n": 2})").get_object();
  EXPECT_EQ(UrlEncodeBody(body, ArrayFormat::kIndices), "a%5B0%5D=x&a%5B1%5D=y&o%5Bk%5D=v%20w&n=2");
  EXPECT_EQ(UrlEncodeBody(body, ArrayFormat::kBrackets), "a%5B%5D=x&a%5B%5D=y&o%5Bk%5D=v%20w&n=2");
  EXPECT_EQ(UrlEncodeBody(body, ArrayFormat::kRepeat), "a=x&a=y&o%5Bk%5D=v%20w&n=2");
  EXPECT_EQ(UrlEncodeBody(body, ArrayFormat::kCommas), "a=x%2Cy&o%5Bk%5D=v%20w&n=2");
  net::HttpClientRequest r = Build(R"({"ApiEndpoint": "http://h/", "Method": "POST",
      "RequestBody": {"a": ["x", "y"]}, "Transform": {"RequestBodyEncoding": "URL_ENCODED",
      "RequestEncodingOptions": {"ArrayFormat": "BRACKETS"}}})");
  EXPECT_EQ(r.body, "a%5B%5D=x&a%5B%5D=y");
  EXPECT_EQ(r.headers["content-type"], "application/x-www-form-urlencoded");
}

TEST(HttpTaskRequestTest, ConnectionParametersAndAuthWin) {
  Connection c;
  c.arn = "arn:aws:events:us-east-1:1:connection/c/1";
  c.type = AuthorizationType::kBasic;
  c.username = "user";
  c.password = "pass";
  c.invocation.headers = {{"X-Team", "conn", false}};
  c.invocation.query = {{"q", "from-conn", false}};
  c.invocation.body = {{"k", "conn-v", true}};
  net::HttpClientRequest r = Build(R"({"ApiEndpoint": "http://h/p", "Method": "PUT",
      "Headers": {"X-Team": "task", "Authorization": "Bearer mine"},
      "QueryParameters": {"q": "task", "r": "1"}, "RequestBody": {"k": "task", "z": 1}})", &c);
  EXPECT_EQ(r.headers["x-team"], "conn");
  EXPECT_EQ(r.headers["authorization"], "Basic dXNlcjpwYXNz");
  EXPECT_EQ(r.url, "http://h/p?r=1&q=from-conn");
  EXPECT_EQ(r.body, R"({"k":"conn-v","z":1})");

  Connection key;
  key.type = AuthorizationType::kApiKey;
  key.api_key_name = "X-Api-Key";
  key.api_key_value = "k123";
  r = Build(R"({"ApiEndpoint": "http://h/", "Method": "GET"})", &key);
  EXPECT_EQ(r.headers["x-api-key"], "k123");
  EXPECT_TRUE(r.body.empty());
}

TEST(HttpTaskRequestTest, RefusesBadParametersNamingTheField) {
  EXPECT_THAT(ErrorOf(R"({"Method": "GET"})"), HasSubstr("ApiEndpoint is required"));
  EXPECT_THAT(ErrorOf(R"({"ApiEndpoint": "ftp://h/file", "Method": "GET"})"),
              HasSubstr("only http and https are allowed"));
  EXPECT_THAT(ErrorOf(R"({"ApiEndpoint": "file:///etc/passwd", "Method": "GET"})"),
              HasSubstr("ApiEndpoint"));
  EXPECT_THAT(ErrorOf(R"({"ApiEndpoint": "http://h/", "Method": "TRACE"})"),
              HasSubstr("Method 'TRACE' is not one of"));
  EXPECT_THAT(ErrorOf(R"({"ApiEndpoint": "http://h/", "Method": "GET", "Headers": {"Host": "x"}})"),
              HasSubstr("Headers.Host is a header the HTTP Task does not allow"));
  EXPECT_THAT(ErrorOf(R"({"ApiEndpoint": "http://h/", "Method": "GET",
      "Headers": {"x-amz-date": "x"}})"), HasSubstr("does not allow"));
  EXPECT_THAT(ErrorOf(R"({"ApiEndpoint": "http://h/", "Method": "GET",
      "Headers": {"X-A": "v\r\nX-Injected: 1"}})"), HasSubstr("Headers.X-A contains a control"));
  EXPECT_THAT(ErrorOf(R"({"ApiEndpoint": "http://h/", "Method": "GET", "Headers": {"X": {}}})"),
              HasSubstr("Headers.X must be"));
  EXPECT_THAT(ErrorOf(R"({"ApiEndpoint": "http://h/", "Method": "POST",
      "Transform": {"RequestBodyEncoding": "GZIP"}})"), HasSubstr("RequestBodyEncoding 'GZIP'"));
  EXPECT_THAT(ErrorOf(R"({"ApiEndpoint": "http://h/", "Method": "POST",
      "Transform": {"RequestEncodingOptions": {"ArrayFormat": "JSON"}}})"),
              HasSubstr("ArrayFormat 'JSON'"));
  EXPECT_FALSE(ConnectionArnOf(Params(R"({"Authentication": "arn"})")).ok());
  EXPECT_EQ(*ConnectionArnOf(Params(R"({"Authentication": {"ConnectionArn": "arn:x"}})")), "arn:x");
  EXPECT_EQ(*ConnectionArnOf(Params(R"({"ApiEndpoint": "http://h/"})")), "");
}

TEST(HttpTaskRequestTest, ReservedHeaders) {
  EXPECT_TRUE(IsReservedHeader("Transfer-Encoding"));
  EXPECT_TRUE(IsReservedHeader("X-Forwarded-For"));
  EXPECT_TRUE(IsReservedHeader("X-Amzn-Trace-Id"));
  EXPECT_FALSE(IsReservedHeader("Content-Type"));
  EXPECT_FALSE(IsReservedHeader("X-Api-Key"));
}

}  // namespace
}  // namespace stepwise::integrations::http
