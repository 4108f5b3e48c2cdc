// RunTestState: runs the one prepared state (see prepared_test.h) once, in
// either query language, recording AWS's inspection data at each step of
// its input and output processing, and decides what its Retry and Catch
// make of an error (RETRIABLE, CAUGHT_ERROR or FAILED) without waiting or
// going on. Map and Parallel results come from the request's mock; a
// Task's from its mock, else from one call of its resource (task_call.h):
// the run stops before the call, and runs again with the call's outcome in
// the mock's place. RunTestState is pure; RunTestStateAsync calls out.
// Any thread.
#include "engine/test_state/test_state.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "asl/variable_limits.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/service_error.h"
#include "engine/test_state/prepared_test.h"
#include "engine/test_state/task_call.h"

namespace stepwise::engine {

namespace {

using asl::State;
using asl::StateType;
using test_state::PreparedTest;

constexpr std::string_view kThresholdCause =
    "The specified tolerated failure threshold was exceeded";

bool ErrorMatches(const std::vector<std::string>& equals,
                  const std::string& error) {
  for (const std::string& e : equals) {
    if (e == error) return true;
    if (e == asl::kStatesAll && error != asl::kStatesRuntime) return true;
    if (e == asl::kStatesTaskFailed && error.rfind("States.", 0) != 0)
      return true;
  }
  return false;
}

json::value ErrorOutput(const std::string& error, const std::string& cause) {
  return json::object{{"Error", error}, {"Cause", cause}};
}

// One run of the tested state.
class StateRun {
 public:
  explicit StateRun(PreparedTest& p)
      : p_(p), s_(*p.state), vars_(p.variables) {}

  TestStateResult Run() {
    absl::Status st = RunState();
    if (st.ok() && pending_call_.has_value()) return std::move(out_);
    if (!st.ok()) {
      std::string name = asl::RuntimeErrorName(st);
      if (name.empty()) name = std::string(asl::kStatesRuntime);
      HandleError(name, std::string(st.message()));
    }
    if (p_.debug && !vars_.empty()) Inspect("variables", json::value(vars_));
    if (!details_.empty())
      out_.inspection_data["errorDetails"] = std::move(details_);
    return std::move(out_);
  }

  // A Task without a mock: the call Run stopped before (its result then
  // unset); the caller makes it, puts its outcome in the mock's place and
  // runs the state again.
  const std::optional<test_state::TestTaskCall>& pending_call() const {
    return pending_call_;
  }

 private:
  // ---- inspection data and endings ------------------------------------------

  void Inspect(std::string_view key, const json::value& v) {
    if (p_.debug) out_.inspection_data[key] = SerializeJson(v);
  }

  void InspectNumber(std::string_view key, json::value v) {
    if (p_.debug) out_.inspection_data[key] = std::move(v);
  }

  void Succeed(const json::value& output, int next) {
    out_.status = "SUCCEEDED";
    out_.output = SerializeJson(output);
    if (next >= 0)
      out_.next_state = p_.scope->states[static_cast<size_t>(next)].name;
  }

  // Applies an Assign's values to the variables (they show in the
  // inspection data as they are after the state).
  void ApplyAssigned(json::object assigned) {
    for (auto& kv : assigned) vars_[kv.key()] = std::move(kv.value());
  }

  // ---- JSONPath helpers
  // ---------------------------------------------------------

  asl::EvalContext Env(const json::value* doc) const {
    asl::EvalContext env;
    env.input = doc;
    env.context = &p_.context;
    env.variables = &p_.variables;
    env.random = &random_;
    return env;
  }

  absl::StatusOr<json::value> SelectPath(const asl::PathField& f,
                                         const json::value& doc) const {
    if (f.is_null) return json::value(json::object());
    if (!f.path.has_value()) return doc;
    return f.path->Select(Env(&doc));
  }

  static absl::Status AsRuntime(const absl::Status& st) {
    if (asl::RuntimeErrorName(st) == asl::kStatesParameterPathFailure) {
      return asl::RuntimeError(asl::kStatesRuntime, ToStd(st.message()));
    }
    return st;
  }

