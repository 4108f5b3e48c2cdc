// Tests of AwsApiClient against a loopback HTTP server: the request on the
// wire (target, path-style S3 addressing, headers, body) and its SigV4
// signature recomputed from the bytes received, the answer read back, the
// credentials chosen (static per service, else the chain), and the
// failures without an answer. Also S3's signature of an encoded path
// against botocore's.
#include <atomic>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/read_until.hpp"
#include "boost/asio/streambuf.hpp"
#include "boost/asio/write.hpp"
#include "gtest/gtest.h"
#include "integrations/aws/aws_api_client.h"
#include "net/sigv4.h"
#include "net/sigv4_signer.h"

namespace stepwise::integrations {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Answers one connection with `reply` and keeps the request it read.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::string reply)
      : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, reply = std::move(reply)] {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket s(ioc_);
      acceptor_.accept(s, ec);
      if (ec) return;
      boost::asio::streambuf buf;
      size_t n = boost::asio::read_until(s, buf, "\r\n\r\n", ec);
      std::string all(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_end(buf.data()));
      std::string head = all.substr(0, n);
      std::string body = all.substr(n);
      std::vector<std::string> lines = absl::StrSplit(head, "\r\n");
      std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
      got_.method = first[0];
      got_.target = first.size() > 1 ? first[1] : "";
      for (size_t i = 1; i < lines.size(); ++i) {
        size_t colon = lines[i].find(':');
        if (colon == std::string::npos) continue;
        got_.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
            std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
      }
      size_t length = 0;
      if (auto it = got_.headers.find("content-length"); it != got_.headers.end()) {
        (void)absl::SimpleAtoi(it->second, &length);
      }
      if (body.size() < length) {
        std::string rest(length - body.size(), '\0');
        boost::asio::read(s, boost::asio::buffer(rest), ec);
        body += rest;
      }
      got_.body = body;
      boost::asio::write(s, boost::asio::buffer(reply), ec);
    });
  }
  ~LoopbackServer() {
    acceptor_.close();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The request; valid once the call has answered.
  const ReceivedRequest& request() const { return got_; }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  ReceivedRequest got_;
  std::thread thread_;
};

