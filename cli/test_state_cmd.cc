// `stepwise test-state` (see test_state_cmd.h): flags to a gRPC
// TestStateRequest, its TestStateResponse to AWS's JSON shape. Main thread.
#include "cli/test_state_cmd.h"

#include <iostream>
#include <optional>
#include <string>

#include "cli/cli_format.h"
#include "cli/cli_remote.h"
#include "common/json.h"

namespace stepwise::client {

namespace {

// The flag's JSON text (inline or @FILE), or nullopt when absent; prints
// the problem and sets `failed` when the file cannot be read.
std::optional<std::string> JsonFlag(const RemoteArgs& a,
                                    const std::string& flag, bool& failed) {
  if (!a.Has(flag)) return std::nullopt;
  auto text = ResolveInputSpec(a.Get(flag));
  if (!text.ok()) {
    std::cerr << "error: --" << flag << ": " << text.status().message() << "\n";
    failed = true;
    return std::nullopt;
  }
  return *text;
}

json::object InspectionJson(const v1::TestStateInspectionData& d) {
  json::object o;
  auto text = [&o](const char* key, bool has, const std::string& v) {
    if (has) o[key] = v;
  };
  text("input", d.has_input(), d.input());
  text("afterArguments", d.has_after_arguments(), d.after_arguments());
  text("afterInputPath", d.has_after_input_path(), d.after_input_path());
  text("afterParameters", d.has_after_parameters(), d.after_parameters());
  text("result", d.has_result(), d.result());
  text("afterResultSelector", d.has_after_result_selector(),
       d.after_result_selector());
  text("afterResultPath", d.has_after_result_path(), d.after_result_path());
  text("variables", d.has_variables(), d.variables());
  text("afterItemsPath", d.has_after_items_path(), d.after_items_path());
  text("afterItemSelector", d.has_after_item_selector(),
       d.after_item_selector());
  text("afterItemBatcher", d.has_after_item_batcher(), d.after_item_batcher());
  text("afterItemsPointer", d.has_after_items_pointer(),
       d.after_items_pointer());
  if (d.has_max_concurrency()) o["maxConcurrency"] = d.max_concurrency();
  if (d.has_tolerated_failure_count())
    o["toleratedFailureCount"] = d.tolerated_failure_count();
  if (d.has_tolerated_failure_percentage()) {
    o["toleratedFailurePercentage"] = d.tolerated_failure_percentage();
  }
  if (d.has_request()) {
    const v1::TestStateHttpRequest& r = d.request();
    o["request"] = json::object{{"protocol", r.protocol()}, {"method", r.method()},
                                {"url", r.url()},           {"headers", r.headers()},
                                {"body", r.body()}};
  }
  if (d.has_response()) {
    const v1::TestStateHttpResponse& r = d.response();
    o["response"] = json::object{{"protocol", r.protocol()},
                                 {"statusCode", r.status_code()},
                                 {"statusMessage", r.status_message()},
                                 {"headers", r.headers()},
                                 {"body", r.body()}};
  }
  if (d.has_error_details()) {
    const v1::TestStateErrorDetails& e = d.error_details();
    json::object ed;
    if (e.has_catch_index()) ed["catchIndex"] = e.catch_index();
    if (e.has_retry_index()) ed["retryIndex"] = e.retry_index();
    if (e.has_retry_backoff_interval_seconds()) {
      ed["retryBackoffIntervalSeconds"] = e.retry_backoff_interval_seconds();
    }
    o["errorDetails"] = std::move(ed);
  }
  return o;
}

}  // namespace

int TestStateCommand(const RemoteArgs& a, Client& c) {
  v1::TestStateRequest req;
  auto definition = ReadFile(a.Get("definition"));
  if (!definition.ok()) {
    std::cerr << "error: --definition: " << definition.status().message()
              << "\n";
    return kExitUsage;
  }
  req.set_definition(*definition);
  bool failed = false;
  if (auto v = JsonFlag(a, "input", failed)) req.set_input(*v);
  if (auto v = JsonFlag(a, "variables", failed)) req.set_variables(*v);
  if (auto v = JsonFlag(a, "context", failed)) req.set_context(*v);
  std::optional<std::string> mock_result = JsonFlag(a, "mock-result", failed);
  std::optional<std::string> reader_data =
      JsonFlag(a, "map-item-reader-data", failed);
  if (failed) return kExitUsage;
  if (a.Has("state-name")) req.set_state_name(a.Get("state-name"));
  req.set_role_arn(a.Get("role-arn"));
  req.set_inspection_level(a.Get("inspection-level", "INFO"));
  req.set_reveal_secrets(a.Has("reveal-secrets"));
  if (mock_result.has_value() || a.Has("mock-error") || a.Has("mock-cause")) {
    v1::TestStateMock* m = req.mutable_mock();
    if (mock_result.has_value()) m->set_result(*mock_result);
    if (a.Has("mock-error") || a.Has("mock-cause")) {
      m->mutable_error_output()->set_error(a.Get("mock-error"));
      m->mutable_error_output()->set_cause(a.Get("mock-cause"));
    }
    m->set_field_validation_mode(a.Get("field-validation-mode"));
  }
  if (a.Has("retrier-retry-count") || a.Has("error-caused-by-state") ||
      a.Has("map-iteration-failure-count") || reader_data.has_value()) {
    v1::TestStateConfiguration* sc = req.mutable_state_configuration();
    if (a.Has("retrier-retry-count")) {
      sc->set_retrier_retry_count(a.GetInt("retrier-retry-count", 0));
    }
    if (a.Has("error-caused-by-state")) {
      sc->set_error_caused_by_state(a.Get("error-caused-by-state"));
    }
    if (a.Has("map-iteration-failure-count")) {
      sc->set_map_iteration_failure_count(
          a.GetInt("map-iteration-failure-count", 0));
    }
    if (reader_data.has_value()) sc->set_map_item_reader_data(*reader_data);
  }
  auto resp = c.TestState(req);
  if (!resp.ok()) return CallFailed(resp.status());
  json::object o;
  o["status"] = resp->status();
  if (resp->has_next_state()) o["nextState"] = resp->next_state();
  if (resp->has_output()) o["output"] = resp->output();
  if (resp->has_error()) o["error"] = resp->error();
  if (resp->has_cause()) o["cause"] = resp->cause();
  if (resp->has_inspection_data())
    o["inspectionData"] = InspectionJson(resp->inspection_data());
  std::cout << PrettyJson(json::value(std::move(o)));
  return kExitOk;
}

}  // namespace stepwise::client
