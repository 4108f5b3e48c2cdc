// The AWS JSON 1.0 actions (internal to AwsJsonApi): one handler per
// Step Functions action, each reading AWS's request members, calling the
// engine and shaping AWS's response members. AwsJsonApi::Handle finds the
// handler with FindAwsAction and only dispatches.
//
// Threads: handlers run on AwsJsonApi's pool, never on the HTTP listener's
// I/O thread. Handlers answering with a blocking engine call (which waits
// for its commit) return on the calling pool thread; StartExecution,
// GetActivityTask and SendTaskSuccess/Failure/Heartbeat use the engine's
// *Async forms and answer from an engine thread, so no pool thread waits
// for a commit or a long poll.
#ifndef SW_SERVER_AWS_JSON_ACTIONS_H_
#define SW_SERVER_AWS_JSON_ACTIONS_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/json.h"
#include "engine/engine.h"
#include "engine/test_state/task_targets.h"

namespace stepwise::storage {
class ShardLeases;
}  // namespace stepwise::storage

namespace stepwise::server {

// What an action handler needs besides its request.
struct AwsActionContext {
  engine::Engine* engine = nullptr;
  // Called with the state machine ARN of each execution started; may be null.
  std::function<void(const std::string&)> on_execution_started;
  // True once the client has hung up (GetActivityTask hands it no task).
  std::function<bool()> client_gone;
  // What TestState calls for a Task without a mock; may be null.
  std::shared_ptr<const engine::TestStateTargets> test_state_targets;
  // This node's shard leases in cluster mode (--cluster-shards), read by
  // Stepwise.DescribeCluster; null otherwise.
  storage::ShardLeases* shard_leases = nullptr;
};

// A successful action's reply body and, for an action that makes a resource
// (CreateStateMachine, CreateActivity, StartExecution), its ARN for the
// audit log.
struct AwsActionResult {
  AwsActionResult(std::string body_in, std::string made_in = "")  // NOLINT: implicit
      : body(std::move(body_in)), made(std::move(made_in)) {}
  std::string body;
  std::string made;
};

// Called exactly once with the action's outcome, from any thread.
using AwsActionDone = std::function<void(absl::StatusOr<AwsActionResult>)>;
using AwsAction = void (*)(const AwsActionContext& ctx, const json::object& request,
                           AwsActionDone done);

// The handler of `action` (e.g. "StartExecution"); null when Stepwise does
// not serve it. Unknown names and names of actions Stepwise does not serve
// yet are told apart by IsUnsupportedAwsAction.
AwsAction FindAwsAction(std::string_view action);

// True for actions in AWS's model that Stepwise does not serve yet.
bool IsUnsupportedAwsAction(std::string_view action);

// SerializationException with `message` (AWS's error for a body or member
// of the wrong JSON shape).
absl::Status AwsSerializationError(std::string_view message);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_ACTIONS_H_