  absl::StatusOr<json::value> ApplyTemplate(const asl::PayloadTemplate& t,
                                            const json::value& doc) const {
    auto r = t.Evaluate(Env(&doc));
    if (!r.ok()) return AsRuntime(r.status());
    return r;
  }

  absl::StatusOr<json::value> ApplyResultPath(const asl::PathField& rp,
                                              const json::value& raw,
                                              json::value result) const {
    if (rp.is_null) return raw;
    if (!rp.path.has_value()) return result;
    json::value doc = raw;
    if (!rp.path->Assign(doc, std::move(result)).ok()) {
      return asl::RuntimeError(
          asl::kStatesResultPathMatchFailure,
          absl::StrCat("Unable to apply ResultPath \"", rp.path->text(),
                       "\" to input \"", SerializeJson(raw), "\""));
    }
    return doc;
  }

  absl::StatusOr<json::object> EvalAssign(
      const std::optional<asl::PayloadTemplate>& t,
      const json::value& doc) const {
    if (!t.has_value()) return json::object();
    SW_ASSIGN_OR_RETURN(json::value v, ApplyTemplate(*t, doc));
    if (!v.is_object()) return json::object();
    SW_RETURN_IF_ERROR(
        asl::CheckAssignedVariables(v.get_object(), p_.variables));
    return std::move(v.get_object());
  }

  // ResultSelector, Assign, ResultPath and OutputPath on a result.
  absl::Status FinishJsonPath(const json::value& raw_input,
                              json::value result) {
    if (s_.result_selector.has_value()) {
      SW_ASSIGN_OR_RETURN(result, ApplyTemplate(*s_.result_selector, result));
    }
    Inspect("afterResultSelector", result);
    SW_ASSIGN_OR_RETURN(json::object assigned, EvalAssign(s_.assign, result));
    SW_ASSIGN_OR_RETURN(
        json::value merged,
        ApplyResultPath(s_.result_path, raw_input, std::move(result)));
    Inspect("afterResultPath", merged);
    SW_ASSIGN_OR_RETURN(json::value out, SelectPath(s_.output_path, merged));
    ApplyAssigned(std::move(assigned));
    Succeed(out, s_.end ? -1 : s_.next_index);
    return absl::OkStatus();
  }

  // ---- JSONata helpers
  // ----------------------------------------------------------

  asl::JsonataBindings Bindings(
      const json::value* result = nullptr,
      const json::value* error_output = nullptr) const {
    asl::JsonataBindings b;
    for (const auto& kv : p_.variables)
      b.emplace(std::string(kv.key()), kv.value());
    json::object states;
    states["input"] = p_.input;
    states["context"] = p_.context;
    if (result != nullptr) states["result"] = *result;
    if (error_output != nullptr) states["errorOutput"] = *error_output;
    b["states"] = json::value(std::move(states));
    return b;
  }

  absl::StatusOr<json::object> JsonataAssign(
      const std::optional<asl::JsonataTemplate>& t,
      const asl::JsonataBindings& b) const {
    if (!t.has_value()) return json::object();
    SW_ASSIGN_OR_RETURN(json::value v, t->Evaluate(b, "Assign"));
    if (!v.is_object()) return json::object();
    SW_RETURN_IF_ERROR(
        asl::CheckAssignedVariables(v.get_object(), p_.variables));
    return std::move(v.get_object());
  }

  // Assign and Output (default: the result, else the input).
  absl::Status FinishJsonata(const json::value* result, int next) {
    asl::JsonataBindings b = Bindings(result);
    SW_ASSIGN_OR_RETURN(json::object assigned,
                        JsonataAssign(s_.jsonata_assign, b));
    json::value out = result != nullptr ? *result : p_.input;
    if (s_.output.has_value()) {
      SW_ASSIGN_OR_RETURN(out, s_.output->Evaluate(b, "Output"));
    }
    ApplyAssigned(std::move(assigned));
    Succeed(out, next);
    return absl::OkStatus();
  }

  // ---- the states
  // -------------------------------------------------------------------

