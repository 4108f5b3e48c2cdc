#include "client/cli_args.h"

#include <charconv>
#include <fstream>
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

}  // namespace

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

Example:
  stepwise run-local --definition examples/hello/definition.json \
      --input @examples/hello/input.json --history
)";
}

absl::StatusOr<CliArgs> ParseCliArgs(const std::vector<std::string>& args) {
  CliArgs out;
  if (args.empty()) return Invalid("missing command");
  const std::string& command = args[0];
  if (command == "help" || command == "--help" || command == "-h") {
    out.command = CliCommand::kHelp;
    return out;
  }
  if (command != "run-local" && command != "validate") {
    return Invalid("unknown command '" + command + "'");
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
