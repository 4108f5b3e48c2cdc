// ExpressHistorySink: where the history of an Express execution goes.
// Express executions keep no history table (DESIGN.md, "Express
// executions"): when one closes, the engine hands its whole history to the
// sink once, then forgets the execution. The implementation
// (server/express_log/) writes it as its state machine's
// loggingConfiguration says (CloudWatch Logs event shapes, a JSON-lines file
// per log group, stdout) and keeps recent ones for the console.
// Threads: WantsEvents and Closed are called on the execution's shard
// thread; they must not block (queue the work and write on a thread of its
// own). The sink outlives
// the engine's shards (stop it after Engine::Shutdown).
#ifndef SW_ENGINE_EXPRESS_HISTORY_SINK_H_
#define SW_ENGINE_EXPRESS_HISTORY_SINK_H_

#include <string>
#include <vector>

#include "common/json.h"
#include "engine/api_types.h"

namespace stepwise::engine {

// One closed Express execution.
struct ClosedExpressExecution {
  // As DescribeExecution would give it (status, dates, input, output,
  // error, cause; state_machine_arn names the machine whose logging
  // configuration applies).
  ExecutionDescription execution;
  // Every event, in order, in GetExecutionHistory's AWS shape (id,
  // previousEventId, timestamp, type, *EventDetails with input/output
  // included).
  std::vector<json::object> events;
};

class ExpressHistorySink {
 public:
  virtual ~ExpressHistorySink() = default;
  // Whether an execution of `state_machine_arn` closing now needs its
  // events: when not (its machine's logging level is OFF), the engine
  // hands Closed() the execution with `events` empty and skips reading and
  // shaping its history (most of an Express execution's CPU otherwise).
  virtual bool WantsEvents(const std::string& state_machine_arn) {
    (void)state_machine_arn;
    return true;
  }
  virtual void Closed(ClosedExpressExecution closed) = 0;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_EXPRESS_HISTORY_SINK_H_
