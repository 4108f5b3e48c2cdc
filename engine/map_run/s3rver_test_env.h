// S3rverTestEnv: a real s3rver on loopback (tests/conformance/
// aws_compatible_servers.h) and an AwsApiClient signed with s3rver's keys
// pointed at it, for the map_run tests that need real S3
// (result_writer_s3rver_test, map_run_reader_s3rver_test). Test-only,
// header-only; used from the test's own thread.
#ifndef SW_ENGINE_MAP_RUN_S3RVER_TEST_ENV_H_
#define SW_ENGINE_MAP_RUN_S3RVER_TEST_ENV_H_

#include <stdlib.h>

#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "integrations/aws/aws_api_client.h"
#include "net/http_client.h"
#include "tests/conformance/aws_compatible_servers.h"

namespace stepwise::engine::map_run {

class S3rverTestEnv {
 public:
  // The node_modules holding s3rver: STEPWISE_AWS_SERVERS_DIR (as
  // scripts/install-aws-servers.sh reads it), else `configured`.
  static std::string ModulesDir(const std::string& configured) {
    const char* dir = getenv("STEPWISE_AWS_SERVERS_DIR");
    return dir != nullptr ? std::string(dir) + "/node_modules" : configured;
  }
  // Whether s3rver and node are there (the tests skip otherwise).
  static bool Available(const std::string& modules) {
    return std::filesystem::exists(modules + "/s3rver") &&
           system("command -v node >/dev/null 2>&1") == 0;
  }

  // Starts s3rver (script `serve_js`, `modules`) with `buckets` in a new
  // temporary directory, and a client for it.
  static absl::StatusOr<std::unique_ptr<S3rverTestEnv>> Start(
      const std::string& serve_js, const std::string& modules,
      const std::vector<std::string>& buckets) {
    std::unique_ptr<S3rverTestEnv> env(new S3rverTestEnv());
    char tmpl[] = "/tmp/sw_s3rver_test_XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
    env->dir_ = tmpl;
    env->servers_ = std::make_unique<conformance::AwsCompatibleServers>(serve_js, modules, env->dir_);
    std::string error;
    if (!env->servers_->Start(buckets, &error)) return absl::UnavailableError(error);
    integrations::AwsApiClientOptions o;
    o.endpoints = {{"s3", env->servers_->s3_url()}};
    o.static_credentials = {{"*", net::AwsCredentials{"S3RVER", "S3RVER", "", "test"}}};
    auto http = net::HttpClient::Create({});
    if (!http.ok()) return http.status();
    env->client_ = std::make_unique<integrations::AwsApiClient>(std::move(o), *std::move(http));
    return env;
  }

  ~S3rverTestEnv() {
    if (client_) client_->Stop();
    servers_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  integrations::AwsApiClient& client() { return *client_; }

  // One S3 call, waited for.
  integrations::AwsApiResponse Call(const std::string& operation, json::object parameters,
                                    std::optional<std::string> body = std::nullopt) {
    integrations::AwsApiRequest r;
    r.service = "s3";
    r.operation = operation;
    r.parameters = std::move(parameters);
    r.region = "us-east-1";
    r.body_bytes = std::move(body);
    auto answer = std::make_shared<std::promise<integrations::AwsApiResponse>>();
    auto done = answer->get_future();
    client_->Call(std::move(r), [answer](integrations::AwsApiResponse a) {
      answer->set_value(std::move(a));
    });
    return done.get();
  }

  // GetObject's Body, or an error naming the key and S3's answer.
  absl::StatusOr<std::string> Get(const std::string& bucket, const std::string& key) {
    json::object p;
    p["Bucket"] = bucket;
    p["Key"] = key;
    integrations::AwsApiResponse a = Call("GetObject", std::move(p));
    if (!a.ok()) {
      return absl::NotFoundError(absl::StrCat(key, ": ", a.error_code, " ", a.error_message,
                                              a.transport_error));
    }
    return std::string(a.output.as_object().at("Body").as_string());
  }

  // PutObject of `body`.
  absl::Status Put(const std::string& bucket, const std::string& key, std::string body) {
    json::object p;
    p["Bucket"] = bucket;
    p["Key"] = key;
    integrations::AwsApiResponse a = Call("PutObject", std::move(p), std::move(body));
    if (!a.ok()) {
      return absl::InternalError(absl::StrCat(key, ": ", a.error_code, " ", a.error_message,
                                              a.transport_error));
    }
    return absl::OkStatus();
  }

 private:
  S3rverTestEnv() = default;
  std::string dir_;
  std::unique_ptr<conformance::AwsCompatibleServers> servers_;
  std::unique_ptr<integrations::AwsApiClient> client_;
};

}  // namespace stepwise::engine::map_run

#endif  // SW_ENGINE_MAP_RUN_S3RVER_TEST_ENV_H_
