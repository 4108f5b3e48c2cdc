// Binary-ordered key encoding for the store's tables, and the framing of the
// values the store itself interprets (execution versions, history chunk
// bounds). Keys built here sort, as raw bytes (memcmp order, which is what
// RocksDB's default comparator and std::map<std::string> use), in the order
// the engine wants to scan them:
//
//   executions  execution id (raw bytes)
//   history     Str(execution id) . Int(first event id)
//   visibility  Str(machine) . ~Int(start time ms) . Str(execution id)
//               and, in the same table, the search index (engine/search/):
//               0x01 . Str(field) . Str(value) . ~Int(start ms) . Str(id)
//               0x02 . ~Int(start ms) . Str(id)
//               (a machine ARN starts with "arn:", so no visibility key of
//               a machine starts with 0x01 or 0x02)
//   tasks       Str(activity) . Str(execution id) . Int(task id)
//   timers      Int(due ms) . Str(execution id) . Str(timer id as decimal text)
//
// Int(x) is 8 bytes big-endian of x with the sign bit flipped, so signed
// values order correctly (for the non-negative ids and times we store it is
// plain big-endian with the top bit set). ~Int(x) is its bitwise complement
// (descending order). Str(s) is s with each 0x00 byte written as 0x00 0xFF,
// then the terminator 0x00 0x01: it preserves the order of strings, and the
// encoding of one string is never a prefix of another string's, so
// HistoryPrefix("a") does not match the keys of execution "ab".
//
// Pure functions; thread-safe. Decoders return kDataLoss naming the key
// (hex-escaped) when the bytes are malformed.
#ifndef SW_STORAGE_KEYS_H_
#define SW_STORAGE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace stepwise::storage {

// --- Fixed-width integers ----------------------------------------------

// Appends `v` as 8 bytes big-endian.
void AppendUint64(std::string* out, uint64_t v);
// Appends `v` as 8 bytes big-endian with the sign bit flipped, so that the
// byte order of encodings equals the numeric order of int64 values.
void AppendOrderedInt64(std::string* out, int64_t v);
// Appends the complement of AppendOrderedInt64(v): byte order is descending.
void AppendDescendingInt64(std::string* out, int64_t v);

// Reads 8 bytes big-endian at the front of `*in` and advances past them.
// Returns nullopt (and leaves `*in` unchanged) if fewer than 8 bytes remain.
std::optional<uint64_t> ConsumeUint64(absl::string_view* in);
std::optional<int64_t> ConsumeOrderedInt64(absl::string_view* in);
std::optional<int64_t> ConsumeDescendingInt64(absl::string_view* in);

// --- Strings inside composite keys ---------------------------------------

// Appends `s` escaped and terminated (see the header comment).
void AppendString(std::string* out, absl::string_view s);
// Reads one AppendString encoding from the front of `*in` and advances past
// it. Returns nullopt (leaving `*in` unchanged) if it is malformed.
std::optional<std::string> ConsumeString(absl::string_view* in);

// --- Composite keys ------------------------------------------------------

// history: one key per commit's chunk of events.
std::string HistoryKey(absl::string_view execution_id, int64_t first_event_id);
// The prefix shared by exactly the history keys of `execution_id`.
std::string HistoryPrefix(absl::string_view execution_id);
struct HistoryKeyParts {
  std::string execution_id;
  int64_t first_event_id = 0;
};
absl::StatusOr<HistoryKeyParts> DecodeHistoryKey(absl::string_view key);

// visibility: newest first within a machine.
std::string VisibilityKey(absl::string_view machine, int64_t start_time_ms,
                          absl::string_view execution_id);
// The prefix shared by exactly the visibility keys of `machine`.
std::string VisibilityPrefix(absl::string_view machine);
struct VisibilityKeyParts {
  std::string machine;
  int64_t start_time_ms = 0;
  std::string execution_id;
};
absl::StatusOr<VisibilityKeyParts> DecodeVisibilityKey(absl::string_view key);

// The search index, inside the visibility table (values: the execution's
// machine ARN, so the visibility row is one Get away). An indexed field's
// entries: one per (field, value) an execution has, newest first within a
// value, across machines.
std::string IndexedFieldKey(absl::string_view field, absl::string_view value,
                            int64_t start_time_ms, absl::string_view execution_id);
