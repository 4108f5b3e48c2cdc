// Choice rules of JSONPath-mode ASL: every comparison operator (with the
// *Path forms), the Is* type tests and And/Or/Not. Compiled once from the
// definition; evaluation is pure and thread-safe.
#ifndef SW_ENGINE_ASL_CHOICE_H_
#define SW_ENGINE_ASL_CHOICE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "asl/eval_context.h"
#include "asl/jsonata_template.h"
#include "asl/path.h"
#include "asl/payload_template.h"

namespace stepwise::asl {

struct ChoiceRule {
  enum class Kind { kAnd, kOr, kNot, kCompare };
  enum class Op {
    kStringEquals, kStringLessThan, kStringGreaterThan, kStringLessThanEquals,
    kStringGreaterThanEquals, kStringMatches,
    kNumericEquals, kNumericLessThan, kNumericGreaterThan,
    kNumericLessThanEquals, kNumericGreaterThanEquals,
    kBooleanEquals,
    kTimestampEquals, kTimestampLessThan, kTimestampGreaterThan,
    kTimestampLessThanEquals, kTimestampGreaterThanEquals,
    kIsNull, kIsPresent, kIsNumeric, kIsString, kIsBoolean, kIsTimestamp,
  };

  Kind kind = Kind::kCompare;
  std::vector<ChoiceRule> children;  // And/Or: operands; Not: one operand
  std::optional<JsonPath> variable;
  Op op = Op::kStringEquals;
  std::string op_name;                 // as written, e.g. "NumericEqualsPath"
  json::value operand;                 // literal operand
  std::optional<JsonPath> operand_path;  // for the *Path forms
  std::string next;                    // top-level rules only
  int next_index = -1;
  std::optional<PayloadTemplate> assign;  // top-level rules only
  // JSONata rules: Condition (boolean or expression), Output and Assign.
  std::optional<JsonataTemplate> condition;
  std::optional<JsonataTemplate> output;
  std::optional<JsonataTemplate> jsonata_assign;
};

// Compiles one rule. `top_level` rules must have Next; nested ones must not.
// Returns kInvalidArgument naming the offending field.
absl::StatusOr<ChoiceRule> CompileChoiceRule(const json::value& rule,
                                             bool top_level);

// Evaluates `rule` against `env`. A missing Variable makes comparisons
// fail with States.Runtime (IsPresent excepted); type mismatches are false.
absl::StatusOr<bool> EvaluateChoiceRule(const ChoiceRule& rule,
                                        const EvalContext& env);

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_CHOICE_H_
