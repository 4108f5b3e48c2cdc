#include "storage/keys.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace stepwise::storage {
namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;
constexpr char kEscape = '\x00';
constexpr char kEscapedZero = '\xff';
constexpr char kTerminator = '\x01';

absl::Status MalformedKey(absl::string_view what, absl::string_view key) {
  return absl::DataLossError(
      absl::StrCat("malformed ", what, " key \"", EscapeKey(key), "\""));
}

}  // namespace

void AppendUint64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, sizeof(buf));
}

void AppendOrderedInt64(std::string* out, int64_t v) {
  AppendUint64(out, static_cast<uint64_t>(v) ^ kSignBit);
}

void AppendDescendingInt64(std::string* out, int64_t v) {
  AppendUint64(out, ~(static_cast<uint64_t>(v) ^ kSignBit));
}

std::optional<uint64_t> ConsumeUint64(absl::string_view* in) {
  if (in->size() < 8) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<uint8_t>((*in)[i]);
  }
  in->remove_prefix(8);
  return v;
}

std::optional<int64_t> ConsumeOrderedInt64(absl::string_view* in) {
  std::optional<uint64_t> u = ConsumeUint64(in);
  if (!u.has_value()) return std::nullopt;
  return static_cast<int64_t>(*u ^ kSignBit);
}

std::optional<int64_t> ConsumeDescendingInt64(absl::string_view* in) {
  std::optional<uint64_t> u = ConsumeUint64(in);
  if (!u.has_value()) return std::nullopt;
  return static_cast<int64_t>(~*u ^ kSignBit);
}

void AppendString(std::string* out, absl::string_view s) {
  for (char c : s) {
    out->push_back(c);
    if (c == kEscape) out->push_back(kEscapedZero);
  }
  out->push_back(kEscape);
  out->push_back(kTerminator);
}

std::optional<std::string> ConsumeString(absl::string_view* in) {
  std::string s;
  for (size_t i = 0; i < in->size(); ++i) {
    char c = (*in)[i];
    if (c != kEscape) {
      s.push_back(c);
      continue;
    }
    if (i + 1 >= in->size()) return std::nullopt;
    char next = (*in)[i + 1];
    if (next == kTerminator) {
      in->remove_prefix(i + 2);
      return s;
    }
    if (next != kEscapedZero) return std::nullopt;
    s.push_back(kEscape);
    ++i;
  }
  return std::nullopt;  // no terminator
}

std::string HistoryKey(absl::string_view execution_id, int64_t first_event_id) {
  std::string key = HistoryPrefix(execution_id);
  AppendOrderedInt64(&key, first_event_id);
  return key;
}

std::string HistoryPrefix(absl::string_view execution_id) {
  std::string key;
  key.reserve(execution_id.size() + 2 + 8);
  AppendString(&key, execution_id);
  return key;
}

absl::StatusOr<HistoryKeyParts> DecodeHistoryKey(absl::string_view key) {
  absl::string_view in = key;
  HistoryKeyParts parts;
  std::optional<std::string> id = ConsumeString(&in);
  if (!id.has_value()) return MalformedKey("history", key);
  std::optional<int64_t> first = ConsumeOrderedInt64(&in);
  if (!first.has_value() || !in.empty()) return MalformedKey("history", key);
  parts.execution_id = std::move(*id);
  parts.first_event_id = *first;
  return parts;
}

std::string VisibilityKey(absl::string_view machine, int64_t start_time_ms,
                          absl::string_view execution_id) {
  std::string key = VisibilityPrefix(machine);
  AppendDescendingInt64(&key, start_time_ms);
  AppendString(&key, execution_id);
  return key;
}

std::string VisibilityPrefix(absl::string_view machine) {
  std::string key;
  AppendString(&key, machine);
  return key;
}

absl::StatusOr<VisibilityKeyParts> DecodeVisibilityKey(absl::string_view key) {
  absl::string_view in = key;
  std::optional<std::string> machine = ConsumeString(&in);
  if (!machine.has_value()) return MalformedKey("visibility", key);
  std::optional<int64_t> start = ConsumeDescendingInt64(&in);
  if (!start.has_value()) return MalformedKey("visibility", key);
  std::optional<std::string> id = ConsumeString(&in);
  if (!id.has_value() || !in.empty()) return MalformedKey("visibility", key);
  VisibilityKeyParts parts;
  parts.machine = std::move(*machine);
  parts.start_time_ms = *start;
  parts.execution_id = std::move(*id);
  return parts;
}

std::string IndexedFieldsPrefix() { return std::string(1, '\x01'); }

std::string IndexedFieldPrefix(absl::string_view field, absl::string_view value) {
  std::string key = IndexedFieldsPrefix();
  AppendString(&key, field);
  AppendString(&key, value);
  return key;
}

std::string IndexedFieldKey(absl::string_view field, absl::string_view value,
                            int64_t start_time_ms, absl::string_view execution_id) {
  std::string key = IndexedFieldPrefix(field, value);
  AppendDescendingInt64(&key, start_time_ms);
  AppendString(&key, execution_id);
  return key;
}

absl::StatusOr<IndexedFieldKeyParts> DecodeIndexedFieldKey(absl::string_view key) {
  absl::string_view in = key;
  if (in.empty() || in[0] != '\x01') return MalformedKey("indexed field", key);
  in.remove_prefix(1);
  std::optional<std::string> field = ConsumeString(&in);
  std::optional<std::string> value = field ? ConsumeString(&in) : std::nullopt;
  std::optional<int64_t> start = value ? ConsumeDescendingInt64(&in) : std::nullopt;
  std::optional<std::string> id = start ? ConsumeString(&in) : std::nullopt;
  if (!id.has_value() || !in.empty()) return MalformedKey("indexed field", key);
  IndexedFieldKeyParts parts;
  parts.field = std::move(*field);
  parts.value = std::move(*value);
  parts.start_time_ms = *start;
  parts.execution_id = std::move(*id);
  return parts;
}

