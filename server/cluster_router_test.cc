// ClusterRouter's decisions over a fake ShardOwnership and fake "here" and
// "forward" functions (owned / not owned / already forwarded / ownership
// moved / no owner / a shard being handed over, and the bound on waiting
// for it), StartedExecutionArn, and ClusterAuth's signatures
// (right secret, wrong secret, stale, malformed).
#include "server/cluster_router.h"

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
#include "server/cluster_auth.h"
#include "server/status_conversion.h"
#include "storage/postgres/shard_hash.h"

namespace stepwise::server {
namespace {

using namespace std::chrono_literals;

constexpr int kShards = 8;
const char kArn[] = "arn:aws:states:us-east-1:123456789012:execution:m:e1";

class FakeOwnership final : public ShardOwnership {
 public:
  int shard_count() const override { return kShards; }
  const std::string& node_id() const override { return self_; }
  bool HoldsShard(int shard) const override {
    std::lock_guard<std::mutex> l(mu_);
    return held_.count(shard) != 0;
  }
  absl::StatusOr<std::optional<ShardOwner>> OwnerOf(int shard, bool refresh) override {
    std::lock_guard<std::mutex> l(mu_);
    lookups_.push_back(refresh);
    if (refresh) {
      owners_ = after_refresh_;
      if (take_on_refresh_) held_.insert(shard);
    }
    auto it = owners_.find(shard);
    if (it == owners_.end()) return std::optional<ShardOwner>();
    return std::optional<ShardOwner>(it->second);
  }

  std::string self_ = "self#1";
  mutable std::mutex mu_;
  std::set<int> held_;
  std::map<int, ShardOwner> owners_, after_refresh_;
  bool take_on_refresh_ = false;
  std::vector<bool> lookups_;
};

// Records what the router did with one call.
struct Probe {
  std::mutex mu;
  int here = 0;
  std::vector<std::string> forwarded_to;
  // What each forward answers, in turn (OK once they run out).
  std::vector<absl::Status> owner_answers;
  // What each run here answers, in turn (OK once they run out).
  std::vector<absl::Status> here_answers;

