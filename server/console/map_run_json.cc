// The console's Map Run page data (map_run_json.h). Any pool thread.
#include "server/console/map_run_json.h"

#include <array>
#include <string_view>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/service_error.h"
#include "server/aws_json_map_runs.h"

namespace stepwise::server::console {

namespace {

// The order the page lists children in: the ones that need a look first.
constexpr std::array<std::string_view, 5> kStatusOrder = {"FAILED", "TIMED_OUT", "ABORTED",
                                                          "RUNNING", "SUCCEEDED"};

absl::Status BadCursor() {
  return engine::ServiceError("ValidationException",
                              "query parameter 'cursor' is not a cursor this server returned");
}

json::object ChildJson(const engine::ExecutionDescription& d) {
  json::object o;
  o["executionArn"] = d.execution_arn;
  o["name"] = d.name;
  o["status"] = d.status;
  o["startDate"] = d.start_date;
  if (d.stop_date != 0) o["stopDate"] = d.stop_date;
  if (d.item_count) o["itemCount"] = *d.item_count;
  // An Express child has no history to follow: the page shows what
  // DescribeExecution gives.
  o["express"] = d.execution_arn.find(":express:") != std::string::npos;
  return o;
}

}  // namespace

absl::StatusOr<json::object> MapRunJson(engine::Engine* engine, const std::string& arn) {
  SW_ASSIGN_OR_RETURN(engine::MapRunDescription d, engine->DescribeMapRun(arn));
  json::object o;
  o["mapRunArn"] = d.map_run_arn;
  o["executionArn"] = d.execution_arn;
  o["stateMachineArn"] = d.state_machine_arn;
  o["status"] = d.status;
  o["startDate"] = d.start_date;
  if (d.stop_date != 0) o["stopDate"] = d.stop_date;
  o["maxConcurrency"] = d.max_concurrency;
  o["toleratedFailurePercentage"] = d.tolerated_failure_percentage;
  o["toleratedFailureCount"] = d.tolerated_failure_count;
  o["itemCounts"] = MapRunCountsJson(d.items);
  o["executionCounts"] = MapRunCountsJson(d.executions);
  return o;
}

absl::StatusOr<json::object> MapRunChildrenJson(engine::Engine* engine, const std::string& arn,
                                                const std::string& cursor, int64_t limit) {
  if (limit < 1 || limit > 1000) {
    return engine::ServiceError("ValidationException",
                                "query parameter 'limit' must be between 1 and 1000");
  }
  size_t phase = 0;
  std::string token;
  if (!cursor.empty()) {
    size_t colon = cursor.find(':');
    if (colon == std::string::npos || !absl::SimpleAtoi(cursor.substr(0, colon), &phase) ||
        phase >= kStatusOrder.size()) {
      return BadCursor();
    }
    token = cursor.substr(colon + 1);
  }
  json::array rows;
  std::string next;
  while (phase < kStatusOrder.size()) {
    int want = static_cast<int>(limit - static_cast<int64_t>(rows.size()));
    absl::StatusOr<engine::ExecutionList> page = engine->ListMapRunExecutions(
        arn, std::string(kStatusOrder[phase]), want, token, "");
    if (!page.ok()) {
      if (!token.empty() && engine::ServiceErrorName(page.status()) == "InvalidToken") {
        return BadCursor();
      }
      return page.status();
    }
    for (const engine::ExecutionDescription& d : page->executions) rows.push_back(ChildJson(d));
    if (!page->next_token.empty()) {
      token = page->next_token;
    } else {
      ++phase;
      token.clear();
    }
    if (static_cast<int64_t>(rows.size()) == limit) {
      // The next page starts at the first child left, if any (a page token
      // may lead to nothing of its status): no cursor to an empty page.
      while (phase < kStatusOrder.size()) {
        SW_ASSIGN_OR_RETURN(engine::ExecutionList probe,
                            engine->ListMapRunExecutions(arn, std::string(kStatusOrder[phase]),
                                                         1, token, ""));
        if (!probe.executions.empty()) break;
        ++phase;
        token.clear();
      }
      if (phase < kStatusOrder.size()) next = absl::StrCat(phase, ":", token);
      break;
    }
  }
  json::object o;
  o["executions"] = std::move(rows);
  if (!next.empty()) o["cursor"] = next;
  return o;
}

}  // namespace stepwise::server::console
