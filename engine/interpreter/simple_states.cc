// The states that finish as soon as they are entered: Pass, Choice, Succeed
// and Fail, in both query languages (JSONPath and JSONata). Runs on
// whichever thread calls the Interpreter; pure: no I/O, no locks.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "common/status_macros.h"
#include "engine/interpreter/run.h"

namespace stepwise::engine {

absl::Status Interpreter::Run::RunPass(Frame& f, const State& s) {
  if (s.jsonata) return ExitJsonata(f, s, s.jsonata_assign, s.output, nullptr);
  // The raw input is needed after the result only for a ResultPath that
  // merges into it; otherwise it can be moved.
  bool keep_input = s.result_path.is_null || s.result_path.path.has_value();
  json::value eff;
  if (keep_input) {
    SW_ASSIGN_OR_RETURN(eff, SelectPath(s.input_path, f.input, f, s));
  } else {
    SW_ASSIGN_OR_RETURN(eff, TakePath(s.input_path, std::move(f.input), f, s));
  }
  json::value result;
  if (s.parameters.has_value()) {
    auto r = ApplyTemplate(*s.parameters, eff, f, s);
    if (!r.ok()) return AsRuntime(r.status());
    result = *std::move(r);
  } else if (s.result.has_value()) {
    result = *s.result;
  } else {
    result = std::move(eff);
  }
  SW_ASSIGN_OR_RETURN(json::object assigned, EvalAssign(f, s, s.assign, result));
  SW_ASSIGN_OR_RETURN(json::value merged, ApplyResultPath(s, f.input, std::move(result)));
  SW_ASSIGN_OR_RETURN(json::value out, TakePath(s.output_path, std::move(merged), f, s));
  ExitAndTransition(f, s, std::move(out), std::move(assigned));
  return absl::OkStatus();
}

absl::Status Interpreter::Run::RunChoice(Frame& f, const State& s) {
  SW_ASSIGN_OR_RETURN(json::value eff, TakePath(s.input_path, std::move(f.input), f, s));
  json::value ctx = s.uses_context ? ContextObject(f, s) : json::value();
  asl::EvalContext env = Env(f, &eff, s.uses_context ? &ctx : nullptr);
  int next = -1;
  const std::optional<asl::PayloadTemplate>* assign = &s.assign;
  for (const asl::ChoiceRule& rule : s.choices) {
    SW_ASSIGN_OR_RETURN(bool match, asl::EvaluateChoiceRule(rule, env));
    if (match) {
      next = rule.next_index;
      assign = &rule.assign;
      break;
    }
  }
  if (next < 0) next = s.default_index;
  if (next < 0) {
    return asl::RuntimeError(asl::kStatesNoChoiceMatched, absl::StrCat("No Matches!"));
  }
  SW_ASSIGN_OR_RETURN(json::object assigned, EvalAssign(f, s, *assign, eff));
  SW_ASSIGN_OR_RETURN(json::value out, TakePath(s.output_path, std::move(eff), f, s));
  bool same = f.has_input_text && PassesInputThrough(s);
  ExitState(f, s, next, std::move(out), std::move(assigned), same, /*check_size=*/false);
  return absl::OkStatus();
}

absl::Status Interpreter::Run::RunJsonataChoice(Frame& f, const State& s) {
  asl::JsonataBindings b = Bindings(f, s);
  int next = -1;
  const std::optional<asl::JsonataTemplate>* assign = &s.jsonata_assign;
  const std::optional<asl::JsonataTemplate>* output = &s.output;
  for (const asl::ChoiceRule& rule : s.choices) {
    SW_ASSIGN_OR_RETURN(json::value c, rule.condition->Evaluate(b, "Condition"));
    // No recording shows AWS's wording for a non-boolean Condition; this is
    // the one it records for a Map's Items of the wrong type.
    if (!c.is_bool()) return asl::QueryResultTypeError(*rule.condition, "Condition", "boolean", c);
    if (c.get_bool()) {
      next = rule.next_index;
      assign = &rule.jsonata_assign;
      output = &rule.output;
      break;
    }
  }
  if (next < 0) next = s.default_index;
  if (next < 0) {
    return asl::RuntimeError(asl::kStatesNoChoiceMatched, "No Matches!");
  }
  SW_ASSIGN_OR_RETURN(json::object assigned, JsonataAssign(*assign, b, f.variables));
  json::value out;
  bool same = false;
  if (output->has_value()) {
    SW_ASSIGN_OR_RETURN(out, (*output)->Evaluate(b, "Output"));
  } else {
    out = std::move(f.input);
    same = f.has_input_text;
  }
  ExitState(f, s, next, std::move(out), std::move(assigned), same, /*check_size=*/false);
  return absl::OkStatus();
}

absl::Status Interpreter::Run::RunSucceed(Frame& f, const State& s) {
  json::value out;
  if (s.jsonata) {
    if (s.output.has_value()) {
      SW_ASSIGN_OR_RETURN(out, s.output->Evaluate(Bindings(f, s), "Output"));
    } else {
      out = std::move(f.input);
    }
  } else {
    SW_ASSIGN_OR_RETURN(json::value eff, TakePath(s.input_path, std::move(f.input), f, s));
    SW_ASSIGN_OR_RETURN(out, TakePath(s.output_path, std::move(eff), f, s));
  }
  ExitSucceed(f, s, std::move(out));
  return absl::OkStatus();
}

absl::Status Interpreter::Run::RunFail(Frame& f, const State& s) {
  std::string error;
  std::string cause;
  if (s.jsonata) {
    if (s.error_expr.has_value() || s.cause_expr.has_value()) {
      asl::JsonataBindings b = Bindings(f, s);
      // Error and Cause must evaluate to strings (AWS documents "a string";
      // no recording shows its wording for other types, so the one AWS
      // records for Map Items is used).
      if (s.error_expr.has_value()) {
        SW_ASSIGN_OR_RETURN(json::value v, s.error_expr->Evaluate(b, "Error"));
        if (!v.is_string()) return asl::QueryResultTypeError(*s.error_expr, "Error", "string", v);
        error = std::string(v.get_string());
      }
      if (s.cause_expr.has_value()) {
        SW_ASSIGN_OR_RETURN(json::value v, s.cause_expr->Evaluate(b, "Cause"));
        if (!v.is_string()) return asl::QueryResultTypeError(*s.cause_expr, "Cause", "string", v);
        cause = std::string(v.get_string());
      }
    }
  } else {
    error = s.error.value_or("");
    cause = s.cause.value_or("");
    if (s.error_path.has_value()) {
      SW_ASSIGN_OR_RETURN(error, EvalFailField(f, s, *s.error_path, "ErrorPath"));
    }
    if (s.cause_path.has_value()) {
      SW_ASSIGN_OR_RETURN(cause, EvalFailField(f, s, *s.cause_path, "CausePath"));
    }
  }
  FailFrame(f, error, cause);
  return absl::OkStatus();
}

}  // namespace stepwise::engine
