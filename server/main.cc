// stepwised: the Stepwise daemon. Wires the RocksDB store, the engine, the
// gRPC service (with health and reflection) and the HTTP listener (health,
// readiness, Prometheus metrics); handles SIGTERM/SIGINT (graceful, a second
// signal exits at once). See server/README.md for flags and behaviour.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "engine/dispatch/lambda_endpoint_dispatcher.h"
#include "engine/dispatch/service_call_dispatcher.h"
#include "engine/dispatch/service_integration.h"
#include "engine/engine.h"
#include "engine/mock_config/mock_config.h"
#include "engine/test_state/task_targets.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "integrations/aws/aws_api_client.h"
#include "integrations/aws/aws_s3_objects.h"
#include "integrations/aws/aws_sdk_integration.h"
#include "integrations/aws/mocked_result_check.h"
#include "integrations/aws/optimized_integrations.h"
#include "integrations/aws/service_table.h"
#include "integrations/http/connections.h"
#include "integrations/http/http_task_integration.h"
#include "server/audit_log.h"
#include "server/cluster_auth.h"
#include "server/cluster_execution_calls.h"
#include "server/cluster_forwarder.h"
#include "server/cluster_router.h"
#include "server/cluster_task_poller.h"
#include "server/shard_owners.h"
#include "server/aws_json_api.h"
#include "server/config.h"
#include "server/console/console.h"
#include "server/express_log/express_log_writer.h"
#include "server/decode_errors.h"
#include "server/http_server.h"
#include "server/lambda_http_invoker.h"
#include "server/metrics.h"
#include "server/sigv4.h"
#include "server/states_service.h"
#include "spdlog/pattern_formatter.h"
#include "storage/crash_point_store.h"
#include "storage/faulty_file_system.h"
#include "storage/postgres/shard_hash.h"
#include "storage/postgres/shard_leases.h"
#include "storage/postgres/task_notifications.h"
#include "storage/postgres_store.h"
#include "storage/rocks_store.h"

