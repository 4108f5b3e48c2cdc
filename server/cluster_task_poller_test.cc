// ClusterTaskPoller's rounds over a real engine::TaskQueue standing for this
// node's queue and fake peers answering takes: local first, peers in turn
// past errors, nothing taken for a caller that has gone, a wake-up starts
// the next round at once, the retry without one, the deadline, an error of
// this node's engine.
#include "server/cluster_task_poller.h"

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/task_queue.h"
#include "gtest/gtest.h"

namespace stepwise::server {
namespace {

using namespace std::chrono_literals;

constexpr char kQueue[] = "arn:aws:states:us-east-1:123456789012:activity:q";

// The other nodes: tasks waiting on each, and which ones fail.
class FakePeers {
 public:
  void AddTask(const std::string& address) {
    std::lock_guard<std::mutex> l(mu_);
    ++tasks_[address];
  }
  void Fail(const std::string& address) {
    std::lock_guard<std::mutex> l(mu_);
    failing_[address] = true;
  }
  void Take(const std::string& address, PollDone done) {
    bool handed = false;
    bool failed = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      asked_.push_back(address);
      failed = failing_[address];
      if (!failed && tasks_[address] > 0) {
        --tasks_[address];
        handed = true;
      }
    }
    if (on_take) on_take(address);
    if (failed)
      return done(absl::UnavailableError("cannot reach " + address), false);
    done(absl::OkStatus(), handed);
  }
  std::vector<std::string> asked() {
    std::lock_guard<std::mutex> l(mu_);
    return asked_;
  }
  std::function<void(const std::string&)> on_take;

 private:
  std::mutex mu_;
  std::map<std::string, int> tasks_;
  std::map<std::string, bool> failing_;
  std::vector<std::string> asked_;
};

class ClusterTaskPollerTest : public ::testing::Test {
 protected:
  std::unique_ptr<ClusterTaskPoller> MakePoller(
      std::chrono::milliseconds retry) {
    ClusterTaskPoller::Options o;
    o.wake_one = [this](const std::string& queue) { local_.Wake(queue, 1); };
    o.live_peers = [] { return std::vector<std::string>{"p1", "p2"}; };
    o.retry = retry;
    return std::make_unique<ClusterTaskPoller>(std::move(o));
  }

  // The poll's call over local_ and peers_.
  ClusterPollCall Call(int64_t timeout_ms) {
    ClusterPollCall c;
    c.queue = kQueue;
    c.timeout_ms = timeout_ms;
    c.is_cancelled = [this] { return gone_.load(); };
    c.local = [this](int64_t wait_ms, PollDone done) {
      if (local_error_)
        return done(absl::NotFoundError("ActivityDoesNotExist"), false);
      absl::Status s = local_.Poll(
          kQueue, wait_ms, [done](std::optional<engine::ActivityTask> t) {
            done(absl::OkStatus(), t.has_value());
          });
      if (!s.ok()) done(s, false);
    };
    c.take = [this](const std::string& address,
                    std::chrono::milliseconds timeout, PollDone done) {
      {
        std::lock_guard<std::mutex> l(timeouts_mu_);
        take_timeouts_.push_back(timeout);
      }
      peers_.Take(address, std::move(done));
    };
    return c;
  }

  struct Outcome {
    absl::Status status;
    bool handed_out = false;
    std::chrono::milliseconds after{0};
  };
  // Runs one poll to its end.
  Outcome Run(ClusterTaskPoller& poller, int64_t timeout_ms,
              std::function<void()> while_waiting = nullptr) {
    auto result = std::make_shared<std::promise<Outcome>>();
    const auto start = std::chrono::steady_clock::now();
    poller.Poll(
        Call(timeout_ms), [result, start](absl::Status s, bool handed_out) {
          result->set_value(
              Outcome{s, handed_out,
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)});
        });
    if (while_waiting) while_waiting();
    std::future<Outcome> f = result->get_future();
    EXPECT_EQ(f.wait_for(30s), std::future_status::ready);
    return f.get();
  }

  engine::TaskQueue local_;
  FakePeers peers_;
  std::atomic<bool> gone_{false};
  bool local_error_ = false;
  std::mutex timeouts_mu_;
  std::vector<std::chrono::milliseconds>
      take_timeouts_;  // guarded by timeouts_mu_
};

TEST_F(ClusterTaskPollerTest, ALocalTaskIsTakenWithoutAskingThePeers) {
  auto poller = MakePoller(10s);
  local_.Push(engine::ActivityTask{kQueue, "e", 1, 1});
  Outcome o = Run(*poller, 5000);
  EXPECT_TRUE(o.status.ok());
  EXPECT_TRUE(o.handed_out);
  EXPECT_TRUE(peers_.asked().empty());
}

