// Input and output processing of JSONPath states: InputPath, Parameters
// (payload templates), ResultSelector, ResultPath, OutputPath and Assign,
// the numbers and strings other fields read through a path (ErrorPath,
// TimeoutSecondsPath, MaxConcurrencyPath, ...) and the messages AWS gives
// when a path finds nothing. Runs on whichever thread calls the
// Interpreter; pure: no I/O, no locks.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "asl/variable_limits.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/interpreter/run.h"

namespace stepwise::engine {

asl::EvalContext Interpreter::Run::Env(const Frame& f, const json::value* input,
                                       const json::value* ctx) const {
  asl::EvalContext env;
  env.input = input;
  env.context = ctx;
  env.variables = &f.variables;
  env.random = in_.random_;
  return env;
}

// ---- paths ------------------------------------------------------------------

absl::StatusOr<json::value> Interpreter::Run::SelectPath(const asl::PathField& field,
                                                         const json::value& doc,
                                                         const Frame& f,
                                                         const State& s) const {
  if (field.is_null) return json::value(json::object());
  if (!field.path.has_value()) return doc;
  const asl::JsonPath& p = *field.path;
  json::value ctx_holder;
  const json::value* ctx = nullptr;
  if (p.IsContextPath()) {
    ctx_holder = ContextObject(f, s);
    ctx = &ctx_holder;
  }
  // A miss is States.Runtime with AWS's "Invalid path '...' : ..." cause.
  return p.Select(Env(f, &doc, ctx));
}

json::value Interpreter::Run::EffectiveInput(const Frame& f, const State& s) const {
  auto v = SelectPath(s.input_path, f.input, f, s);
  return v.ok() ? *std::move(v) : json::value();
}

absl::StatusOr<int64_t> Interpreter::Run::IntFromPath(const Frame& f, const State& s,
                                                      const json::value& eff,
                                                      const asl::JsonPath& path) const {
  asl::PathField pf;
  pf.path = path;
  SW_ASSIGN_OR_RETURN(json::value v, SelectPath(pf, eff, f, s));
  if (!IsIntegral(v) || v.is_uint64()) {
    return asl::RuntimeError(asl::kStatesRuntime,
                             absl::StrCat("The value at ", path.text(),
                                          " is not a valid integer: ", SerializeJson(v)));
  }
  return v.is_int64() ? v.get_int64() : static_cast<int64_t>(v.get_double());
}

absl::StatusOr<double> Interpreter::Run::NumberAtPath(const Frame& f, const State& s,
                                                     const json::value& eff,
                                                     const asl::JsonPath& path,
                                                     std::string_view field,
                                                     bool integer) const {
  asl::PathField pf;
  pf.path = path;
  SW_ASSIGN_OR_RETURN(json::value v, SelectPath(pf, eff, f, s));
  bool ok = integer ? IsIntegral(v) : v.is_number();
  if (!ok) {
    return asl::RuntimeError(
        asl::kStatesRuntime,
        absl::StrCat("The ", ToAbsl(field), " field refers to value \"", Shown(v),
                     "\" which is not a valid ", integer ? "integer" : "float", ": ",
                     path.text()));
  }
  return ToDouble(v);
}


absl::StatusOr<std::string> Interpreter::Run::EvalFailField(const Frame& f, const State& s,
                                                            const asl::PathOrIntrinsic& field,
                                                            std::string_view name) const {
  json::value ctx = ContextObject(f, s);
  asl::EvalContext env = Env(f, &f.input, &ctx);
  std::optional<json::value> v;
  if (field.call.has_value()) {
    SW_ASSIGN_OR_RETURN(json::value r, field.call->Evaluate(env));
    v = std::move(r);
  } else {
    v = field.path->Evaluate(env);
  }
  if (!v.has_value()) {
    return asl::RuntimeError(
        asl::kStatesRuntime,
        absl::StrCat("The JSONPath '", field.text, "' specified for the field '", ToAbsl(name),
                     "' could not be found in the input '", SerializeJson(f.input), "'"));
  }
  if (v->is_string()) return std::string(v->get_string());
  return SerializeJson(*v);
}

// ---- templates, results and outputs -----------------------------------------

absl::StatusOr<json::value> Interpreter::Run::ApplyTemplate(const asl::PayloadTemplate& t,
                                                            const json::value& input,
                                                            const Frame& f,
                                                            const State& s) const {
  // The context object is built only for states that read "$$".
  json::value ctx = s.uses_context ? ContextObject(f, s) : json::value();
  return t.Evaluate(Env(f, &input, s.uses_context ? &ctx : nullptr));
}

// Path failures in states without Catch are States.Runtime errors.
absl::Status Interpreter::Run::AsRuntime(const absl::Status& s) {
  if (asl::RuntimeErrorName(s) == asl::kStatesParameterPathFailure) {
    return asl::RuntimeError(asl::kStatesRuntime, ToStd(s.message()));
  }
  return s;
}

absl::StatusOr<json::value> Interpreter::Run::ApplyResultPath(const State& s,
                                                              const json::value& raw_input,
                                                              json::value result) const {
  if (s.result_path.is_null) return raw_input;
  if (!s.result_path.path.has_value()) return result;
  json::value doc = raw_input;
  absl::Status st = s.result_path.path->Assign(doc, std::move(result));
  if (!st.ok()) {
    return asl::RuntimeError(
        asl::kStatesResultPathMatchFailure,
        absl::StrCat("Unable to apply ResultPath \"", s.result_path.path->text(),
                     "\" to input \"", SerializeJson(raw_input), "\""));
  }
  return doc;
}

absl::StatusOr<json::value> Interpreter::Run::ApplyOutputPath(const Frame& f, const State& s,
                                                              const json::value& doc) const {
  return SelectPath(s.output_path, doc, f, s);
}

absl::Status Interpreter::Run::ExitWithJsonPathResult(Frame& f, const State& s,
                                                      json::value result) {
  if (s.result_selector.has_value()) {
    SW_ASSIGN_OR_RETURN(result, ApplyTemplate(*s.result_selector, result, f, s));
  }
  SW_ASSIGN_OR_RETURN(json::object assigned, EvalAssign(f, s, s.assign, result));
  SW_ASSIGN_OR_RETURN(json::value merged, ApplyResultPath(s, f.input, std::move(result)));
  SW_ASSIGN_OR_RETURN(json::value out, TakePath(s.output_path, std::move(merged), f, s));
  ExitAndTransition(f, s, std::move(out), std::move(assigned));
  return absl::OkStatus();
}

// ---- variables --------------------------------------------------------------

// Evaluates an Assign template against `doc` with the variables as they
// were when the state was entered. The values take effect on exit.
absl::StatusOr<json::object> Interpreter::Run::EvalAssign(
    const Frame& f, const State& s, const std::optional<asl::PayloadTemplate>& tmpl,
    const json::value& doc) const {
  if (!tmpl.has_value()) return json::object();
  auto r = ApplyTemplate(*tmpl, doc, f, s);
  if (!r.ok()) return AsRuntime(r.status());
  if (!r->is_object()) return json::object();
  // AWS's size limits: one variable, one Assign, all stored variables.
  SW_RETURN_IF_ERROR(asl::CheckAssignedVariables(r->get_object(), f.variables));
  return std::move(r->get_object());
}

}  // namespace stepwise::engine