  absl::Status RunState() {
    Inspect("input", p_.input);
    switch (s_.type) {
      case StateType::kPass:
        return RunPass();
      case StateType::kChoice:
        return RunChoice();
      case StateType::kWait:
        return RunWait();
      case StateType::kSucceed:
        return RunSucceed();
      case StateType::kFail:
        return RunFail();
      case StateType::kTask:
      case StateType::kParallel:
        return RunMocked();
      case StateType::kMap:
        return RunMap();
    }
    return absl::OkStatus();
  }

  absl::Status RunPass() {
    int next = s_.end ? -1 : s_.next_index;
    if (s_.jsonata) return FinishJsonata(nullptr, next);
    SW_ASSIGN_OR_RETURN(json::value eff, SelectPath(s_.input_path, p_.input));
    json::value result;
    if (s_.result.has_value()) {
      // AWS shows the Result, not the input processing it replaces.
      result = *s_.result;
      Inspect("result", result);
    } else {
      Inspect("afterInputPath", eff);
      if (s_.parameters.has_value()) {
        SW_ASSIGN_OR_RETURN(result, ApplyTemplate(*s_.parameters, eff));
      } else {
        result = eff;
      }
      Inspect("afterParameters", result);
    }
    return FinishJsonPath(p_.input, std::move(result));
  }

  absl::Status RunChoice() {
    int next = -1;
    if (s_.jsonata) {
      asl::JsonataBindings b = Bindings();
      const std::optional<asl::JsonataTemplate>* assign = &s_.jsonata_assign;
      const std::optional<asl::JsonataTemplate>* output = &s_.output;
      for (const asl::ChoiceRule& rule : s_.choices) {
        SW_ASSIGN_OR_RETURN(json::value c,
                            rule.condition->Evaluate(b, "Condition"));
        if (!c.is_bool()) {
          return asl::QueryError(
              "Condition",
              absl::StrCat("The Condition field evaluated to ",
                           SerializeJson(c), ", which is not a boolean."));
        }
        if (c.get_bool()) {
          next = rule.next_index;
          assign = &rule.jsonata_assign;
          output = &rule.output;
          break;
        }
      }
      if (next < 0) next = s_.default_index;
      if (next < 0)
        return asl::RuntimeError(asl::kStatesNoChoiceMatched, "No Matches!");
      SW_ASSIGN_OR_RETURN(json::object assigned, JsonataAssign(*assign, b));
      json::value out = p_.input;
      if (output->has_value()) {
        SW_ASSIGN_OR_RETURN(out, (*output)->Evaluate(b, "Output"));
      }
      ApplyAssigned(std::move(assigned));
      Succeed(out, next);
      return absl::OkStatus();
    }
    SW_ASSIGN_OR_RETURN(json::value eff, SelectPath(s_.input_path, p_.input));
    Inspect("afterInputPath", eff);
    asl::EvalContext env = Env(&eff);
    const std::optional<asl::PayloadTemplate>* assign = &s_.assign;
    for (const asl::ChoiceRule& rule : s_.choices) {
      SW_ASSIGN_OR_RETURN(bool match, asl::EvaluateChoiceRule(rule, env));
      if (match) {
        next = rule.next_index;
        assign = &rule.assign;
        break;
      }
    }
    if (next < 0) next = s_.default_index;
    if (next < 0)
      return asl::RuntimeError(asl::kStatesNoChoiceMatched, "No Matches!");
    SW_ASSIGN_OR_RETURN(json::object assigned, EvalAssign(*assign, eff));
    SW_ASSIGN_OR_RETURN(json::value out, SelectPath(s_.output_path, eff));
    ApplyAssigned(std::move(assigned));
    Succeed(out, next);
    return absl::OkStatus();
  }

  // A Wait state passes its input on at once: TestState does not wait.
  absl::Status RunWait() {
    int next = s_.end ? -1 : s_.next_index;
    if (s_.jsonata) return FinishJsonata(nullptr, next);
    SW_ASSIGN_OR_RETURN(json::value eff, SelectPath(s_.input_path, p_.input));
    Inspect("afterInputPath", eff);
    SW_ASSIGN_OR_RETURN(json::object assigned, EvalAssign(s_.assign, eff));
    SW_ASSIGN_OR_RETURN(json::value out, SelectPath(s_.output_path, eff));
    ApplyAssigned(std::move(assigned));
    Succeed(out, next);
    return absl::OkStatus();
  }

