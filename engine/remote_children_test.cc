// RemoteChildren (remote_children.h) with fake local and remote calls: a
// call on another node's shard goes to the owner, kUnavailable answers are
// retried (here first each time) until they succeed or `retry_for` runs
// out, answers of this node and AWS errors are returned as they are, and
// closes of awaited children on other nodes are read and handed on once.
#include "engine/remote_children.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/cluster_ownership.h"
#include "engine/service_error.h"
#include "gtest/gtest.h"

namespace stepwise::engine {
namespace {

using namespace std::chrono_literals;

class FakeRemote : public RemoteExecutions {
 public:
  // The answers of the next Start calls, in order (then ok).
  std::vector<absl::Status> start_answers;
  std::atomic<int> starts{0};
  void Start(const std::string&, const std::string& name, const std::string&,
             std::function<void(absl::StatusOr<StartExecutionResult>)> done) override {
    int n = starts++;
    if (n < static_cast<int>(start_answers.size()) && !start_answers[n].ok()) {
      return done(start_answers[n]);
    }
    done(StartExecutionResult{"arn:child:" + name, 42});
  }
  void Stop(const std::string&, const std::string&, const std::string&,
            std::function<void(absl::StatusOr<TimeMs>)> done) override {
    done(TimeMs{7});
  }
  void Redrive(const std::string&, const std::string&,
               std::function<void(absl::StatusOr<TimeMs>)> done) override {
    done(TimeMs{8});
  }
};

struct Rig {
  FakeRemote remote;
  std::atomic<bool> own_everything{false};
  std::atomic<int> local_starts{0};
  std::mutex mu;
  std::set<std::string> awaited;        // guarded by mu
  std::map<std::string, std::string> status;  // arn -> status, guarded by mu
  std::vector<std::string> closed;      // guarded by mu

