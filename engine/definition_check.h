// The one definition rule: what both front ends' ValidateStateMachineDefinition,
// CreateStateMachine and UpdateStateMachine apply to a definition. AWS's
// size limit is a request constraint (ValidationException, worded as AWS
// words it), checked before asl's validator runs. Pure CPU, no shared
// state: any thread.
#ifndef SW_ENGINE_DEFINITION_CHECK_H_
#define SW_ENGINE_DEFINITION_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "asl/validator.h"
#include "engine/api_types.h"

namespace stepwise::engine {

// ValidationException when `definition` is over AWS's 1,048,576-byte
// limit, else every finding (ERRORs and WARNINGs) for `type` (STANDARD |
// EXPRESS); no ERROR means valid. `options` adds the warnings about Tasks
// the server cannot run.
absl::StatusOr<std::vector<DefinitionDiagnostic>> CheckDefinition(
    const std::string& definition, const std::string& type,
    const asl::ValidationOptions& options = {});

// OK, or InvalidDefinition naming every ERROR (as CreateStateMachine and
// UpdateStateMachine answer).
absl::Status RequireValidDefinition(const std::string& definition, const std::string& type,
                                    const asl::ValidationOptions& options = {});

}  // namespace stepwise::engine

#endif  // SW_ENGINE_DEFINITION_CHECK_H_