  absl::Status RunSucceed() {
    if (s_.jsonata) return FinishJsonata(nullptr, -1);
    SW_ASSIGN_OR_RETURN(json::value eff, SelectPath(s_.input_path, p_.input));
    Inspect("afterInputPath", eff);
    SW_ASSIGN_OR_RETURN(json::value out, SelectPath(s_.output_path, eff));
    Succeed(out, -1);
    return absl::OkStatus();
  }

  absl::Status RunFail() {
    std::string error;
    std::string cause;
    auto text = [](const json::value& v) {
      return v.is_string() ? std::string(v.get_string()) : SerializeJson(v);
    };
    if (s_.jsonata) {
      asl::JsonataBindings b = Bindings();
      if (s_.error_expr.has_value()) {
        SW_ASSIGN_OR_RETURN(json::value v, s_.error_expr->Evaluate(b, "Error"));
        error = text(v);
      }
      if (s_.cause_expr.has_value()) {
        SW_ASSIGN_OR_RETURN(json::value v, s_.cause_expr->Evaluate(b, "Cause"));
        cause = text(v);
      }
    } else {
      SW_ASSIGN_OR_RETURN(json::value eff, SelectPath(s_.input_path, p_.input));
      Inspect("afterInputPath", eff);
      error = s_.error.value_or("");
      cause = s_.cause.value_or("");
      for (const auto& [field, target, name] :
           {std::tuple{&s_.error_path, &error, "ErrorPath"},
            std::tuple{&s_.cause_path, &cause, "CausePath"}}) {
        if (!field->has_value()) continue;
        const asl::PathOrIntrinsic& f = **field;
        asl::EvalContext env = Env(&p_.input);
        std::optional<json::value> v;
        if (f.call.has_value()) {
          SW_ASSIGN_OR_RETURN(json::value r, f.call->Evaluate(env));
          v = std::move(r);
        } else {
          v = f.path->Evaluate(env);
        }
        if (!v.has_value()) {
          return asl::RuntimeError(
              asl::kStatesRuntime,
              absl::StrCat("The JSONPath '", f.text,
                           "' specified for the field '", name,
                           "' could not be found in the input '",
                           SerializeJson(p_.input), "'"));
        }
        *target = text(*v);
      }
    }
    out_.status = "FAILED";
    if (!error.empty()) out_.error = error;
    if (!cause.empty()) out_.cause = cause;
    return absl::OkStatus();
  }

  // Task and Parallel: input processing, then the mock as the result.
  // AWS shows a Parallel state's input processing and result less than a
  // Task's (recorded: input, afterResultSelector and afterResultPath).
  absl::Status RunMocked() {
    bool task = s_.type == StateType::kTask;
    if (s_.jsonata) {
      json::value args = p_.input;
      if (s_.arguments.has_value()) {
        SW_ASSIGN_OR_RETURN(args,
                            s_.arguments->Evaluate(Bindings(), "Arguments"));
      }
      if (task) Inspect("afterArguments", args);
      if (task && p_.calls_target) return StopForCall(std::move(args));
      return MockOutcome([&](json::value result) -> absl::Status {
        if (task) Inspect("result", result);
        return FinishJsonata(&result, s_.end ? -1 : s_.next_index);
      });
    }
    SW_ASSIGN_OR_RETURN(json::value eff, SelectPath(s_.input_path, p_.input));
    if (task) Inspect("afterInputPath", eff);
    json::value params = eff;
    if (s_.parameters.has_value()) {
      SW_ASSIGN_OR_RETURN(params, ApplyTemplate(*s_.parameters, eff));
    }
    if (task) Inspect("afterParameters", params);
    if (task && p_.calls_target) return StopForCall(std::move(params));
    return MockOutcome([&](json::value result) -> absl::Status {
      if (task) Inspect("result", result);
      return FinishJsonPath(p_.input, std::move(result));
    });
  }

