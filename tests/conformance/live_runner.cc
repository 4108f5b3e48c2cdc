// conformance_live_runner: runs the execution cases of the shared conformance
// corpus that call Lambda functions, activities or nested executions
// (`requires` lambda/activity, or a states: resource) end to end: for each
// case a real stepwised (tests/stepwised_process.h) on loopback ports,
// CreateStateMachine with the case's state_machine_type, StartExecution with
// its input, and real workers (live_workers.h) serving its `lambda_stubs`
// over GetFunctionTask and its `activity_stubs` over GetActivityTask. The
// final DescribeExecution and GetExecutionHistory are scored exactly as
// conformance_runner scores the local runner (scoring.h, compare.h).
//
// With --aws-servers MODULES_DIR (the node_modules of
// scripts/install-aws-servers.sh) it also runs the cases that call AWS
// services these servers cover (`requires` aws-sdk:s3, s3, aws-sdk:sfn,
// sfn, aws-sdk:dynamodb, dynamodb): dynalite and s3rver started once on
// loopback (aws_compatible_servers.h; s3rver with every Bucket the
// definitions name), and each such case's stepwised started with
// `--aws-endpoint dynamodb=… s3=… sfn=<its own AWS endpoint>` and s3rver's
// credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY. --aws-only runs
// those cases alone (ctest conformance_live_aws, gate live_aws_passing.txt).
//
// Usage: conformance_live_runner SHARED_DIR [--verbose] [--case ID]...
//          [--category NAME] [--jobs N] [--time-scale X]
//          [--case-timeout SECONDS] [--write-passing FILE] [--passing FILE]
//          [--aws-servers MODULES_DIR [--aws-only]] [--express]
// --express runs the EXPRESS cases instead: the sync ones by
// StartSyncExecution, the async ones (recorded from the CloudWatch Logs end
// event) by StartExecution on a machine logging at level ALL with execution
// data, scored on the end event read from its --express-log-dir file.
// Exit: 0 done (and no regression), 1 a result listed in --passing no longer
// passes, 2 bad arguments or unreadable corpus, 77 corpus absent, or
// --aws-servers given and not installed (skip).
//
// Cases run --jobs at a time, each with a stepwised of its own (the corpus
// reuses stub names with different behaviours across cases). stepwised runs
// on the real clock unless --time-scale X (Waits, retry intervals and
// timeouts pass X times faster; the workers scale their sleeps and
// heartbeats alike). Real time is the default: a Task with TimeoutSeconds 1
// leaves its worker only 1/X s, which a loaded machine can miss.
// A case still running after --case-timeout real seconds fails.
// Threads: main starts the case threads; each case thread owns its daemon
// and workers.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"
#include "tests/conformance/aws_compatible_servers.h"
#include "tests/conformance/case_file.h"
#include "tests/conformance/cat.h"
#include "tests/conformance/compare.h"
#include "tests/conformance/live_workers.h"
#include "tests/conformance/scoring.h"
#include "tests/stepwised_process.h"

