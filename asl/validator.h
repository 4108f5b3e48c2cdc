// Static validation of ASL definitions, as AWS's
// ValidateStateMachineDefinition and CreateStateMachine judge them: what AWS
// rejects is rejected, what AWS accepts is accepted. Diagnostics carry
// AWS's shape (severity, code, message, location like "/States/Foo/Next").
// Pure functions; thread-safe.
#ifndef SW_ENGINE_ASL_VALIDATOR_H_
#define SW_ENGINE_ASL_VALIDATOR_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"

namespace stepwise::asl {

// Largest definition accepted, in bytes (AWS: 1,048,576 characters).
inline constexpr size_t kMaxDefinitionBytes = 1048576;
// Most states accepted in one definition, counting nested ones.
inline constexpr size_t kMaxStates = 10000;

struct Diagnostic {
  std::string severity;  // "ERROR" or "WARNING"
  std::string code;      // e.g. "SCHEMA_VALIDATION_FAILED", "MISSING_TRANSITION_TARGET"
  std::string message;
  std::string location;  // JSON pointer-like, e.g. "/States/Foo/Next"; may be empty
};

struct ValidationResult {
  bool ok() const;  // true when there is no ERROR diagnostic
  std::vector<Diagnostic> diagnostics;
};

// What the server validating a definition can run, for the WARNING
// diagnostics about Tasks it cannot: AWS runs every resource it recognizes,
// a Stepwise server only those it has a dispatcher for (which aws-sdk
// services and optimized integrations it calls depends on its build and
// configuration, so the server supplies the answer).
struct ValidationOptions {
  // Why the server cannot run a Task whose Resource validation recognized
  // as an optimized or AWS SDK integration, an HTTP Task or another
  // service's ARN (activities and Lambda function ARNs always run: Stepwise
  // queues them for workers), or "" when it runs it. A reason gives a
  // WARNING (code INTEGRATION_NOT_RUNNABLE) at the Resource, saying it and
  // that the Task fails with States.TaskFailed. Unset: no such warnings.
  std::function<std::string(std::string_view resource)> why_not_runnable;
  // Whether a Task Resource validation recognized as an integration is one
  // AWS nonetheless does not recognize, as far as the server knows (an
  // aws-sdk ACTION its service's SDK does not have). True gives the ERROR
  // AWS gives any Resource it does not recognize. Unset: none refused.
  std::function<bool(std::string_view resource)> unrecognized_resource;
};

// Validates definition text. `type` is "STANDARD" or "EXPRESS" (EXPRESS
// rejects what AWS rejects there, e.g. activities and .sync/.waitForTaskToken).
// Malformed JSON gives one diagnostic with line and column. Never throws.
ValidationResult ValidateDefinition(std::string_view text,
                                    std::string_view type = "STANDARD",
                                    const ValidationOptions& options = {});

// Same as the string_view overload; these exist so that a string literal or
// std::string does not also match the json::value overload.
ValidationResult ValidateDefinition(const char* text,
                                    std::string_view type = "STANDARD",
                                    const ValidationOptions& options = {});
ValidationResult ValidateDefinition(const std::string& text,
                                    std::string_view type = "STANDARD",
                                    const ValidationOptions& options = {});

// Same, for an already-parsed definition.
ValidationResult ValidateDefinition(const json::value& definition,
                                    std::string_view type = "STANDARD",
                                    const ValidationOptions& options = {});

// Renders `r` as AWS's ValidateStateMachineDefinition response:
// {"result": "OK"|"FAIL", "diagnostics": [{"severity","code","message","location"}]}.
json::object ToAwsJson(const ValidationResult& r);

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_VALIDATOR_H_