// The prefix shared by exactly the entries of (field, value).
std::string IndexedFieldPrefix(absl::string_view field, absl::string_view value);
// The prefix shared by every indexed field entry.
std::string IndexedFieldsPrefix();
struct IndexedFieldKeyParts {
  std::string field;
  std::string value;
  int64_t start_time_ms = 0;
  std::string execution_id;
};
absl::StatusOr<IndexedFieldKeyParts> DecodeIndexedFieldKey(absl::string_view key);
// The all-machines time index: every Standard execution, newest first.
std::string StartTimeIndexKey(int64_t start_time_ms, absl::string_view execution_id);
// The prefix shared by every time index entry.
std::string StartTimeIndexPrefix();
absl::StatusOr<VisibilityKeyParts> DecodeStartTimeIndexKey(absl::string_view key);

// tasks: the activity tasks waiting for a worker (scheduled, not yet
// handed out), grouped by activity, then by execution, then task id (the
// task id counts within its execution). The value is the task's input.
// Recovery scans the whole table to rebuild the engine's task queue.
std::string TaskKey(absl::string_view activity, absl::string_view execution_id,
                    int64_t task_id);
struct TaskKeyParts {
  std::string activity;
  std::string execution_id;
  int64_t task_id = 0;
};
absl::StatusOr<TaskKeyParts> DecodeTaskKey(absl::string_view key);

// timers: all timers in due order (ties by execution, then timer id).
std::string TimerKey(int64_t due_ms, absl::string_view execution_id,
                     absl::string_view timer_id);
// The same with an integer timer id, written as decimal text (what the
// engine stores: engine/execution_record.h says which ids exist).
std::string TimerKey(int64_t due_ms, absl::string_view execution_id, int64_t timer_id);
struct TimerKeyParts {
  int64_t due_ms = 0;
  std::string execution_id;
  std::string timer_id;
};
absl::StatusOr<TimerKeyParts> DecodeTimerKey(absl::string_view key);

// Returns the smallest string greater than every string starting with
// `prefix`, or nullopt when there is none ("" or all 0xFF bytes).
std::optional<std::string> PrefixSuccessor(absl::string_view prefix);

// --- Values the store frames ---------------------------------------------

// executions value: 8 bytes big-endian version, then the record bytes.
std::string EncodeExecutionValue(int64_t version, absl::string_view record);
// Its first 8 bytes alone, for a writer that puts the record after them
// without joining the two (RocksStore's write batch).
std::string ExecutionValuePrefix(int64_t version);
// Returns kDataLoss naming `execution_id` if `stored` is shorter than 8
// bytes or carries a version < 1.
absl::StatusOr<std::pair<int64_t, std::string>> DecodeExecutionValue(
    absl::string_view execution_id, absl::string_view stored);

// history value: 8 bytes big-endian last event id, then the chunk bytes.
std::string EncodeHistoryValue(int64_t last_event_id, absl::string_view chunk);
// Its first 8 bytes alone (as ExecutionValuePrefix).
std::string HistoryValuePrefix(int64_t last_event_id);
struct HistoryValue {
  int64_t last_event_id = 0;
  std::string chunk;
};
// Returns kDataLoss naming `key` (hex-escaped) if `stored` is too short.
absl::StatusOr<HistoryValue> DecodeHistoryValue(absl::string_view key,
                                                absl::string_view stored);

// --- Meta ----------------------------------------------------------------

// The on-disk layout this server writes. Stored in the meta table under
// kSchemaVersionKey as decimal text. 2: history chunks may store a payload
// that several events carry once (engine/history_chunk_codec.cc). A store
// of an older version this server still reads (kOldestReadableSchemaVersion
// and up) is recorded as kSchemaVersion when opened, nothing rewritten, so
// that an older server refuses it rather than misreading a chunk.
inline constexpr int64_t kSchemaVersion = 2;
inline constexpr int64_t kOldestReadableSchemaVersion = 1;
inline constexpr char kSchemaVersionKey[] = "schema_version";

// Batch operations (engine/batch/): one meta row per job, "batch_operation/" + id.
inline constexpr char kBatchOperationPrefix[] = "batch_operation/";
inline std::string BatchOperationKey(absl::string_view id) {
  return std::string(kBatchOperationPrefix) + std::string(id);
}

// Returns `key` with non-printable bytes as \xNN, for error messages.
std::string EscapeKey(absl::string_view key);

}  // namespace stepwise::storage

#endif  // SW_STORAGE_KEYS_H_
