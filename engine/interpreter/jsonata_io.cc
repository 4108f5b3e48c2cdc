// Input and output processing of JSONata states: the bindings an
// expression sees ($states.input, $states.context, $states.result,
// $states.errorOutput and the variables), Assign, Output, and the integer
// fields given as expressions (TimeoutSeconds, Seconds, MaxConcurrency,
// ...). Arguments are evaluated where each state family reads them. Runs
// on whichever thread calls the Interpreter; pure: no I/O, no locks.
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "asl/jsonata_template.h"
#include "asl/variable_limits.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/interpreter/run.h"

namespace stepwise::engine {

// The bindings of one JSONata evaluation: $states (input, context, and
// result or errorOutput where they exist) and the frame's variables as
// they were when the state was entered.
asl::JsonataBindings Interpreter::Run::Bindings(const Frame& f, const State& s,
                                                const json::value* result,
                                                const json::value* error_output,
                                                const json::value* map_index,
                                                const json::value* map_value,
                                                const json::value* map_key) const {
  asl::JsonataBindings b;
  for (const auto& kv : f.variables) b.emplace(std::string(kv.key()), kv.value());
  json::object states(4);
  states["input"] = f.input;
  states["context"] = ContextObject(f, s, map_index, map_value, map_key);
  if (result != nullptr) states["result"] = *result;
  if (error_output != nullptr) states["errorOutput"] = *error_output;
  b["states"] = json::value(std::move(states));
  return b;
}

// `stored`: the variables before the Assign (for AWS's size limits).
absl::StatusOr<json::object> Interpreter::Run::JsonataAssign(
    const std::optional<asl::JsonataTemplate>& t, const asl::JsonataBindings& b,
    const json::object& stored) {
  if (!t.has_value()) return json::object();
  SW_ASSIGN_OR_RETURN(json::value v, t->Evaluate(b, "Assign"));
  if (!v.is_object()) return json::object();
  SW_RETURN_IF_ERROR(asl::CheckAssignedVariables(v.get_object(), stored));
  return std::move(v.get_object());
}

// Evaluates a JSONata number field that must be an integer >= `min`.
absl::StatusOr<int64_t> Interpreter::Run::JsonataInt(const Frame& f, const State& s,
                                                     const asl::JsonataTemplate& t,
                                                     std::string_view field,
                                                     int64_t min) const {
  SW_ASSIGN_OR_RETURN(json::value v, t.Evaluate(Bindings(f, s), field));
  if (!IsIntegral(v) || v.is_uint64() ||
      (v.is_int64() ? v.get_int64() : static_cast<int64_t>(v.get_double())) < min) {
    return asl::QueryError(
        field, absl::StrCat("The ", ToAbsl(field), " field refers to value \"",
                            Shown(v), "\" which is not a valid ",
                            min > 0 ? "positive integer" : "non-negative integer", "."));
  }
  return v.is_int64() ? v.get_int64() : static_cast<int64_t>(v.get_double());
}

// Evaluates Assign and Output (default: `result`, else the input) of a
// JSONata state and leaves it.
absl::Status Interpreter::Run::ExitJsonata(Frame& f, const State& s,
                                           const std::optional<asl::JsonataTemplate>& assign,
                                           const std::optional<asl::JsonataTemplate>& output,
                                           json::value* result) {
  json::object assigned;
  json::value out;
  if (assign.has_value() || output.has_value()) {
    asl::JsonataBindings b = Bindings(f, s, result);
    SW_ASSIGN_OR_RETURN(assigned, JsonataAssign(assign, b, f.variables));
    if (output.has_value()) {
      SW_ASSIGN_OR_RETURN(out, output->Evaluate(b, "Output"));
    } else {
      out = result != nullptr ? std::move(*result) : f.input;
    }
  } else {
    out = result != nullptr ? std::move(*result) : f.input;
  }
  ExitAndTransition(f, s, std::move(out), std::move(assigned));
  return absl::OkStatus();
}

}  // namespace stepwise::engine
