// MockConfig: Step Functions Local's mock configuration file, read unchanged
// (`stepwised --mock-config FILE`, SFN_MOCK_CONFIG). `StateMachines` maps a
// state machine name to its `TestCases`, each mapping Task state names to
// a mocked response name; `MockedResponses` maps each name to its answers
// by invocation index ("0", "1", or an inclusive range "0-2"), each either
// `Return` (any JSON value: the task's result) or `Throw` {Error, Cause}.
// An execution started as `stateMachineArn#TestCaseName` runs that test
// case (SplitTestCaseArn); MockedTaskDispatcher (mocked_task_dispatcher.h)
// answers its mocked Tasks.
// Stepwise's own extension, which Step Functions Local files never contain:
// a top-level `StepwiseTestCaseOptions` {machine: {test case: {"TimeScale":
// N}}} makes that test case's Waits, retry back-offs and timeouts pass N
// times faster (TimeScaleFor; the engine scales each timer it arms).
// Parsed and validated once at start-up (errors name the JSON path);
// immutable afterwards, so any thread may read it.
#ifndef SW_ENGINE_MOCK_CONFIG_MOCK_CONFIG_H_
#define SW_ENGINE_MOCK_CONFIG_MOCK_CONFIG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace stepwise::engine {

// One invocation's mocked answer.
struct MockedAnswer {
  bool is_throw = false;
  json::value return_value;  // Return
  std::string error;         // Throw.Error
  std::string cause;         // Throw.Cause ("" when absent)
};

// A named mocked response: answers by invocation index.
struct MockedResponse {
  struct Entry {
    int64_t first = 0;  // inclusive range of invocation indices
    int64_t last = 0;
    MockedAnswer answer;
  };
  std::vector<Entry> entries;  // sorted by `first`, not overlapping

  // The answer of the `invocation`-th (0-based) invocation, or null when
  // the response names none (Step Functions Local then fails the execution).
  const MockedAnswer* At(int64_t invocation) const;
};

class MockConfig {
 public:
  // Parses the file's text; errors (kInvalidArgument) name the JSON path,
  // e.g. `$.MockedResponses.MockedLambdaRetry["1-2"]: ...`.
  static absl::StatusOr<std::shared_ptr<const MockConfig>> Parse(std::string_view text);
  // Reads and parses `path`; errors name the file.
  static absl::StatusOr<std::shared_ptr<const MockConfig>> Load(const std::string& path);

  // Whether `machine_name` has test case `test_case`.
  bool HasTestCase(const std::string& machine_name, const std::string& test_case) const;
  // The mocked response name test case `test_case` of `machine_name` gives
  // Task state `state_name`, or null when that state is not mocked.
  const std::string* ResponseNameFor(const std::string& machine_name,
                                     const std::string& test_case,
                                     const std::string& state_name) const;
  // The time scale test case `test_case` of `machine_name` runs at: its
  // `StepwiseTestCaseOptions` TimeScale (> 0), 1.0 when it gives none.
  double TimeScaleFor(const std::string& machine_name, const std::string& test_case) const;
  // The mocked response called `name`, or null.
  const MockedResponse* Response(const std::string& name) const;

  size_t machine_count() const { return machines_.size(); }
  size_t response_count() const { return responses_.size(); }

 private:
  // machine name → test case → state name → mocked response name.
  using TestCases = std::map<std::string, std::map<std::string, std::string>>;
  std::map<std::string, TestCases> machines_;
  std::map<std::string, MockedResponse> responses_;
  // machine name → test case → TimeScale (only those that give one).
  std::map<std::string, std::map<std::string, double>> time_scales_;
};

// A StartExecution state machine ARN split at its test case suffix:
// "arn:...:stateMachine:M#HappyPath" → {"arn:...:stateMachine:M", "HappyPath"}.
// `test_case` is unset without '#', and set (maybe empty) with one.
struct TestCaseArn {
  std::string machine_arn;
  std::optional<std::string> test_case;
};
TestCaseArn SplitTestCaseArn(std::string_view arn);

// Whether `config` has test case `test_case` for `machine_name`; else the
// StartExecution error (InvalidArn) naming `requested_arn` and the test case.
absl::Status CheckTestCase(const MockConfig& config, const std::string& requested_arn,
                           const std::string& machine_name, const std::string& test_case);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_MOCK_CONFIG_MOCK_CONFIG_H_
