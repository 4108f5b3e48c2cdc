// ValidateForStepwise: AWS's verdict plus what Stepwise cannot run yet.
// JSONPath, JSONata and mixed machines are all supported, so today it is
// ValidateDefinition's verdict (with its JSONPath-only / JSONata-only field
// rules) as is.
#include <string>

#include "asl/validator.h"

namespace stepwise::asl {

ValidationResult ValidateForStepwise(std::string_view text, std::string_view type) {
  return ValidateDefinition(text, type);
}

}  // namespace stepwise::asl