namespace stepwise::server {
namespace {

constexpr int kExitRefused = 1;
constexpr int kExitSecondSignal = 2;
constexpr int kExitStorageFailure = 3;

// One line naming the problem, then a non-zero exit.
[[noreturn]] void Refuse(const std::string& problem) {
  std::fprintf(stderr, "stepwised: error: %s\n", problem.c_str());
  std::fflush(stderr);
  std::_Exit(kExitRefused);
}

// %* in the JSON log pattern: the message as an escaped JSON string body.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"': dest.append(std::string_view("\\\"")); break;
        case '\\': dest.append(std::string_view("\\\\")); break;
        case '\n': dest.append(std::string_view("\\n")); break;
        case '\t': dest.append(std::string_view("\\t")); break;
        case '\r': dest.append(std::string_view("\\r")); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", c);
            dest.append(std::string_view(buf));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

void SetupLogging(const Config& c) {
  InitLogging(c.log_level);
  if (c.log_format == "json") {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<JsonMessageFlag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
    spdlog::set_formatter(std::move(f));
  }
}

// Cluster mode: registers this node, takes its share of the shards once
// before serving, fences `store`'s commits with the leases and keeps them
// renewed (storage/postgres/shard_leases.h). The engine runs only the
// shards the leases hold (ClusterOwnershipOf).
std::unique_ptr<storage::ShardLeases> OpenClusterLeasesOrRefuse(const Config& config,
                                                                storage::PostgresStore& store) {
  storage::ShardLeaseOptions o;
  o.advertise_address =
      config.advertise_address.empty() ? config.grpc_listen : config.advertise_address;
  o.shard_count = config.cluster_shards;
  o.ttl = absl::Seconds(config.cluster_lease_ttl_seconds);
  auto leases = storage::ShardLeases::Open(config.store, o);
  if (!leases.ok()) Refuse(absl::StrCat("cannot join the cluster: ", leases.status().message()));
  if (absl::Status st = (*leases)->Tick(); !st.ok()) {
    Refuse(absl::StrCat("cannot take shard leases: ", st.message()));
  }
  store.SetShardFence(leases->get());
  (*leases)->Start();
  spdlog::info("cluster: node {} registered, advertising {}; holds {} of {} shards", (*leases)->node_id(),
               o.advertise_address, (*leases)->OwnedShards().size(), o.shard_count);
  return std::move(*leases);
}

// What the engine asks the leases in cluster mode (engine/cluster_ownership.h).
std::shared_ptr<const engine::ClusterOwnership> ClusterOwnershipOf(
    storage::ShardLeases* leases, std::shared_ptr<engine::RemoteExecutions> remote) {
  auto c = std::make_shared<engine::ClusterOwnership>();
  c->remote = std::move(remote);
  c->shard_count = leases->shard_count();
  c->shard_of = [n = c->shard_count](std::string_view arn) {
    return storage::ShardOfExecution(absl::string_view(arn.data(), arn.size()), n);
  };
  c->held_range_id = [leases](int shard) { return leases->HeldRangeId(shard); };
  c->owned_shards = [leases] {
    std::map<int, int64_t> held;
    for (int s : leases->OwnedShards()) {
      if (std::optional<int64_t> r = leases->HeldRangeId(s)) held[s] = *r;
    }
    return held;
  };
  // DescribeCluster reads on the leases' own connection (two SELECTs).
  c->owners = [leases]() -> absl::StatusOr<std::map<int, std::string>> {
    absl::StatusOr<storage::ClusterView> view = leases->DescribeCluster();
    if (!view.ok()) return view.status();
    std::map<int, std::string> owners;
    for (const storage::ClusterNodeView& n : view->nodes) {
      for (int s : n.shards) owners[s] = n.advertise_address;
    }
    return owners;
  };
  return c;
}

std::string ReadFileOrRefuse(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Refuse(absl::StrCat("cannot read ", what, " ", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WritePortsFile(const std::string& path, int grpc_port, int http_port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "grpc=" << grpc_port << "\nhttp=" << http_port << "\n";
    if (!out) Refuse(absl::StrCat("cannot write ports file ", path));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) Refuse(absl::StrCat("cannot write ports file ", path, ": ", ec.message()));
}

int Run(int argc, char** argv) {
  // Debian builds abseil with its mutex deadlock detector on: every lock of
  // an absl::Mutex updates a global lock graph (2-4% of the server's CPU
  // under load, in perf profiles). Only gRPC's own locks are absl::Mutex;
  // ours are std::mutex, which the detector never saw.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<std::string> args(argv + 1, argv + argc);
  auto config_or = LoadConfig(args, [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  });
  if (!config_or.ok()) Refuse(std::string(config_or.status().message()));
  const Config& config = *config_or;
  if (config.help) {
    std::fputs(UsageText().c_str(), stdout);
    std::fputs("\nAWS services aws-sdk:SERVICE:ACTION Tasks call (the SERVICE of --aws-endpoint and\n"
               "--aws-service-credentials): every action of those speaking AWS JSON 1.0/1.1, and\n"
               "the actions named for s3 and sns:\n",
               stdout);
    std::fputs(integrations::AwsServicesText("  ", 79).c_str(), stdout);
    return 0;
  }
  SetupLogging(config);
  auto start_time = std::chrono::steady_clock::now();

  // ---- addresses and security ----
  HostPort grpc_addr = *ParseHostPort(config.grpc_listen);
  bool http_enabled = !config.http_listen.empty() && config.http_listen != "off";
  HostPort http_addr;
  if (http_enabled) http_addr = *ParseHostPort(config.http_listen);
  std::vector<std::string> tokens;
  if (!config.auth_tokens_file.empty()) {
    auto t = ReadTokensFile(config.auth_tokens_file);
    if (!t.ok()) Refuse(std::string(t.status().message()));
    tokens = *t;
  }
  std::map<std::string, std::string> aws_keys;
  if (!config.aws_credentials_file.empty()) {
    auto k = ReadAwsCredentialsFile(config.aws_credentials_file);
    if (!k.ok()) Refuse(std::string(k.status().message()));
    aws_keys = *k;
  }
  bool tls = !config.tls_cert.empty();
  bool secured = tls && !tokens.empty();
  // The AWS endpoint authenticates with either a signature or a token.
  bool http_secured =
      tls && (!tokens.empty() || !aws_keys.empty() || !config.http_tls_client_ca.empty());
  for (const auto& [what, hp, enabled] :
       {std::tuple<const char*, HostPort, bool>{"--grpc-listen", grpc_addr, true},
        std::tuple<const char*, HostPort, bool>{"--http-listen", http_addr, http_enabled}}) {
    if (!enabled || IsLoopbackHost(hp.host)) continue;
    bool ok = std::string(what) == "--grpc-listen" ? secured : http_secured;
    if (ok) continue;
    if (!config.insecure) {
      Refuse(absl::StrCat(what, " ", hp.host, " is not a loopback address; without TLS and ",
                          std::string(what) == "--grpc-listen"
                              ? "auth tokens"
                              : "auth tokens or AWS credentials",
                          " this needs --insecure"));
    }
    spdlog::warn("{} {}:{} is reachable from the network without {}: anyone who can connect "
                 "can run and read executions (--insecure)",
                 what, hp.host, hp.port,
                 std::string(what) == "--grpc-listen" ? "TLS and tokens"
                                                      : "TLS and tokens or AWS credentials");
  }

  // ---- store: RocksDB in the data directory, or PostgreSQL (--store) ----
  std::string data_dir;  // where the data lives, for messages
  // Cluster mode (--cluster-shards): this node's shard leases, the fence of
  // the store's commits; declared first so it outlives the store.
  std::unique_ptr<storage::ShardLeases> shard_leases;
  std::unique_ptr<storage::Store> store;
  storage::RocksStore* rocks = nullptr;  // null on PostgreSQL
  storage::PostgresStore* postgres = nullptr;  // null on RocksDB
  if (!config.store.empty()) {
    auto pg_or = storage::PostgresStore::Open(config.store, storage::PostgresOptions{});
    if (!pg_or.ok()) {
      // The store's errors name the host, never the password.
      Refuse(absl::StrCat("cannot open the PostgreSQL store: ", pg_or.status().message()));
    }
    data_dir = absl::StrCat("PostgreSQL (", (*pg_or)->description(), ")");
    if (config.cluster_shards > 0) {
      shard_leases = OpenClusterLeasesOrRefuse(config, **pg_or);
    }
    postgres = pg_or->get();
    store = std::move(*pg_or);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
      Refuse(absl::StrCat("cannot create data directory ", config.data_dir, ": ", ec.message()));
    }
    if (!std::filesystem::is_directory(config.data_dir, ec)) {
      Refuse(absl::StrCat("data directory ", config.data_dir, " is not a directory"));
    }
    if (access(config.data_dir.c_str(), R_OK | W_OK | X_OK) != 0) {
      Refuse(absl::StrCat("data directory ", config.data_dir, " is not readable and writable"));
    }
    data_dir = std::filesystem::absolute(config.data_dir, ec).lexically_normal();
    if (!data_dir.empty() && data_dir.size() > 1 && data_dir.back() == '/') data_dir.pop_back();

    storage::RocksOptions rocks_options;
    // Test hook (server/README.md): fsyncs fail after N succeeded.
    if (const char* v = std::getenv("STEPWISE_TEST_FAIL_SYNC_AFTER"); v != nullptr) {
      rocks_options.file_system = storage::NewFailingSyncFileSystem(std::atoll(v));
      spdlog::warn("STEPWISE_TEST_FAIL_SYNC_AFTER={}: file syncs will fail (test hook)", v);
    }
    auto store_or = storage::RocksStore::Open(data_dir, rocks_options);
    if (!store_or.ok()) {
      if (store_or.status().code() == absl::StatusCode::kUnavailable) {
        Refuse(absl::StrCat("data directory ", data_dir,
                            " is locked by another running stepwised (or cannot be opened): ",
                            store_or.status().message()));
      }
      Refuse(absl::StrCat("cannot open data directory ", data_dir, ": ",
                          store_or.status().message()));
    }
    rocks = store_or->get();
    store = std::move(*store_or);
  }
  // Test hook (server/README.md): SIGKILL at a named point around a commit.
  storage::Store* engine_store = store.get();
  std::unique_ptr<storage::CrashPointStore> crash_store;
  if (const char* v = std::getenv("STEPWISE_TEST_CRASH_POINT"); v != nullptr) {
    auto point = storage::ParseCrashPoint(v);
    if (!point.ok()) Refuse(std::string(point.status().message()));
    crash_store = std::make_unique<storage::CrashPointStore>(store.get(), *point);
    engine_store = crash_store.get();
  }

  std::unique_ptr<ScaledClock> scaled;
  // Outlive the engine and the service, which call into them.
  ServerMetrics metrics;
  std::unique_ptr<AuditLog> audit;
  if (!config.audit_log.empty()) {
    auto a = AuditLog::Open(config.audit_log);
    if (!a.ok()) Refuse(std::string(a.status().message()));
    audit = std::move(*a);
  }
  // Express executions' logs (server/express_log/): the writer outlives
  // the engine's shards; its lookup reads the machine's loggingConfiguration
  // once the engine is open.
  if (!config.express_log_dir.empty()) {
    std::error_code dir_ec;
    std::filesystem::create_directories(config.express_log_dir, dir_ec);
    if (dir_ec || !std::filesystem::is_directory(config.express_log_dir, dir_ec)) {
      Refuse(absl::StrCat("--express-log-dir: cannot create directory ",
                          config.express_log_dir));
    }
  }
  std::atomic<engine::Engine*> engine_for_express_log{nullptr};
  express_log::ExpressLogOptions express_log_options;
  express_log_options.dir = config.express_log_dir;
  express_log_options.to_stdout = config.express_log_stdout;
  express_log_options.lookup =
      [&engine_for_express_log](
          const std::string& machine_arn) -> absl::StatusOr<engine::LoggingConfiguration> {
    engine::Engine* e = engine_for_express_log.load();
    if (e == nullptr) return absl::UnavailableError("engine not open");
    auto d = e->DescribeStateMachine(machine_arn);
    if (!d.ok()) return d.status();
    return d->logging_configuration;
  };
  auto express_log = std::make_unique<express_log::ExpressLogWriter>(express_log_options);
  engine::EngineOptions eopts;
  eopts.express_history_sink = express_log.get();
  eopts.on_execution_closed = [&metrics](const engine::ExecutionDescription& d) {
    metrics.ExecutionClosed(d);
  };
  // Fail-stop: a commit that cannot be written means what is on disk is
  // uncertain; the engine has stopped acknowledging anything, the callers of
  // the failed batch were told ServiceUnavailable, and so is every call
  // that commits from now on. Give those replies a second to leave (a
  // loaded or sanitizer build needs more than a few milliseconds), then
  // exit; a restart recovers from what is on disk. The wait is on a thread
  // of its own: the committer must go on answering the calls that arrive
  // meanwhile (blocked here, it left them unanswered until the exit cut
  // their connections, as the full-disk test saw under ThreadSanitizer).
  eopts.on_storage_failure = [](const absl::Status& s) {
    spdlog::critical("storage failure: {}; stopping now (fail-stop); restart once the cause "
                     "is fixed",
                     std::string(s.message()));
    spdlog::default_logger()->flush();
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      std::_Exit(kExitStorageFailure);
    }).detach();
  };
  eopts.region = config.region;
  eopts.account = config.account;
  eopts.shards = config.shards;
  eopts.max_versions_per_machine = config.max_versions_per_machine;
  eopts.max_aliases_per_machine = config.max_aliases_per_machine;
  // Other nodes may write the catalog of a shared PostgreSQL: cached machine
  // records are re-read after a second (engine/catalog.h).
  if (postgres != nullptr) eopts.catalog_cache_ttl_ms = 1000;
  eopts.map_run_max_open_children = config.map_run_max_open_children;
  eopts.max_steps_per_commit = config.max_steps_per_commit;
  // The engine's calls on other nodes' executions (child executions, Map
  // Run children), bound to the router once it exists.
  auto cluster_calls = std::make_shared<ClusterExecutionCalls>();
  if (shard_leases) eopts.cluster = ClusterOwnershipOf(shard_leases.get(), cluster_calls);
  if (config.time_scale != 1.0) {
    scaled = std::make_unique<ScaledClock>(SystemClock::Get(), config.time_scale);
    eopts.clock = scaled.get();
  }
  // The extra Task dispatchers, asked in this order before the engine's own.
  using DispatcherFactory =
      std::function<std::unique_ptr<engine::TaskDispatcher>(engine::TaskInputs&)>;
  std::vector<DispatcherFactory> dispatchers;
  // ---- Lambda functions behind Invoke endpoints ----
  LambdaRoutes lambda_routes{config.lambda_endpoint, config.lambda_routes};
  std::shared_ptr<LambdaHttpInvoker> lambda_invoker;
  if (lambda_routes.any_endpoint()) {
    net::HttpClientOptions hopts;
    hopts.ca_file = config.lambda_ca_file;
    auto client = net::HttpClient::Create(hopts);
    if (!client.ok()) Refuse(absl::StrCat("--lambda-ca-file: ", client.status().message()));
    net::AwsCredentialsOptions copts;
    copts.profile = config.lambda_profile;
    auto credentials = std::make_unique<net::AwsCredentialsProvider>(copts);
    if (auto found = credentials->Get(); found.ok()) {
      spdlog::info("lambda: Invoke calls are signed with {}", found->Describe());
    } else {
      spdlog::warn("lambda: {}; Invoke calls fail with Lambda.SdkClientException until "
                   "credentials are available",
                   std::string(found.status().message()));
    }
    lambda_invoker = std::make_shared<LambdaHttpInvoker>(lambda_routes, *std::move(client),
                                                         std::move(credentials));
    std::shared_ptr<engine::LambdaInvoker> invoker = lambda_invoker;
    const Clock* clock = eopts.clock != nullptr ? eopts.clock : SystemClock::Get();
    dispatchers.push_back([invoker, clock, region = config.region,
                           account = config.account](engine::TaskInputs& inputs) {
      return std::make_unique<engine::LambdaEndpointDispatcher>(inputs, clock, invoker, region,
                                                                account);
    });
  }
  // ---- Tasks Stepwise calls out for (integrations/) ----
  // Each integration below adds one ServiceCallDispatcher; `integrations`
  // are stopped at shutdown before the engine closes.
  std::vector<std::shared_ptr<engine::ServiceIntegration>> integrations;
  auto add_integration = [&](std::shared_ptr<engine::ServiceIntegration> integration) {
    integrations.push_back(integration);
    dispatchers.push_back([integration, region = config.region](engine::TaskInputs& inputs) {
      return std::make_unique<engine::ServiceCallDispatcher>(inputs, integration, region);
    });
  };
  // One AWS API client for every AWS service integration (aws-sdk and the
  // optimized ones): endpoints, credentials and TLS settings from the
  // --aws-* options.
  std::shared_ptr<integrations::AwsApiClient> aws_api;
  {
    integrations::AwsApiClientOptions aopts;
    for (const auto& [service, url] : config.aws_endpoints) {
      if (integrations::FindAwsService(service) == nullptr) {
        Refuse(absl::StrCat("--aws-endpoint: '", service,
                            "' is not an aws-sdk service name Stepwise knows (e.g. dynamodb, "
                            "s3, sfn, sqs, sns, eventbridge, secretsmanager)"));
      }
      aopts.endpoints[service] = url;
      spdlog::info("aws: {} calls go to {}", service, url);
    }
    for (const auto& [service, file] : config.aws_service_credentials) {
      if (service != "*" && integrations::FindAwsService(service) == nullptr) {
        Refuse(absl::StrCat("--aws-service-credentials: '", service,
                            "' is not an aws-sdk service name Stepwise knows"));
      }
      auto keys = integrations::ReadStaticAwsCredentials(file);
      if (!keys.ok()) {
        Refuse(absl::StrCat("--aws-service-credentials ", service, ": ", keys.status().message()));
      }
      spdlog::info("aws: {} calls are signed with {}", service, keys->Describe());
      aopts.static_credentials[service] = *std::move(keys);
    }
    aopts.profile = config.aws_profile;
    net::HttpClientOptions hopts;
    hopts.ca_file = config.aws_ca_file;
    auto client = net::HttpClient::Create(hopts);
    if (!client.ok()) Refuse(absl::StrCat("--aws-ca-file: ", client.status().message()));
    aws_api = std::make_shared<integrations::AwsApiClient>(std::move(aopts), *std::move(client));
    // Says which keys sign service calls (never the secret); none found is
    // only worth a debug line: most servers call no AWS service.
    if (auto keys = aws_api->CredentialsOf("*"); keys.ok()) {
      spdlog::info("aws: service calls are signed with {}", keys->Describe());
    } else {
      spdlog::debug("aws: {}; service calls fail with <Service>.SdkClientException until "
                    "credentials are available",
                    std::string(keys.status().message()));
    }
  }
  add_integration(std::make_shared<integrations::AwsSdkIntegration>(aws_api));
  // A Distributed Map's ItemReader reads S3 through the same client.
  eopts.map_run_s3 = std::make_shared<integrations::AwsS3Objects>(aws_api.get(), config.region);
  eopts.map_run_aws = aws_api;  // and a ResultWriter writes through it
  // DynamoDB getItem/putItem/updateItem/deleteItem, SQS sendMessage, SNS
  // publish, EventBridge putEvents: the optimized integrations, on the same client.
  add_integration(integrations::MakeOptimizedIntegration(aws_api));
  // The HTTP Task (arn:aws:states:::http:invoke): always on; the
  // connections its Authentication names come from --connections-file.
  {
    integrations::http::Connections connections;
    if (!config.connections_file.empty()) {
      auto loaded = integrations::http::Connections::Load(config.connections_file);
      if (!loaded.ok()) Refuse(absl::StrCat("--connections-file: ", loaded.status().message()));
      connections = *std::move(loaded);
      spdlog::info("http: {} connection(s) from {}", connections.size(), config.connections_file);
    }
    net::HttpClientOptions hopts;
    hopts.ca_file = config.http_ca_file;
    auto http = integrations::http::HttpTaskIntegration::Create(std::move(connections), hopts);
    if (!http.ok()) Refuse(absl::StrCat("--http-ca-file: ", http.status().message()));
    add_integration(*std::move(http));
  }
  // ---- mock-config testing (engine/mock_config/) ----
  if (!config.mock_config_file.empty()) {
    auto mocks = engine::MockConfig::Load(config.mock_config_file);
    if (!mocks.ok()) Refuse(absl::StrCat("--mock-config: ", mocks.status().message()));
    spdlog::info("mock config: {} state machine(s), {} mocked response(s) from {}",
                 (*mocks)->machine_count(), (*mocks)->response_count(),
                 config.mock_config_file);
    eopts.mock_config = *std::move(mocks);
  }
  // TestState calls a Task tested without a mock through the same
  // integrations and Lambda endpoint, outside any execution.
  auto test_state_targets = std::make_shared<engine::TestStateTargets>();
  test_state_targets->integrations = integrations;
  test_state_targets->lambda = lambda_invoker;
  test_state_targets->check_mocked_result = integrations::CheckMockedTaskResult;
  test_state_targets->region = config.region;
  test_state_targets->account = config.account;
  eopts.extra_dispatchers = [&dispatchers](engine::TaskInputs& inputs) {
    std::vector<std::unique_ptr<engine::TaskDispatcher>> d;
    for (const DispatcherFactory& make : dispatchers) d.push_back(make(inputs));
    return d;
  };
  // ---- task polls on any node (server/cluster_task_poller.h) ----
  // With a cluster secret, a task queued here that no local poll took is
  // announced to the other nodes (PostgreSQL NOTIFY), whose waiting polls
  // then ask this node for it; what they announce wakes this node's polls.
  std::atomic<ClusterTaskPoller*> task_poller_for_wakeups{nullptr};
  std::shared_ptr<storage::TaskNotifications> task_notifications;
  if (shard_leases != nullptr && !config.cluster_secret_file.empty()) {
    auto started = storage::TaskNotifications::Start(
        config.store, [&task_poller_for_wakeups](const std::string& queue) {
          if (ClusterTaskPoller* p = task_poller_for_wakeups.load()) p->OnQueuedElsewhere(queue);
        });
    if (!started.ok()) Refuse(std::string(started.status().message()));
    task_notifications = *std::move(started);
    eopts.on_task_parked = [n = task_notifications](const std::string& queue) {
      n->Announce(queue);
    };
  }
  auto engine_or = engine::Engine::Open(engine_store, eopts);
  if (!engine_or.ok()) {
    Refuse(absl::StrCat("cannot open the engine on ", data_dir, ": ",
                        engine_or.status().message()));
  }
  std::unique_ptr<engine::Engine> engine = std::move(*engine_or);
  engine_for_express_log.store(engine.get());
  std::atomic<bool> ready{false};