std::string StartTimeIndexPrefix() { return std::string(1, '\x02'); }

std::string StartTimeIndexKey(int64_t start_time_ms, absl::string_view execution_id) {
  std::string key = StartTimeIndexPrefix();
  AppendDescendingInt64(&key, start_time_ms);
  AppendString(&key, execution_id);
  return key;
}

absl::StatusOr<VisibilityKeyParts> DecodeStartTimeIndexKey(absl::string_view key) {
  absl::string_view in = key;
  if (in.empty() || in[0] != '\x02') return MalformedKey("time index", key);
  in.remove_prefix(1);
  std::optional<int64_t> start = ConsumeDescendingInt64(&in);
  std::optional<std::string> id = start ? ConsumeString(&in) : std::nullopt;
  if (!id.has_value() || !in.empty()) return MalformedKey("time index", key);
  VisibilityKeyParts parts;
  parts.start_time_ms = *start;
  parts.execution_id = std::move(*id);
  return parts;
}

std::string TaskKey(absl::string_view activity, absl::string_view execution_id,
                    int64_t task_id) {
  std::string key;
  AppendString(&key, activity);
  AppendString(&key, execution_id);
  AppendOrderedInt64(&key, task_id);
  return key;
}

absl::StatusOr<TaskKeyParts> DecodeTaskKey(absl::string_view key) {
  absl::string_view in = key;
  std::optional<std::string> activity = ConsumeString(&in);
  if (!activity.has_value()) return MalformedKey("task", key);
  std::optional<std::string> execution = ConsumeString(&in);
  if (!execution.has_value()) return MalformedKey("task", key);
  std::optional<int64_t> id = ConsumeOrderedInt64(&in);
  if (!id.has_value() || !in.empty()) return MalformedKey("task", key);
  TaskKeyParts parts;
  parts.activity = std::move(*activity);
  parts.execution_id = std::move(*execution);
  parts.task_id = *id;
  return parts;
}

std::string TimerKey(int64_t due_ms, absl::string_view execution_id,
                     absl::string_view timer_id) {
  std::string key;
  AppendOrderedInt64(&key, due_ms);
  AppendString(&key, execution_id);
  AppendString(&key, timer_id);
  return key;
}

std::string TimerKey(int64_t due_ms, absl::string_view execution_id, int64_t timer_id) {
  return TimerKey(due_ms, execution_id, std::to_string(timer_id));
}

absl::StatusOr<TimerKeyParts> DecodeTimerKey(absl::string_view key) {
  absl::string_view in = key;
  std::optional<int64_t> due = ConsumeOrderedInt64(&in);
  if (!due.has_value()) return MalformedKey("timer", key);
  std::optional<std::string> id = ConsumeString(&in);
  if (!id.has_value()) return MalformedKey("timer", key);
  std::optional<std::string> timer = ConsumeString(&in);
  if (!timer.has_value() || !in.empty()) return MalformedKey("timer", key);
  TimerKeyParts parts;
  parts.due_ms = *due;
  parts.execution_id = std::move(*id);
  parts.timer_id = std::move(*timer);
  return parts;
}

std::optional<std::string> PrefixSuccessor(absl::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    unsigned char last = static_cast<unsigned char>(s.back());
    if (last != 0xff) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return std::nullopt;
}

std::string ExecutionValuePrefix(int64_t version) {
  std::string prefix;
  AppendUint64(&prefix, static_cast<uint64_t>(version));
  return prefix;
}

std::string EncodeExecutionValue(int64_t version, absl::string_view record) {
  std::string value = ExecutionValuePrefix(version);
  value.reserve(8 + record.size());
  value.append(record.data(), record.size());
  return value;
}

absl::StatusOr<std::pair<int64_t, std::string>> DecodeExecutionValue(
    absl::string_view execution_id, absl::string_view stored) {
  absl::string_view in = stored;
  std::optional<uint64_t> version = ConsumeUint64(&in);
  if (!version.has_value()) {
    return absl::DataLossError(absl::StrCat(
        "execution \"", EscapeKey(execution_id), "\": stored value is ",
        stored.size(), " bytes, shorter than its 8-byte version"));
  }
  int64_t v = static_cast<int64_t>(*version);
  if (v < 1) {
    return absl::DataLossError(
        absl::StrCat("execution \"", EscapeKey(execution_id),
                     "\": stored version ", v, " is not positive"));
  }
  return std::make_pair(v, std::string(in));
}

std::string HistoryValuePrefix(int64_t last_event_id) {
  std::string prefix;
  AppendUint64(&prefix, static_cast<uint64_t>(last_event_id));
  return prefix;
}

std::string EncodeHistoryValue(int64_t last_event_id, absl::string_view chunk) {
  std::string value = HistoryValuePrefix(last_event_id);
  value.reserve(8 + chunk.size());
  value.append(chunk.data(), chunk.size());
  return value;
}

absl::StatusOr<HistoryValue> DecodeHistoryValue(absl::string_view key,
                                                absl::string_view stored) {
  absl::string_view in = stored;
  std::optional<uint64_t> last = ConsumeUint64(&in);
  if (!last.has_value()) {
    return absl::DataLossError(absl::StrCat(
        "history chunk \"", EscapeKey(key), "\": stored value is ",
        stored.size(), " bytes, shorter than its 8-byte last event id"));
  }
  HistoryValue v;
  v.last_event_id = static_cast<int64_t>(*last);
  v.chunk = std::string(in);
  return v;
}

std::string EscapeKey(absl::string_view key) { return absl::CHexEscape(key); }

}  // namespace stepwise::storage