std::string Reply(int status, const std::string& headers, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\n" + headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

// The signature of `r` recomputed from what went over the wire.
std::string ExpectedSignature(const ReceivedRequest& r, const std::string& region,
                              const std::string& service, bool encode_path) {
  std::string auth = r.headers.at("authorization");
  std::string signed_list = auth.substr(auth.find("SignedHeaders=") + 14);
  signed_list = signed_list.substr(0, signed_list.find(','));
  std::vector<std::string> signed_headers = absl::StrSplit(signed_list, ';');
  std::string amz_date = r.headers.at("x-amz-date");
  std::string canonical = net::SigV4CanonicalRequest(r.method, r.target, r.headers, signed_headers,
                                                     net::Sha256Hex(r.body), encode_path);
  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + region + "/" + service + "/aws4_request";
  return net::SigV4Signature(kSecret, date, region, service,
                             net::SigV4StringToSign(amz_date, scope, canonical));
}

std::string SignatureOf(const ReceivedRequest& r) {
  std::string auth = r.headers.at("authorization");
  return auth.substr(auth.find("Signature=") + 10);
}

net::EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::unique_ptr<AwsApiClient> Client(std::map<std::string, std::string> endpoints,
                                     net::EnvLookup env,
                                     std::map<std::string, net::AwsCredentials> statics = {}) {
  AwsApiClientOptions o;
  o.endpoints = std::move(endpoints);
  o.env = std::move(env);
  o.static_credentials = std::move(statics);
  auto http = net::HttpClient::Create({});
  EXPECT_TRUE(http.ok());
  return std::make_unique<AwsApiClient>(std::move(o), *std::move(http));
}

AwsApiResponse CallAndWait(AwsApi& api, AwsApiRequest request) {
  std::promise<AwsApiResponse> p;
  api.Call(std::move(request), [&p](AwsApiResponse r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

// An environment with keys and nowhere else to look.
net::EnvLookup KeysInEnvironment() {
  return Env({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
              {"AWS_SECRET_ACCESS_KEY", kSecret},
              {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"},
              {"AWS_CONFIG_FILE", "/nonexistent/config"}});
}

TEST(AwsApiClientTest, JsonCallSignedAndAnswered) {
  LoopbackServer server(Reply(200, "x-amzn-RequestId: rid-1\r\n",
                              R"({"Item":{"id":{"S":"1"}}})"));
  auto client = Client({{"dynamodb", server.url()}}, KeysInEnvironment());
  AwsApiRequest req;
  req.service = "dynamodb";
  req.operation = "GetItem";
  req.parameters = *ParseJson(R"({"TableName":"t","Key":{"id":{"S":"1"}}})");
  req.region = "eu-west-1";
  AwsApiResponse res = CallAndWait(*client, req);
  ASSERT_TRUE(res.ok()) << res.transport_error << res.error_code;
  EXPECT_EQ(SerializeJson(res.output), R"({"Item":{"id":{"S":"1"}}})");
  EXPECT_EQ(res.request_id, "rid-1");
  const ReceivedRequest& got = server.request();
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.target, "/");
  EXPECT_EQ(got.headers.at("x-amz-target"), "DynamoDB_20120810.GetItem");
  EXPECT_EQ(got.headers.at("content-type"), "application/x-amz-json-1.0");
  EXPECT_EQ(got.body, R"({"TableName":"t","Key":{"id":{"S":"1"}}})");
  EXPECT_NE(got.headers.at("authorization").find("Credential=AKIDENV/"), std::string::npos);
  EXPECT_NE(got.headers.at("authorization").find("/eu-west-1/dynamodb/aws4_request"),
            std::string::npos);
  EXPECT_EQ(SignatureOf(got), ExpectedSignature(got, "eu-west-1", "dynamodb", true));
}

TEST(AwsApiClientTest, S3PathStyleSignedAsS3Wants) {
  LoopbackServer server(Reply(200,
                              "x-amz-request-id: r\r\nETag: \"e\"\r\nContent-Type: text/plain\r\n"
                              "x-amz-meta-owner: me\r\n",
                              "hello"));
  // A static key for s3 only.
  auto client = Client({{"s3", server.url() + "/"}}, KeysInEnvironment(),
                       {{"s3", net::AwsCredentials{"AKIDS3", kSecret, "", "test"}}});
  AwsApiRequest req;
  req.service = "s3";
  req.operation = "GetObject";
  req.parameters = *ParseJson(R"({"Bucket":"my-bucket","Key":"dir/a b+c.txt"})");
  req.region = "us-east-1";
  AwsApiResponse res = CallAndWait(*client, req);
  ASSERT_TRUE(res.ok()) << res.transport_error << res.error_code;
  EXPECT_EQ(SerializeJson(res.output),
            R"({"ContentLength":5,"ContentType":"text/plain","ETag":"\"e\"",)"
            R"("Metadata":{"owner":"me"},"Body":"hello"})");
  const ReceivedRequest& got = server.request();
  EXPECT_EQ(got.method, "GET");
  EXPECT_EQ(got.target, "/my-bucket/dir/a%20b%2Bc.txt");
  EXPECT_EQ(got.headers.at("x-amz-content-sha256"), net::Sha256Hex(""));
  EXPECT_NE(got.headers.at("authorization").find("Credential=AKIDS3/"), std::string::npos);
  EXPECT_EQ(SignatureOf(got), ExpectedSignature(got, "us-east-1", "s3", false));
}

TEST(AwsApiClientTest, ServiceErrorRead) {
  LoopbackServer server(Reply(
      400, "x-amzn-RequestId: rid-2\r\n",
      R"({"__type":"com.amazonaws.swf.base.model#InvalidToken","message":"Invalid Token: 'Invalid token'"})"));
  auto client = Client({{"sfn", server.url()}}, KeysInEnvironment());
  AwsApiRequest req;
  req.service = "sfn";
  req.operation = "SendTaskSuccess";
  req.parameters = *ParseJson(R"({"taskToken":"x","output":"{}"})");
  req.region = "us-east-1";
  AwsApiResponse res = CallAndWait(*client, req);
  EXPECT_FALSE(res.ok());
  EXPECT_FALSE(res.transport_failed);
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.error_code, "InvalidToken");
  EXPECT_EQ(res.request_id, "rid-2");
  EXPECT_EQ(server.request().headers.at("x-amz-target"), "AWSStepFunctions.SendTaskSuccess");
}

TEST(AwsApiClientTest, FailuresWithoutAnAnswer) {
  // No credentials anywhere.
  auto no_keys = Client({{"sqs", "http://127.0.0.1:9"}},
                        Env({{"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"},
                             {"AWS_CONFIG_FILE", "/nonexistent/config"},
                             {"HOME", "/nonexistent"}}));
  AwsApiRequest req;
  req.service = "sqs";
  req.operation = "ListQueues";
  req.region = "us-east-1";
  AwsApiResponse res = CallAndWait(*no_keys, req);
  EXPECT_TRUE(res.transport_failed);
  EXPECT_NE(res.transport_error.find("Unable to load credentials"), std::string::npos)
      << res.transport_error;
  // Nobody listening.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor probe(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::string closed = "http://127.0.0.1:" + std::to_string(probe.local_endpoint().port());
  probe.close();
  auto client = Client({{"sqs", closed}}, KeysInEnvironment());
  res = CallAndWait(*client, req);
  EXPECT_TRUE(res.transport_failed);
  EXPECT_EQ(res.transport_error.rfind("Unable to execute HTTP request: ", 0), 0u)
      << res.transport_error;
  // A request that cannot be built names the member.
  req.service = "s3";
  req.operation = "GetObject";
  req.parameters = *ParseJson(R"({"Key":"k"})");
  res = CallAndWait(*client, req);
  EXPECT_TRUE(res.transport_failed);
  EXPECT_NE(res.transport_error.find("'Bucket'"), std::string::npos) << res.transport_error;
  EXPECT_TRUE(client->Knows("dynamodb"));
  EXPECT_FALSE(client->Knows("nosuch"));
  // Stopped: calls never answer.
  client->Stop();
  bool answered = false;
  req.service = "sqs";
  req.operation = "ListQueues";
  req.parameters = json::object();
  client->Call(req, [&](AwsApiResponse) { answered = true; });
  EXPECT_FALSE(answered);
}

// S3 signs the path as sent (encoded once); botocore 1.43's S3SigV4Auth
// signature of the same request.
TEST(AwsApiClientTest, S3PathSignatureMatchesBotocore) {
  net::AwsCredentials creds{"AKIDEXAMPLE", kSecret, "", "test"};
  net::HttpClientRequest r;
  r.method = "GET";
  r.url = "http://127.0.0.1:9000/my-bucket/dir/a%20b%2Bc.txt?versionId=v%201";
  r.headers["user-agent"] = "stepwise";
  net::SignOptions s3;
  s3.content_sha256_header = true;
  s3.path_as_sent = true;
  ASSERT_TRUE(net::SignSigV4(r, creds, {"us-east-1", "s3"}, 1796559819, s3).ok());
  EXPECT_EQ(r.headers["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261206/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
            "Signature=ed25e0fa4d734852c71799dec519855110a242f86cb545e548a60a7298ad7b0e");
}

TEST(AwsApiClientTest, StaticCredentialsFile) {
  std::string path = ::testing::TempDir() + "/aws_static_keys";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("# keys for the local DynamoDB\n\nAKIDFILE secret/x TOKEN\n", f);
    std::fclose(f);
  }
  auto keys = ReadStaticAwsCredentials(path);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->access_key_id, "AKIDFILE");
  EXPECT_EQ(keys->secret_access_key, "secret/x");
  EXPECT_EQ(keys->session_token, "TOKEN");
  EXPECT_EQ(keys->Describe().find("secret/x"), std::string::npos);
  EXPECT_EQ(ReadStaticAwsCredentials(path + ".none").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace stepwise::integrations
