// Status propagation macros used across Stepwise. Header-only, thread-safe.
#ifndef SW_COMMON_STATUS_MACROS_H_
#define SW_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SW_CONCAT_INNER_(a, b) a##b
#define SW_CONCAT_(a, b) SW_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` yields a non-OK status.
#define SW_RETURN_IF_ERROR(expr)                \
  do {                                          \
    ::absl::Status sw_status_ = (expr);         \
    if (!sw_status_.ok()) return sw_status_;    \
  } while (0)

// Evaluates `rexpr` (a StatusOr); on error returns its status, else moves
// the value into `lhs` (which may be a declaration).
#define SW_ASSIGN_OR_RETURN(lhs, rexpr) \
  SW_ASSIGN_OR_RETURN_IMPL_(SW_CONCAT_(sw_statusor_, __LINE__), lhs, rexpr)

#define SW_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return statusor.status();         \
  lhs = std::move(statusor).value()

#endif  // SW_COMMON_STATUS_MACROS_H_
