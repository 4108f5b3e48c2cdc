// stepwise: the command-line tool. `run-local` runs a state machine in-process
// through engine::RunLocal; `validate` checks a definition as AWS does. See
// UsageText() in cli_args.cc. Exit codes: 0 success, 1 validation failed,
// 2 bad arguments or unreadable input.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli_args.h"
#include "cli/cli_format.h"
#include "cli/cli_remote.h"
#include "cli/copy_store_cmd.h"
#include "cli/jsonata_cmd.h"
#include "common/json.h"
#include "asl/validator.h"
#include "engine/history_event.h"
#include "engine/local_runner.h"

namespace stepwise::client {
namespace {

constexpr int kExitBadArguments = 2;

// Pretty JSON, as every other command prints it.
std::string Pretty(const json::value& v) { return PrettyJson(v); }

int Fail(const std::string& message) {
  std::cerr << "stepwise: " << message << "\n";
  return kExitBadArguments;
}

int RunLocalCommand(const RunLocalArgs& args) {
  auto definition = ReadFile(args.definition_file);
  if (!definition.ok()) return Fail(std::string(definition.status().message()));
  auto input = ResolveInputSpec(args.input);
  if (!input.ok()) return Fail(std::string(input.status().message()));
  auto parsed_input = ParseJson(*input);
  if (!parsed_input.ok()) {
    return Fail("input is not valid JSON: " +
                std::string(parsed_input.status().message()));
  }

  engine::LocalRunOptions options;
  if (args.seed) options.seed = *args.seed;
  options.state_machine_type = args.type;
  absl::StatusOr<engine::LocalRunResult> result;
  try {
    result = engine::RunLocal(*definition, *input, options);
  } catch (const std::exception& e) {
    return Fail(std::string("internal error: ") + e.what());
  }
  if (!result.ok()) {
    if (result.status().code() == absl::StatusCode::kInvalidArgument) {
      return Fail("invalid definition or input: " +
                  std::string(result.status().message()));
    }
    std::cerr << "stepwise: " << result.status().ToString() << "\n";
    return 1;
  }

  json::object out;
  out["status"] = result->status;
  if (result->output) {
    auto output = ParseJson(*result->output);
    if (output.ok()) {
      out["output"] = *output;
    } else {
      out["output"] = *result->output;  // should not happen: keep the text
    }
  }
  if (result->error) out["error"] = *result->error;
  if (result->cause) out["cause"] = *result->cause;
  if (args.history) {
    json::array events;
    for (const engine::HistoryEvent& e : result->events) {
      events.push_back(engine::ToAwsJson(e));
    }
    out["events"] = std::move(events);
  }
  std::cout << Pretty(out);
  return 0;
}

int ValidateCommand(const ValidateArgs& args) {
  auto text = ReadFile(args.file);
  if (!text.ok()) return Fail(std::string(text.status().message()));
  asl::ValidationResult result = asl::ValidateDefinition(*text, args.type);
  std::cout << Pretty(asl::ToAwsJson(result));
  return result.ok() ? 0 : 1;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "jsonata") return JsonataCommand({args.begin() + 1, args.end()});
  auto parsed = ParseCliArgs(args);
  if (!parsed.ok()) {
    std::cerr << "stepwise: " << parsed.status().message() << "\n\n"
              << UsageText();
    return kExitBadArguments;
  }
  switch (parsed->command) {
    case CliCommand::kHelp:
      std::cout << UsageText();
      return 0;
    case CliCommand::kRunLocal:
      return RunLocalCommand(parsed->run_local);
    case CliCommand::kValidate:
      return ValidateCommand(parsed->validate);
    case CliCommand::kRemote:
      // Offline: opens the stores itself, no stepwised.
      if (parsed->remote.command == "admin copy-store") return CopyStoreCommand(parsed->remote);
      return RunRemote(parsed->remote);
  }
  return kExitBadArguments;
}

}  // namespace
}  // namespace stepwise::client

int main(int argc, char** argv) { return stepwise::client::Main(argc, argv); }
