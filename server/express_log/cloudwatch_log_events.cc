// Express executions' history as CloudWatch Logs lines (see
// cloudwatch_log_events.h). Pure; any thread.
#include "server/express_log/cloudwatch_log_events.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace stepwise::server::express_log {

namespace {

// The events AWS logs at level ERROR (FATAL's three are among them).
constexpr std::array<std::string_view, 22> kErrorEventTypes = {
    "ExecutionAborted",   "ExecutionFailed",
    "ExecutionTimedOut",  "FailStateEntered",
    "LambdaFunctionFailed", "LambdaFunctionScheduleFailed",
    "LambdaFunctionStartFailed", "LambdaFunctionTimedOut",
    "MapStateAborted",    "MapStateFailed",
    "MapIterationAborted", "MapIterationFailed",
    "MapRunAborted",      "MapRunFailed",
    "ParallelStateAborted", "ParallelStateFailed",
    "TaskFailed",         "TaskStartFailed",
    "TaskStateAborted",   "TaskSubmitFailed",
    "TaskTimedOut",       "WaitStateAborted",
};

constexpr std::array<std::string_view, 3> kFatalEventTypes = {
    "ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"};

// The execution data AWS leaves out when includeExecutionData is false.
constexpr std::array<std::string_view, 4> kExecutionDataMembers = {
    "input", "inputDetails", "output", "outputDetails"};

template <size_t N>
bool In(const std::array<std::string_view, N>& set, std::string_view type) {
  for (std::string_view t : set) {
    if (t == type) return true;
  }
  return false;
}

// An integer member rendered as AWS's logs write it (a decimal string).
std::string IntText(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return "0";
  const json::value& v = it->value();
  if (v.is_int64()) return absl::StrCat(v.get_int64());
  if (v.is_uint64()) return absl::StrCat(v.get_uint64());
  if (v.is_double()) return absl::StrCat(static_cast<int64_t>(v.get_double()));
  if (v.is_string()) return std::string(v.get_string());
  return "0";
}

// GetExecutionHistory's timestamp (epoch seconds, fractional) in epoch ms.
std::string TimestampMs(const json::object& o) {
  auto it = o.find("timestamp");
  if (it == o.end()) return "0";
  const json::value& v = it->value();
  if (v.is_double()) return absl::StrCat(std::llround(v.get_double() * 1000.0));
  if (v.is_int64()) return absl::StrCat(v.get_int64() * 1000);
  if (v.is_uint64()) return absl::StrCat(v.get_uint64() * 1000);
  return "0";
}

}  // namespace

bool LoggedAtLevel(std::string_view level, std::string_view type) {
  if (level == "ALL") return true;
  if (level == "ERROR") return In(kErrorEventTypes, type);
  if (level == "FATAL") return In(kFatalEventTypes, type);
  return false;
}

json::object CloudWatchLogEvent(const json::object& history_event,
                                const std::string& execution_arn, bool include_execution_data) {
  json::object out;
  out["id"] = IntText(history_event, "id");
  auto type = history_event.find("type");
  out["type"] = type != history_event.end() && type->value().is_string()
                    ? json::string(type->value().get_string())
                    : json::string();
  for (const auto& member : history_event) {
    std::string_view key(member.key().data(), member.key().size());
    constexpr std::string_view kSuffix = "EventDetails";
    bool details_member = key.size() > kSuffix.size() &&
                          key.substr(key.size() - kSuffix.size()) == kSuffix;
    if (!details_member || !member.value().is_object()) continue;
    json::object details = member.value().get_object();
    if (!include_execution_data) {
      for (std::string_view k : kExecutionDataMembers) details.erase(k);
    }
    out["details"] = std::move(details);
    break;
  }
  out["previous_event_id"] = IntText(history_event, "previousEventId");
  out["event_timestamp"] = TimestampMs(history_event);
  out["execution_arn"] = execution_arn;
  out["redrive_count"] = "0";
  return out;
}

std::vector<std::string> ExpressLogLines(const engine::ClosedExpressExecution& closed,
                                         const engine::LoggingConfiguration& logging) {
  std::vector<std::string> lines;
  if (logging.level == "OFF") return lines;
  for (const json::object& e : closed.events) {
    auto type = e.find("type");
    if (type == e.end() || !type->value().is_string()) continue;
    if (!LoggedAtLevel(logging.level, type->value().get_string())) continue;
    lines.push_back(SerializeJson(json::value(CloudWatchLogEvent(
        e, closed.execution.execution_arn, logging.include_execution_data))));
  }
  return lines;
}

}  // namespace stepwise::server::express_log