  RoutedCall Call(const std::string& arn, bool arrived_forwarded = false) {
    RoutedCall c;
    c.execution_arn = arn;
    c.arrived_forwarded = arrived_forwarded;
    c.run_here = [this](std::function<void(absl::Status)> done) {
      absl::Status answer;
      {
        std::lock_guard<std::mutex> l(mu);
        answer = here < static_cast<int>(here_answers.size()) ? here_answers[here]
                                                               : absl::OkStatus();
        ++here;
      }
      done(answer);
    };
    c.forward = [this](const std::string& address, std::function<void(absl::Status)> done) {
      absl::Status answer;
      {
        std::lock_guard<std::mutex> l(mu);
        answer = forwarded_to.size() < owner_answers.size() ? owner_answers[forwarded_to.size()]
                                                            : absl::OkStatus();
        forwarded_to.push_back(address);
      }
      done(answer);
    };
    return c;
  }
};

absl::Status RouteAndWait(ClusterRouter& router, RoutedCall call) {
  std::promise<absl::Status> p;
  router.Route(std::move(call), [&p](absl::Status s) { p.set_value(std::move(s)); });
  return p.get_future().get();
}

const int kShard = storage::ShardOfExecution(kArn, kShards);

TEST(ClusterRouterTest, AnOwnedShardRunsHere) {
  FakeOwnership own;
  own.held_.insert(kShard);
  ClusterRouter router(&own);
  Probe probe;
  EXPECT_TRUE(RouteAndWait(router, probe.Call(kArn)).ok());
  EXPECT_EQ(probe.here, 1);
  EXPECT_TRUE(probe.forwarded_to.empty());
  EXPECT_TRUE(own.lookups_.empty());  // decided without asking the database
}

TEST(ClusterRouterTest, ACallNamingNoExecutionRunsHere) {
  FakeOwnership own;
  ClusterRouter router(&own);
  Probe probe;
  EXPECT_TRUE(RouteAndWait(router, probe.Call("")).ok());
  EXPECT_EQ(probe.here, 1);
}

TEST(ClusterRouterTest, AShardAnotherNodeHoldsIsForwardedAndItsAnswerReturnedAsIs) {
  FakeOwnership own;
  own.owners_[kShard] = ShardOwner{"other#2", "10.0.0.2:7700"};
  ClusterRouter router(&own);
  Probe probe;
  probe.owner_answers = {engine::ServiceError("TaskTimedOut", "Task Timed Out: 'gone'")};
  absl::Status s = RouteAndWait(router, probe.Call(kArn));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(engine::ServiceErrorName(s), "TaskTimedOut");
  EXPECT_EQ(s.message(), "Task Timed Out: 'gone'");
  EXPECT_EQ(probe.here, 0);
  EXPECT_EQ(probe.forwarded_to, std::vector<std::string>{"10.0.0.2:7700"});
  EXPECT_EQ(router.stats().forwarded, 1u);
  EXPECT_EQ(router.stats().retried, 0u);
}

TEST(ClusterRouterTest, ACallAlreadyForwardedIsNeverForwardedAgain) {
  FakeOwnership own;
  own.owners_[kShard] = ShardOwner{"other#2", "10.0.0.2:7700"};
  ClusterRouter router(&own);
  Probe probe;
  absl::Status s = RouteAndWait(router, probe.Call(kArn, /*arrived_forwarded=*/true));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsShardMoved(s));
  EXPECT_EQ(AwsErrorName(s), "ServiceUnavailable");
  EXPECT_EQ(probe.here, 0);
  EXPECT_TRUE(probe.forwarded_to.empty());
  EXPECT_EQ(router.stats().moved, 1u);
}

TEST(ClusterRouterTest, AForwardedCallForAShardHeldHereRunsHere) {
  FakeOwnership own;
  own.held_.insert(kShard);
  ClusterRouter router(&own);
  Probe probe;
  EXPECT_TRUE(RouteAndWait(router, probe.Call(kArn, true)).ok());
  EXPECT_EQ(probe.here, 1);
}

TEST(ClusterRouterTest, OwnershipMovedIsRetriedOnceAtTheNewOwnerAfterARefresh) {
  FakeOwnership own;
  own.owners_[kShard] = ShardOwner{"old#2", "10.0.0.2:7700"};
  own.after_refresh_[kShard] = ShardOwner{"new#3", "10.0.0.3:7700"};
  ClusterRouter router(&own);
  Probe probe;
  probe.owner_answers = {ShardMovedError(kShard, kArn)};
  EXPECT_TRUE(RouteAndWait(router, probe.Call(kArn)).ok());
  EXPECT_EQ(probe.forwarded_to,
            (std::vector<std::string>{"10.0.0.2:7700", "10.0.0.3:7700"}));
  EXPECT_EQ(own.lookups_, (std::vector<bool>{false, true}));
  EXPECT_EQ(router.stats().retried, 1u);
}

TEST(ClusterRouterTest, WithNoSettleWindowOwnershipMovedTwiceIsAnsweredRetryable) {
  FakeOwnership own;
  own.owners_[kShard] = ShardOwner{"old#2", "10.0.0.2:7700"};
  own.after_refresh_[kShard] = ShardOwner{"new#3", "10.0.0.3:7700"};
  ClusterRouter router(&own, 2, 0ms);
  Probe probe;
  probe.owner_answers = {ShardMovedError(kShard, kArn), ShardMovedError(kShard, kArn)};
  absl::Status s = RouteAndWait(router, probe.Call(kArn));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(probe.forwarded_to.size(), 2u);  // once, then once more: no loop
}

TEST(ClusterRouterTest, AShardTakenHereMeanwhileRunsHere) {
  FakeOwnership own;
  own.owners_[kShard] = ShardOwner{"old#2", "10.0.0.2:7700"};
  own.take_on_refresh_ = true;
  ClusterRouter router(&own);
  Probe probe;
  probe.owner_answers = {ShardMovedError(kShard, kArn)};
  EXPECT_TRUE(RouteAndWait(router, probe.Call(kArn)).ok());
  EXPECT_EQ(probe.forwarded_to.size(), 1u);
  EXPECT_EQ(probe.here, 1);
}

TEST(ClusterRouterTest, WithNoSettleWindowAShardNobodyHoldsIsLookedUpAgainThenAnsweredRetryable) {
  FakeOwnership own;
  ClusterRouter router(&own, 2, 0ms);
  Probe probe;
  absl::Status s = RouteAndWait(router, probe.Call(kArn));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("has no owner right now"), absl::string_view::npos) << s;
  EXPECT_EQ(own.lookups_, (std::vector<bool>{false, true}));
  EXPECT_TRUE(probe.forwarded_to.empty());
  EXPECT_EQ(probe.here, 0);
}

