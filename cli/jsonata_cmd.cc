#include "cli/jsonata_cmd.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>

#include "common/json.h"
#include "common/strings.h"
#include "jsonata/jsonata.h"

namespace stepwise::client {
namespace {

int Usage(const std::string& why) {
  std::cerr << "stepwise jsonata: " << why << "\n\n"
            << "usage: stepwise jsonata --expr EXPR [--input FILE | --no-input] "
               "[--bindings JSON]\n"
            << "  FILE '-' reads standard input; without --input the input is null.\n";
  return 2;
}

}  // namespace

int JsonataCommand(const std::vector<std::string>& args) {
  std::optional<std::string> expr;
  std::optional<std::string> input_file;
  bool no_input = false;
  std::string bindings_text;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    if (a == "--expr") {
      expr = value();
      if (!expr) return Usage("--expr needs a value");
    } else if (a == "--input") {
      input_file = value();
      if (!input_file) return Usage("--input needs a file");
    } else if (a == "--no-input") {
      no_input = true;
    } else if (a == "--bindings") {
      auto v = value();
      if (!v) return Usage("--bindings needs a JSON object");
      bindings_text = *v;
    } else if (a == "--help" || a == "-h") {
      return Usage("help");
    } else {
      return Usage("unknown argument " + a);
    }
  }
  if (!expr) return Usage("--expr is required");
  if (no_input && input_file) return Usage("--input and --no-input are exclusive");

  json::value input = nullptr;
  if (input_file) {
    std::string text;
    if (*input_file == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::ifstream in(*input_file, std::ios::binary);
      if (!in) return Usage("cannot read " + *input_file);
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    auto parsed = ParseJson(ToAbsl(text));
    if (!parsed.ok()) return Usage("input is not JSON: " + std::string(parsed.status().message()));
    input = std::move(*parsed);
  }
  std::map<std::string, json::value> bindings;
  if (!bindings_text.empty()) {
    auto parsed = ParseJson(ToAbsl(bindings_text));
    if (!parsed.ok() || !parsed->is_object()) return Usage("--bindings must be a JSON object");
    for (const auto& kv : parsed->get_object()) bindings[std::string(kv.key())] = kv.value();
  }

  auto result = jsonata::EvaluateOnce(*expr, no_input ? nullptr : &input, bindings);
  std::string out;
  if (!result.ok()) {
    json::object err;
    err["code"] = jsonata::ErrorCode(result.status());
    err["message"] = std::string(result.status().message());
    json::object o;
    o["error"] = std::move(err);
    out = jsonata::ToJsString(o);
  } else if (!result->has_value()) {
    out = "{\"undefined\":true}";
  } else {
    out = "{\"result\":" + jsonata::ToJsString(**result) + "}";
  }
  std::cout << out << "\n";
  return 0;
}

}  // namespace stepwise::client
