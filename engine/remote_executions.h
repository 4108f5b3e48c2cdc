// RemoteExecutions: how the engine acts on an execution whose cluster shard
// another node holds, for work the engine itself starts there: a parent's
// child executions (engine/dispatch/child_execution_dispatcher.h) and a Map
// Run's children (engine/map_run/), whose ARNs hash to any shard. The
// server implements it over its cluster router, as the public
// StartExecution, StopExecution and RedriveExecution calls forwarded to the
// owner (server/cluster_execution_calls.h); unit tests give fakes.
// The engine retries a kUnavailable answer (engine/remote_children.h):
// every call must be safe to repeat, which these are (a start is named, a
// repeated one answers ExecutionAlreadyExists and is adopted).
//
// Threads: any thread may call; calls never block; `done` runs once, on any
// thread.
#ifndef SW_ENGINE_REMOTE_EXECUTIONS_H_
#define SW_ENGINE_REMOTE_EXECUTIONS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "engine/api_types.h"

namespace stepwise::engine {

class RemoteExecutions {
 public:
  virtual ~RemoteExecutions() = default;
  virtual void Start(const std::string& machine_arn, const std::string& name,
                     const std::string& input,
                     std::function<void(absl::StatusOr<StartExecutionResult>)> done) = 0;
  virtual void Stop(const std::string& arn, const std::string& error, const std::string& cause,
                    std::function<void(absl::StatusOr<TimeMs>)> done) = 0;
  virtual void Redrive(const std::string& arn, const std::string& client_token,
                       std::function<void(absl::StatusOr<TimeMs>)> done) = 0;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_REMOTE_EXECUTIONS_H_