namespace stepwise::conformance {
namespace {

struct Options {
  std::string shared_dir;
  bool verbose = false;
  std::set<std::string> only_cases;
  std::string only_category;
  std::string write_passing;
  std::string passing;
  int jobs = 8;
  double time_scale = 1;
  int case_timeout_seconds = 30;
  std::string aws_servers;  // node_modules with dynalite and s3rver; "" = no AWS cases
  bool aws_only = false;
  bool express = false;  // only the EXPRESS cases (StartSyncExecution, or async: the log)
};

// Where the AWS cases' servers answer (set once before the case threads).
struct AwsEndpoints {
  std::string dynamodb, s3;
};

void Usage(std::ostream& out) {
  out << "usage: conformance_live_runner SHARED_DIR [--verbose] [--case ID]...\n"
         "         [--category NAME] [--jobs N] [--time-scale X]\n"
         "         [--case-timeout SECONDS] [--write-passing FILE] [--passing FILE]\n"
         "         [--aws-servers MODULES_DIR [--aws-only]] [--express]\n"
         "Runs the Lambda, activity and nested-execution cases of\n"
         "SHARED_DIR/conformance/cases through a real stepwised with real workers;\n"
         "with --aws-servers also the DynamoDB, S3 and Step Functions cases against\n"
         "dynalite, s3rver and stepwised itself. With --express, the EXPRESS cases\n"
         "instead, each through StartSyncExecution (the async ones: StartExecution and\n"
         "the end event of the execution's log).\n";
}

std::optional<Options> ParseArgs(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) {
        std::cerr << "conformance_live_runner: " << a << " needs a value\n";
        return false;
      }
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "--verbose" || a == "-v") {
      o.verbose = true;
    } else if (a == "--case") {
      if (!value(&v)) return std::nullopt;
      o.only_cases.insert(v);
    } else if (a == "--category") {
      if (!value(&o.only_category)) return std::nullopt;
    } else if (a == "--express") {
      o.express = true;
    } else if (a == "--write-passing") {
      if (!value(&o.write_passing)) return std::nullopt;
    } else if (a == "--passing") {
      if (!value(&o.passing)) return std::nullopt;
    } else if (a == "--jobs" || a == "-j") {
      if (!value(&v)) return std::nullopt;
      o.jobs = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--time-scale") {
      if (!value(&v)) return std::nullopt;
      o.time_scale = std::atof(v.c_str());
      if (!(o.time_scale > 0)) {
        std::cerr << "conformance_live_runner: --time-scale must be > 0\n";
        return std::nullopt;
      }
    } else if (a == "--case-timeout") {
      if (!value(&v)) return std::nullopt;
      o.case_timeout_seconds = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--aws-servers") {
      if (!value(&o.aws_servers)) return std::nullopt;
    } else if (a == "--aws-only") {
      o.aws_only = true;
    } else if (a == "--help" || a == "-h") {
      Usage(std::cout);
      std::exit(0);
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "conformance_live_runner: unknown option " << a << "\n";
      return std::nullopt;
    } else if (o.shared_dir.empty()) {
      o.shared_dir = a;
    } else {
      std::cerr << "conformance_live_runner: unexpected argument " << a << "\n";
      return std::nullopt;
    }
  }
  if (o.shared_dir.empty()) {
    std::cerr << "conformance_live_runner: SHARED_DIR is required\n";
    return std::nullopt;
  }
  if (o.aws_only && o.aws_servers.empty()) {
    std::cerr << "conformance_live_runner: --aws-only needs --aws-servers\n";
    return std::nullopt;
  }
  return o;
}

// The cases this runner is for: they call a Lambda function or an activity,
// or start a nested execution (a states: resource).
bool NeedsLiveWorkers(const ConformanceCase& c) {
  if (const json::value* r = c.doc.if_contains("requires"); r && r->is_array()) {
    for (const json::value& v : r->get_array()) {
      if (!v.is_string()) continue;
      std::string_view s(v.get_string().data(), v.get_string().size());
      if (s == "lambda" || s == "activity" || s == "states") return true;
    }
  }
  const json::value* def = c.doc.if_contains("definition");
  return def != nullptr &&
         SerializeJson(*def).find(":states:::states:") != std::string::npos;
}

// The cases that call AWS services dynalite, s3rver and stepwised itself
// cover: every `requires` entry is one of those services or something the
// live workers serve, and at least one is such a service.
bool NeedsAwsServers(const ConformanceCase& c) {
  static const std::set<std::string, std::less<>> kAws = {
      "aws-sdk:s3", "s3", "aws-sdk:sfn", "sfn", "aws-sdk:dynamodb", "dynamodb"};
  static const std::set<std::string, std::less<>> kServed = {"lambda", "activity", "states",
                                                             "callback"};
  const json::value* r = c.doc.if_contains("requires");
  if (r == nullptr || !r->is_array()) return false;
  bool aws = false;
  for (const json::value& v : r->get_array()) {
    if (!v.is_string()) return false;
    std::string_view s(v.get_string().data(), v.get_string().size());
    if (kAws.count(s)) {
      aws = true;
    } else if (!kServed.count(s)) {
      return false;
    }
  }
  return aws;
}

