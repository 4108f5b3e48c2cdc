#include "server/config.h"

#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "net/http_client.h"

namespace stepwise::server {

namespace {

enum class Kind { kString, kDouble, kInt, kBool, kList };

struct Option {
  const char* name;  // flag name without dashes, e.g. "data-dir"
  Kind kind;
  const char* help;
};

const Option kOptions[] = {
    {"config", Kind::kString, "config file of `key = value` lines"},
    {"data-dir", Kind::kString, "data directory (default ./stepwise-data)"},
    {"store", Kind::kString,
     "postgresql://... libpq connection URI: keep everything in PostgreSQL instead of the "
     "RocksDB data directory"},
    {"grpc-listen", Kind::kString, "gRPC address (default 127.0.0.1:7700)"},
    {"http-listen", Kind::kString, "HTTP address for health/metrics (default 127.0.0.1:8083; off)"},
    {"time-scale", Kind::kDouble, "clock speed factor for Waits and timeouts (default 1.0)"},
    {"region", Kind::kString, "region in ARNs (default us-east-1)"},
    {"account", Kind::kString, "account in ARNs (default 123456789012)"},
    {"log-level", Kind::kString, "debug|info|warn|error (default info)"},
    {"log-format", Kind::kString, "text|json (default text)"},
    {"shards", Kind::kInt, "engine shard threads (default 2)"},
    {"max-steps-per-commit", Kind::kInt, "internal steps committed as one group (default 100)"},
    {"max-versions-per-machine", Kind::kInt,
     "published versions one state machine may have (AWS's quota; default 1000)"},
    {"max-aliases-per-machine", Kind::kInt,
     "aliases one state machine may have (AWS's quota; default 100)"},
    {"map-run-max-open-children", Kind::kInt,
     "child executions of all Distributed Map runs open at once; a run past it waits its turn "
     "(default 10000)"},
    {"tls-cert", Kind::kString, "PEM certificate chain for TLS (gRPC and HTTPS)"},
    {"tls-key", Kind::kString, "PEM private key for TLS (gRPC and HTTPS)"},
    {"tls-client-ca", Kind::kString, "PEM CA bundle: gRPC requires client certificates (mTLS)"},
    {"http-tls-client-ca", Kind::kString,
     "PEM CA bundle: HTTPS requires client certificates (mTLS)"},
    {"http-timeout", Kind::kInt,
     "seconds a client has to send a whole HTTP request or read a reply; also the "
     "keep-alive idle limit (default 30)"},
    {"audit-log", Kind::kString, "append one JSON line per mutating call to this file"},
    {"auth-tokens-file", Kind::kString, "bearer tokens, one per line"},
    {"aws-credentials-file", Kind::kString,
     "`ACCESS_KEY_ID SECRET` lines: verify SigV4 on the AWS endpoint"},
    {"insecure", Kind::kBool, "allow a non-loopback address without TLS and tokens"},
    {"ports-file", Kind::kString, "write the bound ports here once listening"},
    {"lambda-endpoint", Kind::kString,
     "Lambda Invoke endpoint URL for every function not routed otherwise (default: "
     "Stepwise function queues)"},
    {"lambda-route", Kind::kList,
     "NAME=URL or NAME=queue: where function NAME runs (repeatable)"},
    {"lambda-ca-file", Kind::kString, "PEM CA bundle for https Lambda endpoints"},
    {"lambda-profile", Kind::kString,
     "AWS profile signing Lambda Invoke calls (default AWS_PROFILE, else default)"},
    {"aws-endpoint", Kind::kList,
     "SERVICE=URL: endpoint of an AWS service Tasks call, by its aws-sdk name, e.g. "
     "dynamodb=http://127.0.0.1:8000 (repeatable; default AWS's own for the region; S3 "
     "is addressed path-style there)"},
    {"aws-profile", Kind::kString,
     "AWS profile signing service calls (default AWS_PROFILE, else default)"},
    {"aws-ca-file", Kind::kString, "PEM CA bundle for https AWS service endpoints"},
    {"aws-service-credentials", Kind::kList,
     "SERVICE=FILE: static keys for SERVICE's calls (`*` = every service without its "
     "own), FILE holding `ACCESS_KEY_ID SECRET_ACCESS_KEY [SESSION_TOKEN]` (repeatable)"},
    {"connections-file", Kind::kString,
     "HTTP Task connections: JSON object of connection ARN -> EventBridge CreateConnection "
     "request body"},
    {"http-ca-file", Kind::kString, "PEM CA bundle for the HTTP Task's https endpoints"},
    {"mock-config", Kind::kString,
     "Step Functions Local mock config file: StartExecution on `stateMachineArn#TestCase` "
     "runs that test case with its Tasks mocked (also SFN_MOCK_CONFIG)"},
    {"express-log-dir", Kind::kString,
     "write Express executions' logs (CloudWatch Logs event lines, by each state machine's "
     "loggingConfiguration) to DIR/<log group name>.jsonl"},
    {"express-log-stdout", Kind::kBool, "also write Express executions' log lines to stdout"},
    {"cluster-shards", Kind::kInt,
     "cluster mode on a PostgreSQL --store: the cluster's fixed shard count (every node the "
     "same; default off)"},
    {"advertise-address", Kind::kString,
     "host:port other cluster nodes reach this node's gRPC at (default --grpc-listen)"},
    {"cluster-lease-ttl", Kind::kInt,
     "seconds a shard lease lasts without renewal in cluster mode (default 10)"},
    {"cluster-secret-file", Kind::kString,
     "cluster mode: file holding the secret all nodes share; calls forwarded to the owner of "
     "an execution's shard are signed with it (without it, calls are not forwarded)"},
    {"cluster-ca-file", Kind::kString,
     "cluster mode over TLS: PEM CA the other nodes' gRPC certificates are verified against "
     "(default --tls-client-ca, else the system's)"},
};

// An aws-sdk service name ("dynamodb", "s3", "sfn"): lower-case letters
// and digits; `*` too when `star`.
bool ValidAwsServiceName(const std::string& name, bool star) {
  if (star && name == "*") return true;
  if (name.empty() || name.size() > 64) return false;
  for (char ch : name) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(ch)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(ch)))) {
      return false;
    }
  }
  return true;
}

