// The console's Map Run page data (issue 19): `maprun?arn=` (DescribeMapRun:
// status, settings, item and execution counts by status) and
// `maprunchildren?arn=&cursor=&limit=` (the run's child executions, paged,
// the failed, timed-out and aborted ones first, then the running and the
// succeeded ones). Both read through the engine (DescribeMapRun,
// ListExecutions by mapRunArn); blocking: call from the console's pool.
#ifndef SW_SERVER_CONSOLE_MAP_RUN_JSON_H_
#define SW_SERVER_CONSOLE_MAP_RUN_JSON_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "engine/engine.h"

namespace stepwise::server::console {

// {mapRunArn, executionArn, stateMachineArn, status, startDate, stopDate
// (epoch ms), maxConcurrency, toleratedFailurePercentage,
// toleratedFailureCount, itemCounts, executionCounts (DescribeMapRun's)}.
absl::StatusOr<json::object> MapRunJson(engine::Engine* engine, const std::string& arn);

// {"executions": [{executionArn, name, status, startDate, stopDate,
// itemCount, express}], "cursor"} with at most `limit` (1..1000) rows;
// `cursor` is "" for the first page, else one this returned ("<status
// index>:<ListExecutions token>"); no "cursor" once the last page is given.
// ValidationException naming the parameter for a bad limit or cursor.
absl::StatusOr<json::object> MapRunChildrenJson(engine::Engine* engine, const std::string& arn,
                                                const std::string& cursor, int64_t limit);

}  // namespace stepwise::server::console

#endif  // SW_SERVER_CONSOLE_MAP_RUN_JSON_H_
