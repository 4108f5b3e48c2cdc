// The search index entries written with an execution's visibility row, in
// the same Transition (engine/step.cc): the values of the machine's indexed
// fields at this commit, and the writes that make the index hold exactly
// them (stale entries deleted, new ones put, the all-machines time entry).
// Key layout: storage/keys.h (IndexedFieldKey, StartTimeIndexKey). Runs on
// the execution's shard thread; pure functions.
#ifndef SW_ENGINE_SEARCH_INDEX_WRITES_H_
#define SW_ENGINE_SEARCH_INDEX_WRITES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "engine/interpreter.h"
#include "engine/search/indexed_fields.h"
#include "storage/transition.h"

namespace stepwise::engine {

// The values of `fields` (null: none declared) for execution state `st` at
// this commit: INPUT from its input; OUTPUT once closed (parsed once);
// VARIABLES from the root scope while running, or `closing_variables` when
// it closed in this commit. A source not known at this commit keeps the
// values in `previous`.
std::map<std::string, std::string> IndexedValuesAt(
    const CompiledIndexedFields* fields, const ExecutionState& st,
    const std::optional<json::object>& closing_variables,
    const std::map<std::string, std::string>& previous);

// Appends the writes taking an execution's entries from `previous` to
// `current`, and its time index entry.
void AppendIndexWrites(const std::string& machine_arn, int64_t start_ms,
                       const std::string& execution_id,
                       const std::map<std::string, std::string>& previous,
                       const std::map<std::string, std::string>& current,
                       std::vector<storage::Write>* writes);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_SEARCH_INDEX_WRITES_H_
