// AwsApiClient: the AwsApi (aws_api.h) Stepwise runs on: builds the
// request in the service's protocol (aws_json_protocol.h,
// aws_s3_protocol.h, aws_query_protocol.h), signs it with SigV4 for the
// service's signing name in the call's region, sends it to the service's
// endpoint (aws_endpoints.h) over net::HttpClient with the call's deadline
// and a response size limit, and reads the answer back into the
// operation's output or the service's error.
// Credentials: a service's static keys when configured
// (--aws-service-credentials SERVICE=FILE, `*` for every service without
// its own), else the standard chain (environment, shared credentials and
// config files, --aws-profile). Secrets never reach logs: only the key id
// and where it came from.
// Threads: Knows and Call from any thread; `done` runs on the HTTP
// client's thread, or on the caller's when the call cannot be sent. After
// Stop, calls in flight and later ones never call `done`.
#ifndef SW_INTEGRATIONS_AWS_AWS_API_CLIENT_H_
#define SW_INTEGRATIONS_AWS_AWS_API_CLIENT_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "integrations/aws/aws_api.h"
#include "integrations/aws/aws_endpoints.h"
#include "net/aws_credentials.h"
#include "net/http_client.h"

namespace stepwise::integrations {

struct AwsApiClientOptions {
  // aws-sdk service name → endpoint URL.
  std::map<std::string, std::string> endpoints;
  // The profile of the standard chain ("" = AWS_PROFILE, else default).
  std::string profile;
  // aws-sdk service name (or "*") → static keys.
  std::map<std::string, net::AwsCredentials> static_credentials;
  // Environment lookup for the chain; null reads the process environment.
  net::EnvLookup env;
  // The largest answer read (S3 objects, big JSON lists).
  size_t max_response_bytes = 10 << 20;
  // The longest a call may take whatever its Task allows.
  int64_t max_timeout_ms = 300000;
};

class AwsApiClient : public AwsApi {
 public:
  AwsApiClient(AwsApiClientOptions options, std::unique_ptr<net::HttpClient> client);

  bool Knows(std::string_view service) const override;
  void Call(AwsApiRequest request, std::function<void(AwsApiResponse)> done) override;
  // Stops the HTTP client (joins its thread). Idempotent; any thread but
  // the client's own.
  void Stop() override;

  const AwsEndpoints& endpoints() const { return endpoints_; }
  // The keys `service`'s calls are signed with ("*": those of a service
  // without its own), or why there are none (the chain's kNotFound). Log
  // only their Describe().
  absl::StatusOr<net::AwsCredentials> CredentialsOf(std::string_view service);

 private:
  net::AwsCredentialsProvider& CredentialsFor(std::string_view service);

  const AwsEndpoints endpoints_;
  const size_t max_response_bytes_;
  const int64_t max_timeout_ms_;
  std::unique_ptr<net::AwsCredentialsProvider> chain_;
  std::map<std::string, std::unique_ptr<net::AwsCredentialsProvider>, std::less<>> statics_;
  std::mutex mu_;
  std::unique_ptr<net::HttpClient> client_;  // under mu_; null once stopped
};

// Reads a static credentials file for --aws-service-credentials: the first
// line that is neither blank nor a `#` comment holds
// `ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN]`. kNotFound when
// unreadable, kInvalidArgument naming the file when malformed.
absl::StatusOr<net::AwsCredentials> ReadStaticAwsCredentials(const std::string& path);

}  // namespace stepwise::integrations

#endif  // SW_INTEGRATIONS_AWS_AWS_API_CLIENT_H_
