// Config: stepwised's settings from flags, environment variables
// (STEPWISE_<NAME>, e.g. STEPWISE_DATA_DIR) and an optional config file of
// `key = value` lines (`#` comments; keys as the flags without dashes,
// `data-dir` or `data_dir`), with precedence flag > env > file > default.
// Repeatable options (--lambda-route) add up across the file, the
// environment (comma-separated) and the flags; a later one replaces an
// earlier one for the same function.
// Used by server/main.cc; pure functions, thread-safe.
#ifndef SW_SERVER_CONFIG_H_
#define SW_SERVER_CONFIG_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace stepwise::server {

struct Config {
  std::string config_file;  // --config / STEPWISE_CONFIG
  std::string data_dir = "./stepwise-data";
  // --store: a postgresql:// libpq connection URI. When set, executions live
  // in PostgreSQL (storage/postgres_store.h) instead of the RocksDB data
  // directory; giving --data-dir as well is refused.
  std::string store;
  std::string grpc_listen = "127.0.0.1:7700";
  std::string http_listen = "127.0.0.1:8083";  // "" or "off" disables HTTP
  double time_scale = 1.0;
  std::string region = "us-east-1";
  std::string account = "123456789012";
  std::string log_level = "info";
  std::string log_format = "text";  // text | json
  int shards = 2;
  // AWS's quotas on versions and aliases per state machine.
  int max_versions_per_machine = 1000;
  int max_aliases_per_machine = 100;
  // Child executions of all Distributed Map runs open at once
  // (EngineOptions::map_run_max_open_children).
  int map_run_max_open_children = 10000;
  int max_steps_per_commit = 100;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;  // gRPC only
  // PEM CA bundle: HTTPS asks for, requires and verifies a client certificate.
  std::string http_tls_client_ca;
  // Seconds a client has to send one whole HTTP request (headers and body),
  // to read a reply, or to finish the TLS handshake; also the keep-alive idle
  // limit. Bounds slow ("slowloris") and half-open connections.
  int http_timeout_seconds = 30;
  // When set, every mutating call (gRPC and AWS endpoint) appends one JSON
  // line here: time, caller, action, resource, outcome (server/audit_log.h).
  std::string audit_log;
  std::string auth_tokens_file;
  // `ACCESS_KEY_ID SECRET_ACCESS_KEY` lines: SigV4 is verified on `POST /`.
  std::string aws_credentials_file;
  bool insecure = false;
  // When set, the bound ports are written there as `grpc=<port>\nhttp=<port>\n`
  // once the server listens (for port 0 in tests).
  std::string ports_file;
  // Where Lambda Tasks' functions run: the default Invoke endpoint ("" =
  // Stepwise function queues) and per-function routes, name → URL or
  // "queue" (server/lambda_http_invoker.h).
  std::string lambda_endpoint;
  std::map<std::string, std::string> lambda_routes;
  // PEM CA bundle for https Lambda endpoints ("" = the system's).
  std::string lambda_ca_file;
  // AWS profile signing Invoke calls ("" = AWS_PROFILE, else default).
  std::string lambda_profile;
  // AWS service integrations (integrations/aws/): per-service endpoints,
  // aws-sdk service name → URL ("" = AWS's own for the region).
  std::map<std::string, std::string> aws_endpoints;
  // AWS profile signing service calls ("" = AWS_PROFILE, else default).
  std::string aws_profile;
  // PEM CA bundle for https service endpoints ("" = the system's).
  std::string aws_ca_file;
  // Static keys for a service's calls: service name (or "*") → a file
  // holding `ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN]`.
  std::map<std::string, std::string> aws_service_credentials;
  // The HTTP Task's connections: a JSON object keyed by connection ARN of
  // EventBridge CreateConnection request bodies (integrations/http/).
  std::string connections_file;
  // PEM CA bundle the HTTP Task verifies https endpoints against ("" = the
  // system's).
  std::string http_ca_file;
  // Step Functions Local's mock config file ("" = none): executions started
  // as `stateMachineArn#TestCase` run that test case (engine/mock_config/).
  std::string mock_config_file;
  // Express executions' logs (server/express_log/): the directory of the
  // per-log-group JSON-lines files ("" = none), and stdout too.
  std::string express_log_dir;
  bool express_log_stdout = false;
  // Cluster mode (docs/postgres.md "Shards and fencing"): 0 = off (one
  // node; the default), else the cluster's fixed shard count. Needs --store.
  int cluster_shards = 0;
  // host:port the other nodes reach this one at ("" = grpc_listen).
  std::string advertise_address;
  int cluster_lease_ttl_seconds = 10;
  // File holding the secret every node of the cluster shares: calls one
  // node forwards to another carry an HMAC under it (server/cluster_auth.h).
  // "" = this node neither forwards nor accepts forwarded calls.
  std::string cluster_secret_file;
  // PEM CA the forwarding node verifies the other nodes' gRPC certificates
  // against when they serve TLS ("" = --tls-client-ca, else the system's).
  std::string cluster_ca_file;
  bool help = false;
};

// Splits "host:port" / "[v6]:port". kInvalidArgument when malformed.
struct HostPort {
  std::string host;
  int port = 0;
};
absl::StatusOr<HostPort> ParseHostPort(const std::string& text);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

using EnvFn = std::function<std::optional<std::string>(const std::string&)>;

// Builds the configuration from `args` (argv without the program name),
// `env` and the config file named by --config or STEPWISE_CONFIG. Returns
// kInvalidArgument with a one-line message naming the flag, variable or
// file line on a bad value or unknown option, and kNotFound when the config
// file cannot be read.
absl::StatusOr<Config> LoadConfig(const std::vector<std::string>& args, const EnvFn& env);

// Reads bearer tokens, one per line (blank lines and `#` comments skipped).
// kNotFound if unreadable, kInvalidArgument if it holds no token.
absl::StatusOr<std::vector<std::string>> ReadTokensFile(const std::string& path);

// Reads AWS access keys, `ACCESS_KEY_ID SECRET_ACCESS_KEY` per line (blank
// lines and `#` comments skipped) into id → secret. kNotFound if
// unreadable, kInvalidArgument naming the line if malformed or if it holds
// no key.
absl::StatusOr<std::map<std::string, std::string>> ReadAwsCredentialsFile(
    const std::string& path);

// The --help text.
std::string UsageText();

}  // namespace stepwise::server

#endif  // SW_SERVER_CONFIG_H_
