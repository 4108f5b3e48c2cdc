// search_index_check DATA_DIR: after a crash run, checks that the search
// index in a stopped stepwised's data directory (storage/keys.h:
// IndexedFieldKey, StartTimeIndexKey; engine/search/index_writes.h) holds
// exactly what the visibility rows say: every row has its time entry and one
// entry per indexed value it shows (pointing at its machine), there is no
// entry without a row, and each row's values are the ones its execution
// record keeps. Prints the counts and each problem; exits 1 on any.
// Single-threaded; the daemon must not be running on the directory.
#include <cstdio>
#include <map>
#include <string>

#include "common/json.h"
#include "engine/execution_record.h"
#include "storage/keys.h"
#include "storage/rocks_store.h"

namespace stepwise {
namespace {

int problems = 0;

void Problem(const std::string& what) {
  if (++problems <= 50) std::fprintf(stderr, "VIOLATION: %s\n", what.c_str());
}

int Run(const std::string& dir) {
  auto opened = storage::RocksStore::Open(dir, storage::RocksOptions{});
  if (!opened.ok()) {
    std::fprintf(stderr, "cannot open %s: %s\n", dir.c_str(),
                 std::string(opened.status().message()).c_str());
    return 2;
  }
  storage::Store& store = **opened;
  auto all = store.Scan(storage::Table::kVisibility, storage::ScanOptions{});
  if (!all.ok()) {
    std::fprintf(stderr, "scan failed\n");
    return 2;
  }
  // What the rows say the index must hold: key → machine ARN.
  std::map<std::string, std::string> expected;
  std::map<std::string, std::string> found;
  int64_t rows = 0;
  for (const storage::KeyValue& kv : *all) {
    char first = kv.key.empty() ? 0 : kv.key[0];
    if (first == '\x01' || first == '\x02') {
      found[kv.key] = kv.value;
      continue;
    }
    ++rows;
    auto k = storage::DecodeVisibilityKey(kv.key);
    auto row = engine::DecodeVisibilityRow(kv.value);
    if (!k.ok() || !row.ok()) {
      Problem("malformed visibility row " + storage::EscapeKey(kv.key));
      continue;
    }
    expected[storage::StartTimeIndexKey(k->start_time_ms, k->execution_id)] = k->machine;
    for (const auto& [field, value] : row->indexed_fields) {
      expected[storage::IndexedFieldKey(field, value, k->start_time_ms, k->execution_id)] =
          k->machine;
    }
    // The record keeps the same values (the next write replaces by them).
    auto rec = store.GetExecution(k->execution_id);
    if (!rec.ok() || !rec->has_value()) {
      Problem("visibility row without an execution record: " + k->execution_id);
      continue;
    }
    auto parsed = ParseJson((*rec)->value);
    std::map<std::string, std::string> kept;
    if (parsed.ok() && parsed->is_object()) {
      if (const json::value* ix = parsed->get_object().if_contains("indexed")) {
        for (const auto& [name, v] : ix->as_object()) {
          kept[std::string(name)] = std::string(v.as_string());
        }
      }
    }
    if (kept != row->indexed_fields) {
      Problem("execution " + k->execution_id + ": the row's indexed values differ from its record's");
    }
  }
  int64_t field_entries = 0;
  int64_t time_entries = 0;
  for (const auto& [key, machine] : found) {
    (key[0] == '\x01' ? field_entries : time_entries) += 1;
    auto it = expected.find(key);
    if (it == expected.end()) {
      Problem("orphan index entry " + storage::EscapeKey(key));
    } else if (it->second != machine) {
      Problem("index entry " + storage::EscapeKey(key) + " names machine " + machine);
    }
  }
  for (const auto& [key, machine] : expected) {
    if (found.count(key) == 0) Problem("missing index entry " + storage::EscapeKey(key));
  }
  std::printf("search index: %lld visibility rows, %lld field entries, %lld time entries, "
              "%d problems\n",
              static_cast<long long>(rows), static_cast<long long>(field_entries),
              static_cast<long long>(time_entries), problems);
  return problems == 0 ? 0 : 1;
}

}  // namespace
}  // namespace stepwise

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: search_index_check DATA_DIR\n");
    return 2;
  }
  return stepwise::Run(argv[1]);
}
