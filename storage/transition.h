// Transition: everything one engine step writes, committed all or nothing
// by Store::Commit. Plain value type; not synchronised.
#ifndef SW_STORAGE_TRANSITION_H_
#define SW_STORAGE_TRANSITION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stepwise::storage {

// The store's tables (RocksDB column families).
enum class Table {
  kMachines,     // state machine name → record (with revisions)
  kActivities,   // activity name → record
  kExecutions,   // execution id → version + record (with interpreter state)
  kHistory,      // (execution id, first event id) → chunk of events
  kVisibility,   // (machine, start time desc, execution id) → summary row
  kTasks,        // (activity, execution id, task id) → input of a task not yet handed out
  kTimers,       // (due time, execution id, timer id) → "" (an armed timer)
  kMeta,         // schema version, token key, ...
};

// A key/value write or delete in one table.
struct Write {
  Table table = Table::kMeta;
  std::string key;
  std::optional<std::string> value;  // nullopt: delete `key`
};

struct Transition {
  std::string execution_id;
  // Version the stored execution must have (0: it must not exist yet).
  int64_t expected_version = 0;
  // Version written with the new record (normally expected_version + 1).
  int64_t new_version = 1;
  // The new execution record (replaces the old one).
  std::string execution_record;
  // History appended by this step: events first..last, encoded as one
  // chunk. first_event_id == 0 means no history this step.
  int64_t first_event_id = 0;
  int64_t last_event_id = 0;
  std::string history_chunk;
  // Other writes made atomically with this step: tasks, timers,
  // visibility (only kTasks, kTimers, kVisibility, kMachines, kActivities).
  std::vector<Write> writes;
};

}  // namespace stepwise::storage

#endif  // SW_STORAGE_TRANSITION_H_
