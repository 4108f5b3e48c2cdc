// EvalContext is what path expressions, payload templates, intrinsic
// functions and Choice rules read while one state step is evaluated: the
// state's current document ($), the context object ($$), variables ($name)
// and an injected source of randomness. It borrows everything; the pointers
// must outlive the evaluation. Not thread-safe (used by one step at a time).
#ifndef SW_ENGINE_ASL_EVAL_CONTEXT_H_
#define SW_ENGINE_ASL_EVAL_CONTEXT_H_

#include <cstdint>

#include "common/json.h"

namespace stepwise::asl {

// Randomness injected into the pure interpreter (States.UUID,
// States.MathRandom without a seed, retry jitter). Seedable in tests.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Returns 64 uniformly distributed random bits.
  virtual uint64_t Next64() = 0;
};

// SplitMix64: small, fast, deterministic for a given seed.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next64() override {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

struct EvalContext {
  // "$": the document the expression reads (state input, effective input,
  // task result, ... depending on the field). Never null.
  const json::value* input = nullptr;
  // "$$": the context object; null means "$$" is not available here.
  const json::value* context = nullptr;
  // "$name": JSONPath-mode variables; null means none are defined.
  const json::object* variables = nullptr;
  // Randomness for States.UUID / States.MathRandom; null means functions
  // that need it fail with States.IntrinsicFailure.
  RandomSource* random = nullptr;
};

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_EVAL_CONTEXT_H_