  // ---- cluster forwarding (--cluster-secret-file; server/cluster_router.h) ----
  // Declared before the services, so they outlive every call they route.
  std::unique_ptr<ClusterAuth> cluster_auth;
  std::unique_ptr<ShardOwners> shard_owners;
  std::unique_ptr<ClusterForwarder> forwarder;
  std::unique_ptr<ClusterRouter> router;
  std::unique_ptr<ClusterTaskPoller> task_poller;
  if (shard_leases != nullptr && !config.cluster_secret_file.empty()) {
    auto loaded = ClusterAuth::Load(config.cluster_secret_file);
    if (!loaded.ok()) Refuse(std::string(loaded.status().message()));
    cluster_auth = *std::move(loaded);
    ClusterForwarderOptions fopts;
    fopts.auth = cluster_auth.get();
    fopts.node_id = shard_leases->node_id();
    if (tls) {
      // The other nodes serve TLS like this one; this node's certificate
      // is its client certificate where they require one (--tls-client-ca).
      grpc::SslCredentialsOptions ssl;
      const std::string& ca =
          !config.cluster_ca_file.empty() ? config.cluster_ca_file : config.tls_client_ca;
      if (!ca.empty()) ssl.pem_root_certs = ReadFileOrRefuse(ca, "cluster CA");
      ssl.pem_private_key = ReadFileOrRefuse(config.tls_key, "TLS key");
      ssl.pem_cert_chain = ReadFileOrRefuse(config.tls_cert, "TLS certificate");
      fopts.credentials = grpc::SslCredentials(ssl);
    }
    forwarder = std::make_unique<ClusterForwarder>(std::move(fopts));
    shard_owners = std::make_unique<ShardOwners>(shard_leases.get());
    router = std::make_unique<ClusterRouter>(shard_owners.get());
    cluster_calls->Bind(router.get(), forwarder.get(), shard_leases->node_id());
    ClusterTaskPoller::Options popts;
    popts.wake_one = [eng = engine.get()](const std::string& queue) {
      eng->WakeTaskPollers(queue, 1);
    };
    popts.live_peers = [leases = shard_leases.get()]()
        -> absl::StatusOr<std::vector<std::string>> {
      absl::StatusOr<storage::ClusterView> view = leases->DescribeCluster();
      if (!view.ok()) return view.status();
      std::vector<std::string> peers;
      for (const storage::ClusterNodeView& n : view->nodes) {
        if (n.live && n.node_id != leases->node_id() && !n.advertise_address.empty()) {
          peers.push_back(n.advertise_address);
        }
      }
      return peers;
    };
    task_poller = std::make_unique<ClusterTaskPoller>(std::move(popts));
    task_poller_for_wakeups.store(task_poller.get());
    spdlog::info("cluster: calls for executions of shards another node holds are forwarded "
                 "to it (signed with the cluster secret from {})", config.cluster_secret_file);
  } else if (shard_leases != nullptr) {
    spdlog::warn("cluster: no --cluster-secret-file: calls for executions of shards another "
                 "node holds are not forwarded, and forwarded calls are refused");
  }

