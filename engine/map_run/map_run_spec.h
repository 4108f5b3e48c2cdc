// MapRunSpec: what a Distributed Map's Map Run needs, as the interpreter
// puts it in the input of its kMapRunResource task
// (engine/interpreter/map_run_request.cc) and the MapRunDispatcher keeps in
// the run's task row: the run's ARN, the parent, the hidden child machine
// (MACHINE/LABEL) and its definition, MaxConcurrency, the tolerances and the
// items (after ItemsPath/Items and ItemSelector). Pure: any thread.
#ifndef SW_ENGINE_MAP_RUN_MAP_RUN_SPEC_H_
#define SW_ENGINE_MAP_RUN_MAP_RUN_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/json.h"
#include "engine/map_run/map_run_record.h"

namespace stepwise::engine {

struct MapRunSpec {
  std::string map_run_arn;    // arn:aws:states:R:A:mapRun:MACHINE/LABEL:UUID
  std::string execution_arn;  // the parent
  std::string child_machine;  // MACHINE/LABEL
  std::string definition;     // the processor as a machine definition (JSON text)
  std::string execution_type;  // STANDARD | EXPRESS (as the Map asks)
  int64_t max_concurrency = 0;  // 0: the server's default cap
  std::optional<int64_t> tolerated_failure_count;
  std::optional<double> tolerated_failure_percentage;
  json::array items;  // each item, after ItemSelector (no ItemReader)
  // Null when absent (map_run_items.h reads them):
  // {"config": ItemReader, "arguments": its evaluated Parameters/Arguments}
  json::value reader;
  // {"template": ItemSelector, "jsonata": bool, "input": $ / $states.input,
  //  "context": $$ without Map.Item, "variables": {…}}, for reader items
  json::value selector;
  // {"config": ItemBatcher, "batchInput": BatchInput evaluated}
  json::value batcher;
  // {"config": ResultWriter, "arguments": its evaluated Parameters/Arguments}
  json::value writer;
  // A redrive of the run (its parent's redrive): which one (1, 2, …; 0: the
  // first run) and when the parent was redriven. A child that ended
  // unsuccessfully before that date is redriven (STANDARD) or started
  // again (EXPRESS); one that succeeded is kept.
  int64_t redrive_count = 0;
  TimeMs redrive_date = 0;

  // The id part of the ARN (after its last ':').
  std::string RunId() const;
  // The deterministic name of item `index`'s child.
  std::string ChildName(size_t index) const;
  // The run's record as first written (RUNNING, no counts yet) for the
  // parent `parent`'s Map Run task `task_id`.
  MapRunRecord FirstRecord(const std::string& parent, int64_t task_id) const;
};

// Reads the task input the interpreter wrote; kInvalidArgument naming the
// member that is missing or of the wrong type.
absl::StatusOr<MapRunSpec> DecodeMapRunSpec(const json::value& v);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_MAP_RUN_MAP_RUN_SPEC_H_
