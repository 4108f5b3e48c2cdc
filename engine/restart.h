// Restart from any state (Stepwise extension, RestartExecution): the pure
// part. Finds, in a closed execution's history, the entry of the top-level
// state to restart from and the input it was recorded with; names the new
// execution; builds and reads the link both histories carry (the new one's
// ExecutionStarted has stepwiseRestartedFrom, the original gets an
// ExecutionRestarted event). The engine's side is restart_execution.cc.
// Pure functions; any thread.
#ifndef SW_ENGINE_RESTART_H_
#define SW_ENGINE_RESTART_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "asl/definition.h"
#include "common/json.h"
#include "engine/history_event.h"

namespace stepwise::engine {

// The event type appended to the original's history, and the member of the
// new execution's executionStartedEventDetails naming where it came from.
inline constexpr char kExecutionRestartedType[] = "ExecutionRestarted";
inline constexpr char kRestartedFromMember[] = "stepwiseRestartedFrom";

// The entry a restart begins from: its StateEntered event, the state's
// recorded input (JSON text) and index in the root scope, and the
// top-level variables in effect there (what the top-level states exited
// before it assigned, in order, from their StateExited events).
struct RestartEntry {
  int64_t event_id = 0;
  std::string input;
  int state_index = 0;
  json::object variables;
};

// The entry of top-level state `state_name` in `history`: the StateEntered
// event `event_id`, or the state's last entry when `event_id` is 0.
// ValidationException naming stateName when `machine` has no such state,
// when it is inside a Parallel or Map (only top-level states can be
// restarted) or when the execution never entered it; naming eventId when
// that event is not an entry of the state.
absl::StatusOr<RestartEntry> FindRestartEntry(const std::vector<HistoryEvent>& history,
                                              const asl::StateMachine& machine,
                                              const std::string& state_name, int64_t event_id);

// Where a restarted execution came from, as its ExecutionStarted names it.
struct RestartOrigin {
  std::string execution_arn;
  std::string state_name;
  int64_t event_id = 0;
};
json::object RestartedFromDetails(const RestartOrigin& o);
// The origin an ExecutionStarted event's details name; nullopt when none.
std::optional<RestartOrigin> RestartedFrom(const json::object& started_details);

// The details of the ExecutionRestarted event the original gets.
json::object ExecutionRestartedDetails(const std::string& new_execution_arn,
                                       const std::string& state_name, int64_t event_id);
// The executions `history` says it was restarted into, in order.
std::vector<std::string> RestartedInto(const std::vector<HistoryEvent>& history);

// The default name of the `n`th restart (1-based) of execution `name`:
// NAME-restart-N, NAME cut so that the whole stays within AWS's 80 characters.
std::string RestartName(const std::string& name, int64_t n);

// The default name of the `n`th restart that `fits` accepts: RestartName
// when it does, else NAME-restart-N-K for the smallest K >= 1 that does
// (NAME cut as above), nullopt when no K below 100,000 does. In cluster mode
// `fits` says whether the new execution would land on the original's shard
// (the restart runs on the node holding it, which must hold the new one
// too); the choice is deterministic, so a retried restart finds its name.
std::optional<std::string> RestartNameWhere(const std::string& name, int64_t n,
                                            absl::FunctionRef<bool(const std::string&)> fits);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_RESTART_H_
