// AWS credentials for signing outbound requests (net/sigv4_signer.h), found
// the way AWS's SDKs and CLI find them: a static set when configured;
// otherwise AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
// otherwise the profile (AWS_PROFILE, else "default") in the shared
// credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials),
// then in the config file (AWS_CONFIG_FILE, else ~/.aws/config, where a
// profile's section is `[profile NAME]`, and `[default]`).
// Secrets never reach logs: AwsCredentials::Describe() names the key id and
// where it came from, nothing else.
// ResolveAwsCredentials is pure over its inputs (any thread);
// AwsCredentialsProvider is thread-safe.
#ifndef SW_NET_AWS_CREDENTIALS_H_
#define SW_NET_AWS_CREDENTIALS_H_

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace stepwise::net {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" for long-term keys
  std::string source;         // where they came from, e.g. "environment"
  // "AKID… from <source>": safe to log.
  std::string Describe() const;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

struct AwsCredentialsOptions {
  // Used as they are when set (e.g. from stepwised's configuration).
  std::optional<AwsCredentials> static_credentials;
  // The profile to read; "" means AWS_PROFILE, else "default".
  std::string profile;
  // Environment lookup; null reads the process environment.
  EnvLookup env;
};

// Walks the chain above. kNotFound naming where it looked when nothing
// holds a key; kInvalidArgument naming the file and profile when a profile
// has a key id without its secret.
absl::StatusOr<AwsCredentials> ResolveAwsCredentials(const AwsCredentialsOptions& options);

// Resolves the chain again at most every `refresh` (files and variables
// may be rotated while the server runs). Thread-safe.
class AwsCredentialsProvider {
 public:
  explicit AwsCredentialsProvider(AwsCredentialsOptions options,
                                  std::chrono::seconds refresh = std::chrono::seconds(60))
      : options_(std::move(options)), refresh_(refresh) {}
  absl::StatusOr<AwsCredentials> Get();

 private:
  const AwsCredentialsOptions options_;
  const std::chrono::seconds refresh_;
  std::mutex mu_;
  std::optional<absl::StatusOr<AwsCredentials>> cached_;  // under mu_
  std::chrono::steady_clock::time_point resolved_at_;     // under mu_
};

}  // namespace stepwise::net

#endif  // SW_NET_AWS_CREDENTIALS_H_
