// Command-line parsing for the `stepwise` CLI: which subcommand, and its
// flags. Kept apart from cli_main.cc so that it can be unit-tested without
// the engine. Pure functions; thread-safe.
#ifndef SW_CLIENT_CLI_ARGS_H_
#define SW_CLIENT_CLI_ARGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace stepwise::client {

enum class CliCommand {
  kHelp,      // `stepwise help`, `--help`, `-h`
  kRunLocal,  // `stepwise run-local --definition FILE [--input JSON|@FILE] ...`
  kValidate,  // `stepwise validate FILE [--type STANDARD|EXPRESS]`
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
};

// Parses `args` (argv without the program name). Flags take their value as
// the next argument or after '=' (`--seed=7`). Returns kInvalidArgument,
// with a message naming the offending argument, for an unknown subcommand or
// flag, a missing value or a malformed number.
absl::StatusOr<CliArgs> ParseCliArgs(const std::vector<std::string>& args);

// Returns the text of the input given by `spec`: the spec itself, or the
// contents of FILE for "@FILE". Returns kNotFound when FILE cannot be read.
absl::StatusOr<std::string> ResolveInputSpec(const std::string& spec);

// Returns the usage text printed by `stepwise help`.
std::string UsageText();

}  // namespace stepwise::client

#endif  // SW_CLIENT_CLI_ARGS_H_
