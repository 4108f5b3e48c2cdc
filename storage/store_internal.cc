#include "storage/store_internal.h"

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/check.h"
#include "common/status_macros.h"
#include "storage/keys.h"

namespace stepwise::storage::internal {

const char* TableName(Table table) {
  switch (table) {
    case Table::kMachines:
      return "machines";
    case Table::kActivities:
      return "activities";
    case Table::kExecutions:
      return "executions";
    case Table::kHistory:
      return "history";
    case Table::kVisibility:
      return "visibility";
    case Table::kTasks:
      return "tasks";
    case Table::kTimers:
      return "timers";
    case Table::kMeta:
      return "meta";
  }
  return "unknown";
}

int TableIndex(Table table) {
  int i = static_cast<int>(table);
  SW_CHECK(i >= 0 && i < kTableCount);
  return i;
}

absl::Status ValidateTransition(const Transition& t) {
  if (t.execution_id.empty()) {
    return absl::InvalidArgumentError("transition has an empty execution id");
  }
  if (t.expected_version < 0 || t.new_version <= t.expected_version) {
    return absl::InvalidArgumentError(
        absl::StrCat("transition of execution ", t.execution_id,
                     ": new version ", t.new_version,
                     " does not follow expected version ", t.expected_version));
  }
  if (t.first_event_id < 0 ||
      (t.first_event_id > 0 && t.last_event_id < t.first_event_id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "transition of execution ", t.execution_id, ": bad event range ",
        t.first_event_id, "..", t.last_event_id));
  }
  for (const Write& w : t.writes) {
    if (w.table == Table::kExecutions || w.table == Table::kHistory ||
        w.table == Table::kMeta) {
      return absl::InvalidArgumentError(
          absl::StrCat("transition of execution ", t.execution_id,
                       " may not write to table ", TableName(w.table)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<BatchPlan> PlanBatch(absl::Span<const Transition* const> batch,
                                    const VersionLookup& lookup) {
  BatchPlan plan;
  plan.statuses.reserve(batch.size());
  // Current version of each execution seen so far, as of this point in the
  // batch (stored, or chained from an earlier transition of the batch), or
  // the status of a failed lookup.
  std::unordered_map<std::string, absl::StatusOr<int64_t>> current;
  std::unordered_map<std::string, size_t> changed;  // id -> index in plan
  for (const Transition* t : batch) {
    SW_CHECK(t != nullptr);
    absl::Status valid = ValidateTransition(*t);
    if (!valid.ok()) {
      plan.statuses.push_back(std::move(valid));
      continue;
    }
    auto it = current.find(t->execution_id);
    if (it == current.end()) {
      absl::StatusOr<int64_t> stored = lookup(t->execution_id);
      if (!stored.ok() && !absl::IsDataLoss(stored.status())) {
        return stored.status();
      }
      it = current.emplace(t->execution_id, std::move(stored)).first;
    }
    if (!it->second.ok()) {
      plan.statuses.push_back(it->second.status());
      continue;
    }
    if (*it->second != t->expected_version) {
      plan.statuses.push_back(absl::AbortedError(absl::StrCat(
          "execution ", t->execution_id, " is at version ", *it->second,
          ", not the expected ", t->expected_version)));
      continue;
    }
    it->second = t->new_version;
    auto [c, inserted] =
        changed.emplace(t->execution_id, plan.new_versions.size());
    if (inserted) {
      plan.new_versions.emplace_back(t->execution_id, t->new_version);
    } else {
      plan.new_versions[c->second].second = t->new_version;
    }
    plan.statuses.push_back(absl::OkStatus());
  }
  return plan;
}

void AppendTransitionWrites(const Transition& t, std::vector<Write>* out) {
  out->push_back(
      Write{Table::kExecutions, t.execution_id,
            EncodeExecutionValue(t.new_version, t.execution_record)});
  if (t.first_event_id > 0) {
    out->push_back(Write{Table::kHistory,
                         HistoryKey(t.execution_id, t.first_event_id),
                         EncodeHistoryValue(t.last_event_id, t.history_chunk)});
  }
  out->insert(out->end(), t.writes.begin(), t.writes.end());
}

absl::Status CheckSchemaVersionOnOpen(Store& store, absl::string_view where) {
  SW_ASSIGN_OR_RETURN(std::optional<std::string> schema, store.Get(Table::kMeta, kSchemaVersionKey));
  int64_t version = 0;
  if (schema.has_value() && !absl::SimpleAtoi(*schema, &version)) {
    return absl::DataLossError(absl::StrCat(where, ": schema version \"", EscapeKey(*schema),
                                            "\" is unreadable"));
  }
  if (schema.has_value() && version == kSchemaVersion) return absl::OkStatus();
  if (schema.has_value() && (version > kSchemaVersion || version < kOldestReadableSchemaVersion)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store schema version ", version, " is not supported by this server (it reads ",
        kOldestReadableSchemaVersion, " to ", kSchemaVersion, ")"));
  }
  return store.Put(Table::kMeta, kSchemaVersionKey, absl::StrCat(kSchemaVersion));
}

ScanRange ComputeScanRange(const ScanOptions& opts) {
  ScanRange r;
  r.lower = opts.prefix;
  r.upper = PrefixSuccessor(opts.prefix);
  if (!opts.start_after.empty()) {
    if (!opts.reverse) {
      if (opts.start_after >= r.lower) {
        r.lower = opts.start_after;
        r.lower_exclusive = true;
      }
    } else if (!r.upper.has_value() || opts.start_after < *r.upper) {
      r.upper = opts.start_after;
    }
  }
  if (r.upper.has_value() && (*r.upper < r.lower || (*r.upper == r.lower))) {
    r.empty = true;
  }
  return r;
}

bool InRange(const ScanRange& range, absl::string_view key) {
  if (range.empty) return false;
  absl::string_view lower(range.lower);
  if (key < lower || (range.lower_exclusive && key == lower)) return false;
  if (range.upper.has_value() && key >= absl::string_view(*range.upper)) {
    return false;
  }
  return true;
}

}  // namespace stepwise::storage::internal
