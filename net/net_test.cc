// Tests of net/: the credentials chain (environment, shared files, static),
// the SigV4 signer against AWS's published vectors and botocore's
// signature of a Lambda Invoke, URL parsing and the HTTP client against a
// loopback socket (answer, size limit, deadline, refused connection).
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read_until.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/streambuf.hpp"
#include "boost/asio/write.hpp"
#include "gtest/gtest.h"
#include "net/aws_credentials.h"
#include "net/http_client.h"
#include "net/sigv4.h"
#include "net/sigv4_signer.h"

namespace stepwise::net {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr int64_t kVectorTime = 1440938160;  // 20150830T123600Z

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "net_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

EnvLookup EnvOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(AwsCredentialsTest, EnvironmentComesFirst) {
  TempDir dir;
  std::string file = dir.Write("credentials", "[default]\naws_access_key_id = FILEKEY\n"
                                              "aws_secret_access_key = filesecret\n");
  AwsCredentialsOptions o;
  o.env = EnvOf({{"AWS_ACCESS_KEY_ID", "ENVKEY"},
                 {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                 {"AWS_SESSION_TOKEN", "envtoken"},
                 {"AWS_SHARED_CREDENTIALS_FILE", file}});
  auto c = ResolveAwsCredentials(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "ENVKEY");
  EXPECT_EQ(c->secret_access_key, "envsecret");
  EXPECT_EQ(c->session_token, "envtoken");
  EXPECT_EQ(c->Describe(), "ENVKEY from environment");
}

TEST(AwsCredentialsTest, SharedCredentialsFileProfile) {
  TempDir dir;
  std::string file = dir.Write("credentials",
                               "# comment\n[default]\naws_access_key_id=DEFKEY\n"
                               "aws_secret_access_key=defsecret\n\n[work]\n"
                               "AWS_ACCESS_KEY_ID = WORKKEY\naws_secret_access_key = worksecret\n"
                               "aws_session_token = worktoken\n");
  AwsCredentialsOptions o;
  o.env = EnvOf({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_CONFIG_FILE", "/nonexistent"}});
  auto c = ResolveAwsCredentials(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "DEFKEY");
  EXPECT_EQ(c->session_token, "");

  o.env = EnvOf({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "work"}});
  c = ResolveAwsCredentials(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "WORKKEY");
  EXPECT_EQ(c->secret_access_key, "worksecret");
  EXPECT_EQ(c->session_token, "worktoken");
  EXPECT_NE(c->Describe().find("profile work"), std::string::npos);
  EXPECT_EQ(c->Describe().find("worksecret"), std::string::npos);

  // The option beats AWS_PROFILE.
  o.profile = "default";
  c = ResolveAwsCredentials(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "DEFKEY");
}

TEST(AwsCredentialsTest, HomeDirectoryFilesAndConfigFileProfiles) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/.aws");
  dir.Write(".aws/config", "[default]\nregion = us-east-1\naws_access_key_id = CFGDEF\n"
                           "aws_secret_access_key = cfgdef\n[profile ops]\n"
                           "aws_access_key_id = CFGOPS\naws_secret_access_key = cfgops\n"
                           "[ops]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n");
  AwsCredentialsOptions o;
  o.env = EnvOf({{"HOME", dir.path()}});
  auto c = ResolveAwsCredentials(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "CFGDEF");
  o.profile = "ops";
  c = ResolveAwsCredentials(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "CFGOPS");

  // The credentials file beats the config file for the same profile.
  dir.Write(".aws/credentials", "[ops]\naws_access_key_id = CREDOPS\n"
                                "aws_secret_access_key = credops\n");
  c = ResolveAwsCredentials(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "CREDOPS");
}

TEST(AwsCredentialsTest, MissingAndIncompleteAndStatic) {
  TempDir dir;
  AwsCredentialsOptions o;
  o.env = EnvOf({{"HOME", dir.path()}, {"AWS_ACCESS_KEY_ID", "ONLYID"}});
  auto c = ResolveAwsCredentials(o);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);

  std::string file = dir.Write("creds", "[default]\naws_access_key_id = HALF\n");
  o.env = EnvOf({{"AWS_SHARED_CREDENTIALS_FILE", file}});
  c = ResolveAwsCredentials(o);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find(file), std::string::npos);

  o.static_credentials = AwsCredentials{"STATIC", "staticsecret", "", ""};
  c = ResolveAwsCredentials(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "STATIC");
  EXPECT_EQ(c->source, "configuration");
}