// Every string a definition gives as "Bucket" (s3rver makes them first).
void CollectBuckets(const json::value& v, std::set<std::string>* out) {
  if (const json::object* o = v.if_object()) {
    for (const auto& e : *o) {
      if (e.key() == "Bucket" && e.value().is_string()) {
        out->insert(std::string(e.value().get_string()));
      }
      CollectBuckets(e.value(), out);
    }
  } else if (const json::array* a = v.if_array()) {
    for (const json::value& x : *a) CollectBuckets(x, out);
  }
}

std::string StringOf(const json::object& o, std::string_view key,
                     std::string_view fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::string(fallback);
  return std::string(v->get_string());
}

std::string Describe(const grpc::Status& s) {
  return Cat("code ", static_cast<int>(s.error_code()), " ", s.error_message());
}

std::string LastLines(const std::string& text, size_t n) {
  size_t pos = text.size();
  for (size_t i = 0; i < n && pos > 0; ++i) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
  }
  return text.substr(pos);
}

// The execution's whole history, in the shape the history check needs.
grpc::Status ReadHistory(v1::States::Stub* stub, const std::string& execution_arn,
                         std::vector<ActualEvent>* events) {
  std::string next;
  do {
    v1::GetExecutionHistoryRequest req;
    req.set_execution_arn(execution_arn);
    req.set_max_results(1000);
    req.set_next_token(next);
    v1::GetExecutionHistoryResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status s = stub->GetExecutionHistory(&ctx, req, &resp);
    if (!s.ok()) return s;
    for (const v1::HistoryEvent& e : resp.events()) {
      ActualEvent a;
      a.id = e.id();
      a.previous_event_id = e.previous_event_id();
      a.type = e.type();
      if (!e.details_json().empty()) {
        auto parsed = ParseJson(e.details_json());
        if (parsed.ok() && parsed->is_object()) a.details = parsed->get_object();
      }
      events->push_back(std::move(a));
    }
    next = resp.next_token();
  } while (!next.empty());
  return grpc::Status::OK;
}

// An Express case recorded from the CloudWatch Logs end event of an async
// execution (StartExecution), not from StartSyncExecution's answer: the
// context object differs (an async execution's has Execution.RedriveCount).
bool IsAsyncExpressCase(const ConformanceCase& c) {
  const json::value* source = c.doc.if_contains("source");
  return source && source->is_object() &&
         StringOf(source->get_object(), "snapshot_key", "") == "end_event";
}

// The log group the async Express cases log to, and the file stepwised
// writes it to under --express-log-dir (docs: "Express execution logs").
constexpr char kExpressLogGroupArn[] =
    "arn:aws:logs:us-east-1:111111111111:log-group:conformance:*";
constexpr char kExpressLogFile[] = "conformance.jsonl";

