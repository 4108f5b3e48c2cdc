#include "engine/history_event.h"

#include <string>

#include "absl/status/statusor.h"
#include "common/strings.h"

namespace stepwise::engine {

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

std::string LowerFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

}  // namespace

std::string DetailsMemberName(std::string_view type) {
  if (EndsWith(type, "StateEntered")) return "stateEnteredEventDetails";
  if (EndsWith(type, "StateExited")) return "stateExitedEventDetails";
  static constexpr std::string_view kNoDetails[] = {
      "TaskStateAborted",       "WaitStateAborted",     "ParallelStateAborted",
      "MapStateAborted",        "ParallelStateStarted", "ParallelStateSucceeded",
      "ParallelStateFailed",    "MapStateSucceeded",    "MapStateFailed",
      "LambdaFunctionStarted",  "MapRunSucceeded",      "MapRunAborted"};
  for (std::string_view t : kNoDetails) {
    if (type == t) return "";
  }
  return LowerFirst(type) + "EventDetails";
}

json::object ToAwsJson(const HistoryEvent& e) {
  json::object o;
  o["timestamp"] = static_cast<double>(e.timestamp) / 1000.0;
  o["type"] = e.type;
  o["id"] = e.id;
  o["previousEventId"] = e.previous_event_id;
  std::string member = DetailsMemberName(e.type);
  if (!member.empty()) o[member] = e.details;
  return o;
}

json::object ToAwsJson(const RawHistoryEvent& e) {
  json::object o;
  o["timestamp"] = static_cast<double>(e.timestamp) / 1000.0;
  o["type"] = e.type;
  o["id"] = e.id;
  o["previousEventId"] = e.previous_event_id;
  std::string member = DetailsMemberName(e.type);
  if (!member.empty()) {
    absl::StatusOr<json::value> details = ParseJson(ToAbsl(e.details_json));
    o[member] = details.ok() && details->is_object() ? std::move(details->get_object())
                                                      : json::object();
  }
  return o;
}

}  // namespace stepwise::engine