// Lambda's function name rule: 1-64 of letters, digits, '-' and '_'.
bool ValidFunctionName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char ch : name) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_')) {
      return false;
    }
  }
  return true;
}

const Option* FindOption(std::string name) {
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  for (const Option& o : kOptions) {
    if (name == o.name) return &o;
  }
  return nullptr;
}

std::string EnvName(const Option& o) {
  std::string s = "STEPWISE_";
  for (const char* p = o.name; *p != '\0'; ++p) {
    s.push_back(*p == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(*p))));
  }
  return s;
}

// Applies one value; `where` names its origin for error messages.
absl::Status Apply(const Option& o, const std::string& value, const std::string& where,
                   Config& c) {
  std::string n = o.name;
  auto bad = [&](const char* what) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", what, " (got '", value, "')"));
  };
  double d = 0;
  int i = 0;
  bool b = false;
  switch (o.kind) {
    case Kind::kDouble:
      if (!absl::SimpleAtod(value, &d)) return bad("expected a number");
      break;
    case Kind::kInt:
      if (!absl::SimpleAtoi(value, &i)) return bad("expected an integer");
      break;
    case Kind::kBool:
      if (value.empty()) {
        b = true;
      } else if (!absl::SimpleAtob(value, &b)) {
        return bad("expected true or false");
      }
      break;
    case Kind::kString:
    case Kind::kList:
      break;
  }
  if (n == "config") c.config_file = value;
  else if (n == "data-dir") c.data_dir = value;
  else if (n == "store") {
    if (!absl::StartsWith(value, "postgresql://") && !absl::StartsWith(value, "postgres://")) {
      // Not bad(): the value may hold a password.
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": must be a postgresql:// connection URI"));
    }
    c.store = value;
  }
  else if (n == "grpc-listen") c.grpc_listen = value;
  else if (n == "http-listen") c.http_listen = value;
  else if (n == "time-scale") {
    if (!(d > 0)) return bad("must be greater than 0");
    c.time_scale = d;
  } else if (n == "region") c.region = value;
  else if (n == "account") c.account = value;
  else if (n == "log-level") {
    if (value != "debug" && value != "info" && value != "warn" && value != "error" &&
        value != "trace" && value != "off") {
      return bad("must be debug, info, warn or error");
    }
    c.log_level = value;
  } else if (n == "log-format") {
    if (value != "text" && value != "json") return bad("must be text or json");
    c.log_format = value;
  } else if (n == "shards") {
    if (i < 1 || i > 256) return bad("must be between 1 and 256");
    c.shards = i;
  } else if (n == "max-steps-per-commit") {
    if (i < 1 || i > 10000) return bad("must be between 1 and 10000");
    c.max_steps_per_commit = i;
  } else if (n == "max-versions-per-machine") {
    if (i < 1 || i > 1000000) return bad("must be between 1 and 1000000");
    c.max_versions_per_machine = i;
  } else if (n == "max-aliases-per-machine") {
    if (i < 1 || i > 1000000) return bad("must be between 1 and 1000000");
    c.max_aliases_per_machine = i;
  } else if (n == "map-run-max-open-children") {
    if (i < 1 || i > 10000000) return bad("must be between 1 and 10000000");
    c.map_run_max_open_children = i;
  } else if (n == "tls-cert") c.tls_cert = value;
  else if (n == "tls-key") c.tls_key = value;
  else if (n == "tls-client-ca") c.tls_client_ca = value;
  else if (n == "http-tls-client-ca") c.http_tls_client_ca = value;
  else if (n == "http-timeout") {
    if (i < 1 || i > 3600) return bad("must be between 1 and 3600");
    c.http_timeout_seconds = i;
  } else if (n == "audit-log") c.audit_log = value;
  else if (n == "auth-tokens-file") c.auth_tokens_file = value;
  else if (n == "aws-credentials-file") c.aws_credentials_file = value;
  else if (n == "insecure") c.insecure = b;
  else if (n == "ports-file") c.ports_file = value;
  else if (n == "lambda-endpoint") {
    if (!value.empty()) {
      if (absl::StatusOr<net::Url> u = net::ParseUrl(value); !u.ok()) {
        return bad(std::string(u.status().message()).c_str());
      }
    }
    c.lambda_endpoint = value;
  } else if (n == "lambda-route") {
    size_t eq = value.find('=');
    if (eq == std::string::npos) return bad("expected NAME=URL or NAME=queue");
    std::string name = std::string(absl::StripAsciiWhitespace(value.substr(0, eq)));
    std::string target = std::string(absl::StripAsciiWhitespace(value.substr(eq + 1)));
    if (!ValidFunctionName(name)) {
      return bad("the function name must be 1-64 letters, digits, '-' or '_'");
    }
    if (target != "queue") {
      if (absl::StatusOr<net::Url> u = net::ParseUrl(target); !u.ok()) {
        return bad(std::string(u.status().message()).c_str());
      }
    }
    c.lambda_routes[name] = target;
  } else if (n == "lambda-ca-file") c.lambda_ca_file = value;
  else if (n == "lambda-profile") c.lambda_profile = value;
  else if (n == "aws-endpoint" || n == "aws-service-credentials") {
    bool endpoint = n == "aws-endpoint";
    size_t eq = value.find('=');
    if (eq == std::string::npos) return bad(endpoint ? "expected SERVICE=URL" : "expected SERVICE=FILE");
    std::string service = std::string(absl::StripAsciiWhitespace(value.substr(0, eq)));
    std::string target = std::string(absl::StripAsciiWhitespace(value.substr(eq + 1)));
    if (!ValidAwsServiceName(service, !endpoint)) {
      return bad("SERVICE must be an aws-sdk service name such as dynamodb, s3 or sfn");
    }
    if (endpoint) {
      if (absl::StatusOr<net::Url> u = net::ParseUrl(target); !u.ok()) {
        return bad(std::string(u.status().message()).c_str());
      }
      c.aws_endpoints[service] = target;
    } else {
      if (target.empty()) return bad("expected SERVICE=FILE");
      c.aws_service_credentials[service] = target;
    }
  } else if (n == "aws-profile") c.aws_profile = value;
  else if (n == "aws-ca-file") c.aws_ca_file = value;
  else if (n == "connections-file") c.connections_file = value;
  else if (n == "http-ca-file") c.http_ca_file = value;
  else if (n == "mock-config") c.mock_config_file = value;
  else if (n == "express-log-dir") c.express_log_dir = value;
  else if (n == "express-log-stdout") c.express_log_stdout = b;
  else if (n == "cluster-shards") {
    if (i < 1 || i > 4096) return bad("must be between 1 and 4096");
    c.cluster_shards = i;
  } else if (n == "advertise-address") {
    if (!ParseHostPort(value).ok()) return bad("must be host:port");
    c.advertise_address = value;
  } else if (n == "cluster-lease-ttl") {
    if (i < 2 || i > 600) return bad("must be between 2 and 600");
    c.cluster_lease_ttl_seconds = i;
  } else if (n == "cluster-secret-file") {
    c.cluster_secret_file = value;
  } else if (n == "cluster-ca-file") {
    c.cluster_ca_file = value;
  }
  return absl::OkStatus();
}