  // Records the call of the Task's resource with `parameters`, its
  // deadline from TimeoutSeconds (a number, a path or an expression).
  absl::Status StopForCall(json::value parameters) {
    test_state::TestTaskCall call;
    call.state_name = s_.name;
    call.resource = s_.resource;
    call.parameters = std::move(parameters);
    call.attempt = p_.retrier_retry_count;
    call.timeout_seconds = s_.timeout_seconds.value_or(0);
    std::optional<json::value> timeout;
    if (s_.timeout_seconds_path.has_value()) {
      SW_ASSIGN_OR_RETURN(timeout,
                          s_.timeout_seconds_path->Select(Env(&p_.input)));
    } else if (s_.timeout_seconds_expr.has_value()) {
      SW_ASSIGN_OR_RETURN(timeout, s_.timeout_seconds_expr->Evaluate(
                                       Bindings(), "TimeoutSeconds"));
    }
    if (timeout.has_value()) {
      if (!IsIntegral(*timeout) || ToDouble(*timeout) < 1) {
        return asl::RuntimeError(
            asl::kStatesRuntime,
            absl::StrCat("The TimeoutSeconds value \"", SerializeJson(*timeout),
                         "\" is not a valid positive integer"));
      }
      call.timeout_seconds = static_cast<int64_t>(ToDouble(*timeout));
    }
    if (const json::value* e =
            p_.context.is_object()
                ? p_.context.get_object().if_contains("Execution")
                : nullptr;
        e != nullptr && e->is_object()) {
      const json::value* id = e->get_object().if_contains("Id");
      if (id != nullptr && id->is_string())
        call.execution_arn = std::string(id->get_string());
    }
    pending_call_ = std::move(call);
    return absl::OkStatus();
  }

  // The mock's error, or its result handed to `finish`.
  template <typename Finish>
  absl::Status MockOutcome(Finish finish) {
    if (p_.mock_error) {
      HandleError(p_.mock_error_name, p_.mock_cause);
      return absl::OkStatus();
    }
    json::value result = p_.mock_result.value_or(json::value(json::object()));
    return finish(std::move(result));
  }

  absl::Status RunMap() {
    json::value eff = p_.input;
    if (!s_.jsonata) {
      SW_ASSIGN_OR_RETURN(eff, SelectPath(s_.input_path, p_.input));
      Inspect("afterInputPath", eff);
    }
    if (!s_.has_item_reader) {
      json::value items = eff;
      std::string shown = "$";
      if (s_.items.has_value()) {
        SW_ASSIGN_OR_RETURN(items, s_.items->Evaluate(Bindings(), "Items"));
        if (!items.is_array()) {
          return asl::QueryError(
              "Items",
              absl::StrCat("The JSONata expression '",
                           s_.items->expression_text(),
                           "' specified for the field 'Items' returned an "
                           "unexpected result type. Expected 'array', but was "
                           "'object' for value: ",
                           SerializeJson(items)));
        }
      } else if (s_.items_path.has_value()) {
        shown = s_.items_path->text();
        asl::PathField pf;
        pf.path = s_.items_path;
        SW_ASSIGN_OR_RETURN(items, SelectPath(pf, eff));
      }
      if (!items.is_array()) {
        // AWS's TestState words (recorded): the path shown without "$$".
        if (shown.rfind("$$", 0) == 0) shown = shown.substr(1);
        return asl::RuntimeError(asl::kStatesRuntime,
                                 absl::StrCat("Reference path \"", shown,
                                              "\" must point to array."));
      }
      if (!s_.jsonata) Inspect("afterItemsPath", items);
      if (s_.parameters.has_value() && !s_.jsonata) {
        json::array selected;
        const json::array& arr = items.get_array();
        for (size_t i = 0; i < arr.size(); ++i) {
          json::value ctx = p_.context;
          if (ctx.is_object()) {
            ctx.get_object()["Map"] = json::object{
                {"Item", json::object{{"Index", static_cast<int64_t>(i)},
                                      {"Value", arr[i]}}}};
          }
          asl::EvalContext env = Env(&eff);
          env.context = &ctx;
          auto v = s_.parameters->Evaluate(env);
          if (!v.ok()) return AsRuntime(v.status());
          selected.push_back(*std::move(v));
        }
        Inspect("afterItemSelector", json::value(std::move(selected)));
      }
    }
    SW_RETURN_IF_ERROR(ResolveMapNumbers(eff));
    InspectNumber("maxConcurrency", json::value(max_concurrency_));
    if (tolerated_count_.has_value()) {
      InspectNumber("toleratedFailureCount", json::value(*tolerated_count_));
    }
    if (tolerated_percentage_.has_value()) {
      InspectNumber("toleratedFailurePercentage",
                    json::value(*tolerated_percentage_));
    }
    if (p_.mock_error) {
      HandleError(p_.mock_error_name, p_.mock_cause);
      return absl::OkStatus();
    }
    json::value result = p_.mock_result.value_or(json::value(json::array()));
    if (p_.map_iteration_failure_count.value_or(0) > 0 &&
        ThresholdExceeded(result)) {
      HandleError(std::string(asl::kStatesExceedToleratedFailureThreshold),
                  std::string(kThresholdCause));
      return absl::OkStatus();
    }
    if (s_.jsonata) return FinishJsonata(&result, s_.end ? -1 : s_.next_index);
    return FinishJsonPath(p_.input, std::move(result));
  }

