// TestState: runs ONE state of a definition once, as AWS's TestState API
// does (the 2025 version: mocks, context, state configuration, inspection
// data), without an execution, history or storage. RunTestState is a pure
// function of the request: no I/O, no clock (the caller passes the time
// and the execution name), no shared state; any thread. RunTestStateAsync
// also calls the resource of a Task tested without a mock, as AWS does,
// through the server's integrations (task_targets.h). The AWS JSON
// endpoint and gRPC both call RunTestStateAsync, so each front end answers
// alike.
#ifndef SW_ENGINE_TEST_STATE_TEST_STATE_H_
#define SW_ENGINE_TEST_STATE_TEST_STATE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/json.h"
#include "engine/test_state/task_targets.h"

namespace stepwise::engine {

// AWS's TestStateInput, members as AWS names them (JSON values as text).
struct TestStateRequest {
  std::string definition;  // one state, or a machine with state_name
  std::optional<std::string>
      state_name;                        // the state to test in a whole machine
  std::string role_arn;                  // shown in the context object only
  std::optional<std::string> input;      // JSON text; default {}
  std::optional<std::string> variables;  // JSON object text
  std::string inspection_level = "INFO";  // INFO | DEBUG | TRACE
  bool reveal_secrets = false;

  struct Mock {
    std::optional<std::string> result;  // JSON text
    bool has_error_output = false;
    std::string error;
    std::string cause;
    std::string field_validation_mode = "STRICT";  // STRICT | PRESENT | NONE
  };
  std::optional<Mock> mock;
  std::optional<std::string> context;  // JSON object text: the context object

  struct Configuration {
    std::optional<int64_t> retrier_retry_count;
    std::optional<std::string> error_caused_by_state;
    std::optional<int64_t> map_iteration_failure_count;
    std::optional<std::string> map_item_reader_data;  // JSON text
  };
  std::optional<Configuration> state_configuration;

  // Filled by the caller, not by the client: the context object's
  // execution name, start time and the ARNs' region and account.
  std::string execution_name = "TestState";
  TimeMs now = 0;
  std::string region = "us-east-1";
  std::string account = "123456789012";
};

// AWS's TestStateOutput. `inspection_data` is AWS's InspectionData as it
// goes on the wire (data members as JSON text, errorDetails an object,
// the Map numbers as numbers); empty at INFO.
struct TestStateResult {
  std::string status;  // SUCCEEDED | FAILED | RETRIABLE | CAUGHT_ERROR
  std::optional<std::string> next_state;
  std::optional<std::string> output;  // JSON text
  std::optional<std::string> error;
  std::optional<std::string> cause;
  json::object inspection_data;
};

// Runs the state `request` designates once. A request AWS rejects comes
// back as a service error (engine/service_error.h) with AWS's name and
// words: ValidationException or InvalidDefinition. A state that fails is
// not an error: it is a result with status FAILED (or RETRIABLE /
// CAUGHT_ERROR when its Retry / Catch handles the failure).
// A Task state without a mock is refused here (ValidationException): its
// call needs RunTestStateAsync's targets.
absl::StatusOr<TestStateResult> RunTestState(const TestStateRequest& request);

using TestStateDone = std::function<void(absl::StatusOr<TestStateResult>)>;

// As RunTestState, and a Task state without a mock calls its resource once
// through `targets` (its TimeoutSeconds, else five minutes, the deadline;
// past it the state fails with States.Timeout). `done` runs once: on the
// calling thread when nothing is called, else on the target's thread. The
// calling thread never waits for a call. Activities, .sync and
// .waitForTaskToken need a mock (InvalidDefinition), as on AWS.
void RunTestStateAsync(const TestStateRequest& request,
                       std::shared_ptr<const TestStateTargets> targets,
                       TestStateDone done);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_TEST_STATE_TEST_STATE_H_
