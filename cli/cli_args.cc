#include "cli/cli_args.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "absl/status/status.h"

namespace stepwise::client {
namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

// Splits "--name=value" into name and value; `has_value` says whether '='
// was present.
void SplitFlag(const std::string& arg, std::string* name, std::string* value,
               bool* has_value) {
  size_t eq = arg.find('=');
  *has_value = arg.rfind("--", 0) == 0 && eq != std::string::npos;
  *name = *has_value ? arg.substr(0, eq) : arg;
  *value = *has_value ? arg.substr(eq + 1) : "";
}

absl::Status CheckType(const std::string& type) {
  if (type != "STANDARD" && type != "EXPRESS") {
    return Invalid("--type must be STANDARD or EXPRESS, not '" + type + "'");
  }
  return absl::OkStatus();
}


enum class FlagKind { kString, kBool, kInt, kDouble };

struct CommandSpec {
  const char* name;
  size_t min_positional;
  size_t max_positional;
  std::map<std::string, FlagKind> flags;
  std::vector<std::string> required;
  bool takes_command_line = false;
};

const std::vector<CommandSpec>& CommandSpecs() {
  using K = FlagKind;
  static const auto* specs = new std::vector<CommandSpec>{
      {"machine create", 1, 1,
       {{"definition", K::kString}, {"type", K::kString},
        {"role-arn", K::kString}, {"json", K::kBool}, {"logging-level", K::kString},
        {"log-group-arn", K::kString}, {"include-execution-data", K::kBool}},
       {"definition"}},
      {"machine update", 1, 1,
       {{"definition", K::kString}, {"role-arn", K::kString},
        {"json", K::kBool}, {"logging-level", K::kString},
        {"log-group-arn", K::kString}, {"include-execution-data", K::kBool}},
       {}},
      {"machine describe", 1, 1, {{"json", K::kBool}}, {}},
      {"machine list", 0, 0, {{"json", K::kBool}}, {}},
      {"machine delete", 1, 1, {}, {}},
      {"machine publish", 1, 1,
       {{"description", K::kString}, {"revision-id", K::kString}, {"json", K::kBool}},
       {}},
      {"machine versions", 1, 1, {{"json", K::kBool}}, {}},
      {"alias create", 3, 4, {{"description", K::kString}}, {}},
      {"alias update", 2, 4, {{"description", K::kString}}, {}},
      {"alias describe", 2, 2, {{"json", K::kBool}}, {}},
      {"alias delete", 2, 2, {}, {}},
      {"alias list", 1, 1, {{"json", K::kBool}}, {}},
      {"start", 1, 1,
       {{"input", K::kString}, {"name", K::kString}, {"wait", K::kBool},
        {"sync", K::kBool}, {"json", K::kBool}},
       {}},
      {"describe", 1, 1, {{"json", K::kBool}}, {}},
      {"stop", 1, 1, {{"error", K::kString}, {"cause", K::kString}}, {}},
      {"redrive", 1, 1, {{"client-token", K::kString}}, {}},
      {"restart", 1, 1,
       {{"from", K::kString}, {"event-id", K::kInt}, {"input", K::kString},
        {"name", K::kString}, {"json", K::kBool}},
       {"from"}},
      // Without a machine (then --where or --count): every machine (search_cmd.h).
      {"list", 0, 1,
       {{"status", K::kString}, {"json", K::kBool}, {"max", K::kInt},
        {"where", K::kString}, {"count", K::kBool}},
       {}},
      {"machine index-fields", 1, SIZE_MAX,
       {{"file", K::kString}, {"clear", K::kBool}, {"json", K::kBool}}, {}},
      {"history", 1, 1, {{"json", K::kBool}, {"follow", K::kBool}}, {}},
      {"activity create", 1, 1, {{"json", K::kBool}}, {}},
      {"activity describe", 1, 1, {{"json", K::kBool}}, {}},
      {"activity list", 0, 0, {{"json", K::kBool}}, {}},
      {"activity delete", 1, 1, {}, {}},
      {"task success", 1, 1, {{"output", K::kString}}, {"output"}},
      {"task failure", 1, 1, {{"error", K::kString}, {"cause", K::kString}},
       {}},
      {"task heartbeat", 1, 1, {}, {}},
      {"worker", 0, 0,
       {{"activity", K::kString}, {"function", K::kString}, {"concurrency", K::kInt},
        {"heartbeat-seconds", K::kDouble}, {"name", K::kString}},
       {},
       true},
      // The command after "--" is optional here (checked below).
      {"lambda-runtime", 0, 0,
       {{"function", K::kString}, {"listen", K::kString}, {"concurrency", K::kInt},
        {"heartbeat-seconds", K::kDouble}, {"memory-mb", K::kInt}, {"name", K::kString}},
       {"function"},
       true},
      {"admin backup", 1, 1, {{"json", K::kBool}}, {}},
      {"admin cluster", 0, 0, {{"json", K::kBool}}, {}},
      // Offline, no stepwised (cli/copy_store_cmd.h).
      {"admin copy-store", 0, 0,
       {{"from", K::kString}, {"to", K::kString}, {"verify", K::kBool},
        {"verify-only", K::kBool}, {"allow-non-empty", K::kBool}, {"batch-rows", K::kInt}},
       {"from", "to"}},
      {"batch stop", 0, 1,
       {{"status", K::kString}, {"where", K::kString}, {"error", K::kString},
        {"cause", K::kString}, {"client-token", K::kString}, {"wait", K::kBool},
        {"json", K::kBool}},
       {}},
      {"batch redrive", 0, 1,
       {{"status", K::kString}, {"where", K::kString}, {"client-token", K::kString},
        {"wait", K::kBool}, {"json", K::kBool}},
       {}},
      {"batch list", 0, 0, {{"json", K::kBool}}, {}},
      {"batch describe", 1, 1, {{"json", K::kBool}}, {}},
      {"batch cancel", 1, 1, {}, {}},
      {"map-run describe", 1, 1, {{"json", K::kBool}}, {}},
      {"map-run list", 1, 1, {{"json", K::kBool}}, {}},
      {"tag", 2, SIZE_MAX, {}, {}},
      {"untag", 2, SIZE_MAX, {}, {}},
      {"tags", 1, 1, {{"json", K::kBool}}, {}},
      {"test-state", 0, 0,
       {{"definition", K::kString}, {"state-name", K::kString}, {"input", K::kString},
        {"variables", K::kString}, {"inspection-level", K::kString},
        {"reveal-secrets", K::kBool}, {"role-arn", K::kString}, {"context", K::kString},
        {"mock-result", K::kString}, {"mock-error", K::kString}, {"mock-cause", K::kString},
        {"field-validation-mode", K::kString}, {"retrier-retry-count", K::kInt},
        {"error-caused-by-state", K::kString}, {"map-iteration-failure-count", K::kInt},
        {"map-item-reader-data", K::kString}},
       {"definition"}},
      {"bench", 0, 0,
       {{"workload", K::kString}, {"duration", K::kDouble},
        {"rate", K::kDouble}, {"concurrency", K::kInt},
        {"workers", K::kInt}, {"server-pid", K::kInt},
        {"executions", K::kInt}, {"states", K::kInt}, {"watch-history", K::kBool},
        {"function", K::kString},
        // search-load / search-query (cli/bench_search.cc)
        {"machine", K::kString}, {"offset", K::kInt}, {"customers", K::kInt},
        {"query", K::kString}, {"expect", K::kInt}, {"searches", K::kInt},
        // every workload's input (text or @FILE); parked (bench/side_by_side.sh)
        {"input", K::kString}},
       {}},
  };
  return *specs;
}

const std::map<std::string, FlagKind>& ConnectionFlags() {
  static const auto* flags = new std::map<std::string, FlagKind>{
      {"endpoint", FlagKind::kString}, {"token", FlagKind::kString},
      {"tls-ca", FlagKind::kString},   {"tls-cert", FlagKind::kString},
      {"tls-key", FlagKind::kString}};
  return *flags;
}

bool ParseInt(const std::string& text, int64_t* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
}

bool ParseDouble(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

absl::StatusOr<CliArgs> ParseRemote(const std::vector<std::string>& args,
                                    const EnvLookup& env) {
  // The command is one word, or two for the grouped ones.
  static const std::set<std::string> kGroups = {"machine", "activity", "task",
                                                      "admin", "alias", "batch", "map-run"};
  std::string command = args[0];
  size_t first = 1;
  if (kGroups.count(command) > 0) {
    if (args.size() < 2 || args[1].empty() || args[1][0] == '-') {
      return Invalid(command + " needs a subcommand");
    }
    command += " " + args[1];
    first = 2;
  }
  const CommandSpec* spec = nullptr;
  for (const CommandSpec& s : CommandSpecs()) {
    if (command == s.name) spec = &s;
  }
  if (spec == nullptr) return Invalid("unknown command '" + command + "'");

  CliArgs out;
  out.command = CliCommand::kRemote;
  RemoteArgs& r = out.remote;
  r.command = command;
  std::map<std::string, std::string> connection;
  for (size_t i = first; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      if (!spec->takes_command_line) {
        return Invalid("unexpected '--' for " + command);
      }
      r.command_line.assign(args.begin() + static_cast<long>(i) + 1,
                            args.end());
      break;
    }
    if (arg == "--help" || arg == "-h") {
      out.command = CliCommand::kHelp;
      return out;
    }
    if (arg.size() < 3 || arg.rfind("--", 0) != 0) {
      r.positional.push_back(arg);
      continue;
    }
    std::string name, value;
    bool has_value = false;
    SplitFlag(arg, &name, &value, &has_value);
    name = name.substr(2);
    FlagKind kind;
    bool is_connection = false;
    if (auto it = spec->flags.find(name); it != spec->flags.end()) {
      kind = it->second;
    } else if (auto c = ConnectionFlags().find(name);
               c != ConnectionFlags().end()) {
      kind = c->second;
      is_connection = true;
    } else {
      return Invalid("unknown option '--" + name + "' for " + command);
    }
    if (kind == FlagKind::kBool) {
      if (has_value) return Invalid("--" + name + " takes no value");
      value = "true";
    } else if (!has_value) {
      if (i + 1 >= args.size()) return Invalid("--" + name + " needs a value");
      value = args[++i];
    }
    if (kind == FlagKind::kInt) {
      int64_t n = 0;
      if (!ParseInt(value, &n) || n < 0) {
        return Invalid("--" + name + " needs a non-negative integer, not '" +
                       value + "'");
      }
    } else if (kind == FlagKind::kDouble) {
      double d = 0;
      if (!ParseDouble(value, &d) || d < 0) {
        return Invalid("--" + name + " needs a non-negative number, not '" +
                       value + "'");
      }
    }
    (is_connection ? connection : r.flags)[name] = value;
  }
  if (r.positional.size() < spec->min_positional ||
      r.positional.size() > spec->max_positional) {
    if (spec->max_positional == 0) {
      return Invalid(command + " takes no operand, got '" + r.positional[0] +
                     "'");
    }
    return Invalid(command + " needs " +
                   std::to_string(spec->min_positional) + " operand" +
                   (spec->min_positional == 1 ? "" : "s") + ", got " +
                   std::to_string(r.positional.size()));
  }
  for (const std::string& req : spec->required) {
    if (!r.Has(req)) return Invalid(command + " needs --" + req);
  }
  if (spec->takes_command_line && r.command_line.empty() && command != "lambda-runtime") {
    return Invalid(command + " needs a command after '--'");
  }
  if (command == "list" && r.positional.empty() && !r.Has("where") && !r.Has("count")) {
    return Invalid("list needs a state machine, or --where to search every machine");
  }
  if (command == "list" && r.Has("status") && (r.Has("where") || r.Has("count"))) {
    return Invalid("--status goes without --where and --count (write status = X in --where)");
  }
  if (command == "machine index-fields" && r.Has("clear") &&
      (r.Has("file") || r.positional.size() > 1)) {
    return Invalid("machine index-fields: --clear takes no fields");
  }
  if (command == "machine update" && !r.Has("definition") &&
      !r.Has("role-arn") && !r.Has("logging-level")) {
    return Invalid("machine update needs --definition, --role-arn or --logging-level");
  }
  if ((r.Has("log-group-arn") || r.Has("include-execution-data")) && !r.Has("logging-level")) {
    return Invalid("--log-group-arn and --include-execution-data go with --logging-level");
  }
  if (r.Has("type")) {
    if (absl::Status s = CheckType(r.Get("type")); !s.ok()) return s;
  }
  if (r.Has("concurrency") && r.GetInt("concurrency", 1) < 1) {
    return Invalid("--concurrency must be at least 1");
  }
  if (command == "worker" && r.Has("activity") == r.Has("function")) {
    return Invalid("worker needs --activity or --function (one of them)");
  }
  if (r.Has("function")) {
    absl::StatusOr<std::string> name = FunctionNameFromArg(r.Get("function"));
    if (!name.ok()) return name.status();
  }

  auto from_env = [&](const char* var) -> std::string {
    const char* v = env ? env(var) : nullptr;
    return v == nullptr ? "" : v;
  };
  ConnectionArgs& c = r.connection;
  c.endpoint = connection.count("endpoint") ? connection["endpoint"]
                                            : from_env("STEPWISE_ENDPOINT");
  if (c.endpoint.empty()) c.endpoint = "127.0.0.1:7700";
  c.token = connection.count("token") ? connection["token"]
                                      : from_env("STEPWISE_TOKEN");
  c.tls_ca = connection["tls-ca"];
  c.tls_cert = connection["tls-cert"];
  c.tls_key = connection["tls-key"];
  return out;
}

}  // namespace

