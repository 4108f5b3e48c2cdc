// Command-line parsing for the `stepwise` CLI: which subcommand, and its
// flags. Kept apart from cli_main.cc so that it can be unit-tested without
// the engine. Pure functions; thread-safe.
#ifndef SW_CLIENT_CLI_ARGS_H_
#define SW_CLIENT_CLI_ARGS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace stepwise::client {

enum class CliCommand {
  kHelp,      // `stepwise help`, `--help`, `-h`
  kRunLocal,  // `stepwise run-local --definition FILE [--input JSON|@FILE] ...`
  kValidate,  // `stepwise validate FILE [--type STANDARD|EXPRESS]`
  kRemote,    // every command that talks to stepwised (see RemoteArgs)
};

// Where and how to reach stepwised.
struct ConnectionArgs {
  std::string endpoint;  // --endpoint, else $STEPWISE_ENDPOINT, else default
  std::string token;     // --token, else $STEPWISE_TOKEN
  std::string tls_ca, tls_cert, tls_key;  // --tls-ca/--tls-cert/--tls-key
};

// A command run against stepwised: `command` is its words ("machine create",
// "start", "task success", "worker", "bench"), `positional` its operands,
// `flags` its options by name without dashes ("input"; boolean options map
// to "true"), and `command_line` what follows "--" (for `worker`).
struct RemoteArgs {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
  std::vector<std::string> command_line;
  ConnectionArgs connection;

  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  // Returns the flag's value, or `fallback` when absent.
  std::string Get(const std::string& flag,
                  const std::string& fallback = "") const;
  // Returns the flag's value as a number (validated by the parser).
  int64_t GetInt(const std::string& flag, int64_t fallback) const;
  double GetDouble(const std::string& flag, double fallback) const;
};

struct RunLocalArgs {
  std::string definition_file;
  // JSON text, or "@FILE" to read it from FILE. Defaults to "{}".
  std::string input = "{}";
  bool history = false;
  std::optional<uint64_t> seed;
  std::string type = "STANDARD";  // STANDARD or EXPRESS
};

struct ValidateArgs {
  std::string file;
  std::string type = "STANDARD";  // STANDARD or EXPRESS
};

struct CliArgs {
  CliCommand command = CliCommand::kHelp;
  RunLocalArgs run_local;
  ValidateArgs validate;
  RemoteArgs remote;
};

// Looks up an environment variable; returns nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

// Parses `args` (argv without the program name). Flags take their value as
// the next argument or after '=' (`--seed=7`). Returns kInvalidArgument,
// with a message naming the offending argument, for an unknown subcommand or
// flag, a missing value or a malformed number.
// Remote commands take the endpoint and token from the environment
// (STEPWISE_ENDPOINT, STEPWISE_TOKEN) when the flags are absent; this
// overload reads it through `env` (tests), the other through getenv.
absl::StatusOr<CliArgs> ParseCliArgs(const std::vector<std::string>& args);
absl::StatusOr<CliArgs> ParseCliArgs(const std::vector<std::string>& args,
                                     const EnvLookup& env);

// Returns the whole of file `path`, or of standard input for "-". Returns
// kNotFound ("cannot read PATH") when it cannot be opened or a read fails.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Returns the text of the input given by `spec`: the spec itself, or the
// contents of FILE for "@FILE". Returns kNotFound when FILE cannot be read.
absl::StatusOr<std::string> ResolveInputSpec(const std::string& spec);

// Returns the function name given to --function: NAME itself, or the NAME
// of arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] (a function
// queue is per name). kInvalidArgument naming --function when it is
// neither (a name is 1 to 64 letters, digits, '-' or '_').
absl::StatusOr<std::string> FunctionNameFromArg(const std::string& arg);

// Returns the usage text printed by `stepwise help`.
std::string UsageText();

}  // namespace stepwise::client

#endif  // SW_CLIENT_CLI_ARGS_H_
