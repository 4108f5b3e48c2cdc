// libFuzzer target: intrinsic functions. Parses the input as a States.*
// call; when it parses, evaluates it against fixed documents (with and
// without the context object and variables).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/json.h"
#include "asl/eval_context.h"
#include "asl/intrinsics.h"
#include "tests/fuzz/fixed_documents.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)stepwise::asl::LooksLikeIntrinsic(text);
  auto call = stepwise::asl::IntrinsicCall::Parse(text);
  if (!call.ok()) return 0;
  stepwise::asl::SeededRandom random(1);
  stepwise::asl::EvalContext env;
  env.input = &stepwise::fuzz::Input();
  env.context = &stepwise::fuzz::Context();
  env.variables = &stepwise::fuzz::Variables();
  env.random = &random;
  auto v = call->Evaluate(env);
  if (v.ok()) (void)stepwise::SerializeJson(*v);
  stepwise::asl::EvalContext bare;
  bare.input = &stepwise::fuzz::Input();
  auto w = call->Evaluate(bare);
  (void)w;
  return 0;
}