  RemoteChildren::Options Options(std::chrono::milliseconds retry_for = 5000ms) {
    RemoteChildren::Options o;
    o.local_start = [this](const std::string&, const std::string& name, const std::string&,
                           RemoteChildren::Done<StartExecutionResult> done) {
      ++local_starts;
      if (own_everything) return done(StartExecutionResult{"arn:local:" + name, 1});
      done(ShardNotOwnedError("arn:child:" + name, 3, "10.0.0.2:9090"));
    };
    o.local_stop = [](const std::string& arn, const std::string&, const std::string&,
                          RemoteChildren::Done<TimeMs> done) {
      if (arn == "missing") return done(ServiceError("ExecutionDoesNotExist", "no " + arn));
      done(ShardNotOwnedError(arn, 3, ""));
    };
    o.local_redrive = [](const std::string& arn, const std::string&,
                         RemoteChildren::Done<TimeMs> done) {
      done(ShardNotOwnedError(arn, 3, ""));
    };
    o.remote = &remote;
    o.owns = [](const std::string& arn) { return arn.starts_with("local:"); };
    o.awaited = [this](std::vector<std::string>& out) {
      std::lock_guard<std::mutex> l(mu);
      out.insert(out.end(), awaited.begin(), awaited.end());
    };
    o.describe = [this](const std::string& arn) -> absl::StatusOr<ExecutionDescription> {
      std::lock_guard<std::mutex> l(mu);
      auto it = status.find(arn);
      if (it == status.end()) return ServiceError("ExecutionDoesNotExist", arn);
      ExecutionDescription d;
      d.execution_arn = arn;
      d.status = it->second;
      return d;
    };
    o.closed = [this](const ExecutionDescription& d) {
      std::lock_guard<std::mutex> l(mu);
      closed.push_back(d.execution_arn);
    };
    o.poll_interval = 20ms;
    o.retry_for = retry_for;
    return o;
  }
};

template <typename T>
absl::StatusOr<T> Wait(std::function<void(RemoteChildren::Done<T>)> call) {
  auto p = std::make_shared<std::promise<absl::StatusOr<T>>>();
  auto f = p->get_future();
  call([p](absl::StatusOr<T> r) { p->set_value(std::move(r)); });
  if (f.wait_for(10s) != std::future_status::ready) return absl::DeadlineExceededError("no answer");
  return f.get();
}

TEST(RemoteChildrenTest, AStartOnAnotherNodesShardGoesToTheOwnerAndUnavailableIsRetried) {
  Rig rig;
  rig.remote.start_answers = {absl::UnavailableError("no owner yet"),
                              absl::UnavailableError("no owner yet")};
  RemoteChildren rc(rig.Options());
  auto r = Wait<StartExecutionResult>([&](auto done) { rc.Start("m", "c1", "{}", done); });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->execution_arn, "arn:child:c1");
  EXPECT_EQ(r->start_date, 42);
  EXPECT_EQ(rig.remote.starts.load(), 3);
  EXPECT_EQ(rig.local_starts.load(), 3);  // here first, each time
  EXPECT_EQ(rc.stats().remote_calls, 3u);
  EXPECT_EQ(rc.stats().retries, 2u);
}

TEST(RemoteChildrenTest, AnAwsErrorOfTheOwnerIsReturnedAsItIs) {
  Rig rig;
  rig.remote.start_answers = {ServiceError("ExecutionAlreadyExists", "exists")};
  RemoteChildren rc(rig.Options());
  auto r = Wait<StartExecutionResult>([&](auto done) { rc.Start("m", "c1", "{}", done); });
  EXPECT_EQ(ServiceErrorName(r.status()), "ExecutionAlreadyExists");
  EXPECT_EQ(rig.remote.starts.load(), 1);
}

TEST(RemoteChildrenTest, WhatThisNodeAnswersIsNeverSentElsewhere) {
  Rig rig;
  rig.own_everything = true;
  RemoteChildren rc(rig.Options());
  auto r = Wait<StartExecutionResult>([&](auto done) { rc.Start("m", "c1", "{}", done); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->execution_arn, "arn:local:c1");
  auto stop = Wait<TimeMs>([&](auto done) { rc.Stop("missing", "E", "C", done); });
  EXPECT_EQ(ServiceErrorName(stop.status()), "ExecutionDoesNotExist");
  EXPECT_EQ(rig.remote.starts.load(), 0);
  EXPECT_EQ(rc.stats().remote_calls, 0u);
}

TEST(RemoteChildrenTest, StopAndRedriveGoToTheOwner) {
  Rig rig;
  RemoteChildren rc(rig.Options());
  auto stop = Wait<TimeMs>([&](auto done) { rc.Stop("x", "E", "C", done); });
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(*stop, 7);
  auto redrive = Wait<TimeMs>([&](auto done) { rc.Redrive("x", "t", done); });
  ASSERT_TRUE(redrive.ok());
  EXPECT_EQ(*redrive, 8);
}

TEST(RemoteChildrenTest, RetriesStopWhenRetryForRunsOut) {
  Rig rig;
  for (int i = 0; i < 100; ++i) rig.remote.start_answers.push_back(absl::UnavailableError("down"));
  RemoteChildren rc(rig.Options(/*retry_for=*/300ms));
  auto start = std::chrono::steady_clock::now();
  auto r = Wait<StartExecutionResult>([&](auto done) { rc.Start("m", "c1", "{}", done); });
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_GE(rig.remote.starts.load(), 2);
}

TEST(RemoteChildrenTest, ClosesOfAwaitedChildrenOnOtherNodesAreHandedOnOnce) {
  Rig rig;
  {
    std::lock_guard<std::mutex> l(rig.mu);
    rig.awaited = {"remote:a", "remote:b", "remote:not-yet", "local:c"};
    rig.status = {{"remote:a", "RUNNING"}, {"remote:b", "FAILED"}, {"local:c", "SUCCEEDED"}};
  }
  RemoteChildren rc(rig.Options());
  auto closes = [&rig] {
    std::lock_guard<std::mutex> l(rig.mu);
    return rig.closed.size();
  };
  auto until = [](const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
  };
  until([&] { return closes() >= 1; });
  std::this_thread::sleep_for(100ms);  // five more rounds
  {
    std::lock_guard<std::mutex> l(rig.mu);
    // b once; a still running; c is this node's (its close comes here).
    EXPECT_EQ(rig.closed, std::vector<std::string>({"remote:b"}));
    rig.status["remote:a"] = "SUCCEEDED";
  }
  until([&] { return closes() >= 2; });
  std::this_thread::sleep_for(100ms);
  std::lock_guard<std::mutex> l(rig.mu);
  EXPECT_EQ(rig.closed, std::vector<std::string>({"remote:b", "remote:a"}));
  EXPECT_EQ(rc.stats().closes_seen, 2u);
}

TEST(RemoteChildrenTest, ShutdownDropsCallsWaitingForARetry) {
  Rig rig;
  for (int i = 0; i < 100; ++i) rig.remote.start_answers.push_back(absl::UnavailableError("down"));
  std::atomic<int> answered{0};
  {
    RemoteChildren rc(rig.Options(60000ms));
    rc.Start("m", "c1", "{}", [&](absl::StatusOr<StartExecutionResult>) { ++answered; });
    std::this_thread::sleep_for(50ms);
    rc.Shutdown();
  }
  EXPECT_EQ(answered.load(), 0);
}

}  // namespace
}  // namespace stepwise::engine
