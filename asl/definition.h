// The typed model of an ASL state machine (JSONPath and JSONata modes),
// built once from the definition JSON: every state, its fields pre-parsed
// (paths, payload templates, intrinsic calls, Choice rules, JSONata
// expressions), transitions resolved to
// indices. Immutable after Parse, so one StateMachine is shared read-only by
// every execution running it (thread-safe).
#ifndef SW_ENGINE_ASL_DEFINITION_H_
#define SW_ENGINE_ASL_DEFINITION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/json.h"
#include "asl/choice.h"
#include "asl/intrinsics.h"
#include "asl/jsonata_template.h"
#include "asl/path.h"
#include "asl/payload_template.h"

namespace stepwise::asl {

enum class StateType { kTask, kPass, kChoice, kWait, kSucceed, kFail, kParallel, kMap };

// Returns the ASL name of `t` ("Task", "Pass", ...).
std::string_view StateTypeName(StateType t);

// An optional path field with AWS's three cases: absent (default "$"),
// explicit null, or a path.
struct PathField {
  bool is_null = false;
  std::optional<JsonPath> path;  // unset: the default ("$")
};

// A field that takes a path or an intrinsic call (Fail's ErrorPath/CausePath).
struct PathOrIntrinsic {
  std::string text;
  std::optional<JsonPath> path;
  std::optional<IntrinsicCall> call;
};

struct Retrier {
  std::vector<std::string> error_equals;
  int64_t interval_seconds = 1;
  int64_t max_attempts = 3;
  double backoff_rate = 2.0;
  std::optional<int64_t> max_delay_seconds;
  bool jitter_full = false;
};

struct Catcher {
  std::vector<std::string> error_equals;
  std::string next;
  int next_index = -1;
  PathField result_path;
  std::optional<PayloadTemplate> assign;
  // JSONata states: Output (default $states.errorOutput) and Assign.
  std::optional<JsonataTemplate> output;
  std::optional<JsonataTemplate> jsonata_assign;
};

struct Scope;

struct State {
  std::string name;
  StateType type = StateType::kPass;
  std::string next;
  int next_index = -1;  // index in the enclosing Scope; -1 when End
  bool end = false;

  // Input/output processing.
  PathField input_path;
  PathField output_path;
  PathField result_path;
  std::optional<PayloadTemplate> parameters;  // Parameters (ItemSelector for Map)
  std::optional<PayloadTemplate> result_selector;
  std::optional<json::value> result;  // Pass Result
  // True when any field of the state reads the context object ("$$"), so
  // the interpreter builds it only where it is needed.
  bool uses_context = false;
  // JSONPath-mode variables: Assign template (evaluated like Parameters).
  std::optional<PayloadTemplate> assign;

  // Task.
  std::string resource;
  std::optional<int64_t> timeout_seconds;
  std::optional<JsonPath> timeout_seconds_path;
  std::optional<int64_t> heartbeat_seconds;
  std::optional<JsonPath> heartbeat_seconds_path;
  std::optional<PayloadTemplate> credentials;

  // Task, Parallel, Map.
  std::vector<Retrier> retry;
  std::vector<Catcher> catchers;

  // Choice.
  std::vector<ChoiceRule> choices;
  std::string default_next;
  int default_index = -1;

  // Wait.
  std::optional<int64_t> seconds;
  std::optional<std::string> timestamp;
  std::optional<JsonPath> seconds_path;
  std::optional<JsonPath> timestamp_path;

  // Fail.
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::optional<PathOrIntrinsic> error_path;
  std::optional<PathOrIntrinsic> cause_path;

  // Parallel.
  std::vector<std::shared_ptr<const Scope>> branches;

  // Map.
  std::shared_ptr<const Scope> processor;
  bool distributed = false;
  std::optional<JsonPath> items_path;
  std::optional<int64_t> max_concurrency;
  std::optional<JsonPath> max_concurrency_path;
  std::optional<double> tolerated_failure_percentage;
  std::optional<JsonPath> tolerated_failure_percentage_path;
  std::optional<int64_t> tolerated_failure_count;
  std::optional<JsonPath> tolerated_failure_count_path;
  std::string label;
  bool has_item_reader = false;
  bool has_result_writer = false;
  bool has_item_batcher = false;

  // JSONata mode (the state's QueryLanguage, or the machine's): the fields
  // below replace the JSONPath ones above. Numeric fields given as numbers
  // keep using the typed fields (seconds, timeout_seconds, ...); given as
  // "{% %}" expressions they are compiled here.
  bool jsonata = false;
  std::optional<JsonataTemplate> arguments;     // Task, Parallel
  std::optional<JsonataTemplate> output;        // all but Fail
  std::optional<JsonataTemplate> jsonata_assign;
  std::optional<JsonataTemplate> items;         // Map
  std::optional<JsonataTemplate> item_selector;  // Map
  std::optional<JsonataTemplate> seconds_expr;   // Wait
  std::optional<JsonataTemplate> timestamp_expr;  // Wait
  std::optional<JsonataTemplate> timeout_seconds_expr;    // Task
  std::optional<JsonataTemplate> heartbeat_seconds_expr;  // Task
  std::optional<JsonataTemplate> error_expr;  // Fail
  std::optional<JsonataTemplate> cause_expr;  // Fail
  std::optional<JsonataTemplate> max_concurrency_expr;  // Map
  std::optional<JsonataTemplate> tolerated_failure_count_expr;
  std::optional<JsonataTemplate> tolerated_failure_percentage_expr;
};

// A set of states with a StartAt: the machine itself, a Parallel branch or a
// Map's ItemProcessor.
struct Scope {
  std::string start_at;
  int start_index = 0;
  std::vector<State> states;
  absl::flat_hash_map<std::string, int> index;

  // Returns the index of `name`, or -1.
  int Find(std::string_view name) const;
};

struct StateMachine {
  std::shared_ptr<const Scope> root;
  std::optional<int64_t> timeout_seconds;
  std::string comment;
  // The definition as given (for DescribeStateMachine and for error causes).
  json::value definition;
};

// Parses `definition` (JSONPath, JSONata or mixed; a state's QueryLanguage
// overrides the machine's, and states inside Map/Parallel inherit the
// machine's). JSONata expressions are compiled here, once. Returns
// kInvalidArgument naming the field and its location when it does not
// describe a runnable machine. Run ValidateDefinition first for AWS-style
// diagnostics.
absl::StatusOr<std::shared_ptr<const StateMachine>> ParseStateMachine(
    const json::value& definition);

}  // namespace stepwise::asl

#endif  // SW_ENGINE_ASL_DEFINITION_H_
