// libFuzzer target: JSONPath. Parses the input as a path; when it parses,
// evaluates it (Evaluate, Find, Select, NormalizedText) against fixed
// documents and, for Reference Paths, assigns into a copy of the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/json.h"
#include "asl/eval_context.h"
#include "asl/path.h"
#include "tests/fuzz/fixed_documents.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto path = stepwise::asl::JsonPath::Parse(text);
  if (!path.ok()) return 0;
  stepwise::asl::SeededRandom random(1);
  stepwise::asl::EvalContext env;
  env.input = &stepwise::fuzz::Input();
  env.context = &stepwise::fuzz::Context();
  env.variables = &stepwise::fuzz::Variables();
  env.random = &random;
  auto v = path->Evaluate(env);
  if (v.has_value()) (void)stepwise::SerializeJson(*v);
  if (path->IsDefinite()) (void)path->Find(env);
  auto selected = path->Select(env);
  (void)selected;
  (void)path->NormalizedText();
  (void)path->IsContextPath();
  (void)path->IsVariablePath();
  if (path->IsReferencePath()) {
    stepwise::json::value doc = stepwise::fuzz::Input();
    path->Assign(doc, stepwise::json::value("set")).IgnoreError();  // may not apply
    stepwise::json::value scalar = 7;
    path->Assign(scalar, stepwise::json::value(nullptr)).IgnoreError();  // may not apply
  }
  return 0;
}
