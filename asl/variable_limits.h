// The size limits AWS Step Functions puts on variables (Assign): one
// variable's value, all the values one Assign sets, and all the variables an
// execution stores. Sizes are the UTF-8 bytes of the values written as JSON,
// as AWS measures payloads. Used by the interpreter when a state's Assign
// takes effect. Thread-safe (pure functions).
#ifndef SW_ENGINE_ASL_VARIABLE_LIMITS_H_
#define SW_ENGINE_ASL_VARIABLE_LIMITS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "common/json.h"

namespace stepwise::asl {

struct VariableLimits {
  // One variable's value: 256 KiB.
  size_t max_variable_bytes = 262144;
  // All the values of one state's Assign together: 256 KiB.
  size_t max_assign_bytes = 262144;
  // All the variables stored at once (the scope's, outer scopes' included,
  // after the Assign): 10 MiB.
  size_t max_stored_bytes = 10u << 20;
};

// Checks the values `assigned` (name -> value) of one Assign against
// `limits`, given the variables `stored` before it (names assigned again are
// counted once, with their new value; each stored value is taken to be
// within max_variable_bytes, as this check made it). Returns OK, or the
// runtime error States.DataLimitExceeded whose cause names the variable or
// the limit.
absl::Status CheckAssignedVariables(const json::object& assigned, const json::object& stored,
                                    const VariableLimits& limits = {});

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_VARIABLE_LIMITS_H_
