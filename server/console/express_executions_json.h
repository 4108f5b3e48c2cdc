// The console's `express` endpoint: recent closed Express executions, kept
// in memory by the express log writer (server/express_log/). Express
// executions keep no history in the store, so this is all the console can
// show of them. Pure functions over a snapshot; any thread.
#ifndef SW_SERVER_CONSOLE_EXPRESS_EXECUTIONS_JSON_H_
#define SW_SERVER_CONSOLE_EXPRESS_EXECUTIONS_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "server/express_log/recent_express_executions.h"

namespace stepwise::server::console {

// `machine` set: {"executions": [{executionArn, name, status, startDate,
// stopDate (epoch ms), error, cause, loggingLevel, loggedEvents}], newest
// first}. `arn` set: that execution with "events": its log lines as
// objects (only the events its machine's level kept), ResourceNotFound
// once it has left the ring. `recent` may be null (no writer): an empty
// list.
absl::StatusOr<json::value> ExpressExecutionsJson(
    const express_log::RecentExpressExecutions* recent, const std::string& machine,
    const std::string& arn);

}  // namespace stepwise::server::console

#endif  // SW_SERVER_CONSOLE_EXPRESS_EXECUTIONS_JSON_H_