std::string RemoteArgs::Get(const std::string& flag,
                            const std::string& fallback) const {
  auto it = flags.find(flag);
  return it == flags.end() ? fallback : it->second;
}

int64_t RemoteArgs::GetInt(const std::string& flag, int64_t fallback) const {
  int64_t n = fallback;
  auto it = flags.find(flag);
  if (it != flags.end() && !ParseInt(it->second, &n)) return fallback;
  return n;
}

double RemoteArgs::GetDouble(const std::string& flag, double fallback) const {
  double d = fallback;
  auto it = flags.find(flag);
  if (it != flags.end() && !ParseDouble(it->second, &d)) return fallback;
  return d;
}

absl::StatusOr<std::string> FunctionNameFromArg(const std::string& arg) {
  // arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
  std::string name = arg;
  if (arg.rfind("arn:", 0) == 0) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t colon = arg.find(':', start);
      parts.push_back(arg.substr(start, colon == std::string::npos ? colon : colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    if (parts.size() < 7 || parts.size() > 8 || parts[2] != "lambda" || parts[5] != "function") {
      return Invalid("--function '" + arg +
                     "' is not a function name or arn:aws:lambda:REGION:ACCOUNT:function:NAME");
    }
    name = parts[6];
  }
  bool valid = !name.empty() && name.size() <= 64;
  for (char ch : name) {
    valid = valid && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_');
  }
  if (!valid) {
    return Invalid("--function '" + arg +
                   "': a function name is 1 to 64 letters, digits, '-' or '_'");
  }
  return name;
}

std::string UsageText() {
  return R"(usage: stepwise <command> [options]

Commands:
  run-local --definition FILE [--input JSON|@FILE] [--history] [--seed N]
            [--type STANDARD|EXPRESS]
      Runs one execution in-process (no server; Waits and retries do not
      sleep) and prints {"status", "output"} or {"status", "error", "cause"}
      as JSON, plus "events" (the execution history, as AWS shows it) with
      --history. Exits 0 whatever the execution's status; 2 when the
      arguments, files, input JSON or definition are invalid.
  validate FILE [--type STANDARD|EXPRESS]
      Validates a state machine definition as AWS does and prints
      {"result": "OK"|"FAIL", "diagnostics": [...]}. Exits 0 when OK, 1 when
      FAIL, 2 on bad arguments.
  help
      Prints this text.

Commands against stepwised (endpoint: --endpoint HOST:PORT, else
$STEPWISE_ENDPOINT, else 127.0.0.1:7700; --token T or $STEPWISE_TOKEN;
TLS with --tls-ca FILE [--tls-cert FILE --tls-key FILE]). State machines
and activities may be named by ARN or by name.
  machine create NAME --definition FILE [--type STANDARD|EXPRESS] [--role-arn A]
                 [--logging-level ALL|ERROR|FATAL|OFF [--log-group-arn ARN]
                  [--include-execution-data]]
  machine update ARN [--definition FILE] [--role-arn A] [--logging-level L ...]
      --logging-level sets the machine's loggingConfiguration: which events
      of its Express executions stepwised writes to the log group's file
      (ARN: arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*).
  machine describe ARN [--json]
  machine list [--json]
  machine delete ARN
  machine publish ARN [--description D] [--revision-id R] [--json]
  machine versions ARN [--json]
      Publishes the current revision as a version (ARN:N; idempotent), and
      lists the versions, newest first. `start ARN:N` runs a version.
  alias create ARN NAME VERSION=WEIGHT [VERSION=WEIGHT] [--description D]
  alias update ARN NAME [VERSION=WEIGHT...] [--description D]
  alias describe ARN NAME [--json]    alias delete ARN NAME    alias list ARN [--json]
      An alias (ARN:NAME) routes `start ARN:NAME` to one or two versions
      (a number or a version ARN) by weight; the weights sum to 100.
  start ARN [--input JSON|@FILE] [--name N] [--wait | --sync]
      With --wait, follows the execution until it closes and prints
      {"status", "output"} or {"status", "error", "cause"}. With --sync
      (EXPRESS machines), StartSyncExecution: prints the same once it closed.
  describe EXEC_ARN [--json]
  stop EXEC_ARN [--error E] [--cause C]
  batch stop [MACHINE] [--status S[,S]] [--where QUERY] [--error E --cause C] [--wait]
  batch redrive [MACHINE] [--status S[,S]] [--where QUERY] [--wait]
      Stops (default: the RUNNING ones) or redrives (default: FAILED,
      TIMED_OUT,ABORTED) every execution of MACHINE, or that QUERY selects,
      started before the job: a durable job that a restart of stepwised
      resumes. Prints its id; --wait follows it to the end. [--client-token T]
  batch list [--json]    batch describe ID [--json]    batch cancel ID
  map-run describe MAP_RUN_ARN [--json]    map-run list EXEC_ARN [--json]
      A Distributed Map's Map Run: status, settings, item and child
      execution counts; the Map Runs an execution started. Its children:
      `aws stepfunctions list-executions --map-run-arn ARN`.
  redrive EXEC_ARN [--client-token T]
      Restarts a FAILED, TIMED_OUT or ABORTED execution from the state
      that did not succeed (AWS's RedriveExecution).
  restart EXEC_ARN --from STATE [--event-id N] [--input JSON|@FILE] [--name N] [--json]
      Starts a new execution of a closed execution's revision at top-level
      state STATE, with the input its last entry (or entry N, the id of its
      StateEntered event) was recorded with, or --input. Both histories
      link each other. Prints the new ARN (named EXEC-restart-N unless
      --name). A Stepwise extension (gRPC/AWS RestartExecution).
  list ARN [--status RUNNING|SUCCEEDED|FAILED|TIMED_OUT|ABORTED] [--json]
  list [ARN] --where QUERY [--count] [--max N] [--json]
      Searches the executions of one machine, or of every machine without
      ARN, newest first: QUERY joins comparisons with and/or and ( ), e.g.
      'customerId = "4711" and status = FAILED', 'name starts with "order-"',
      'startDate >= "2026-12-01T00:00:00Z"', 'stateMachine = orders'; other
      names are the machine's indexed fields (docs/search.md). --count
      prints how many match.
  machine index-fields ARN [NAME=SOURCE:PATH...] [--file FILE] [--clear] [--json]
      Shows, sets (replacing all) or clears the fields a machine indexes for
      --where: SOURCE is input, output or variables; PATH a JSONPath
      ($.customerId) or a JSONata expression in {% %}. FILE holds a JSON
      list of {"name", "source", "path" | "expression"}.
  history EXEC_ARN [--json] [--follow]
  test-state --definition FILE [--state-name S] [--input JSON|@FILE]
             [--inspection-level INFO|DEBUG|TRACE] [--variables JSON|@FILE]
             [--mock-result JSON|@FILE | --mock-error E --mock-cause C]
             [--field-validation-mode STRICT|PRESENT|NONE] [--context JSON|@FILE]
             [--retrier-retry-count N] [--error-caused-by-state S]
             [--map-iteration-failure-count N] [--map-item-reader-data JSON|@FILE]
             [--role-arn A] [--reveal-secrets]
      Runs one state once, as AWS's TestState does (FILE holds one state, or
      a whole machine with --state-name), and prints {"status", "nextState",
      "output", "error", "cause", "inspectionData"} as AWS answers them.
  activity create NAME | describe ARN | list | delete ARN
  tag ARN KEY=VALUE...    untag ARN KEY...    tags ARN [--json]
      Adds (or replaces) and removes the tags of a state machine or an
      activity (ARN, or a name: a state machine's, else an activity's), and
      lists them. AWS's limits: 50 tags, keys 1-128 and values 0-256
      characters (letters, digits, spaces, _ . : / = + - @), no aws: keys.
  task success TOKEN --output JSON
  task failure TOKEN [--error E] [--cause C]
  task heartbeat TOKEN
  worker --activity NAME|ARN [--concurrency N] [--heartbeat-seconds S]
         -- COMMAND ARGS...
      Runs COMMAND for each task with its input on stdin. Exit 0: stdout
      (JSON; empty means null) is sent with SendTaskSuccess. Non-zero exit:
      SendTaskFailure with error "CommandFailed" (or NAME when the first
      line of stderr is "error: NAME") and the tail of stderr as cause.
      SIGINT/SIGTERM stop polling and let running commands finish.
  worker --function NAME|ARN [--concurrency N] [--heartbeat-seconds S]
         -- COMMAND ARGS...
      The same for the Lambda Tasks of function NAME that stepwised serves
      from its function queue (COMMAND gets the invocation payload).
  lambda-runtime --function NAME|ARN [--listen HOST:PORT] [--concurrency N]
         [--heartbeat-seconds S] [--memory-mb M] [-- COMMAND ARGS...]
      Serves AWS Lambda's Runtime API for function NAME on --listen
      (default 127.0.0.1:9001): GET /2018-06-01/runtime/invocation/next
      hands out the function's invocations from stepwised, and .../response
      and .../error report them (SendTaskSuccess/SendTaskFailure); a
      heartbeat goes every S seconds (default 10) while one runs. With
      COMMAND (a Lambda runtime, e.g. npx aws-lambda-ric index.handler),
      runs N copies of it, each with AWS_LAMBDA_RUNTIME_API set to a Runtime
      API of its own, and restarts a copy that exits (its invocation in
      flight fails with Runtime.ExitError). SIGINT/SIGTERM stop it.
  admin backup DIR [--json]
      Has the server write an online, consistent copy of its data directory
      (a RocksDB checkpoint) to DIR, which must not exist. DIR is on the
      SERVER's filesystem (a relative DIR is made absolute here, against this
      shell's directory). Start stepwised with --data-dir DIR to restore it.
  admin cluster [--json]
      Cluster mode: every node (id, gRPC address, live, heartbeat age) and
      the shards each holds, and the shards nobody holds, as the database
      says (any node answers the same).
  admin copy-store --from STORE --to STORE [--verify | --verify-only]
                   [--allow-non-empty] [--batch-rows N]
      Offline: copies every table of one store into another; STORE is a
      data directory (RocksDB) or a postgresql:// URI. No stepwised may
      serve either meanwhile. The destination must be empty (but for
      --allow-non-empty). --verify then compares both row by row;
      --verify-only compares without copying. Progress on stderr; exit 1 on
      any difference, naming the first one's table and key.
  bench [--workload start-only|pass-chain|activity|lambda|express-sync] [--duration S]
        [--rate R] [--concurrency C] [--workers K] [--server-pid PID]
        [--states N] [--function NAME] [--input JSON|@FILE]
  bench --workload parked [--executions N] [--concurrency C] [--server-pid PID]
      Load generator; prints one JSON object of figures. --input is every
      execution's input (default {}). parked starts N executions (default
      10000) parked on an activity task nobody polls and reports the
      server's VmRSS before and after (needs --server-pid). --states N makes
      start-only start N-state Pass chains (not waited for). lambda runs
      one Lambda Task per execution on function NAME (default bench), served
      by whatever polls it (e.g. stepwise lambda-runtime); not in "all".
  bench --workload rpc-floor [--duration S] [--concurrency C] [--server-pid PID]
      C callers of DescribeStateMachine (a unary RPC touching no
      execution): calls/s and the server's and the client's CPU per call,
      the cost of one gRPC round trip under every other figure.
Exit codes: 0 success, 1 the call failed ("error: NAME: message" on
stderr), 2 bad usage.

Example:
  stepwise run-local --definition examples/hello/definition.json \
      --input @examples/hello/input.json --history
)";
}

