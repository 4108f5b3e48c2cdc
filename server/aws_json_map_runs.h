// The AWS JSON 1.0 actions on the Map Runs of Distributed Maps
// (DescribeMapRun, ListMapRuns, UpdateMapRun): AWS's request members in,
// the engine's answer (engine/map_runs.cc) out in AWS's shape.
// FindAwsAction (server/aws_json_actions.cc) asks FindMapRunAwsAction for
// these names; ListExecutions(mapRunArn) stays in aws_json_actions.cc.
// Handlers run on AwsJsonApi's pool (blocking engine calls).
#ifndef SW_SERVER_AWS_JSON_MAP_RUNS_H_
#define SW_SERVER_AWS_JSON_MAP_RUNS_H_

#include <string_view>

#include "common/json.h"
#include "engine/api_types.h"
#include "server/aws_json_actions.h"

namespace stepwise::server {

// The handler of a Map Run action, null for any other name.
AwsAction FindMapRunAwsAction(std::string_view action);

// DescribeMapRun's itemCounts / executionCounts object (also the console's
// Map Run page). Pure; any thread.
json::object MapRunCountsJson(const engine::MapRunCounts& c);

}  // namespace stepwise::server

#endif  // SW_SERVER_AWS_JSON_MAP_RUNS_H_