// Waits for `execution_arn`'s end event in the Express log file and fills
// `result` from it (its status, output or error and cause). False with
// `why` after `timeout_seconds`.
bool ReadExpressEnd(const std::string& path, const std::string& execution_arn,
                    int timeout_seconds, ActualResult* result, std::string* why) {
  static const std::pair<const char*, const char*> kEnds[] = {
      {"ExecutionSucceeded", "SUCCEEDED"}, {"ExecutionFailed", "FAILED"},
      {"ExecutionTimedOut", "TIMED_OUT"}, {"ExecutionAborted", "ABORTED"}};
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  std::string last_type = "none";
  while (std::chrono::steady_clock::now() < give_up) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      auto parsed = ParseJson(line);
      if (!parsed.ok() || !parsed->is_object()) continue;
      const json::object& event = parsed->get_object();
      if (StringOf(event, "execution_arn", "") != execution_arn) continue;
      last_type = StringOf(event, "type", "");
      for (const auto& [type, status] : kEnds) {
        if (last_type != type) continue;
        result->status = status;
        const json::value* details = event.if_contains("details");
        if (details && details->is_object()) {
          const json::object& d = details->get_object();
          if (d.contains("output")) result->output = StringOf(d, "output", "");
          if (!StringOf(d, "error", "").empty()) result->error = StringOf(d, "error", "");
          if (!StringOf(d, "cause", "").empty()) result->cause = StringOf(d, "cause", "");
        }
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *why = Cat("no end event in ", path, " after ", timeout_seconds, " s; last event ", last_type);
  return false;
}

// stepwised's flags for one case: the AWS cases also get the servers'
// endpoints and their own AWS endpoint (on `http_port`) as Step Functions'.
std::vector<std::string> DaemonFlags(const Options& opts, const AwsEndpoints* aws,
                                     int http_port) {
  std::vector<std::string> flags = {"--region",     "us-east-1",           "--account",
                                    "111111111111", "--time-scale",        Cat(opts.time_scale),
                                    "--shards",     "1",                   "--log-level",
                                    "warn"};
  if (aws != nullptr) {
    // After the defaults' --http-listen 127.0.0.1:0: the last one wins.
    std::string self = Cat("127.0.0.1:", http_port);
    flags.insert(flags.end(), {"--http-listen", self,
                               "--aws-endpoint", Cat("dynamodb=", aws->dynamodb),
                               "--aws-endpoint", Cat("s3=", aws->s3),
                               "--aws-endpoint", Cat("sfn=http://", self)});
  }
  return flags;
}

// Runs one case on a stepwised of its own (`aws`: the AWS servers, for the
// cases that call them; else null).
RunOutput RunLive(const ConformanceCase& c, const Options& opts, const AwsEndpoints* aws) {
  RunOutput out;
  std::string data_dir = testproc::MakeTempDir("conformance-live-data");
  std::unique_ptr<testproc::Daemon> owned;
  const bool express_async = opts.express && IsAsyncExpressCase(c);
  std::string log_dir = express_async ? testproc::MakeTempDir("conformance-express-logs") : "";
  // A port picked free can be taken before stepwised binds it: try again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<std::string> flags = DaemonFlags(opts, aws, aws ? FreeLoopbackPort() : 0);
    if (express_async) flags.insert(flags.end(), {"--express-log-dir", log_dir});
    owned = std::make_unique<testproc::Daemon>(data_dir, std::move(flags));
    if (owned->Start()) break;
    if (attempt == 2 || aws == nullptr) {
      out.run_error = Cat("stepwised did not start: ", LastLines(owned->log(), 5));
      std::error_code ec;
      std::filesystem::remove_all(data_dir, ec);
      return out;
    }
  }
  testproc::Daemon& daemon = *owned;
  auto cleanup = [&] {
    daemon.Stop(SIGTERM);
    std::error_code ec;
    std::filesystem::remove_all(data_dir, ec);
    std::filesystem::remove_all(daemon.work_dir(), ec);
    if (!log_dir.empty()) std::filesystem::remove_all(log_dir, ec);
  };
  v1::States::Stub* stub = daemon.stub();
  auto deadline_in = [](int seconds) {
    return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
  };

  // Activities first: the definition names them.
  if (const json::value* acts = c.doc.if_contains("activity_stubs");
      acts && acts->is_object()) {
    for (const auto& entry : acts->get_object()) {
      v1::CreateActivityRequest req;
      req.set_name(std::string(entry.key()));
      v1::CreateActivityResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline_in(30));
      grpc::Status s = stub->CreateActivity(&ctx, req, &resp);
      const json::object* a = entry.value().if_object();
      std::string want = a ? StringOf(*a, "activity_arn", "") : "";
      if (!s.ok() || resp.activity_arn() != want) {
        out.run_error = Cat("CreateActivity ", std::string(entry.key()), ": ",
                            s.ok() ? Cat("ARN ", resp.activity_arn(), ", the case needs ", want)
                                   : Describe(s));
        cleanup();
        return out;
      }
    }
  }

  const json::value* def = c.doc.if_contains("definition");
  const json::value* input = c.doc.if_contains("input");
  v1::CreateStateMachineRequest create;
  create.set_name("conformance");
  create.set_definition(def ? SerializeJson(*def) : "null");
  create.set_role_arn("arn:aws:iam::111111111111:role/snf_role_arn");
  create.set_type(StringOf(c.doc, "state_machine_type", "STANDARD"));
  if (express_async) {
    v1::LoggingConfiguration* logging = create.mutable_logging_configuration();
    logging->set_level("ALL");
    logging->set_include_execution_data(true);
    logging->add_log_group_arns(kExpressLogGroupArn);
  }
  v1::CreateStateMachineResponse created;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline_in(30));
    grpc::Status s = stub->CreateStateMachine(&ctx, create, &created);
    if (!s.ok()) {
      out.run_error = Cat("CreateStateMachine: ", Describe(s));
      cleanup();
      return out;
    }
  }

  if (create.type() == "EXPRESS" && express_async) {
    // Async Express: StartExecution, then the end event its log carries
    // (AWS keeps no history to read back).
    v1::StartExecutionRequest start;
    start.set_state_machine_arn(created.state_machine_arn());
    start.set_name("conformance-execution");
    start.set_input(input ? SerializeJson(*input) : "{}");
    v1::StartExecutionResponse started;
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline_in(30));
    grpc::Status s = stub->StartExecution(&ctx, start, &started);
    if (!s.ok()) {
      out.run_error = Cat("StartExecution: ", Describe(s));
    } else if (ReadExpressEnd(Cat(log_dir, "/", kExpressLogFile), started.execution_arn(),
                              opts.case_timeout_seconds, &out.result, &out.run_error)) {
      out.ok = true;
    }
    cleanup();
    return out;
  }
  if (create.type() == "EXPRESS") {
    // Express: StartSyncExecution answers with how it ended.
    v1::StartSyncExecutionRequest start;
    start.set_state_machine_arn(created.state_machine_arn());
    start.set_name("conformance-execution");
    start.set_input(input ? SerializeJson(*input) : "{}");
    v1::StartSyncExecutionResponse done;
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline_in(opts.case_timeout_seconds));
    grpc::Status s = stub->StartSyncExecution(&ctx, start, &done);
    if (!s.ok()) {
      out.run_error = Cat("StartSyncExecution: ", Describe(s));
    } else {
      out.result.status = done.status();
      if (done.has_output()) out.result.output = done.output();
      if (done.has_error() && !done.error().empty()) out.result.error = done.error();
      if (done.has_cause() && !done.cause().empty()) out.result.cause = done.cause();
      out.ok = true;
    }
    cleanup();
    return out;
  }

  LiveWorkers workers(c.doc, daemon.channel(), opts.time_scale);
  workers.Start();
  auto finish = [&] {
    workers.Stop();
    out.task_log = workers.log();
    cleanup();
  };

  v1::StartExecutionRequest start;
  start.set_state_machine_arn(created.state_machine_arn());
  start.set_name("conformance-execution");
  start.set_input(input ? SerializeJson(*input) : "{}");
  v1::StartExecutionResponse started;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline_in(30));
    grpc::Status s = stub->StartExecution(&ctx, start, &started);
    if (!s.ok()) {
      out.run_error = Cat("StartExecution: ", Describe(s));
      finish();
      return out;
    }
  }

  auto give_up = std::chrono::steady_clock::now() +
                 std::chrono::seconds(opts.case_timeout_seconds);
  v1::DescribeExecutionResponse described;
  while (true) {
    v1::DescribeExecutionRequest req;
    req.set_execution_arn(started.execution_arn());
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline_in(30));
    described.Clear();
    grpc::Status s = stub->DescribeExecution(&ctx, req, &described);
    if (!s.ok()) {
      out.run_error = Cat("DescribeExecution: ", Describe(s));
      finish();
      return out;
    }
    if (described.status() != "RUNNING") break;
    if (!daemon.Alive()) {
      out.run_error = Cat("stepwised exited with ", daemon.exit_code(), ": ",
                          LastLines(daemon.log(), 5));
      finish();
      return out;
    }
    if (std::chrono::steady_clock::now() > give_up) {
      std::vector<ActualEvent> events;
      ReadHistory(stub, started.execution_arn(), &events);
      out.run_error = Cat("still RUNNING after ", opts.case_timeout_seconds,
                          " s; last event ", events.empty() ? "none" : events.back().type);
      // A refused answer is the usual reason: say which.
      for (const std::string& line : workers.log()) {
        size_t refused = line.find(" REFUSED: ");
        if (refused != std::string::npos) {
          out.run_error = Cat(out.run_error, "; worker's answer", line.substr(refused));
        }
      }
      if (workers.log().empty()) out.run_error = Cat(out.run_error, "; no worker took a task");
      out.result.events = std::move(events);
      finish();
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  out.result.status = described.status();
  if (described.has_output()) out.result.output = described.output();
  if (described.has_error() && !described.error().empty()) {
    out.result.error = described.error();
  }
  if (described.has_cause() && !described.cause().empty()) {
    out.result.cause = described.cause();
  }
  grpc::Status s = ReadHistory(stub, started.execution_arn(), &out.result.events);
  if (!s.ok()) {
    out.run_error = Cat("GetExecutionHistory: ", Describe(s));
  } else {
    out.ok = true;
  }
  finish();
  return out;
}

