// Minimal reproducers of engine bugs found by the crash test and the
// benchmark (tests/crash/README.md). Each test states the promise it checks.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/clock.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "storage/forwarding_store.h"
#include "storage/memory_store.h"
#include "storage/store.h"

namespace stepwise::engine {
namespace {

// A Store that forwards to another and, once armed, fails every
// CommitBatch/Commit with an I/O error after letting `allow` more through:
// from the engine's side the same as a process killed right after the last
// commit that made it to disk (nothing after it is written).
class CutOffStore final : public storage::ForwardingStore {
 public:
  explicit CutOffStore(storage::Store* inner) : ForwardingStore(inner) {}
  void CutAfter(int allow) { allow_ = allow; }

  absl::Status Commit(const storage::Transition& t) override {
    if (Cut()) return absl::UnavailableError("cut off");
    return ForwardingStore::Commit(t);
  }
  absl::StatusOr<std::vector<absl::Status>> CommitBatch(
      absl::Span<const storage::Transition* const> batch) override {
    if (Cut()) return absl::UnavailableError("cut off");
    return ForwardingStore::CommitBatch(batch);
  }

 private:
  bool Cut() {
    int a = allow_.load();
    if (a < 0) return false;  // not armed
    if (a == 0) return true;
    allow_.fetch_sub(1);
    return false;
  }
  std::atomic<int> allow_{-1};
};

std::string PassChain(int n) {
  std::string s = R"({"StartAt":"S0","States":{)";
  for (int i = 0; i < n; ++i) {
    s += "\"S" + std::to_string(i) + R"(":{"Type":"Pass",)";
    s += i + 1 < n ? "\"Next\":\"S" + std::to_string(i + 1) + "\"}," : R"("End":true}}})";
  }
  return s;
}

std::string AwaitStatus(Engine& e, const std::string& arn) {
  std::string status;
  for (int i = 0; i < 300; ++i) {
    auto d = e.DescribeExecution(arn);
    if (!d.ok()) return d.status().ToString();
    status = d->status;
    if (status != "RUNNING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status;
}

// DESIGN.md: "a server killed at any instant resumes every execution exactly
// where it was". A run longer than max_steps_per_commit commits its first
// group with Decision::yielded and the engine queues Continue() in memory
// only. If the process dies after that commit and before the Continue's
// commit, the stored execution is RUNNING with frames in kEnter and no task
// or timer row, so Recover() (which scans only the tasks and timers tables)
// never resumes it, and a repeated StartExecution just answers
// "already running": the execution hangs forever.
TEST(EngineRegressionTest, YieldedRunResumesAfterRestart) {
  ManualClock clock(1700000000000);
  storage::MemoryStore disk;
  CutOffStore cut(&disk);
  EngineOptions o;
  o.clock = &clock;
  o.seed = 1;
  o.max_steps_per_commit = 2;
  std::string arn;
  {
    auto e = Engine::Open(&cut, o);
    ASSERT_TRUE(e.ok()) << e.status();
    auto sm = (*e)->CreateStateMachine("chain", PassChain(10), "arn:aws:iam::1:role/r", "");
    ASSERT_TRUE(sm.ok()) << sm.status();
    cut.CutAfter(1);  // the start's commit lands; the Continue's does not
    auto started = (*e)->StartExecution(sm->arn, "run", "{}");
    ASSERT_TRUE(started.ok()) << started.status();
    arn = started->execution_arn;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }  // "killed"
  auto e = Engine::Open(&disk, o);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(AwaitStatus(**e, arn), "SUCCEEDED")
      << "a RUNNING execution whose last commit yielded is never continued after restart";
}

}  // namespace
}  // namespace stepwise::engine