absl::StatusOr<CliArgs> ParseCliArgs(const std::vector<std::string>& args) {
  return ParseCliArgs(args, [](const char* name) { return std::getenv(name); });
}

absl::StatusOr<CliArgs> ParseCliArgs(const std::vector<std::string>& args,
                                     const EnvLookup& env) {
  CliArgs out;
  if (args.empty()) return Invalid("missing command");
  const std::string& command = args[0];
  if (command == "help" || command == "--help" || command == "-h") {
    out.command = CliCommand::kHelp;
    return out;
  }
  if (command != "run-local" && command != "validate") {
    return ParseRemote(args, env);
  }
  out.command =
      command == "run-local" ? CliCommand::kRunLocal : CliCommand::kValidate;
  std::vector<std::string> positional;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string name, value;
    bool has_value = false;
    SplitFlag(args[i], &name, &value, &has_value);
    auto take_value = [&]() -> absl::Status {
      if (has_value) return absl::OkStatus();
      if (i + 1 >= args.size()) return Invalid(name + " needs a value");
      value = args[++i];
      return absl::OkStatus();
    };
    if (name == "--help" || name == "-h") {
      out.command = CliCommand::kHelp;
      return out;
    }
    if (name == "--type") {
      if (absl::Status s = take_value(); !s.ok()) return s;
      if (absl::Status s = CheckType(value); !s.ok()) return s;
      out.run_local.type = value;
      out.validate.type = value;
      continue;
    }
    if (out.command == CliCommand::kRunLocal) {
      if (name == "--definition") {
        if (absl::Status s = take_value(); !s.ok()) return s;
        out.run_local.definition_file = value;
      } else if (name == "--input") {
        if (absl::Status s = take_value(); !s.ok()) return s;
        out.run_local.input = value;
      } else if (name == "--history") {
        if (has_value) return Invalid("--history takes no value");
        out.run_local.history = true;
      } else if (name == "--seed") {
        if (absl::Status s = take_value(); !s.ok()) return s;
        uint64_t seed = 0;
        auto [ptr, ec] =
            std::from_chars(value.data(), value.data() + value.size(), seed);
        if (value.empty() || ec != std::errc() ||
            ptr != value.data() + value.size()) {
          return Invalid("--seed needs a non-negative integer, not '" + value +
                         "'");
        }
        out.run_local.seed = seed;
      } else if (!name.empty() && name[0] == '-') {
        return Invalid("unknown option '" + name + "' for run-local");
      } else {
        return Invalid("unexpected argument '" + args[i] + "' for run-local");
      }
      continue;
    }
    // validate
    if (!name.empty() && name[0] == '-' && name != "-") {
      return Invalid("unknown option '" + name + "' for validate");
    }
    positional.push_back(args[i]);
  }
  if (out.command == CliCommand::kRunLocal) {
    if (out.run_local.definition_file.empty()) {
      return Invalid("run-local needs --definition FILE");
    }
    if (out.run_local.input.empty()) return Invalid("--input must not be empty");
  } else {
    if (positional.size() != 1) {
      return Invalid("validate needs exactly one FILE");
    }
    out.validate.file = positional[0];
  }
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read " + path);
  ss << in.rdbuf();
  if (in.bad()) return absl::NotFoundError("cannot read " + path);
  return ss.str();
}

absl::StatusOr<std::string> ResolveInputSpec(const std::string& spec) {
  if (spec.empty() || spec[0] != '@') return spec;
  std::string path = spec.substr(1);
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read input file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace stepwise::client