// name -> (value, where) in order; one for a plain option, any number for
// a repeatable one.
using Settings = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;

void Set(Settings& out, const Option& o, std::string value, std::string where) {
  auto& values = out[o.name];
  if (o.kind != Kind::kList) values.clear();
  values.emplace_back(std::move(value), std::move(where));
}

// Lays `higher` over `lower`: a plain option replaces, a repeatable one adds.
void Overlay(Settings& lower, const Settings& higher) {
  for (const auto& [name, values] : higher) {
    auto& dst = lower[name];
    if (FindOption(name)->kind != Kind::kList) dst.clear();
    dst.insert(dst.end(), values.begin(), values.end());
  }
}

absl::Status ParseArgs(const std::vector<std::string>& args, Settings& out, bool& help) {
  for (size_t k = 0; k < args.size(); ++k) {
    const std::string& a = args[k];
    if (a == "-h" || a == "--help") {
      help = true;
      continue;
    }
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", a, "' (see --help)"));
    }
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const Option* o = FindOption(name);
    if (o == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    if (!has_value && o->kind != Kind::kBool) {
      if (k + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
      value = args[++k];
    }
    Set(out, *o, value, absl::StrCat("flag --", o->name));
  }
  return absl::OkStatus();
}

absl::Status ParseFile(const std::string& path, Settings& out) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    absl::string_view v = absl::StripAsciiWhitespace(line);
    if (v.empty() || v[0] == '#') continue;
    size_t eq = v.find('=');
    std::string where = absl::StrCat("config file ", path, ":", lineno);
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected `key = value`"));
    }
    std::string key(absl::StripAsciiWhitespace(v.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(v.substr(eq + 1)));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    const Option* o = FindOption(key);
    if (o == nullptr || std::string(o->name) == "config") {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key '", key, "'"));
    }
    Set(out, *o, value, absl::StrCat(where, " (", key, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(const std::string& text) {
  HostPort hp;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("bad address '", text, "': expected [v6]:port"));
    }
    hp.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad address '", text, "': expected host:port"));
    }
    hp.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (!absl::SimpleAtoi(port, &hp.port) || hp.port < 0 || hp.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in address '", text, "'"));
  }
  return hp;
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

absl::StatusOr<Config> LoadConfig(const std::vector<std::string>& args, const EnvFn& env) {
  Config c;
  Settings flags;
  if (absl::Status s = ParseArgs(args, flags, c.help); !s.ok()) return s;
  if (c.help) return c;

  Settings env_settings;
  for (const Option& o : kOptions) {
    std::optional<std::string> v = env(EnvName(o));
    if (!v.has_value()) continue;
    std::string where = absl::StrCat("environment ", EnvName(o));
    if (o.kind != Kind::kList) {
      Set(env_settings, o, *v, where);
      continue;
    }
    for (absl::string_view item : absl::StrSplit(*v, ',', absl::SkipWhitespace())) {
      Set(env_settings, o, std::string(absl::StripAsciiWhitespace(item)), where);
    }
  }

  // Step Functions Local's own variable names the mock config too (below
  // STEPWISE_MOCK_CONFIG).
  if (std::optional<std::string> v = env("SFN_MOCK_CONFIG");
      v.has_value() && env_settings.find("mock-config") == env_settings.end()) {
    Set(env_settings, *FindOption("mock-config"), *v, "environment SFN_MOCK_CONFIG");
  }

  std::string file;
  if (auto it = env_settings.find("config"); it != env_settings.end()) {
    file = it->second.back().first;
  }
  if (auto it = flags.find("config"); it != flags.end()) file = it->second.back().first;

  Settings merged;
  if (!file.empty()) {
    if (absl::Status s = ParseFile(file, merged); !s.ok()) return s;
  }
  Overlay(merged, env_settings);
  Overlay(merged, flags);
  for (auto& [name, values] : merged) {
    for (auto& [value, where] : values) {
      if (absl::Status s = Apply(*FindOption(name), value, where, c); !s.ok()) return s;
    }
  }

  if (c.data_dir.empty()) return absl::InvalidArgumentError("--data-dir must not be empty");
  if (!c.store.empty() && merged.count("data-dir") != 0) {
    return absl::InvalidArgumentError(
        "--store and --data-dir were both given: --data-dir is the RocksDB store's directory, "
        "--store a PostgreSQL database; choose one");
  }
  auto grpc_hp = ParseHostPort(c.grpc_listen);
  if (!grpc_hp.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--grpc-listen: ", grpc_hp.status().message()));
  }
  if (!c.http_listen.empty() && c.http_listen != "off") {
    auto http_hp = ParseHostPort(c.http_listen);
    if (!http_hp.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--http-listen: ", http_hp.status().message()));
    }
  }
  if (c.cluster_shards > 0 && c.store.empty()) {
    return absl::InvalidArgumentError(
        "--cluster-shards needs a PostgreSQL --store (cluster nodes share one database)");
  }
  if (c.cluster_shards == 0 &&
      (merged.count("advertise-address") != 0 || merged.count("cluster-lease-ttl") != 0 ||
       merged.count("cluster-secret-file") != 0 || merged.count("cluster-ca-file") != 0)) {
    return absl::InvalidArgumentError(
        "--advertise-address, --cluster-lease-ttl, --cluster-secret-file and --cluster-ca-file "
        "need --cluster-shards (cluster mode)");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key must be given together");
  }
  if (!c.tls_client_ca.empty() && c.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  if (!c.http_tls_client_ca.empty() && c.tls_cert.empty()) {
    return absl::InvalidArgumentError("--http-tls-client-ca needs --tls-cert and --tls-key");
  }
  return c;
}

absl::StatusOr<std::vector<std::string>> ReadTokensFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read auth tokens file ", path));
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v = absl::StripAsciiWhitespace(line);
    if (v.empty() || v[0] == '#') continue;
    tokens.emplace_back(v);
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("auth tokens file ", path, " holds no token"));
  }
  return tokens;
}

