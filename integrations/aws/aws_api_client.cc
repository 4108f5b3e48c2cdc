// AwsApiClient (aws_api_client.h).
#include "integrations/aws/aws_api_client.h"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"
#include "integrations/aws/aws_json_protocol.h"
#include "integrations/aws/aws_query_protocol.h"
#include "integrations/aws/aws_s3_protocol.h"
#include "integrations/aws/service_table.h"
#include "net/sigv4_signer.h"
#include "spdlog/spdlog.h"

namespace stepwise::integrations {

namespace {

AwsApiResponse NoAnswer(std::string why) {
  AwsApiResponse r;
  r.transport_failed = true;
  r.transport_error = std::move(why);
  return r;
}

std::string RequestIdOf(const net::HttpClientResponse& r) {
  for (const char* name : {"x-amzn-requestid", "x-amz-request-id", "x-amz-requestid"}) {
    if (auto it = r.headers.find(name); it != r.headers.end()) return it->second;
  }
  return std::string();
}

}  // namespace

absl::StatusOr<net::AwsCredentials> ReadStaticAwsCredentials(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read AWS credentials file ", path));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v = absl::StripAsciiWhitespace(line);
    if (v.empty() || v[0] == '#') continue;
    std::vector<std::string> parts = absl::StrSplit(v, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (parts.size() < 2 || parts.size() > 3) break;
    net::AwsCredentials c;
    c.access_key_id = parts[0];
    c.secret_access_key = parts[1];
    if (parts.size() == 3) c.session_token = parts[2];
    c.source = absl::StrCat("file ", path);
    return c;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "AWS credentials file ", path,
      ": expected a line `ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN]`"));
}

AwsApiClient::AwsApiClient(AwsApiClientOptions options, std::unique_ptr<net::HttpClient> client)
    : endpoints_(std::move(options.endpoints)),
      max_response_bytes_(options.max_response_bytes),
      max_timeout_ms_(options.max_timeout_ms),
      client_(std::move(client)) {
  net::AwsCredentialsOptions chain;
  chain.profile = options.profile;
  chain.env = options.env;
  chain_ = std::make_unique<net::AwsCredentialsProvider>(chain);
  for (auto& [service, keys] : options.static_credentials) {
    net::AwsCredentialsOptions fixed;
    fixed.static_credentials = keys;
    statics_[service] = std::make_unique<net::AwsCredentialsProvider>(fixed);
  }
}

bool AwsApiClient::Knows(std::string_view service) const {
  return FindAwsService(service) != nullptr;
}

net::AwsCredentialsProvider& AwsApiClient::CredentialsFor(std::string_view service) {
  if (auto it = statics_.find(service); it != statics_.end()) return *it->second;
  if (auto it = statics_.find("*"); it != statics_.end()) return *it->second;
  return *chain_;
}

absl::StatusOr<net::AwsCredentials> AwsApiClient::CredentialsOf(std::string_view service) {
  return CredentialsFor(service).Get();
}

void AwsApiClient::Stop() {
  std::unique_ptr<net::HttpClient> client;
  {
    std::lock_guard<std::mutex> l(mu_);
    client = std::move(client_);
  }
  client.reset();  // joins its thread; calls in flight are dropped
}

void AwsApiClient::Call(AwsApiRequest request, std::function<void(AwsApiResponse)> done) {
  const AwsServiceInfo* service = FindAwsService(request.service);
  if (service == nullptr || !service->Supports(request.operation)) {
    return done(NoAnswer(absl::StrCat("Stepwise cannot call ", request.service, " ",
                                      request.operation)));
  }
  AwsEndpoint endpoint = endpoints_.For(*service, request.region);
  absl::StatusOr<net::HttpClientRequest> built;
  switch (service->protocol) {
    case AwsProtocol::kJson:
      built = JsonProtocolRequest(*service, endpoint, request.operation, request.parameters);
      break;
    case AwsProtocol::kRestXml:
      built = S3Request(endpoint, request.operation, request.parameters,
                        request.body_bytes ? &*request.body_bytes : nullptr);
      break;
    case AwsProtocol::kQuery:
      built = QueryProtocolRequest(*service, endpoint, request.operation, request.parameters);
      break;
  }
  if (!built.ok()) return done(NoAnswer(std::string(built.status().message())));
  absl::StatusOr<net::AwsCredentials> creds = CredentialsFor(service->name).Get();
  if (!creds.ok()) {
    spdlog::warn("aws {}: {}", service->name, std::string(creds.status().message()));
    return done(NoAnswer(absl::StrCat("Unable to load credentials from any of the providers in "
                                      "the chain: ",
                                      creds.status().message())));
  }
  net::HttpClientRequest r = *std::move(built);
  r.headers["user-agent"] = "stepwise";
  net::SignOptions sign;
  if (service->protocol == AwsProtocol::kRestXml) {
    sign.content_sha256_header = true;
    sign.path_as_sent = true;
  }
  absl::Status signed_ok =
      net::SignSigV4(r, *creds, {request.region, std::string(service->signing_name)},
                     static_cast<int64_t>(std::time(nullptr)), sign);
  if (!signed_ok.ok()) {
    return done(NoAnswer(absl::StrCat("Unable to execute HTTP request: ", signed_ok.message())));
  }
  net::HttpCallOptions options;
  options.timeout_ms = std::clamp<int64_t>(request.timeout_ms, 1, max_timeout_ms_);
  options.max_response_bytes = max_response_bytes_;
  std::string what = absl::StrCat(ToAbsl(service->name), ".", request.operation);
  AwsProtocol protocol = service->protocol;
  std::string operation = request.operation;
  std::lock_guard<std::mutex> l(mu_);
  if (client_ == nullptr) return;  // stopped: the task is called again at the next start
  client_->Send(
      std::move(r), options,
      [done = std::move(done), what, protocol,
       operation](absl::StatusOr<net::HttpClientResponse> res) {
        if (!res.ok()) {
          spdlog::info("aws {}: no answer: {}", what, std::string(res.status().message()));
          return done(NoAnswer(
              absl::StrCat("Unable to execute HTTP request: ", res.status().message())));
        }
        AwsApiResponse out;
        out.status = res->status;
        out.request_id = RequestIdOf(*res);
        out.content_length = res->body.size();
        for (const auto& [name, value] : res->headers) out.headers.emplace_back(name, value);
        switch (protocol) {
          case AwsProtocol::kJson:
            ReadJsonProtocolAnswer(*res, out);
            break;
          case AwsProtocol::kRestXml:
            ReadS3Answer(operation, *res, out);
            break;
          case AwsProtocol::kQuery:
            ReadQueryProtocolAnswer(operation, *res, out);
            break;
        }
        spdlog::debug("aws {}: HTTP {}{}{}", what, out.status,
                      out.error_code.empty() ? "" : " ", out.error_code);
        done(std::move(out));
      });
}

}  // namespace stepwise::integrations