TEST(ClusterRouterTest, TheDatabaseNamingThisNodeWhileItsLeaseLapsedIsNotForwardedToItself) {
  FakeOwnership own;
  own.owners_[kShard] = ShardOwner{"self#1", "127.0.0.1:7700"};
  own.after_refresh_[kShard] = ShardOwner{"self#1", "127.0.0.1:7700"};
  ClusterRouter router(&own, 2, 0ms);
  Probe probe;
  absl::Status s = RouteAndWait(router, probe.Call(kArn));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(probe.forwarded_to.empty());
}

// A hand-over: the new owner has the lease but is still recovering the
// shard, and refuses three times; the call waits it out and succeeds.
TEST(ClusterRouterTest, AShardStillRecoveringAtItsNewOwnerIsRetriedUntilItRunsThere) {
  FakeOwnership own;
  own.owners_[kShard] = ShardOwner{"new#3", "10.0.0.3:7700"};
  own.after_refresh_[kShard] = ShardOwner{"new#3", "10.0.0.3:7700"};
  ClusterRouter router(&own);
  Probe probe;
  const absl::Status recovering = engine::ShardNotOwnedError(kArn, kShard, "");
  probe.owner_answers = {recovering, recovering, recovering};
  const auto began = std::chrono::steady_clock::now();
  EXPECT_TRUE(RouteAndWait(router, probe.Call(kArn)).ok());
  EXPECT_EQ(probe.forwarded_to.size(), 4u);
  EXPECT_EQ(router.stats().retried, 3u);
  // At once, then after 25 and 50 ms.
  EXPECT_GE(std::chrono::steady_clock::now() - began, 75ms);
}

// This node has just taken the lease and its engine has not recovered the
// shard yet: the call is kept until it has.
TEST(ClusterRouterTest, AShardStillRecoveringHereIsRetriedUntilItRunsHere) {
  FakeOwnership own;
  own.held_.insert(kShard);
  ClusterRouter router(&own);
  Probe probe;
  probe.here_answers = {engine::ShardNotOwnedError(kArn, kShard, ""),
                        engine::ShardNotOwnedError(kArn, kShard, "")};
  EXPECT_TRUE(RouteAndWait(router, probe.Call(kArn)).ok());
  EXPECT_EQ(probe.here, 3);
  EXPECT_TRUE(probe.forwarded_to.empty());
}

// Nobody holds the shard, then a node takes it: the call reaches it.
TEST(ClusterRouterTest, AShardNobodyHoldsIsForwardedOnceANodeTakesIt) {
  FakeOwnership own;
  ClusterRouter router(&own);
  Probe probe;
  std::thread taker([&own] {
    std::this_thread::sleep_for(150ms);
    std::lock_guard<std::mutex> l(own.mu_);
    own.after_refresh_[kShard] = ShardOwner{"new#3", "10.0.0.3:7700"};
  });
  EXPECT_TRUE(RouteAndWait(router, probe.Call(kArn)).ok());
  taker.join();
  EXPECT_EQ(probe.forwarded_to, std::vector<std::string>{"10.0.0.3:7700"});
  EXPECT_GE(own.lookups_.size(), 3u);
}

// The window is bounded: a shard nobody runs is answered retryable once it
// is spent, and the answer is the last refusal.
TEST(ClusterRouterTest, TheSettleWindowEndsWithTheRetryableAnswer) {
  FakeOwnership own;
  own.owners_[kShard] = ShardOwner{"new#3", "10.0.0.3:7700"};
  own.after_refresh_[kShard] = ShardOwner{"new#3", "10.0.0.3:7700"};
  ClusterRouter router(&own, 2, 500ms);
  Probe probe;
  probe.owner_answers.assign(100, ShardMovedError(kShard, kArn));
  const auto began = std::chrono::steady_clock::now();
  absl::Status s = RouteAndWait(router, probe.Call(kArn));
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsShardMoved(s));
  EXPECT_EQ(AwsErrorName(s), "ServiceUnavailable");
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
  // The first try, one at once, then after 25, 50, 100 and 200 ms: six
  // fit in 500 ms when the timer is on time, a seventh would not (a slow
  // box may fit one fewer).
  EXPECT_GE(probe.forwarded_to.size(), 5u);
  EXPECT_LE(probe.forwarded_to.size(), 6u);
}

