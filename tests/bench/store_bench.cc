// store_bench: RocksStore group-commit throughput. Each iteration is one
// CommitBatch of N transitions (N = 1, 16, 64), each advancing a different
// execution by one version with ~2 KiB of writes (a 1.5 KiB history chunk
// and a 0.5 KiB record), i.e. one WAL write per iteration. commits/s counts
// transitions, fsyncs/s counts CommitBatch calls (one synced write each).
// The store lives in a fresh directory under $SW_BENCH_DIR (default /tmp),
// removed afterwards; put it on the disk you want to measure.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "storage/rocks_store.h"
#include "storage/transition.h"

namespace stepwise::storage {
namespace {

constexpr int kExecutions = 4096;

// JSON-ish text that does not compress to nothing.
std::string Filler(size_t size, uint64_t seed) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789{}:,\"";
  std::string s;
  s.reserve(size);
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  while (s.size() < size) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s.push_back(kAlphabet[x % (sizeof(kAlphabet) - 1)]);
  }
  return s;
}

void BM_CommitBatch(benchmark::State& state) {
  const int batch_size = static_cast<int>(state.range(0));
  RocksOptions options;
  options.sync = state.range(1) != 0;

  const char* base = std::getenv("SW_BENCH_DIR");
  std::string tmpl = absl::StrCat(base != nullptr ? base : "/tmp",
                                  "/sw_store_bench.XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::string dir = tmpl;
  {
    absl::StatusOr<std::unique_ptr<RocksStore>> opened =
        RocksStore::Open(dir, options);
    if (!opened.ok()) {
      state.SkipWithError(opened.status().ToString().c_str());
      return;
    }
    std::unique_ptr<RocksStore> store = std::move(*opened);

    std::vector<Transition> transitions(kExecutions);
    for (int i = 0; i < kExecutions; ++i) {
      Transition& t = transitions[i];
      t.execution_id = absl::StrCat("exec-", i);
      t.execution_record = Filler(512, i);
      t.history_chunk = Filler(1536, i + kExecutions);
    }
    std::vector<int64_t> versions(kExecutions, 0);
    std::vector<const Transition*> batch(batch_size);
    int next = 0;
    int64_t committed = 0;
    int64_t batches = 0;
    for (auto _ : state) {
      for (int j = 0; j < batch_size; ++j) {
        const int e = next;
        next = (next + 1) % kExecutions;
        Transition& t = transitions[e];
        t.expected_version = versions[e];
        t.new_version = versions[e] + 1;
        t.first_event_id = versions[e] * 3 + 1;
        t.last_event_id = versions[e] * 3 + 3;
        ++versions[e];
        batch[j] = &t;
      }
      absl::StatusOr<std::vector<absl::Status>> result =
          store->CommitBatch(batch);
      if (!result.ok() || !(*result)[0].ok()) {
        state.SkipWithError("commit failed");
        break;
      }
      committed += batch_size;
      ++batches;
    }
    state.SetItemsProcessed(committed);
    state.SetBytesProcessed(committed * (512 + 1536));
    state.counters["commits/s"] =
        benchmark::Counter(static_cast<double>(committed),
                           benchmark::Counter::kIsRate);
    state.counters["fsyncs/s"] = benchmark::Counter(
        options.sync ? static_cast<double>(batches) : 0.0,
        benchmark::Counter::kIsRate);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// Args: {batch size, sync}. The unsynced run shows the CPU ceiling.
BENCHMARK(BM_CommitBatch)
    ->ArgNames({"batch", "sync"})
    ->Args({1, 1})
    ->Args({16, 1})
    ->Args({64, 1})
    ->Args({64, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace stepwise::storage

BENCHMARK_MAIN();
