// libFuzzer target: a state machine definition, end to end. Validates the
// text as AWS would, parses it into the model, and when both accept it runs
// it with RunLocal on "{}" under a small event cap (Tasks fail at once,
// Waits skip time), so the interpreter sees every definition the validator
// lets through.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/json.h"
#include "asl/definition.h"
#include "asl/validator.h"
#include "engine/local_runner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  stepwise::asl::ValidationResult v = stepwise::asl::ValidateDefinition(text);
  stepwise::asl::ValidationResult ve = stepwise::asl::ValidateDefinition(text, "EXPRESS");
  auto def = stepwise::ParseJson(absl::string_view(text.data(), text.size()));
  if (!def.ok()) return 0;
  auto machine = stepwise::asl::ParseStateMachine(*def);
  if (!machine.ok() || !v.ok()) return 0;
  stepwise::engine::LocalRunOptions opts;
  opts.start_time = 1700000000000;
  opts.max_events = 500;
  // An execution that ends or is cut off is fine; only crashes and
  // sanitizer reports count.
  auto r = stepwise::engine::RunLocal(text, "{}", opts);
  (void)r;
  if (ve.ok()) {
    opts.state_machine_type = "EXPRESS";
    auto re = stepwise::engine::RunLocal(text, R"({"a":[1,2,{"b":"c"}],"n":3})", opts);
    (void)re;
  }
  return 0;
}