absl::StatusOr<std::map<std::string, std::string>> ReadAwsCredentialsFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read AWS credentials file ", path));
  std::map<std::string, std::string> keys;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    absl::string_view v = absl::StripAsciiWhitespace(line);
    if (v.empty() || v[0] == '#') continue;
    size_t sp = v.find_first_of(" \t");
    absl::string_view id = v.substr(0, sp);
    absl::string_view secret =
        sp == absl::string_view::npos ? absl::string_view() : absl::StripAsciiWhitespace(v.substr(sp));
    if (secret.empty() || secret.find_first_of(" \t") != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "AWS credentials file ", path, " line ", line_no,
          ": expected `ACCESS_KEY_ID SECRET_ACCESS_KEY`"));
    }
    keys[std::string(id)] = std::string(secret);
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("AWS credentials file ", path, " holds no access key"));
  }
  return keys;
}

std::string UsageText() {
  std::ostringstream out;
  out << "usage: stepwised [--flag value | --flag=value]...\n"
         "Every flag can also be set as an environment variable STEPWISE_<FLAG> or as a\n"
         "`flag = value` line in the --config file (flag > env > file > default).\n\n";
  for (const Option& o : kOptions) {
    out << "  --" << o.name;
    size_t len = std::string(o.name).size();
    out << std::string(len < 22 ? 22 - len : 1, ' ');  // a long name still gets a space
    out << o.help << "\n";
  }
  return out.str();
}

}  // namespace stepwise::server