TEST_F(ClusterTaskPollerTest, PeersAreAskedInTurnPastOneThatFails) {
  auto poller = MakePoller(10s);
  peers_.Fail("p1");
  peers_.AddTask("p2");
  Outcome o = Run(*poller, 5000);
  EXPECT_TRUE(o.status.ok()) << o.status;
  EXPECT_TRUE(o.handed_out);
  EXPECT_EQ(peers_.asked(), (std::vector<std::string>{"p1", "p2"}));
  ClusterTaskPollerStats s = poller->stats();
  EXPECT_EQ(s.remote_takes, 2u);
  EXPECT_EQ(s.remote_take_errors, 1u);
  EXPECT_EQ(s.remote_handed_out, 1u);
}

TEST_F(ClusterTaskPollerTest, ACallerThatHasGoneTakesNothingFromTheNextPeer) {
  auto poller = MakePoller(10s);
  peers_.AddTask("p2");
  // The caller hangs up while p1 is asked.
  peers_.on_take = [this](const std::string&) { gone_ = true; };
  Outcome o = Run(*poller, 5000);
  EXPECT_TRUE(o.status.ok());
  EXPECT_FALSE(o.handed_out);
  EXPECT_EQ(peers_.asked(), (std::vector<std::string>{"p1"}));
}

TEST_F(ClusterTaskPollerTest, AnAnnouncementStartsTheNextRoundAtOnce) {
  // The retry (10 s) and the deadline (8 s) are far: only the wake-up can
  // end the wait in time.
  auto poller = MakePoller(10s);
  Outcome o = Run(*poller, 8000, [&] {
    while (local_.waiting_pollers(kQueue) == 0)
      std::this_thread::sleep_for(1ms);
    peers_.AddTask("p2");
    poller->OnQueuedElsewhere(kQueue);
  });
  EXPECT_TRUE(o.handed_out);
  EXPECT_LT(o.after, 2000ms);
  EXPECT_EQ(poller->stats().wakeups, 1u);
}

TEST_F(ClusterTaskPollerTest, WithoutAnAnnouncementTheRetryFindsTheTask) {
  auto poller = MakePoller(100ms);
  Outcome o = Run(*poller, 8000, [&] {
    while (local_.waiting_pollers(kQueue) == 0)
      std::this_thread::sleep_for(1ms);
    peers_.AddTask("p1");
  });
  EXPECT_TRUE(o.handed_out);
  EXPECT_LT(o.after, 2000ms);
}

TEST_F(ClusterTaskPollerTest, ALocalTaskWhileWaitingIsHandedOverDirectly) {
  auto poller = MakePoller(10s);
  Outcome o = Run(*poller, 8000, [&] {
    while (local_.waiting_pollers(kQueue) == 0)
      std::this_thread::sleep_for(1ms);
    local_.Push(engine::ActivityTask{kQueue, "e", 1, 1});
  });
  EXPECT_TRUE(o.handed_out);
  EXPECT_LT(o.after, 2000ms);
  EXPECT_EQ(peers_.asked().size(), 2u);  // the first round only
}

TEST_F(ClusterTaskPollerTest, NoTaskBeforeTheDeadlineAnswersEmpty) {
  auto poller = MakePoller(100ms);
  Outcome o = Run(*poller, 350);
  EXPECT_TRUE(o.status.ok());
  EXPECT_FALSE(o.handed_out);
  EXPECT_GE(o.after, 350ms);
  EXPECT_LT(o.after, 5000ms);
  EXPECT_GE(peers_.asked().size(), 4u);  // a round per retry
}

TEST_F(ClusterTaskPollerTest,
       TakesAreCutToThePollsTimeLeftAndNoneStartsAtItsEnd) {
  auto poller = MakePoller(100ms);
  Outcome o = Run(*poller, 1000);
  EXPECT_FALSE(o.handed_out);
  EXPECT_GE(o.after, 1000ms);
  std::lock_guard<std::mutex> l(timeouts_mu_);
  ASSERT_GE(take_timeouts_.size(), 4u);
  EXPECT_GE(take_timeouts_.front(), 500ms);  // cut from kTakeTimeout (5 s) to at most 1 s
  for (std::chrono::milliseconds t : take_timeouts_) {
    EXPECT_GE(t, ClusterTaskPoller::kMinTakeTime);
    EXPECT_LE(t, 1000ms);
  }
}

TEST_F(ClusterTaskPollerTest, AnErrorOfThisNodesEngineEndsThePoll) {
  auto poller = MakePoller(10s);
  local_error_ = true;
  Outcome o = Run(*poller, 5000);
  EXPECT_EQ(o.status.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(peers_.asked().empty());
}

}  // namespace
}  // namespace stepwise::server
