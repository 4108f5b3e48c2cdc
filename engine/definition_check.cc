// The one definition rule (definition_check.h).
#include "engine/definition_check.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "asl/validator.h"
#include "engine/service_error.h"

namespace stepwise::engine {

absl::StatusOr<std::vector<DefinitionDiagnostic>> CheckDefinition(
    const std::string& definition, const std::string& type,
    const asl::ValidationOptions& options) {
  if (definition.size() > asl::kMaxDefinitionBytes) {
    return ServiceError(
        "ValidationException",
        absl::StrCat("1 validation error detected: Value at 'definition' failed to satisfy "
                     "constraint: Member must have length less than or equal to ",
                     asl::kMaxDefinitionBytes));
  }
  asl::ValidationResult r = asl::ValidateDefinition(definition, type, options);
  std::vector<DefinitionDiagnostic> out;
  out.reserve(r.diagnostics.size());
  for (asl::Diagnostic& d : r.diagnostics) {
    out.push_back({std::move(d.severity), std::move(d.code), std::move(d.message),
                   std::move(d.location)});
  }
  return out;
}

absl::Status RequireValidDefinition(const std::string& definition, const std::string& type,
                                    const asl::ValidationOptions& options) {
  auto found = CheckDefinition(definition, type, options);
  if (!found.ok()) return found.status();
  // AWS's words: "Invalid State Machine Definition: 'CODE: message at
  // /location'", several errors separated by ", ".
  std::string msg;
  for (const auto& d : *found) {
    if (d.severity != "ERROR") continue;
    absl::StrAppend(&msg, msg.empty() ? "" : ", ", d.code, ": ", d.message, " at ", d.location);
  }
  if (!msg.empty()) {
    return ServiceError("InvalidDefinition", "Invalid State Machine Definition: '" + msg + "'");
  }
  return absl::OkStatus();
}

}  // namespace stepwise::engine
