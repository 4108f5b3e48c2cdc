// Payload templates: Parameters, ItemSelector, ResultSelector (and the
// `.$` keys inside them, nested at any depth). Compiled once when the
// definition is loaded: every `.$` value is pre-parsed as a path, a context
// path, a variable path or an intrinsic call. Immutable and thread-safe.
#ifndef SW_ENGINE_ASL_PAYLOAD_TEMPLATE_H_
#define SW_ENGINE_ASL_PAYLOAD_TEMPLATE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "engine/asl/eval_context.h"

namespace stepwise::asl {

class PayloadTemplate {
 public:
  // Compiles `tmpl`. Returns kInvalidArgument naming the key (e.g.
  // "The value for the field 'x.$' must be a valid JSONPath or a valid
  // intrinsic function call") when a `.$` value is not a string holding a
  // valid path or intrinsic call.
  static absl::StatusOr<PayloadTemplate> Compile(const json::value& tmpl);

  ~PayloadTemplate();
  PayloadTemplate(const PayloadTemplate&) = default;
  PayloadTemplate& operator=(const PayloadTemplate&) = default;
  PayloadTemplate(PayloadTemplate&&) = default;
  PayloadTemplate& operator=(PayloadTemplate&&) = default;

  // Builds the payload. A `.$` path that matches nothing fails with
  // RuntimeError(States.ParameterPathFailure, <AWS cause>); an intrinsic
  // failure with States.IntrinsicFailure.
  absl::StatusOr<json::value> Evaluate(const EvalContext& env) const;

  struct Impl;

 private:
  explicit PayloadTemplate(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_PAYLOAD_TEMPLATE_H_
