// The lines AWS writes to CloudWatch Logs for an Express execution, made
// from its history (GetExecutionHistory's shape): one JSON object per
// event kept by the level,
//   {"id":"4","type":"ExecutionSucceeded","details":{...},
//    "previous_event_id":"3","event_timestamp":"1700000000123",
//    "execution_arn":"arn:aws:states:...:express:...","redrive_count":"0"}
// with ids and the timestamp (epoch ms) as strings, `details` the event's
// *EventDetails object (absent for types without one), and, when
// includeExecutionData is false, no input, inputDetails, output or
// outputDetails in it. Levels (AWS's "Log levels" page): ALL every event,
// ERROR the error events (ErrorEventTypes), FATAL ExecutionFailed,
// ExecutionAborted and ExecutionTimedOut, OFF none. Pure functions; any
// thread.
#ifndef SW_SERVER_EXPRESS_LOG_CLOUDWATCH_LOG_EVENTS_H_
#define SW_SERVER_EXPRESS_LOG_CLOUDWATCH_LOG_EVENTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "engine/api_types.h"
#include "engine/express_history_sink.h"

namespace stepwise::server::express_log {

// True when an event of `type` is logged at `level` (ALL|ERROR|FATAL|OFF).
bool LoggedAtLevel(std::string_view level, std::string_view type);

// One history event (GetExecutionHistory's shape) as AWS logs it.
json::object CloudWatchLogEvent(const json::object& history_event,
                                const std::string& execution_arn, bool include_execution_data);

// The serialised lines (no newline) of `closed` under `logging`, in event
// order; none when the level is OFF.
std::vector<std::string> ExpressLogLines(const engine::ClosedExpressExecution& closed,
                                         const engine::LoggingConfiguration& logging);

}  // namespace stepwise::server::express_log

#endif  // SW_SERVER_EXPRESS_LOG_CLOUDWATCH_LOG_EVENTS_H_
