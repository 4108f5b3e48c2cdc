// PreparedTest: a TestState request checked and turned into what the
// runner needs: the parsed machine and the state to run, the parsed input,
// variables, mock and context object. Internal to engine/test_state/.
// PrepareTest answers every refusal AWS gives before it runs anything, in
// AWS's words. Pure; any thread.
#ifndef SW_ENGINE_TEST_STATE_PREPARED_TEST_H_
#define SW_ENGINE_TEST_STATE_PREPARED_TEST_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "asl/definition.h"
#include "common/json.h"
#include "engine/test_state/test_state.h"

namespace stepwise::engine::test_state {

struct PreparedTest {
  std::shared_ptr<const asl::StateMachine> machine;
  const asl::Scope* scope = nullptr;  // the scope holding `state`
  const asl::State* state = nullptr;
  json::value input;
  json::object variables;
  bool debug = false;  // DEBUG or TRACE: answer with inspection data
  bool has_mock = false;
  // A Task without a mock: the run calls its resource (task_call.h) and
  // takes the outcome as it takes a mock's.
  bool calls_target = false;
  std::optional<json::value> mock_result;
  bool mock_error = false;
  std::string mock_error_name;
  std::string mock_cause;
  json::value context;  // the context object ($$, $states.context)
  int64_t retrier_retry_count = 0;
  std::optional<int64_t> map_iteration_failure_count;
  std::optional<json::value> map_item_reader_data;
};

// Checks `request` and prepares it. ValidationException or
// InvalidDefinition (service errors) with AWS's messages.
absl::StatusOr<PreparedTest> PrepareTest(const TestStateRequest& request);

}  // namespace stepwise::engine::test_state

#endif  // SW_ENGINE_TEST_STATE_PREPARED_TEST_H_