  // MaxConcurrency and the tolerated failures, from a number, a path or a
  // JSONata expression.
  absl::Status ResolveMapNumbers(const json::value& eff) {
    auto integer =
        [&](const std::optional<int64_t>& n,
            const std::optional<asl::JsonPath>& path,
            const std::optional<asl::JsonataTemplate>& expr,
            std::string_view field) -> absl::StatusOr<std::optional<int64_t>> {
      if (expr.has_value()) {
        SW_ASSIGN_OR_RETURN(json::value v, expr->Evaluate(Bindings(), field));
        if (!IsIntegral(v) || v.is_uint64() || ToDouble(v) < 0) {
          return asl::QueryError(
              field, absl::StrCat("The ", ToAbsl(field),
                                  " field refers to value \"", SerializeJson(v),
                                  "\" which is not a valid non-negative "
                                  "integer."));
        }
        return static_cast<int64_t>(ToDouble(v));
      }
      if (path.has_value()) {
        auto v = path->Select(Env(&eff));
        if (!v.ok()) return v.status();
        if (!IsIntegral(*v)) {
          return asl::RuntimeError(
              asl::kStatesRuntime,
              absl::StrCat("The ", ToAbsl(field),
                           "Path field refers to "
                           "value \"",
                           SerializeJson(*v),
                           "\" which is not a valid integer: ", path->text()));
        }
        return static_cast<int64_t>(ToDouble(*v));
      }
      return n;
    };
    SW_ASSIGN_OR_RETURN(std::optional<int64_t> mc,
                        integer(s_.max_concurrency, s_.max_concurrency_path,
                                s_.max_concurrency_expr, "MaxConcurrency"));
    max_concurrency_ = mc.value_or(0);
    SW_ASSIGN_OR_RETURN(
        tolerated_count_,
        integer(s_.tolerated_failure_count, s_.tolerated_failure_count_path,
                s_.tolerated_failure_count_expr, "ToleratedFailureCount"));
    tolerated_percentage_ = s_.tolerated_failure_percentage;
    if (s_.tolerated_failure_percentage_expr.has_value()) {
      SW_ASSIGN_OR_RETURN(json::value v,
                          s_.tolerated_failure_percentage_expr->Evaluate(
                              Bindings(), "ToleratedFailurePercentage"));
      if (!v.is_number() || ToDouble(v) < 0 || ToDouble(v) > 100) {
        return asl::QueryError(
            "ToleratedFailurePercentage",
            absl::StrCat(
                "The ToleratedFailurePercentage field refers to value \"",
                SerializeJson(v),
                "\" which is not a valid percentage between 0 and 100."));
      }
      tolerated_percentage_ = ToDouble(v);
    }
    if (s_.tolerated_failure_percentage_path.has_value()) {
      auto v = s_.tolerated_failure_percentage_path->Select(Env(&eff));
      if (!v.ok()) return v.status();
      if (!v->is_number()) {
        return asl::RuntimeError(
            asl::kStatesRuntime,
            absl::StrCat(
                "The ToleratedFailurePercentagePath field refers to value \"",
                SerializeJson(*v), "\" which is not a valid float: ",
                s_.tolerated_failure_percentage_path->text()));
      }
      tolerated_percentage_ = ToDouble(*v);
    }
    return absl::OkStatus();
  }

