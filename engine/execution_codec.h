// Encoding of what the engine stores per execution: the interpreter's
// ExecutionState (so recovery continues without replay) and history chunks
// (the events one commit appended). Both are compact JSON text. Pure
// functions; thread-safe.
#ifndef SW_ENGINE_EXECUTION_CODEC_H_
#define SW_ENGINE_EXECUTION_CODEC_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/json.h"
#include "asl/definition.h"
#include "engine/history_event.h"
#include "engine/interpreter.h"

namespace stepwise::engine {

// Encodes `state` completely (frames, fan-outs, variables, counters).
json::object EncodeExecutionState(const ExecutionState& state);
// Appends SerializeJson(EncodeExecutionState(state)) to `out`, byte for
// byte, written directly (what the engine stores on every commit).
void AppendExecutionStateJson(const ExecutionState& state, std::string& out);

// Decodes what EncodeExecutionState wrote, resolving each frame's scope in
// `machine` (the revision the execution runs). kDataLoss when the value is
// malformed or does not fit the definition.
absl::StatusOr<ExecutionState> DecodeExecutionState(const json::value& v,
                                                    const asl::StateMachine& machine);

// What DescribeExecution reads of an encoded state, without decoding it
// against its machine. kDataLoss when malformed.
struct ExecutionStateSummary {
  std::string execution_name;
  ExecutionStatus status = ExecutionStatus::kRunning;
  std::optional<std::string> output;
  std::string error;
  std::string cause;
  int64_t redrive_count = 0;
  TimeMs redrive_date = 0;     // 0: never redriven
  bool redrive_point = false;  // closed unsuccessfully, with a place to resume
  int64_t last_event_id = 0;
  bool express = false;
  TimeMs start_time = 0;
};
absl::StatusOr<ExecutionStateSummary> SummarizeExecutionState(const json::value& v);

// Encodes a run of events as one history chunk.
std::string EncodeHistoryChunk(const std::vector<HistoryEvent>& events);
// Decodes a chunk; kDataLoss when malformed.
absl::StatusOr<std::vector<HistoryEvent>> DecodeHistoryChunk(std::string_view text);
// Decodes a chunk without parsing the details: each event's details object
// is returned as its text (a scan, no JSON tree). kDataLoss when malformed.
// Appends to `out`; events with id <= `after_id` are skipped.
absl::Status DecodeHistoryChunkRaw(std::string_view text, int64_t after_id,
                                   std::vector<RawHistoryEvent>* out);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_EXECUTION_CODEC_H_
