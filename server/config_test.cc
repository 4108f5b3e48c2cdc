#include "server/config.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include <unistd.h>

#include "gtest/gtest.h"

namespace stepwise::server {
namespace {

EnvFn Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string WriteFile(const std::string& text) {
  // One file per test and process: ctest runs these tests in parallel.
  std::string path = ::testing::TempDir() + "/stepwised_config_test_" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                     std::to_string(::getpid()) + ".conf";
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, DefaultsWithNoArguments) {
  auto c = LoadConfig({}, Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->data_dir, "./stepwise-data");
  EXPECT_EQ(c->grpc_listen, "127.0.0.1:7700");
  EXPECT_EQ(c->http_listen, "127.0.0.1:8083");
  EXPECT_EQ(c->time_scale, 1.0);
  EXPECT_FALSE(c->insecure);
}

TEST(ConfigTest, FlagBeatsEnvBeatsFile) {
  std::string file = WriteFile(
      "# comment\n"
      "data_dir = /from/file\n"
      "region = eu-west-1\n"
      "account = \"111\"\n"
      "shards = 3\n");
  auto c = LoadConfig({"--config", file, "--data-dir=/from/flag", "--insecure"},
                      Env({{"STEPWISE_DATA_DIR", "/from/env"}, {"STEPWISE_REGION", "ap-1"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->data_dir, "/from/flag");
  EXPECT_EQ(c->region, "ap-1");
  EXPECT_EQ(c->account, "111");
  EXPECT_EQ(c->shards, 3);
  EXPECT_TRUE(c->insecure);
}

TEST(ConfigTest, VersionAndAliasQuotas) {
  auto d = LoadConfig({}, Env({}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->max_versions_per_machine, 1000);
  EXPECT_EQ(d->max_aliases_per_machine, 100);
  std::string file = WriteFile("max_aliases_per_machine = 7\n");
  auto c = LoadConfig({"--config", file, "--max-versions-per-machine", "3"}, Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_versions_per_machine, 3);
  EXPECT_EQ(c->max_aliases_per_machine, 7);
  auto bad = LoadConfig({"--max-versions-per-machine", "0"}, Env({}));
  EXPECT_FALSE(bad.ok());
}

TEST(ConfigTest, MapRunMaxOpenChildren) {
  auto d = LoadConfig({}, Env({}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->map_run_max_open_children, 10000);
  std::string file = WriteFile("map_run_max_open_children = 64\n");
  auto c = LoadConfig({"--config", file}, Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->map_run_max_open_children, 64);
  c = LoadConfig({"--map-run-max-open-children", "5"}, Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->map_run_max_open_children, 5);
  auto bad = LoadConfig({"--map-run-max-open-children", "0"}, Env({}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("map-run-max-open-children"), std::string::npos)
      << bad.status();
}

TEST(ConfigTest, ConfigFileFromEnv) {
  std::string file = WriteFile("grpc-listen = 0.0.0.0:9000\n");
  auto c = LoadConfig({}, Env({{"STEPWISE_CONFIG", file}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->grpc_listen, "0.0.0.0:9000");
}

TEST(ConfigTest, BadValuesNameTheOrigin) {
  auto c = LoadConfig({"--time-scale", "fast"}, Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("--time-scale"), std::string::npos);

  c = LoadConfig({}, Env({{"STEPWISE_LOG_FORMAT", "xml"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("STEPWISE_LOG_FORMAT"), std::string::npos);

  c = LoadConfig({"--config", WriteFile("bogus = 1\n")}, Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find(":1"), std::string::npos);

  EXPECT_FALSE(LoadConfig({"--nope"}, Env({})).ok());
  EXPECT_FALSE(LoadConfig({"--data-dir"}, Env({})).ok());
  EXPECT_FALSE(LoadConfig({"--grpc-listen", "nocolon"}, Env({})).ok());
  EXPECT_FALSE(LoadConfig({"--tls-cert", "a.pem"}, Env({})).ok());
  EXPECT_FALSE(LoadConfig({"--config", "/nonexistent/x.conf"}, Env({})).ok());
}

TEST(ConfigTest, StoreIsAPostgresUriAndExcludesDataDir) {
  auto c = LoadConfig({"--store", "postgresql://sw@db.example/stepwise"}, Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->store, "postgresql://sw@db.example/stepwise");
  EXPECT_TRUE(LoadConfig({}, Env({{"STEPWISE_STORE", "postgres://h/d"}})).ok());

  c = LoadConfig({"--store", "postgresql://h/d", "--data-dir", "/var/lib/x"}, Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("--store and --data-dir"), std::string::npos)
      << c.status();
  c = LoadConfig({"--store", "postgresql://h/d"}, Env({{"STEPWISE_DATA_DIR", "/x"}}));
  EXPECT_FALSE(c.ok());

  // A value that is not a URI is refused without echoing it (it may hold a password).
  c = LoadConfig({"--store", "host=h password=hunter22"}, Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(std::string(c.status().message()).find("hunter22"), std::string::npos) << c.status();
  EXPECT_NE(std::string(c.status().message()).find("postgresql://"), std::string::npos);
}

TEST(ConfigTest, ClusterModeNeedsAPostgresStore) {
  auto c = LoadConfig({"--store", "postgresql://h/d", "--cluster-shards", "32",
                       "--advertise-address", "10.0.0.5:7700", "--cluster-lease-ttl", "6"},
                      Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cluster_shards, 32);
  EXPECT_EQ(c->advertise_address, "10.0.0.5:7700");
  EXPECT_EQ(c->cluster_lease_ttl_seconds, 6);
  EXPECT_EQ(LoadConfig({}, Env({}))->cluster_shards, 0);  // off by default

  c = LoadConfig({"--cluster-shards", "32"}, Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("needs a PostgreSQL --store"),
            std::string::npos)
      << c.status();
  c = LoadConfig({"--store", "postgresql://h/d", "--advertise-address", "h:1"}, Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("need --cluster-shards"), std::string::npos)
      << c.status();
  EXPECT_FALSE(LoadConfig({"--store", "postgresql://h/d", "--cluster-shards", "0"}, Env({})).ok());
  EXPECT_FALSE(LoadConfig({"--store", "postgresql://h/d", "--cluster-shards", "8",
                           "--advertise-address", "nocolon"},
                          Env({}))
                   .ok());
}

TEST(ConfigTest, HostPortAndLoopback) {
  auto hp = ParseHostPort("[::1]:7700");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 7700);
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
}

TEST(ConfigTest, TokensFile) {
  std::string file = WriteFile("# tokens\n\nabc\n  def  \n");
  auto t = ReadTokensFile(file);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (std::vector<std::string>{"abc", "def"}));
  EXPECT_FALSE(ReadTokensFile(WriteFile("\n# none\n")).ok());
}

TEST(ConfigTest, AwsCredentialsFile) {
  std::string file = WriteFile("# keys\n\nAKID1 secret/one+\n  AKID2\tsecret2  \n");
  auto k = ReadAwsCredentialsFile(file);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(*k, (std::map<std::string, std::string>{{"AKID1", "secret/one+"},
                                                    {"AKID2", "secret2"}}));
  auto bad = ReadAwsCredentialsFile(WriteFile("AKID1\n"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("line 1"), absl::string_view::npos);
  EXPECT_FALSE(ReadAwsCredentialsFile(WriteFile("# none\n")).ok());
  EXPECT_EQ(ReadAwsCredentialsFile("/nonexistent/keys").status().code(),
            absl::StatusCode::kNotFound);

  auto c = LoadConfig({"--aws-credentials-file", "/etc/k"}, Env({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->aws_credentials_file, "/etc/k");
}

TEST(ConfigTest, HttpSecurityOptions) {
  std::string file = WriteFile("http_timeout = 7\naudit_log = /tmp/audit.jsonl\n");
  auto c = LoadConfig({"--config", file, "--tls-cert", "c.pem", "--tls-key", "k.pem",
                       "--http-tls-client-ca", "ca.pem"},
                      Env({{"STEPWISE_HTTP_TIMEOUT", "9"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http_timeout_seconds, 9);
  EXPECT_EQ(c->audit_log, "/tmp/audit.jsonl");
  EXPECT_EQ(c->http_tls_client_ca, "ca.pem");
  EXPECT_EQ(LoadConfig({}, Env({}))->http_timeout_seconds, 30);

  auto zero = LoadConfig({"--http-timeout", "0"}, Env({}));
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("--http-timeout"), std::string::npos);
  auto no_cert = LoadConfig({"--http-tls-client-ca", "ca.pem"}, Env({}));
  ASSERT_FALSE(no_cert.ok());
  EXPECT_NE(no_cert.status().message().find("--http-tls-client-ca"), std::string::npos);
  std::remove(file.c_str());
}

}  // namespace
}  // namespace stepwise::server

namespace stepwise::server {
namespace {

TEST(ConfigTest, HttpTaskConnectionsAndCaFileFromFileAndFlags) {
  std::string file = WriteFile(
      "connections-file = /etc/stepwise/connections.json\n"
      "http_ca_file = /etc/stepwise/ca.pem\n");
  auto c = LoadConfig({"--config", file, "--http-ca-file", "/tmp/other-ca.pem"}, Env({}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->connections_file, "/etc/stepwise/connections.json");
  EXPECT_EQ(c->http_ca_file, "/tmp/other-ca.pem");  // the flag wins
}

TEST(ConfigTest, ExpressLogDirFromFileEnvAndFlags) {
  std::string file = WriteFile("express-log-dir = /var/log/stepwise/express\n");
  auto c = LoadConfig({"--config", file}, Env({{"STEPWISE_EXPRESS_LOG_STDOUT", "true"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->express_log_dir, "/var/log/stepwise/express");
  EXPECT_TRUE(c->express_log_stdout);
  auto flags = LoadConfig({"--config", file, "--express-log-dir", "/tmp/x", "--express-log-stdout"},
                          Env({}));
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->express_log_dir, "/tmp/x");
  EXPECT_TRUE(flags->express_log_stdout);
  EXPECT_FALSE(LoadConfig({}, Env({}))->express_log_stdout);
}

TEST(ConfigTest, LambdaRoutesAddUpAcrossFileEnvAndFlags) {
  std::string file = WriteFile(
      "lambda-endpoint = http://127.0.0.1:9001\n"
      "lambda-route = billing=https://lambda.eu-west-1.amazonaws.com\n"
      "lambda_route = local=queue\n"
      "lambda-route = shared=queue\n");
  auto c = LoadConfig({"--config", file, "--lambda-route", "shared=http://10.0.0.1:8080/base",
                       "--lambda-route=extra=queue", "--lambda-profile", "ops"},
                      Env({{"STEPWISE_LAMBDA_ROUTE", "envfn=http://[::1]:9002, other=queue"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->lambda_endpoint, "http://127.0.0.1:9001");
  EXPECT_EQ(c->lambda_profile, "ops");
  std::map<std::string, std::string> want = {
      {"billing", "https://lambda.eu-west-1.amazonaws.com"},
      {"local", "queue"},
      {"shared", "http://10.0.0.1:8080/base"},  // the flag replaces the file's
      {"extra", "queue"},
      {"envfn", "http://[::1]:9002"},
      {"other", "queue"}};
  EXPECT_EQ(c->lambda_routes, want);
}

TEST(ConfigTest, BadLambdaRoutesNameTheOriginAndTheField) {
  auto c = LoadConfig({"--lambda-route", "noequals"}, Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--lambda-route"), std::string::npos);
  EXPECT_NE(c.status().message().find("NAME=URL"), std::string::npos);
  c = LoadConfig({"--lambda-route", "bad name=queue"}, Env({}));
  EXPECT_NE(c.status().message().find("function name"), std::string::npos);
  c = LoadConfig({"--lambda-route", "fn=ftp://x/"}, Env({}));
  EXPECT_NE(c.status().message().find("only http and https"), std::string::npos);
  c = LoadConfig({"--lambda-endpoint", "localhost:9001"}, Env({}));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  std::string file = WriteFile("lambda-route = fn=gopher://h\n");
  c = LoadConfig({"--config", file}, Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(":1"), std::string::npos);
}

TEST(ConfigTest, AwsEndpointsAndCredentialsAddUpAcrossFileEnvAndFlags) {
  std::string file = WriteFile(
      "aws-endpoint = dynamodb=http://127.0.0.1:8000\n"
      "aws_endpoint = s3=http://127.0.0.1:4568\n"
      "aws-service-credentials = dynamodb=/etc/stepwise/dynamodb.keys\n"
      "aws-profile = file-profile\n");
  auto c = LoadConfig({"--config", file, "--aws-endpoint", "s3=http://127.0.0.1:9000",
                       "--aws-service-credentials", "*=/etc/stepwise/all.keys", "--aws-profile",
                       "ops", "--aws-ca-file", "/etc/ca.pem"},
                      Env({{"STEPWISE_AWS_ENDPOINT", "sfn=http://127.0.0.1:8083"}}));
  ASSERT_TRUE(c.ok()) << c.status();
  std::map<std::string, std::string> endpoints = {{"dynamodb", "http://127.0.0.1:8000"},
                                                  {"s3", "http://127.0.0.1:9000"},
                                                  {"sfn", "http://127.0.0.1:8083"}};
  EXPECT_EQ(c->aws_endpoints, endpoints);
  std::map<std::string, std::string> keys = {{"dynamodb", "/etc/stepwise/dynamodb.keys"},
                                             {"*", "/etc/stepwise/all.keys"}};
  EXPECT_EQ(c->aws_service_credentials, keys);
  EXPECT_EQ(c->aws_profile, "ops");
  EXPECT_EQ(c->aws_ca_file, "/etc/ca.pem");
}

TEST(ConfigTest, BadAwsEndpointsNameTheField) {
  auto c = LoadConfig({"--aws-endpoint", "dynamodb"}, Env({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--aws-endpoint"), std::string::npos);
  EXPECT_NE(c.status().message().find("SERVICE=URL"), std::string::npos);
  c = LoadConfig({"--aws-endpoint", "DynamoDB=http://h"}, Env({}));
  EXPECT_NE(c.status().message().find("aws-sdk service name"), std::string::npos);
  c = LoadConfig({"--aws-endpoint", "*=http://h"}, Env({}));
  EXPECT_FALSE(c.ok());
  c = LoadConfig({"--aws-endpoint", "s3=ftp://h"}, Env({}));
  EXPECT_NE(c.status().message().find("only http and https"), std::string::npos);
  c = LoadConfig({"--aws-service-credentials", "s3="}, Env({}));
  EXPECT_NE(c.status().message().find("SERVICE=FILE"), std::string::npos);
}

TEST(ConfigTest, MockConfigFromFlagEnvironmentAndStepFunctionsLocalVariable) {
  EXPECT_EQ(LoadConfig({}, Env({}))->mock_config_file, "");
  auto flag = LoadConfig({"--mock-config", "/m/flag.json"}, Env({}));
  ASSERT_TRUE(flag.ok()) << flag.status();
  EXPECT_EQ(flag->mock_config_file, "/m/flag.json");
  // Step Functions Local's own variable works unchanged ...
  auto sfn = LoadConfig({}, Env({{"SFN_MOCK_CONFIG", "/m/sfn.json"}}));
  ASSERT_TRUE(sfn.ok()) << sfn.status();
  EXPECT_EQ(sfn->mock_config_file, "/m/sfn.json");
  // ... below Stepwise's own variable (and, like it, above the file, below flags).
  auto both = LoadConfig({}, Env({{"SFN_MOCK_CONFIG", "/m/sfn.json"},
                                  {"STEPWISE_MOCK_CONFIG", "/m/stepwise.json"}}));
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->mock_config_file, "/m/stepwise.json");
  std::string file = WriteFile("mock_config = /m/file.json\n");
  auto from_file = LoadConfig({"--config", file}, Env({}));
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(from_file->mock_config_file, "/m/file.json");
  auto over = LoadConfig({"--config", file, "--mock-config", "/m/flag.json"},
                         Env({{"SFN_MOCK_CONFIG", "/m/sfn.json"}}));
  ASSERT_TRUE(over.ok()) << over.status();
  EXPECT_EQ(over->mock_config_file, "/m/flag.json");
  std::remove(file.c_str());
}

}  // namespace
}  // namespace stepwise::server