  // Whether stateConfiguration.mapIterationFailureCount failed iterations
  // exceed the Map's tolerance. AWS (recorded) ignores the count of a Map
  // that sets no tolerance.
  bool ThresholdExceeded(const json::value& result) const {
    int64_t failed = *p_.map_iteration_failure_count;
    size_t n = result.is_array() ? result.get_array().size() : 0;
    bool has_count = tolerated_count_.has_value();
    bool has_pct = tolerated_percentage_.has_value();
    if (!has_count && !has_pct) return false;
    bool over_count = has_count && failed > *tolerated_count_;
    bool over_pct =
        has_pct && n > 0 &&
        static_cast<double>(failed) * 100.0 / static_cast<double>(n) >
            *tolerated_percentage_;
    if (has_count && has_pct) return over_count && over_pct;
    return over_count || over_pct;
  }

  // ---- errors, Retry, Catch
  // -------------------------------------------------------

  void HandleError(const std::string& error, const std::string& cause) {
    out_.error = error;
    out_.cause = cause;
    out_.output.reset();
    out_.next_state.reset();
    out_.status = "FAILED";
    bool handles = s_.type == StateType::kTask || s_.type == StateType::kMap ||
                   s_.type == StateType::kParallel;
    if (!handles || error == asl::kStatesRuntime) return;
    for (size_t i = 0; i < s_.retry.size(); ++i) {
      const asl::Retrier& r = s_.retry[i];
      if (!ErrorMatches(r.error_equals, error)) continue;
      if (p_.debug) details_["retryIndex"] = static_cast<int64_t>(i);
      if (p_.retrier_retry_count < r.max_attempts) {
        double delay = static_cast<double>(r.interval_seconds) *
                       std::pow(r.backoff_rate,
                                static_cast<double>(p_.retrier_retry_count));
        if (r.max_delay_seconds.has_value()) {
          delay = std::min(delay, static_cast<double>(*r.max_delay_seconds));
        }
        if (p_.debug)
          details_["retryBackoffIntervalSeconds"] = std::llround(delay);
        out_.status = "RETRIABLE";
        return;
      }
      break;
    }
    for (size_t i = 0; i < s_.catchers.size(); ++i) {
      const asl::Catcher& c = s_.catchers[i];
      if (!ErrorMatches(c.error_equals, error)) continue;
      if (p_.debug) details_["catchIndex"] = static_cast<int64_t>(i);
      absl::Status st = s_.jsonata ? CatchJsonata(c, error, cause)
                                   : CatchJsonPath(c, error, cause);
      if (!st.ok()) {
        std::string name = asl::RuntimeErrorName(st);
        out_.error = name.empty() ? std::string(asl::kStatesRuntime) : name;
        out_.cause = std::string(st.message());
        out_.status = "FAILED";
        out_.output.reset();
        return;
      }
      out_.status = "CAUGHT_ERROR";
      out_.next_state = c.next;
      return;
    }
  }

  absl::Status CatchJsonPath(const asl::Catcher& c, const std::string& error,
                             const std::string& cause) {
    SW_ASSIGN_OR_RETURN(
        json::value out,
        ApplyResultPath(c.result_path, p_.input, ErrorOutput(error, cause)));
    SW_ASSIGN_OR_RETURN(json::object assigned,
                        EvalAssign(c.assign, ErrorOutput(error, cause)));
    ApplyAssigned(std::move(assigned));
    out_.output = SerializeJson(out);
    return absl::OkStatus();
  }

  absl::Status CatchJsonata(const asl::Catcher& c, const std::string& error,
                            const std::string& cause) {
    json::value err = ErrorOutput(error, cause);
    asl::JsonataBindings b = Bindings(nullptr, &err);
    SW_ASSIGN_OR_RETURN(json::object assigned,
                        JsonataAssign(c.jsonata_assign, b));
    json::value out = err;
    if (c.output.has_value()) {
      SW_ASSIGN_OR_RETURN(out, c.output->Evaluate(b, "Output"));
    }
    ApplyAssigned(std::move(assigned));
    out_.output = SerializeJson(out);
    return absl::OkStatus();
  }