  // ---- gRPC ----
  StatesServiceOptions sopts;
  sopts.tokens = tokens;
  sopts.audit = audit.get();
  sopts.test_state_targets = test_state_targets;
  sopts.router = router.get();
  sopts.forwarder = forwarder.get();
  sopts.cluster_auth = cluster_auth.get();
  sopts.shard_leases = shard_leases.get();
  sopts.task_poller = task_poller.get();
  sopts.backup = [rocks](const std::string& dir) {
    if (rocks == nullptr) {
      return absl::FailedPreconditionError(
          "Backup copies a RocksDB data directory; a PostgreSQL store is backed up with "
          "PostgreSQL's own tools (pg_dump, pg_basebackup)");
    }
    return rocks->Checkpoint(dir);
  };
  sopts.on_execution_started = [&metrics](const std::string& sm) {
    metrics.ExecutionStarted(sm);
  };
  auto service = std::make_unique<StatesService>(engine.get(), sopts);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (tls) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({ReadFileOrRefuse(config.tls_key, "TLS key"),
                                      ReadFileOrRefuse(config.tls_cert, "TLS certificate")});
    if (!config.tls_client_ca.empty()) {
      ssl.pem_root_certs = ReadFileOrRefuse(config.tls_client_ca, "TLS client CA");
      ssl.client_certificate_request =
          GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    creds = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(config.grpc_listen, creds, &grpc_port);
  // Without this, a second server could bind the same port (SO_REUSEPORT).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(4 << 20);
  builder.RegisterService(service.get());
  // Requests that do not decode get SerializationException, not gRPC's bare UNIMPLEMENTED.
  {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(MakeDecodeErrorInterceptorFactory(
        [svc = service.get()](grpc::ServerContextBase* ctx) { return svc->Admit(ctx); }));
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || grpc_port == 0) {
    engine->Shutdown();
    Refuse(absl::StrCat("cannot listen for gRPC on ", config.grpc_listen,
                        " (address in use or not local)"));
  }

  // ---- HTTP ----
  HttpServerOptions http_options;
  // AWS allows a 1 MiB definition; with JSON escaping the request is larger.
  http_options.max_body_bytes = size_t{4} << 20;
  http_options.idle_timeout_seconds = config.http_timeout_seconds;
  if (tls) {
    http_options.tls_cert_pem = ReadFileOrRefuse(config.tls_cert, "TLS certificate");
    http_options.tls_key_pem = ReadFileOrRefuse(config.tls_key, "TLS key");
    if (!config.http_tls_client_ca.empty()) {
      http_options.tls_client_ca_pem =
          ReadFileOrRefuse(config.http_tls_client_ca, "HTTP TLS client CA");
    }
  }
  HttpServer http(std::move(http_options));
  // The AWS JSON 1.0 protocol (`POST /`): reset after http.Stop().
  AwsJsonApiOptions aws_options;
  aws_options.access_keys = aws_keys;
  aws_options.tokens = tokens;
  aws_options.audit = audit.get();
  aws_options.test_state_targets = test_state_targets;
  aws_options.shard_leases = shard_leases.get();
  aws_options.router = router.get();
  aws_options.forwarder = forwarder.get();
  aws_options.task_poller = task_poller.get();
  aws_options.on_execution_started = [&metrics](const std::string& sm) {
    metrics.ExecutionStarted(sm);
  };
  if (http_enabled && !tokens.empty() && aws_keys.empty()) {
    spdlog::warn("--auth-tokens-file without --aws-credentials-file: the AWS endpoint accepts "
                 "only `Authorization: Bearer` requests, which the AWS CLI and SDKs do not send");
  }
  auto aws_json_api = std::make_unique<AwsJsonApi>(engine.get(), std::move(aws_options));
  // The web console (`GET /`, `/console/...`): same tokens; reset after http.Stop().
  console::ConsoleOptions console_options;
  console_options.tokens = tokens;
  console_options.aws_keys_configured = !aws_keys.empty();
  console_options.recent_express = &express_log->recent();
  auto web_console = std::make_unique<console::Console>(engine.get(), console_options);
  int http_port = 0;
  if (http_enabled) {
    aws_json_api->Register(&http);
    web_console->Register(&http);
    http.Handle("GET", "/healthz", [](const HttpRequest&) {
      return HttpResponse{200, "text/plain; charset=utf-8", {}, "ok\n"};
    });
    http.Handle("GET", "/readyz", [&ready](const HttpRequest&) {
      return ready.load() ? HttpResponse{200, "text/plain; charset=utf-8", {}, "ready\n"}
                          : HttpResponse{503, "text/plain; charset=utf-8", {}, "not ready\n"};
    });
    engine::Engine* eng = engine.get();
    express_log::ExpressLogWriter* express_writer = express_log.get();
    storage::ShardLeases* leases = shard_leases.get();
    ClusterRouter* routing = router.get();
    StatesService* grpc_service = service.get();
    ClusterTaskPoller* polls = task_poller.get();
    storage::TaskNotifications* notifications = task_notifications.get();
    http.Handle("GET", "/metrics", [eng, rocks, postgres, leases, routing, grpc_service, polls,
                                    notifications, &metrics,
                                    &ready, start_time, express_writer,
                                    tokens](const HttpRequest& r) {
      if (!tokens.empty() && !HasBearerToken(r, tokens)) {
        HttpResponse denied{401, "text/plain; charset=utf-8", {}, "bearer token required\n"};
        denied.headers["WWW-Authenticate"] = "Bearer";
        return denied;
      }
      MetricsSnapshot snap;
      snap.engine = eng->stats();
      if (rocks != nullptr) {
        snap.rocksdb_bytes = static_cast<int64_t>(rocks->ApproximateSize());
        snap.has_store_background = true;
        storage::RocksStore::BackgroundStats b = rocks->Background();
        snap.store_background = StoreBackgroundStats{b.flushes,
                                                     b.compactions,
                                                     b.compaction_input_bytes,
                                                     b.compaction_output_bytes,
                                                     b.compaction_seconds,
                                                     b.running_compactions,
                                                     b.running_flushes,
                                                     b.pending_compaction_bytes,
                                                     b.l0_files,
                                                     b.write_stall_active};
        auto convert = [](const storage::Histogram& h) {
          return HistogramSnapshot{h.upper_bounds, h.counts, h.sum, h.count};
        };
        snap.commit_write_seconds = convert(rocks->CommitWriteSeconds());
        snap.commit_group_sizes = convert(rocks->CommitGroupSizes());
      }
      snap.uptime_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
      snap.ready = ready.load();
      express_log::ExpressLogStats xs = express_writer->stats();
      snap.has_express_log = true;
      snap.express_log_executions = xs.executions;
      snap.express_log_lines = xs.lines;
      snap.express_log_dropped = xs.dropped;
      snap.express_log_write_errors = xs.write_errors;
      if (leases != nullptr && postgres != nullptr) {
        snap.has_cluster = true;
        snap.cluster.shards_owned = static_cast<int64_t>(leases->OwnedShards().size());
        snap.cluster.shards_total = leases->shard_count();
        absl::StatusOr<int> live = leases->LiveNodes();
        snap.cluster.nodes_live = live.ok() ? *live : -1;
        storage::FenceStats f = postgres->fence_stats();
        snap.cluster.fenced_by_database = f.rejected_by_database;
        snap.cluster.fenced_not_held = f.rejected_not_held;
        if (routing != nullptr) {
          ClusterRouterStats rs = routing->stats();
          snap.cluster.forwarded = static_cast<int64_t>(rs.forwarded);
          snap.cluster.forward_retries = static_cast<int64_t>(rs.retried);
          snap.cluster.forward_shard_moved = static_cast<int64_t>(rs.moved);
        }
        snap.cluster.forward_refused =
            static_cast<int64_t>(grpc_service->forwarded_calls_refused());
        if (polls != nullptr && notifications != nullptr) {
          ClusterTaskPollerStats ps = polls->stats();
          storage::TaskNotificationStats ns = notifications->stats();
          snap.cluster.has_task_polls = true;
          snap.cluster.remote_takes = static_cast<int64_t>(ps.remote_takes);
          snap.cluster.remote_tasks_handed_out = static_cast<int64_t>(ps.remote_handed_out);
          snap.cluster.remote_take_errors = static_cast<int64_t>(ps.remote_take_errors);
          snap.cluster.task_notifications_heard = static_cast<int64_t>(ns.received);
          snap.cluster.task_notifications_sent = static_cast<int64_t>(ns.sent);
        }
      }
      return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", {},
                          metrics.Render(snap)};
    });
    absl::Status s = http.Start(http_addr.host, http_addr.port);
    if (!s.ok()) {
      server->Shutdown(std::chrono::system_clock::now());
      engine->Shutdown();
      Refuse(std::string(s.message()));
    }
    http_port = http.port();
  }
  ready.store(true);
  if (!config.ports_file.empty()) WritePortsFile(config.ports_file, grpc_port, http_port);
  spdlog::info("stepwised {} listening: gRPC {}:{}{}{}, HTTP {}{}{}; data in {}", "0.1.0",
               grpc_addr.host, grpc_port, tls ? " (TLS)" : "", tokens.empty() ? "" : " (tokens)",
               http_enabled ? absl::StrCat(http_addr.host, ":", http_port) : "off",
               http_enabled && tls
                   ? (config.http_tls_client_ca.empty() ? " (HTTPS)" : " (HTTPS, client certs)")
                   : "",
               http_enabled && !aws_keys.empty() ? " (SigV4)" : "", data_dir);

