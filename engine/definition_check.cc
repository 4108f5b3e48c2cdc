// Engine::ValidateStateMachineDefinition: the one definition rule both front
// ends and CreateStateMachine/UpdateStateMachine apply. AWS's size limit is a
// request constraint (ValidationException, worded as AWS words it), checked
// before asl's validator runs. Pure CPU, no shared state: any thread.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "asl/validator.h"
#include "engine/engine.h"
#include "engine/service_error.h"

namespace stepwise::engine {

absl::StatusOr<std::vector<DefinitionDiagnostic>> Engine::ValidateStateMachineDefinition(
    const std::string& definition, const std::string& type) {
  if (definition.size() > asl::kMaxDefinitionBytes) {
    return ServiceError(
        "ValidationException",
        absl::StrCat("1 validation error detected: Value at 'definition' failed to satisfy "
                     "constraint: Member must have length less than or equal to ",
                     asl::kMaxDefinitionBytes));
  }
  asl::ValidationResult r = asl::ValidateForStepwise(definition, type);
  std::vector<DefinitionDiagnostic> out;
  out.reserve(r.diagnostics.size());
  for (asl::Diagnostic& d : r.diagnostics) {
    out.push_back({std::move(d.severity), std::move(d.code), std::move(d.message),
                   std::move(d.location)});
  }
  return out;
}

}  // namespace stepwise::engine