  PreparedTest& p_;
  const State& s_;
  json::object vars_;     // the variables as the state leaves them
  json::object details_;  // errorDetails
  mutable asl::SeededRandom random_{0x5eed};
  int64_t max_concurrency_ = 0;
  std::optional<int64_t> tolerated_count_;
  std::optional<double> tolerated_percentage_;
  TestStateResult out_;
  std::optional<test_state::TestTaskCall> pending_call_;
};

// Puts a call's outcome in the mock's place: the second run takes it as
// it takes a mock's result or errorOutput.
void TakeOutcome(PreparedTest& p, TaskResult outcome) {
  p.calls_target = false;
  p.has_mock = true;
  if (outcome.kind == TaskResult::Kind::kSucceeded) {
    p.mock_result = std::move(outcome.output);
    return;
  }
  p.mock_error = true;
  p.mock_error_name = outcome.kind == TaskResult::Kind::kTimedOut
                          ? std::string(asl::kStatesTimeout)
                          : std::move(outcome.error);
  p.mock_cause = std::move(outcome.cause);
}

}  // namespace

absl::StatusOr<TestStateResult> RunTestState(const TestStateRequest& request) {
  SW_ASSIGN_OR_RETURN(PreparedTest prepared, test_state::PrepareTest(request));
  StateRun run(prepared);
  TestStateResult result = run.Run();
  if (run.pending_call().has_value()) {
    return ServiceError(
        "ValidationException",
        absl::StrCat("TestState cannot call the resource of Task state '",
                     prepared.state->name,
                     "' here (no task targets): give 'mock' (result or "
                     "errorOutput) to test it"));
  }
  return result;
}

void RunTestStateAsync(const TestStateRequest& request,
                       std::shared_ptr<const TestStateTargets> targets,
                       TestStateDone done) {
  absl::StatusOr<PreparedTest> prepared = test_state::PrepareTest(request);
  if (!prepared.ok()) return done(prepared.status());
  auto p = std::make_shared<PreparedTest>(*std::move(prepared));
  std::string mode =
      request.mock.has_value() ? request.mock->field_validation_mode : "NONE";
  if (p->state->type == asl::StateType::kTask && p->mock_result.has_value() &&
      mode != "NONE" && targets != nullptr && targets->check_mocked_result) {
    absl::Status valid = targets->check_mocked_result(
        p->state->resource, *p->mock_result, mode == "STRICT");
    if (!valid.ok()) return done(valid);
  }
  StateRun run(*p);
  TestStateResult result = run.Run();
  if (!run.pending_call().has_value()) return done(std::move(result));
  if (targets == nullptr) return done(RunTestState(request));
  test_state::TestTaskCall call = *run.pending_call();
  std::shared_ptr<HttpExchangeTrace> trace;
  if (request.inspection_level == "TRACE") {
    trace = std::make_shared<HttpExchangeTrace>();
    trace->reveal_secrets = request.reveal_secrets;
    call.http_trace = trace;
  }
  // `done` is shared: CallTestTask either calls it or refuses at once.
  auto shared_done = std::make_shared<TestStateDone>(std::move(done));
  absl::Status refused =
      test_state::CallTestTask(std::move(targets), std::move(call),
                               [p, trace, shared_done](TaskResult outcome) {
                                 TakeOutcome(*p, std::move(outcome));
                                 TestStateResult answer = StateRun(*p).Run();
                                 if (trace != nullptr && trace->has_request) {
                                   answer.inspection_data["request"] =
                                       test_state::TraceRequestJson(*trace);
                                   if (trace->has_response) {
                                     answer.inspection_data["response"] =
                                         test_state::TraceResponseJson(*trace);
                                   }
                                 }
                                 (*shared_done)(std::move(answer));
                               });
  if (!refused.ok()) (*shared_done)(refused);
}

}  // namespace stepwise::engine