  // ---- wait for a signal ----
  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  spdlog::info("received {}: shutting down (a second signal exits at once)",
               sig == SIGTERM ? "SIGTERM" : "SIGINT");
  std::thread([signals] {
    int second = 0;
    while (sigwait(&signals, &second) != 0) {
    }
    std::fprintf(stderr, "stepwised: second signal: exiting at once\n");
    std::_Exit(kExitSecondSignal);
  }).detach();

  ready.store(false);
  if (auto* health = server->GetHealthCheckService()) health->SetServingStatus(false);
  // Stop accepting calls, end watch streams, let running calls finish.
  web_console->Shutdown();  // answers held live-update requests at once
  if (!service->BeginShutdown(std::chrono::seconds(10))) {
    spdlog::warn("calls still running after 10 s; shutting down anyway");
  }
  // Finishes in-flight commits and wakes long polls (they answer empty).
  engine->Shutdown();
  // The engine's calls still at other nodes end (or time out) first.
  cluster_calls->Unbind();
  // No other node's announcement reaches the task poller from now on.
  if (task_notifications) task_notifications->Stop();
  express_log->Stop();  // writes what the shards queued
  // No Invoke answer reaches the engine from now on; open Lambda tasks are
  // invoked again at the next start.
  if (lambda_invoker) lambda_invoker->Stop();
  for (const auto& integration : integrations) integration->Stop();
  aws_api->Stop();
  spdlog::debug("engine stopped");
  // Every call has finished or is finishing now; idle client connections
  // would hold Shutdown until its deadline, so keep the deadline short.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  spdlog::debug("gRPC server stopped");
  server->Wait();
  http.Stop();
  web_console.reset();
  express_log.reset();
  aws_json_api.reset();
  server.reset();
  service.reset();
  engine.reset();
  crash_store.reset();
  store.reset();  // closes RocksDB
  spdlog::info("stopped cleanly");
  spdlog::shutdown();
  return 0;
}

}  // namespace
}  // namespace stepwise::server

int main(int argc, char** argv) { return stepwise::server::Run(argc, argv); }
