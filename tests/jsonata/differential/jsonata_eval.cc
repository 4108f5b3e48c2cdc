// Batch driver for the differential test: reads one JSON case per line from
// stdin ({"expr": "...", "input": ...}; no "input" member = no input) and
// prints one line per case: {"result": ...} (serialised as JSON.stringify
// would), {"undefined": true} or {"error": "CODE", "message": "..."}.
// Evaluation uses the default EvalLimits (as a state machine does) and the
// reference dialect (with $eval).
#include <iostream>
#include <string>

#include "common/json.h"
#include "jsonata/jsonata.h"

namespace stepwise::jsonata {
namespace {

std::string Quote(const std::string& s) { return ToJsString(json::value(s)); }

int Main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    auto parsed = ParseJson(line);
    const json::object* c = parsed.ok() ? parsed->if_object() : nullptr;
    const json::value* expr = c != nullptr ? c->if_contains("expr") : nullptr;
    if (expr == nullptr || !expr->is_string()) {
      std::cout << "{\"error\":\"driver\",\"message\":\"bad case line\"}\n";
      continue;
    }
    const json::value* input = c->if_contains("input");
    // The reference dialect: $eval as jsonata 2.0.6 has it.
    absl::StatusOr<std::optional<json::value>> result;
    auto compiled = Expression::Compile(std::string(expr->get_string()), Dialect::kReference);
    if (!compiled.ok()) {
      result = compiled.status();
    } else {
      result = compiled->Evaluate(input, {});
    }
    if (!result.ok()) {
      std::cout << "{\"error\":" << Quote(ErrorCode(result.status()))
                << ",\"message\":" << Quote(std::string(result.status().message())) << "}\n";
    } else if (!result->has_value()) {
      std::cout << "{\"undefined\":true}\n";
    } else {
      std::cout << "{\"result\":" << ToJsString(**result) << "}\n";
    }
  }
  return 0;
}

}  // namespace
}  // namespace stepwise::jsonata

int main() { return stepwise::jsonata::Main(); }