// One line saying why a case fails (strict result first, then history).
std::string FailureLine(const CaseOutcome& o) {
  std::string why = !o.strict ? Cat("result: ", o.strict_diff)
                              : Cat("history: ", o.history_diff);
  if (why.size() > 300) why = why.substr(0, 300) + "…";
  return why;
}

int Main(int argc, char** argv) {
  std::optional<Options> opts = ParseArgs(argc, argv);
  if (!opts) {
    Usage(std::cerr);
    return 2;
  }
  std::string cases_dir = opts->shared_dir + "/conformance/cases";
  if (!std::filesystem::exists(cases_dir + "/index.json")) {
    std::printf("conformance corpus not found at %s: skipping\n", cases_dir.c_str());
    return 77;
  }
  auto cases = LoadCases(cases_dir);
  if (!cases.ok()) {
    std::cerr << "conformance_live_runner: " << cases.status().message() << "\n";
    return 2;
  }
  bool with_aws = !opts->aws_servers.empty();
  if (with_aws && !std::filesystem::exists(opts->aws_servers + "/dynalite") ) {
    std::printf("dynalite/s3rver not installed in %s (bash scripts/install-aws-servers.sh): "
                "skipping\n", opts->aws_servers.c_str());
    return 77;
  }
  std::vector<const ConformanceCase*> selected;
  std::set<std::string> buckets;
  for (const ConformanceCase& c : *cases) {
    bool aws_case = with_aws && NeedsAwsServers(c);
    if (opts->express) {
      if (StringOf(c.doc, "state_machine_type", "STANDARD") != "EXPRESS") continue;
    } else if (opts->aws_only ? !aws_case : !(NeedsLiveWorkers(c) || aws_case)) {
      continue;
    }
    if (!opts->only_cases.empty() && !opts->only_cases.count(c.id)) continue;
    if (!opts->only_category.empty() && c.category != opts->only_category) continue;
    selected.push_back(&c);
    if (aws_case) CollectBuckets(c.doc, &buckets);
  }
  // The servers, once for the whole run, and the credentials every
  // stepwised signs with (s3rver's account), set before any thread starts.
  std::unique_ptr<AwsCompatibleServers> servers;
  AwsEndpoints endpoints;
  if (with_aws) {
    servers = std::make_unique<AwsCompatibleServers>(
        SW_AWS_SERVE_JS, opts->aws_servers, testproc::MakeTempDir("conformance-aws-servers"));
    std::string error;
    if (!servers->Start({buckets.begin(), buckets.end()}, &error)) {
      std::cerr << "conformance_live_runner: " << error << "\n";
      return 2;
    }
    endpoints = {servers->dynamodb_url(), servers->s3_url()};
    setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_PROFILE");
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
  }
  if (!opts->only_cases.empty() && selected.size() != opts->only_cases.size()) {
    std::cerr << "conformance_live_runner: some --case ids are not live cases of the "
                 "corpus\n";
  }

  std::vector<CaseOutcome> outcomes(selected.size());
  std::atomic<size_t> next{0};
  auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  int jobs = std::min<int>(opts->jobs, static_cast<int>(selected.size()));
  for (int j = 0; j < jobs; ++j) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < selected.size(); i = next++) {
        const AwsEndpoints* aws =
            with_aws && NeedsAwsServers(*selected[i]) ? &endpoints : nullptr;
        outcomes[i] = ScoreCase(*selected[i], RunLive(*selected[i], *opts, aws));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  bool detail_all = !opts->only_cases.empty();
  if (opts->verbose || detail_all) {
    for (const CaseOutcome& o : outcomes) {
      bool failing = !o.strict || (o.history_checked && !o.history);
      if (detail_all || failing) PrintCaseDetail(o, detail_all);
    }
    std::printf("\n");
  }

  std::printf(
      "Live execution conformance: real stepwised, real workers%s (%zu cases, %.1f s, "
      "%d at a time, time scale %g; corpus %s)\n\n",
      with_aws ? (opts->aws_only ? " (AWS cases only: dynalite, s3rver, stepwised itself)"
                                 : ", dynalite, s3rver")
               : "",
      outcomes.size(), seconds, jobs, opts->time_scale, cases_dir.c_str());
  PrintScoreTable(outcomes);
  std::printf("\nfailing cases (what fails: the first difference):\n");
  for (const CaseOutcome& o : outcomes) {
    bool history_fails = o.history_checked && !o.history;
    if (o.strict && !history_fails) continue;
    std::string what = !o.strict ? (history_fails ? "strict, history" : "strict") : "history";
    std::printf("  %s [%s]: %s\n", o.c->id.c_str(), what.c_str(), FailureLine(o).c_str());
  }

  if (!opts->write_passing.empty()) {
    if (!WritePassing(opts->write_passing, outcomes,
                      opts->express
                          ? "conformance_live_runner ../shared --express --write-passing "
                            "tests/conformance/live_express_passing.txt"
                      : opts->aws_only
                          ? "conformance_live_runner ../shared --aws-servers "
                            "build/npm/aws-servers/node_modules --aws-only --write-passing "
                            "tests/conformance/live_aws_passing.txt"
                          : "conformance_live_runner ../shared --write-passing "
                            "tests/conformance/live_passing.txt")) {
      std::cerr << "conformance_live_runner: cannot write " << opts->write_passing << "\n";
      return 2;
    }
    std::printf("\nwrote %s\n", opts->write_passing.c_str());
  }
  if (!opts->passing.empty()) {
    return CheckPassing(opts->passing, outcomes,
                        !opts->only_cases.empty() || !opts->only_category.empty());
  }
  return 0;
}

}  // namespace
}  // namespace stepwise::conformance

int main(int argc, char** argv) { return stepwise::conformance::Main(argc, argv); }
