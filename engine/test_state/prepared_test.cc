// PrepareTest: AWS's checks of a TestState request, in the order AWS makes
// them (definition, state name, state configuration, mock, context, role),
// and the machine a single-state definition is wrapped in. Pure; any
// thread.
#include "engine/test_state/prepared_test.h"

#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/definition_check.h"
#include "engine/service_error.h"
#include "engine/task_resource.h"
#include "engine/test_state/task_call.h"

namespace stepwise::engine::test_state {

namespace {

using asl::StateType;

// The name AWS gives a state tested on its own (its context object and
// its definition errors say /States/StateName/...).
constexpr std::string_view kSingleStateName = "StateName";

absl::Status Validation(std::string_view message) {
  return ServiceError("ValidationException", message);
}

absl::Status InvalidContext(std::string_view message) {
  return Validation(
      absl::StrCat("Invalid Context object provided: ", ToAbsl(message)));
}

// Adds a Succeed state named `target` to `states` unless one exists, so a
// single state's transitions resolve.
void AddStub(json::object& states, const json::value* target) {
  if (target == nullptr || !target->is_string()) return;
  std::string name(target->get_string());
  if (states.contains(name)) return;
  states[name] = json::object{{"Type", "Succeed"}};
}

// {"StartAt": "StateName", "States": {"StateName": state, <stubs>}}.
json::value WrapSingleState(const json::object& state) {
  json::object states;
  states[std::string(kSingleStateName)] = state;
  AddStub(states, state.if_contains("Next"));
  AddStub(states, state.if_contains("Default"));
  for (std::string_view list : {"Choices", "Catch"}) {
    const json::value* items = state.if_contains(list);
    if (items == nullptr || !items->is_array()) continue;
    for (const json::value& item : items->get_array()) {
      if (item.is_object())
        AddStub(states, item.get_object().if_contains("Next"));
    }
  }
  json::object machine;
  machine["StartAt"] = std::string(kSingleStateName);
  machine["States"] = std::move(states);
  return machine;
}

// Parses a member holding JSON text; `what` names it in the error.
absl::StatusOr<json::value> ParseMember(const std::string& text,
                                        std::string_view what) {
  auto v = ParseJson(text);
  if (!v.ok()) {
    return Validation(
        absl::StrCat("Invalid ", ToAbsl(what), ": ", v.status().message()));
  }
  return v;
}

bool IsIntegrationPatternTask(const asl::State& s) {
  if (s.type != StateType::kTask) return false;
  TaskResource r = TaskResource::Parse(s.resource);
  std::string_view res = s.resource;
  return r.wait_for_task_token || res.ends_with(".sync") ||
         res.ends_with(".sync:2");
}

// AWS's checks of a context object given in the request.
absl::Status CheckContext(const json::value& ctx, const asl::State& s) {
  if (!ctx.is_object())
    return InvalidContext("Context object must be a JSON object");
  for (const auto& kv : ctx.get_object()) {
    std::string_view key = kv.key();
    if (key == "Map")
      return InvalidContext(
          "'Map' field is not supported when mocking a Context object");
    if (key == "Task") {
      if (!IsIntegrationPatternTask(s)) {
        return InvalidContext(
            "Context object contains 'Task' when state is not a Task state "
            "with a '.sync' or "
            "'.waitForTaskToken' service integration pattern");
      }
      continue;
    }
    if (key != "Execution" && key != "State" && key != "StateMachine") {
      return InvalidContext(
          absl::StrCat("Field '", ToAbsl(key), "' is not allowed"));
    }
    if (!kv.value().is_object()) {
      return InvalidContext(absl::StrCat(ToAbsl(key), " must be an object"));
    }
  }
  if (const json::value* e = ctx.get_object().if_contains("Execution")) {
    for (const auto& kv : e->get_object()) {
      std::string_view key = kv.key();
      bool known = key == "Id" || key == "Input" || key == "Name" ||
                   key == "RoleArn" || key == "StartTime" ||
                   key == "RedriveCount" || key == "RedriveTime";
      if (!known)
        return InvalidContext(
            absl::StrCat("Field '", ToAbsl(key), "' is not allowed"));
      bool is_string_field = key == "Id" || key == "Name" || key == "RoleArn" ||
                             key == "StartTime" || key == "RedriveTime";
      if (is_string_field && !kv.value().is_string()) {
        return InvalidContext(
            absl::StrCat("Execution.", ToAbsl(key), " must be a string"));
      }
    }
  }
  return absl::OkStatus();
}

// The context object AWS builds for a TestState run.
json::value DefaultContext(const TestStateRequest& r, const asl::State& s,
                           const json::value& input, int64_t retry_count) {
  std::string machine = absl::StrCat("TestState-", r.execution_name);
  json::object exec;
  exec["Id"] = absl::StrCat("arn:aws:states:", r.region, ":", r.account,
                            ":express:", machine, ":", r.execution_name);
  exec["Input"] = input;
  exec["Name"] = r.execution_name;
  exec["RoleArn"] =
      r.role_arn.empty() ? json::value(nullptr) : json::value(r.role_arn);
  exec["StartTime"] = FormatIso8601(r.now);
  json::object state;
  state["EnteredTime"] = FormatIso8601(r.now);
  state["Name"] = s.name;
  if (s.type == StateType::kTask || s.type == StateType::kParallel ||
      s.type == StateType::kMap) {
    state["RetryCount"] = retry_count;
  }
  json::object sm;
  sm["Id"] = absl::StrCat("arn:aws:states:", r.region, ":", r.account,
                          ":stateMachine:", machine);
  sm["Name"] = machine;
  json::object ctx;
  ctx["Execution"] = std::move(exec);
  ctx["State"] = std::move(state);
  ctx["StateMachine"] = std::move(sm);
  return ctx;
}

// The scope holding state `name`: the machine's, or a Parallel branch's or
// a Map processor's at any depth (AWS tests nested states by name too).
const asl::Scope* FindScopeOf(const asl::Scope& scope,
                              const std::string& name) {
  if (scope.Find(name) >= 0) return &scope;
  for (const asl::State& s : scope.states) {
    for (const auto& branch : s.branches) {
      if (const asl::Scope* found = FindScopeOf(*branch, name)) return found;
    }
    if (s.processor != nullptr) {
      if (const asl::Scope* found = FindScopeOf(*s.processor, name))
        return found;
    }
  }
  return nullptr;
}

// Parses and validates the definition; returns the machine and the
// tested state.
absl::Status LoadDefinition(const TestStateRequest& r, PreparedTest& p) {
  auto parsed = ParseJson(r.definition);
  if (!parsed.ok() || !parsed->is_object()) {
    SW_RETURN_IF_ERROR(RequireValidDefinition(r.definition, "STANDARD"));
    return ServiceError(
        "InvalidDefinition",
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: the "
        "definition must be a JSON object'");
  }
  json::value machine_json;
  std::string name;
  const json::object& def = parsed->get_object();
  if (r.state_name.has_value()) {
    if (r.state_name->empty()) {
      return Validation(
          "1 validation error detected: Value '' at 'stateName' failed to "
          "satisfy constraint: "
          "Member must have length greater than or equal to 1");
    }
    machine_json = *parsed;
    name = *r.state_name;
  } else if (def.contains("Type") || !def.contains("States")) {
    machine_json = WrapSingleState(def);
    name = std::string(kSingleStateName);
  } else {
    machine_json = *parsed;
    const json::value* start = def.if_contains("StartAt");
    name = start != nullptr && start->is_string()
               ? std::string(start->get_string())
               : "";
  }
  SW_RETURN_IF_ERROR(
      RequireValidDefinition(SerializeJson(machine_json), "STANDARD"));
  auto machine = asl::ParseStateMachine(machine_json);
  if (!machine.ok()) {
    return ServiceError("InvalidDefinition",
                        absl::StrCat("Invalid State Machine Definition: '",
                                     machine.status().message(), "'"));
  }
  p.machine = *std::move(machine);
  p.scope = FindScopeOf(*p.machine->root, name);
  if (p.scope == nullptr) return Validation("State not found in definition");
  p.state = &p.scope->states[static_cast<size_t>(p.scope->Find(name))];
  return absl::OkStatus();
}

absl::Status CheckMock(const TestStateRequest& r, PreparedTest& p) {
  const asl::State& s = *p.state;
  bool fan_out = s.type == StateType::kMap || s.type == StateType::kParallel;
  if (!r.mock.has_value()) {
    if (fan_out) {
      return ServiceError(
          "InvalidDefinition",
          "TestState API does not support Map or Parallel states. Supported "
          "state types include: [Task, Wait, Pass, Succeed, Fail, Choice]");
    }
    if (s.type == StateType::kTask && NeedsExecution(s.resource)) {
      // AWS: "TestState only supports the following when a mock is
      // specified: Activity tasks, .sync or .waitForTaskToken service
      // integration patterns, Parallel, or Map states." (words not recorded)
      return ServiceError(
          "InvalidDefinition",
          "TestState API does not support Activity tasks, .sync or "
          ".waitForTaskToken service integration patterns without a mock. "
          "Specify a mock to test this state");
    }
    return absl::OkStatus();
  }
  if (s.type == StateType::kPass || s.type == StateType::kFail ||
      s.type == StateType::kSucceed) {
    return Validation(
        absl::StrCat("State type '", ToAbsl(asl::StateTypeName(s.type)),
                     "' is not supported when a mock is specified"));
  }
  if (r.reveal_secrets) {
    return Validation(
        "TestState does not support RevealSecrets when a mock is specified.");
  }
  const TestStateRequest::Mock& m = *r.mock;
  if (m.result.has_value() && m.has_error_output) {
    return Validation(
        "A test mock should have only one of the following fields: [result, "
        "errorOutput].");
  }
  p.has_mock = true;
  if (m.has_error_output) {
    p.mock_error = true;
    p.mock_error_name = m.error;
    p.mock_cause = m.cause;
    return absl::OkStatus();
  }
  if (!m.result.has_value()) return absl::OkStatus();
  auto v = ParseJson(*m.result);
  if (!v.ok()) return Validation("Mocked result must be valid JSON");
  if (s.type == StateType::kMap) {
    if (s.has_result_writer && !v->is_object()) {
      return Validation("Mocked result must be a JSON object.");
    }
    if (!s.has_result_writer && !v->is_array())
      return Validation("Mocked result must be an array.");
  }
  if (s.type == StateType::kParallel) {
    if (!v->is_array()) return Validation("Mocked result must be an array.");
    if (v->get_array().size() != s.branches.size()) {
      return Validation(
          "Mocked result must contain the same number of items as number of "
          "Parallel "
          "branches.");
    }
  }
  p.mock_result = *std::move(v);
  return absl::OkStatus();
}

absl::Status CheckConfiguration(const TestStateRequest& r, PreparedTest& p) {
  if (!r.state_configuration.has_value()) return absl::OkStatus();
  const TestStateRequest::Configuration& c = *r.state_configuration;
  // AWS's member constraints (minimum 0; errorCausedByState 1 to 80).
  for (const auto& [member, value] :
       {std::pair{"retrierRetryCount", c.retrier_retry_count},
        std::pair{"mapIterationFailureCount", c.map_iteration_failure_count}}) {
    if (value.has_value() && *value < 0) {
      return Validation(
          absl::StrCat("1 validation error detected: Value '", *value,
                       "' at 'stateConfiguration.", member,
                       "' failed to satisfy constraint: Member must have value "
                       "greater than or equal to 0"));
    }
  }
  if (c.error_caused_by_state.has_value() &&
      (c.error_caused_by_state->empty() ||
       c.error_caused_by_state->size() > 80)) {
    return Validation(absl::StrCat(
        "1 validation error detected: Value '", *c.error_caused_by_state,
        "' at 'stateConfiguration.errorCausedByState' failed to satisfy "
        "constraint: Member must "
        "have length ",
        c.error_caused_by_state->empty() ? "greater than or equal to 1"
                                         : "less than or equal to 80"));
  }
  p.retrier_retry_count = c.retrier_retry_count.value_or(0);
  if (c.map_item_reader_data.has_value()) {
    SW_ASSIGN_OR_RETURN(json::value d, ParseMember(*c.map_item_reader_data,
                                                   "mapItemReaderData"));
    p.map_item_reader_data = std::move(d);
  }
  if (!c.map_iteration_failure_count.has_value()) return absl::OkStatus();
  if (!r.mock.has_value()) {
    return Validation(
        "TestState does not support MapIterationFailureCount when a mock is "
        "not specified.");
  }
  p.map_iteration_failure_count = *c.map_iteration_failure_count;
  if (r.mock->result.has_value()) {
    auto v = ParseJson(*r.mock->result);
    if (v.ok() && v->is_array() &&
        *c.map_iteration_failure_count >
            static_cast<int64_t>(v->get_array().size())) {
      return Validation(
          "Map iteration failure count must be less than or equal to the "
          "number of Map "
          "iterations");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PreparedTest> PrepareTest(const TestStateRequest& r) {
  PreparedTest p;
  if (r.inspection_level != "INFO" && r.inspection_level != "DEBUG" &&
      r.inspection_level != "TRACE") {
    return Validation(absl::StrCat("1 validation error detected: Value '",
                                   r.inspection_level,
                                   "' at 'inspectionLevel' failed to satisfy "
                                   "constraint: Member must satisfy enum value "
                                   "set: [INFO, DEBUG, TRACE]"));
  }
  p.debug = r.inspection_level != "INFO";
  SW_RETURN_IF_ERROR(LoadDefinition(r, p));
  SW_RETURN_IF_ERROR(CheckConfiguration(r, p));
  SW_RETURN_IF_ERROR(CheckMock(r, p));
  if (r.input.has_value() && !r.input->empty()) {
    SW_ASSIGN_OR_RETURN(p.input, ParseMember(*r.input, "input"));
  } else {
    p.input = json::object();
  }
  if (r.variables.has_value() && !r.variables->empty()) {
    SW_ASSIGN_OR_RETURN(json::value vars,
                        ParseMember(*r.variables, "variables"));
    if (!vars.is_object())
      return Validation("Invalid variables: must be a JSON object");
    p.variables = std::move(vars.get_object());
  }
  if (r.context.has_value()) {
    SW_ASSIGN_OR_RETURN(json::value ctx, ParseMember(*r.context, "context"));
    SW_RETURN_IF_ERROR(CheckContext(ctx, *p.state));
    p.context = std::move(ctx);
  } else {
    p.context = DefaultContext(r, *p.state, p.input, p.retrier_retry_count);
  }
  if (p.state->type == StateType::kTask && !p.has_mock) {
    if (r.role_arn.empty()) {
      return Validation("RoleArn must be specified when testing a Task state");
    }
    // No mock: the run calls the Task's resource (task_call.h).
    p.calls_target = true;
  }
  return p;
}

}  // namespace stepwise::engine::test_state
