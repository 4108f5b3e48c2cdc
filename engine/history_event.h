// HistoryEvent: one entry of an execution's history, in AWS's shape (type
// names and details fields exactly as GetExecutionHistory returns them).
// Plain value type; not synchronised.
#ifndef SW_ENGINE_HISTORY_EVENT_H_
#define SW_ENGINE_HISTORY_EVENT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/json.h"

namespace stepwise::engine {

struct HistoryEvent {
  int64_t id = 0;
  int64_t previous_event_id = 0;
  TimeMs timestamp = 0;
  // AWS event type, e.g. "TaskStateEntered".
  std::string type;
  // The details object (fields as AWS names them; payloads as JSON text).
  // Empty for types without details (e.g. ParallelStateStarted).
  json::object details;
};

// A stored event with its details left as JSON text (as the history chunk
// holds them): what WatchExecution streams, without building a tree.
struct RawHistoryEvent {
  int64_t id = 0;
  int64_t previous_event_id = 0;
  TimeMs timestamp = 0;
  std::string type;
  std::string details_json;  // "{}" for types without details
};

// One read of an execution's stored history (Engine::ReadHistoryTail).
struct HistoryTail {
  std::vector<RawHistoryEvent> events;
  bool closed = false;        // the execution had closed, as of the record read
  int64_t last_event_id = 0;  // the record's
};

// Returns the details member name AWS uses for `type`, e.g.
// "stateEnteredEventDetails" for "PassStateEntered", or "" when the type has
// no details member.
std::string DetailsMemberName(std::string_view type);

// Renders `e` as AWS's GetExecutionHistory does: {"id", "previousEventId",
// "timestamp" (epoch seconds, fractional), "type", "<member>": {...}}.
json::object ToAwsJson(const HistoryEvent& e);
// The same for a raw event (its details text is parsed; an unparsable one
// gives an empty details object).
json::object ToAwsJson(const RawHistoryEvent& e);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_HISTORY_EVENT_H_
