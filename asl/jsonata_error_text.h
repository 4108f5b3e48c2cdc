// The text AWS shows for a JSONata evaluation error inside its
// States.QueryEvaluationError cause: "<code>: <message>", the message being
// the JSONata reference's wording for the code (AWS records, for example,
// "T1006: Attempted to invoke a non-function"), with no position. Pure
// function over the error status; any thread.
#ifndef SW_ENGINE_ASL_JSONATA_ERROR_TEXT_H_
#define SW_ENGINE_ASL_JSONATA_ERROR_TEXT_H_

#include <string>

#include "absl/status/status.h"

namespace stepwise::asl {

// `status` is an error from jsonata::Expression::Evaluate. Codes the
// reference words get its message, filled with the token and detail the
// status carries; other codes (the limits, U1001) keep their own text.
std::string JsonataErrorText(const absl::Status& status);

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_JSONATA_ERROR_TEXT_H_
