// The 18 intrinsic functions of JSONPath-mode ASL (States.Format,
// States.StringToJson, ..., States.UUID), parsed once when the definition is
// loaded and evaluated per step. Immutable and thread-safe after parsing.
#ifndef SW_ENGINE_ASL_INTRINSICS_H_
#define SW_ENGINE_ASL_INTRINSICS_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "asl/eval_context.h"

namespace stepwise::asl {

// Deepest nesting of intrinsic calls AWS accepts.
inline constexpr int kMaxIntrinsicNesting = 10;

// True when `text` is meant as an intrinsic call (starts with "States.").
bool LooksLikeIntrinsic(std::string_view text);

class IntrinsicCall {
 public:
  // Parses `text`, e.g. "States.Format('Hi {}', $.name)". Returns
  // kInvalidArgument naming the problem for unknown functions, wrong
  // argument counts or literal types known at parse time, bad quoting or
  // escaping, or nesting deeper than kMaxIntrinsicNesting.
  static absl::StatusOr<IntrinsicCall> Parse(std::string_view text);

  ~IntrinsicCall();
  IntrinsicCall(const IntrinsicCall&) = default;
  IntrinsicCall& operator=(const IntrinsicCall&) = default;
  IntrinsicCall(IntrinsicCall&&) = default;
  IntrinsicCall& operator=(IntrinsicCall&&) = default;

  const std::string& text() const;

  // Evaluates the call. Argument paths read `env`. Failures come back as
  // RuntimeError(States.Runtime, <AWS cause>), which is what AWS reports
  // (not States.IntrinsicFailure): "Invalid arguments in States.<Name>",
  // or for a path argument that does not exist "The function '<call>' had
  // the following error: The JsonPath argument for the field '<path>' could
  // not be found in the input '<input JSON>'". The interpreter adds AWS's
  // "An error occurred while executing the state ..." prefix.
  absl::StatusOr<json::value> Evaluate(const EvalContext& env) const;

  struct Impl;

 private:
  explicit IntrinsicCall(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_INTRINSICS_H_