// AWS's SigV4 test suite: get-vanilla and post-vanilla.
TEST(SigV4SignerTest, PublishedVectors) {
  AwsCredentials creds{"AKIDEXAMPLE", kSecret, "", "test"};
  HttpClientRequest get;
  get.url = "https://example.amazonaws.com/";
  ASSERT_TRUE(SignSigV4(get, creds, {"us-east-1", "service"}, kVectorTime).ok());
  EXPECT_EQ(get.headers["x-amz-date"], "20150830T123600Z");
  EXPECT_EQ(get.headers["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  HttpClientRequest post;
  post.method = "POST";
  post.url = "https://example.amazonaws.com/";
  ASSERT_TRUE(SignSigV4(post, creds, {"us-east-1", "service"}, kVectorTime).ok());
  EXPECT_EQ(post.headers["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

// A Lambda Invoke with a session token, as botocore 1.43 signs it.
TEST(SigV4SignerTest, LambdaInvokeWithSessionTokenMatchesBotocore) {
  AwsCredentials creds{"AKIDEXAMPLE", kSecret, "SESSIONTOKEN/abc=", "test"};
  HttpClientRequest r;
  r.method = "POST";
  r.url = "http://127.0.0.1:9001/2015-03-31/functions/my-fn/invocations?Qualifier=prod";
  r.headers = {{"content-type", "application/json"},
               {"x-amz-invocation-type", "RequestResponse"},
               {"user-agent", "stepwise"}};
  r.body = R"({"a":1})";
  ASSERT_TRUE(SignSigV4(r, creds, {"eu-west-1", "lambda"}, kVectorTime).ok());
  EXPECT_EQ(r.headers["x-amz-security-token"], "SESSIONTOKEN/abc=");
  EXPECT_EQ(r.headers["host"], "127.0.0.1:9001");
  EXPECT_EQ(r.headers.count("x-amz-content-sha256"), 0u);
  EXPECT_EQ(r.headers["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/lambda/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-invocation-type;"
            "x-amz-security-token, "
            "Signature=88439e1aafe237c98dabfb7435415adb24e1b3e52d7bbfe3eb728a950333b994");
  SignOptions s3;
  s3.content_sha256_header = true;
  ASSERT_TRUE(SignSigV4(r, creds, {"eu-west-1", "s3"}, kVectorTime, s3).ok());
  EXPECT_EQ(r.headers["x-amz-content-sha256"], Sha256Hex(R"({"a":1})"));
}

TEST(UrlTest, ParsesAndRefuses) {
  auto u = ParseUrl("https://lambda.eu-west-1.amazonaws.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->HostHeader(), "lambda.eu-west-1.amazonaws.com");
  u = ParseUrl("http://[::1]:9001/a?b=c");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->HostHeader(), "[::1]:9001");
  EXPECT_EQ(u->target, "/a?b=c");
  for (const char* bad : {"ftp://x/", "file:///etc/passwd", "http://", "http://h:99999/",
                          "http://user:pw@h/", "h:80", "http://h/a b", "gopher://h"}) {
    EXPECT_EQ(ParseUrl(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// A loopback server answering each connection with `reply` (or nothing).
class OneShotServer {
 public:
  explicit OneShotServer(std::string reply, bool answer = true)
      : acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, reply = std::move(reply), answer] {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket s(ioc_);
      acceptor_.accept(s, ec);
      if (ec) return;
      boost::asio::streambuf buf;
      boost::asio::read_until(s, buf, "\r\n\r\n", ec);
      request_ = std::string(boost::asio::buffers_begin(buf.data()),
                             boost::asio::buffers_end(buf.data()));
      if (answer) {
        boost::asio::write(s, boost::asio::buffer(reply), ec);
      } else {
        while (!stop_) usleep(10000);
      }
    });
  }
  ~OneShotServer() {
    stop_ = true;
    acceptor_.close();
    thread_.join();
  }
  int port() const { return port_; }
  const std::string& request() const { return request_; }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::string request_;
  std::thread thread_;
};

TEST(HttpClientTest, PlainHttpAnswer) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Amz-Function-Error: Unhandled\r\n"
      "Connection: close\r\n\r\nhello");
  auto client = HttpClient::Create({});
  ASSERT_TRUE(client.ok()) << client.status();
  HttpClientRequest r;
  r.method = "POST";
  r.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/p?q=1";
  r.headers["x-custom"] = "v";
  r.body = "{}";
  auto res = (*client)->SendAndWait(r, {});
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hello");
  EXPECT_EQ(res->headers["x-amz-function-error"], "Unhandled");
  EXPECT_NE(server.request().find("POST /p?q=1 HTTP/1.1"), std::string::npos);
  EXPECT_NE(server.request().find("x-custom: v"), std::string::npos);
}

TEST(HttpClientTest, ResponseSizeLimit) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  auto client = HttpClient::Create({});
  ASSERT_TRUE(client.ok());
  HttpClientRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  HttpCallOptions o;
  o.max_response_bytes = 10;
  auto res = (*client)->SendAndWait(r, o);
  EXPECT_EQ(res.status().code(), absl::StatusCode::kResourceExhausted) << res.status();
}

TEST(HttpClientTest, DeadlineAndRefusedConnection) {
  OneShotServer silent("", /*answer=*/false);
  auto client = HttpClient::Create({});
  ASSERT_TRUE(client.ok());
  HttpClientRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/";
  HttpCallOptions o;
  o.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  auto res = (*client)->SendAndWait(r, o);
  EXPECT_EQ(res.status().code(), absl::StatusCode::kDeadlineExceeded) << res.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  int closed_port = 0;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    closed_port = a.local_endpoint().port();
  }
  r.url = "http://127.0.0.1:" + std::to_string(closed_port) + "/";
  res = (*client)->SendAndWait(r, {});
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable) << res.status();
  EXPECT_NE(res.status().message().find("127.0.0.1"), std::string::npos);

  r.url = "ftp://127.0.0.1/";
  res = (*client)->SendAndWait(r, {});
  EXPECT_EQ(res.status().code(), absl::StatusCode::kInvalidArgument);
}

// An HTTPS server with a self-signed certificate for DNS:localhost only,
// answering every connection that completes the handshake.
class TlsServer {
 public:
  explicit TlsServer(const TempDir& dir) {
    cert_ = dir.path() + "/cert.pem";
    std::string key = dir.path() + "/key.pem";
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                      "-addext subjectAltName=DNS:localhost -keyout " + key + " -out " + cert_ +
                      " >/dev/null 2>&1";
    ok_ = std::system(cmd.c_str()) == 0;
    if (!ok_) return;
    ctx_.use_certificate_chain_file(cert_);
    ctx_.use_private_key_file(key, boost::asio::ssl::context::pem);
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      while (!stop_) {
        boost::system::error_code ec;
        boost::asio::ip::tcp::socket s(ioc_);
        acceptor_.accept(s, ec);
        if (ec || stop_) return;
        boost::asio::ssl::stream<boost::asio::ip::tcp::socket> tls(std::move(s), ctx_);
        tls.handshake(boost::asio::ssl::stream_base::server, ec);
        if (ec) continue;  // the client refused our certificate
        boost::asio::streambuf buf;
        boost::asio::read_until(tls, buf, "\r\n\r\n", ec);
        std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        boost::asio::write(tls, boost::asio::buffer(reply), ec);
        tls.shutdown(ec);
      }
    });
  }
  ~TlsServer() {
    stop_ = true;
    if (!ok_) return;
    {
      // Wakes the blocking accept.
      boost::asio::io_context ioc;
      boost::asio::ip::tcp::socket s(ioc);
      boost::system::error_code ec;
      s.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port_)}, ec);
    }
    thread_.join();
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }
  const std::string& cert() const { return cert_; }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_{boost::asio::ssl::context::tls_server};
  boost::asio::ip::tcp::acceptor acceptor_{ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  std::string cert_;
  bool ok_ = false;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(HttpClientTest, HttpsVerifiesTheChainAndTheHostName) {
  TempDir dir;
  TlsServer server(dir);
  if (!server.ok()) GTEST_SKIP() << "openssl cannot make a certificate";
  std::string port = std::to_string(server.port());
  HttpClientRequest r;
  r.url = "https://localhost:" + port + "/";
  // The system's trust store does not know a self-signed certificate.
  auto system = HttpClient::Create({});
  ASSERT_TRUE(system.ok());
  auto res = (*system)->SendAndWait(r, {});
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable) << res.status();
  EXPECT_NE(res.status().message().find("TLS handshake failed"), std::string::npos);
  // With it as the CA bundle: the answer.
  HttpClientOptions o;
  o.ca_file = server.cert();
  auto pinned = HttpClient::Create(o);
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  res = (*pinned)->SendAndWait(r, {});
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->body, "ok");
  // The right chain for another name: refused.
  r.url = "https://127.0.0.1:" + port + "/";
  res = (*pinned)->SendAndWait(r, {});
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable) << res.status();
}

TEST(HttpClientTest, BadCaBundleIsRefused) {
  HttpClientOptions o;
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(HttpClient::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace stepwise::net
