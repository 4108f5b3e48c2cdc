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
#include "asl/eval_context.h"

namespace stepwise::asl {

class PayloadTemplate {
 public:
  // Compiles `tmpl`. Returns kInvalidArgument naming the key (e.g.
  // "The value for the field 'x.$' must be a valid JSONPath or a valid
  // intrinsic function call", followed by ": <detail>" when the text did
  // not parse) when a `.$` value is not a string holding a valid path or
  // intrinsic call, or when two keys are equal after the `.$` strip.
  static absl::StatusOr<PayloadTemplate> Compile(const json::value& tmpl);

  ~PayloadTemplate();
  PayloadTemplate(const PayloadTemplate&) = default;
  PayloadTemplate& operator=(const PayloadTemplate&) = default;
  PayloadTemplate(PayloadTemplate&&) = default;
  PayloadTemplate& operator=(PayloadTemplate&&) = default;

  // Builds the payload. A `.$` path that matches nothing fails with
  // RuntimeError(States.Runtime, cause) as AWS records it (not
  // States.ParameterPathFailure), cause "The JSONPath '$.x' specified for
  // the field 'y.$' could not be found in the input '<input JSON>'"; the
  // interpreter adds AWS's "An error occurred while executing the state
  // '<name>' (entered at the event id #<n>). " prefix. Intrinsic failures
  // come back as IntrinsicCall::Evaluate returns them (also States.Runtime).
  absl::StatusOr<json::value> Evaluate(const EvalContext& env) const;

  struct Impl;

 private:
  explicit PayloadTemplate(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_PAYLOAD_TEMPLATE_H_
