// The search index entries of one visibility row write (see
// index_writes.h). Shard thread; pure functions.
#include "engine/search/index_writes.h"

#include "storage/keys.h"

namespace stepwise::engine {

std::map<std::string, std::string> IndexedValuesAt(
    const CompiledIndexedFields* fields, const ExecutionState& st,
    const std::optional<json::object>& closing_variables,
    const std::map<std::string, std::string>& previous) {
  if (fields == nullptr || fields->empty()) return {};
  IndexSources src;
  src.input = &st.execution_input;
  std::optional<json::value> output;
  if (st.status != ExecutionStatus::kRunning) {
    src.output_known = true;
    if (st.output.has_value() && fields->reads_output()) {
      if (auto parsed = ParseJson(*st.output); parsed.ok()) output = std::move(*parsed);
    }
    if (output.has_value()) src.output = &*output;
  }
  json::value variables;
  if (closing_variables.has_value()) {
    variables = *closing_variables;
    src.variables = &variables;
  } else if (st.status == ExecutionStatus::kRunning) {
    for (const auto& [id, f] : st.frames) {
      if (f.parent < 0) {
        variables = f.variables;
        src.variables = &variables;
        break;
      }
    }
  }
  return fields->Evaluate(src, previous);
}

void AppendIndexWrites(const std::string& machine_arn, int64_t start_ms,
                       const std::string& execution_id,
                       const std::map<std::string, std::string>& previous,
                       const std::map<std::string, std::string>& current,
                       std::vector<storage::Write>* writes) {
  for (const auto& [name, value] : previous) {
    auto it = current.find(name);
    if (it != current.end() && it->second == value) continue;
    writes->push_back({storage::Table::kVisibility,
                       storage::IndexedFieldKey(name, value, start_ms, execution_id),
                       std::nullopt});
  }
  for (const auto& [name, value] : current) {
    auto it = previous.find(name);
    if (it != previous.end() && it->second == value) continue;
    writes->push_back({storage::Table::kVisibility,
                       storage::IndexedFieldKey(name, value, start_ms, execution_id),
                       machine_arn});
  }
  writes->push_back({storage::Table::kVisibility,
                     storage::StartTimeIndexKey(start_ms, execution_id), machine_arn});
}

}  // namespace stepwise::engine
