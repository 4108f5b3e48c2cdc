#include "asl/variable_limits.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "asl/errors.h"

namespace stepwise::asl {

absl::Status CheckAssignedVariables(const json::object& assigned, const json::object& stored,
                                    const VariableLimits& limits) {
  size_t assign_bytes = 0;
  for (const auto& kv : assigned) {
    size_t bytes = SerializeJson(kv.value()).size();
    if (bytes > limits.max_variable_bytes) {
      return RuntimeError(
          kStatesDataLimitExceeded,
          absl::StrCat("The value assigned to the variable '", ToAbsl(std::string_view(kv.key().data(), kv.key().size())),
                       "' is ", bytes, " bytes, which exceeds the maximum size of ",
                       limits.max_variable_bytes, " bytes for a variable."));
    }
    assign_bytes += bytes;
  }
  if (assign_bytes > limits.max_assign_bytes) {
    return RuntimeError(kStatesDataLimitExceeded,
                        absl::StrCat("The variables assigned by the state are ", assign_bytes,
                                     " bytes together, which exceeds the maximum size of ",
                                     limits.max_assign_bytes, " bytes for one Assign."));
  }
  if (assigned.empty()) return absl::OkStatus();
  // Every stored variable passed the per-variable limit when it was
  // assigned: with few of them the total cannot be over, and nothing needs
  // serialising (the common case, at every state with an Assign).
  if (assign_bytes <= limits.max_stored_bytes && limits.max_variable_bytes > 0 &&
      stored.size() <= (limits.max_stored_bytes - assign_bytes) / limits.max_variable_bytes) {
    return absl::OkStatus();
  }
  size_t stored_bytes = assign_bytes;
  for (const auto& kv : stored) {
    if (assigned.contains(kv.key())) continue;  // replaced by the new value
    stored_bytes += SerializeJson(kv.value()).size();
    if (stored_bytes > limits.max_stored_bytes) break;
  }
  if (stored_bytes > limits.max_stored_bytes) {
    return RuntimeError(kStatesDataLimitExceeded,
                        absl::StrCat("The variables stored by the execution would exceed the "
                                     "maximum size of ",
                                     limits.max_stored_bytes, " bytes for all variables."));
  }
  return absl::OkStatus();
}

}  // namespace stepwise::asl