// A call that arrived forwarded is not kept at the second node: the first
// one waits, and its wait is the only one.
TEST(ClusterRouterTest, AForwardedCallRefusedHereIsAnsweredAtOnce) {
  FakeOwnership own;
  own.held_.insert(kShard);
  ClusterRouter router(&own);
  Probe probe;
  probe.here_answers = {engine::ShardNotOwnedError(kArn, kShard, "")};
  absl::Status s = RouteAndWait(router, probe.Call(kArn, /*arrived_forwarded=*/true));
  EXPECT_TRUE(IsShardMoved(s));
  EXPECT_EQ(probe.here, 1);
  EXPECT_EQ(router.stats().retried, 0u);
}

TEST(ClusterRouterTest, StartedExecutionArnFollowsTheMachineName) {
  const std::string e = "arn:aws:states:us-east-1:123456789012:execution:m:run1";
  EXPECT_EQ(StartedExecutionArn("arn:aws:states:us-east-1:123456789012:stateMachine:m", "run1"),
            e);
  EXPECT_EQ(StartedExecutionArn("arn:aws:states:us-east-1:123456789012:stateMachine:m:3", "run1"),
            e);
  EXPECT_EQ(
      StartedExecutionArn("arn:aws:states:us-east-1:123456789012:stateMachine:m:prod", "run1"), e);
  EXPECT_EQ(
      StartedExecutionArn("arn:aws:states:us-east-1:123456789012:stateMachine:m#Happy", "run1"),
      e);
  EXPECT_EQ(StartedExecutionArn("arn:aws:states:us-east-1:123456789012:activity:a", "x"), "");
  EXPECT_EQ(StartedExecutionArn("not an arn", "x"), "");
}

TEST(ClusterAuthTest, ASignatureUnderTheSecretVerifiesAndNamesItsNode) {
  auto auth = ClusterAuth::FromSecret("0123456789abcdef-cluster");
  std::string v = auth->Sign("127.0.0.1:7701#ab12", 1'700'000'000);
  EXPECT_TRUE(auth->Verify(v, 1'700'000'010).ok());
  EXPECT_EQ(ClusterAuth::NodeOf(v), "127.0.0.1:7701#ab12");
  EXPECT_EQ(v.find("0123456789abcdef-cluster"), std::string::npos);  // never the secret
}

TEST(ClusterAuthTest, AWrongSecretIsAccessDenied) {
  auto signer = ClusterAuth::FromSecret("another-secret-of-16+");
  auto auth = ClusterAuth::FromSecret("0123456789abcdef-cluster");
  absl::Status s = auth->Verify(signer->Sign("n#1", 100), 100);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AwsErrorName(s), "AccessDeniedException");
  EXPECT_NE(s.message().find("cluster secret does not match"), absl::string_view::npos) << s;
}

TEST(ClusterAuthTest, AStaleOrAlteredOrMalformedSignatureIsAccessDenied) {
  auto auth = ClusterAuth::FromSecret("0123456789abcdef-cluster");
  std::string v = auth->Sign("n#1", 1000);
  EXPECT_EQ(auth->Verify(v, 1000 + ClusterAuth::kMaxSkewSeconds + 1).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(auth->Verify(v, 1000 + ClusterAuth::kMaxSkewSeconds).ok());
  // Another node id or time under the same MAC.
  std::string other_node = v.substr(0, v.rfind(':') + 1) + "n#2";
  EXPECT_EQ(auth->Verify(other_node, 1000).code(), absl::StatusCode::kPermissionDenied);
  std::string other_time = "v1:1001" + v.substr(v.find(':', 3));
  EXPECT_EQ(auth->Verify(other_time, 1000).code(), absl::StatusCode::kPermissionDenied);
  for (const char* bad : {"", "v1", "v2:1000:00:n", "v1:x:00:n", "v1:1000:00:", "secret"}) {
    EXPECT_EQ(auth->Verify(bad, 1000).code(), absl::StatusCode::kPermissionDenied) << bad;
  }
}

TEST(ClusterAuthTest, ASecretFileTooShortOrMissingIsRefusedWithoutItsContent) {
  absl::StatusOr<std::unique_ptr<ClusterAuth>> missing = ClusterAuth::Load("/nonexistent/secret");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("--cluster-secret-file"), absl::string_view::npos);
  std::string path = ::testing::TempDir() + "/short-cluster-secret";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("tiny-secret\n", f);
  std::fclose(f);
  absl::StatusOr<std::unique_ptr<ClusterAuth>> shorter = ClusterAuth::Load(path);
  EXPECT_EQ(shorter.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(shorter.status().message().find("tiny-secret"), absl::string_view::npos);
}

}  // namespace
}  // namespace stepwise::server
