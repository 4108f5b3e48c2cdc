// The fixtures the engine's tests share: an Engine over a MemoryStore with
// a ManualClock (EngineTest) or over a RocksStore it reopens
// (RocksEngineTest), and helpers to create machines, await the end of an
// execution and list its event types. Test-only; gtest's thread.
#ifndef SW_ENGINE_ENGINE_TEST_FIXTURE_H_
#define SW_ENGINE_ENGINE_TEST_FIXTURE_H_

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "engine/engine.h"
#include "gtest/gtest.h"
#include "storage/memory_store.h"
#include "storage/rocks_store.h"

namespace stepwise::engine {

inline constexpr char kActivityMachine[] = R"({"StartAt":"Work","States":{
  "Work":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:jobs",
          "HeartbeatSeconds":5,"TimeoutSeconds":100,"ResultPath":"$.result","Next":"Done"},
  "Done":{"Type":"Pass","End":true}}})";

// The calls a fake outbound service (a Lambda invoker, a service
// integration) received and the test has not answered yet: pushed from the
// engine's threads, taken in order by the test. Thread-safe.
template <typename Pending>
class PendingCalls {
 public:
  void Push(Pending p) {
    std::lock_guard<std::mutex> l(mu_);
    calls_.push_back(std::move(p));
    cv_.notify_all();
  }
  // The next call (waits up to 5 s); a value-initialized one when none came.
  Pending Next() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, std::chrono::seconds(5), [this] { return !calls_.empty(); });
    if (calls_.empty()) return {};
    Pending p = std::move(calls_.front());
    calls_.pop_front();
    return p;
  }
  size_t waiting() {
    std::lock_guard<std::mutex> l(mu_);
    return calls_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> calls_;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override { engine_.reset(); }

  void Open() {
    engine_.reset();
    EngineOptions o;
    o.clock = &clock_;
    o.seed = 7;
    o.on_execution_closed = [this](const ExecutionDescription& d) {
      std::lock_guard<std::mutex> l(closed_mu_);
      closed_.push_back(d.name + ":" + d.status);
    };
    o.mock_config = mock_config_;
    if (tune_options_) tune_options_(o);
    auto e = Engine::Open(store_.get(), o);
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = *std::move(e);
  }

  std::string Machine(const std::string& name, const std::string& definition) {
    auto m = engine_->CreateStateMachine(name, definition, "arn:aws:iam::123456789012:role/r",
                                         "STANDARD");
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? m->arn : "";
  }

  // Waits (bounded) until the execution leaves RUNNING; timers fire on the
  // engine's own thread, so this polls.
  ExecutionDescription AwaitEnd(const std::string& arn) {
    ExecutionDescription d;
    for (int i = 0; i < 500; ++i) {
      auto r = engine_->DescribeExecution(arn);
      EXPECT_TRUE(r.ok()) << r.status();
      d = *r;
      if (d.status != "RUNNING") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return d;
  }

  std::vector<std::string> Types(const std::string& arn) {
    auto h = engine_->GetExecutionHistory(arn, 1000, "", false, true);
    EXPECT_TRUE(h.ok()) << h.status();
    std::vector<std::string> out;
    int64_t expect_id = 1;
    for (auto& e : h->events) {
      EXPECT_EQ(e["id"].as_int64(), expect_id++);
      out.emplace_back(e["type"].as_string());
    }
    return out;
  }

  ManualClock clock_{1700000000000};
  std::mutex closed_mu_;
  std::vector<std::string> closed_;  // "name:STATUS" per on_execution_closed call
  std::unique_ptr<storage::Store> store_ = std::make_unique<storage::MemoryStore>();
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<const MockConfig> mock_config_;  // set before Open for mocked runs
  std::function<void(EngineOptions&)> tune_options_;  // set before Open: other options
};

// The same engine over a RocksStore in a directory of its own, closed and
// reopened by Reopen(): what was committed must survive a restart.
class RocksEngineTest : public EngineTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("stepwise-engine-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    engine_.reset();
    store_.reset();
    auto s = storage::RocksStore::Open(dir_.string(), storage::RocksOptions{});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
    Open();
  }
  std::filesystem::path dir_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_ENGINE_TEST_FIXTURE_H_
