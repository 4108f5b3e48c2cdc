// ShardLeases and the PostgresStore shard fence against a real PostgreSQL
// (storage/testing/postgres_fixture.h): lease exclusivity and expiry by the
// database clock, the fence rejecting a former owner's commits of a shard taken over, the
// fixed shard count, and rebalancing 32 shards over three nodes. Lease TTLs
// are 1-2 s so each case takes a few seconds.
#include "storage/postgres/shard_leases.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/postgres/shard_hash.h"
#include "storage/postgres_store.h"
#include "storage/testing/postgres_fixture.h"

namespace stepwise::storage {
namespace {

constexpr int kShards = 8;

// A fence that reports fixed range_ids: a node that still believes it holds
// a shard (paused between its own check and its commit).
class BelievedFence final : public ShardFence {
 public:
  int shard_count() const override { return kShards; }
  std::optional<int64_t> HeldRangeId(int shard) const override {
    auto it = held.find(shard);
    if (it == held.end()) return std::nullopt;
    return it->second;
  }
  std::map<int, int64_t> held;
};

// An execution ARN that hashes to `shard` (the n-th such one).
std::string ExecutionInShard(int shard, int n = 0) {
  for (int i = 0;; ++i) {
    std::string id = absl::StrCat("arn:aws:states:us-east-1:123456789012:execution:m:e", i);
    if (ShardOfExecution(id, kShards) == shard && n-- == 0) return id;
  }
}

Transition Start(const std::string& id) {
  Transition t;
  t.execution_id = id;
  t.new_version = 1;
  t.execution_record = "record";
  t.first_event_id = 1;
  t.last_event_id = 1;
  t.history_chunk = "event";
  return t;
}

class ShardLeasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::PostgresFixture*> pg = testing::PostgresFixture::Shared();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *pg;
    absl::StatusOr<std::string> conninfo = pg_->CreateDatabase();
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    conninfo_ = *conninfo;
    dbname_ = conninfo_.substr(conninfo_.rfind('=') + 1);
    // The store creates the schema the leases live in.
    absl::StatusOr<std::unique_ptr<PostgresStore>> s = OpenStore();
    ASSERT_TRUE(s.ok()) << s.status();
  }

  absl::StatusOr<std::unique_ptr<PostgresStore>> OpenStore() {
    return PostgresStore::Open(conninfo_, PostgresOptions{});
  }

  std::unique_ptr<ShardLeases> Node(const std::string& name, absl::Duration ttl,
                                    int shards = kShards) {
    ShardLeaseOptions o;
    o.advertise_address = absl::StrCat(name, ":7700");
    o.node_id = name;
    o.shard_count = shards;
    o.ttl = ttl;
    absl::StatusOr<std::unique_ptr<ShardLeases>> l = ShardLeases::Open(conninfo_, o);
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? std::move(*l) : nullptr;
  }

  testing::PostgresFixture* pg_ = nullptr;
  std::string conninfo_;
  std::string dbname_;
};

TEST_F(ShardLeasesTest, OneHolderUntilExpiryThenAHigherRangeId) {
  auto a = Node("a", absl::Seconds(1));
  auto b = Node("b", absl::Seconds(1));
  ASSERT_TRUE(a && b);
  absl::StatusOr<int64_t> ra = a->Acquire(3);
  ASSERT_TRUE(ra.ok()) << ra.status();
  EXPECT_EQ(a->OwnedShards(), std::vector<int>{3});

  absl::StatusOr<int64_t> rb = b->Acquire(3);
  ASSERT_EQ(rb.status().code(), absl::StatusCode::kFailedPrecondition) << rb.status();
  EXPECT_TRUE(absl::StrContains(rb.status().message(), "held by node a")) << rb.status();

  // Renewing keeps it past the first TTL.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  absl::StatusOr<int> renewed = a->Renew();
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(*renewed, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(a->HeldRangeId(3), *ra);
  EXPECT_FALSE(b->Acquire(3).ok());

  // A stops renewing: past the TTL its own clock says lost, and B takes it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(a->HeldRangeId(3), std::nullopt);
  EXPECT_TRUE(a->OwnedShards().empty());
  rb = b->Acquire(3);
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_GT(*rb, *ra);
  // A's late renewal does not bring it back.
  absl::StatusOr<int> late = a->Renew();
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(*late, 0);
  EXPECT_FALSE(a->Acquire(3).ok());

  // Released shards are free at once.
  ASSERT_TRUE(b->Release(3).ok());
  EXPECT_TRUE(a->Acquire(3).ok());
}

TEST_F(ShardLeasesTest, FenceRejectsTheFormerOwnersCommits) {
  auto a = Node("a", absl::Seconds(1));
  auto b = Node("b", absl::Seconds(1));
  ASSERT_TRUE(a && b);
  absl::StatusOr<std::unique_ptr<PostgresStore>> store_a = OpenStore();
  absl::StatusOr<std::unique_ptr<PostgresStore>> store_b = OpenStore();
  ASSERT_TRUE(store_a.ok() && store_b.ok());
  (*store_b)->SetShardFence(b.get());

  const int s = 2;
  const int other = 5;
  absl::StatusOr<int64_t> ra = a->Acquire(s);
  absl::StatusOr<int64_t> ra_other = a->Acquire(other);
  ASSERT_TRUE(ra.ok() && ra_other.ok());
  // Store A acts on what A believed when it last looked: both shards held.
  BelievedFence believed;
  believed.held = {{s, *ra}, {other, *ra_other}};
  (*store_a)->SetShardFence(&believed);
  ASSERT_TRUE((*store_a)->Commit(Start(ExecutionInShard(s, 0))).ok());

  // A stops renewing (paused); past the TTL, B takes shard s.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  absl::StatusOr<int64_t> rb = b->Acquire(s);
  ASSERT_TRUE(rb.ok()) << rb.status();

  // A wakes up still believing, and commits: rejected by the database.
  const std::string late = ExecutionInShard(s, 1);
  absl::Status st = (*store_a)->Commit(Start(late));
  ASSERT_EQ(st.code(), absl::StatusCode::kAborted) << st;
  EXPECT_TRUE(absl::StrContains(st.message(), absl::StrCat("shard ", s, " fenced: range_id ",
                                                           *ra, " is no longer current")))
      << st;
  EXPECT_EQ((*store_a)->fence_stats().rejected_by_database, 1);
  absl::StatusOr<std::optional<VersionedValue>> got = (*store_b)->GetExecution(late);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());

  // A batch touching the fenced shard and one still A's: the fenced
  // shard's transition is refused and nothing of it written; the other
  // commits (A goes on with the shards it still holds).
  const std::string in_other = ExecutionInShard(other, 0);
  const std::string in_s = ExecutionInShard(s, 2);
  Transition t1 = Start(in_other);
  Transition t2 = Start(in_s);
  const Transition* batch[] = {&t1, &t2};
  absl::StatusOr<std::vector<absl::Status>> r = (*store_a)->CommitBatch(batch);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[0].ok()) << (*r)[0];
  EXPECT_EQ((*r)[1].code(), absl::StatusCode::kAborted) << (*r)[1];
  EXPECT_TRUE(absl::StrContains((*r)[1].message(), absl::StrCat("shard ", s, " fenced")))
      << (*r)[1];
  EXPECT_EQ((*store_a)->fence_stats().rejected_by_database, 2);
  got = (*store_b)->GetExecution(in_s);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  absl::StatusOr<std::vector<HistoryChunk>> h = (*store_b)->ReadHistory(in_s, 1, 0);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->empty());
  got = (*store_b)->GetExecution(in_other);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->has_value());

  // B, the new owner, commits fine (the same execution A was refused).
  ASSERT_TRUE((*store_b)->Commit(Start(late)).ok());
  ASSERT_TRUE((*store_b)->Commit(Start(in_s)).ok());
  EXPECT_EQ((*store_b)->fence_stats().rejected_by_database, 0);

  // B does not hold `other`: refused by B's own view, the database unasked.
  absl::Status not_held = (*store_b)->Commit(Start(ExecutionInShard(other, 1)));
  ASSERT_EQ(not_held.code(), absl::StatusCode::kAborted) << not_held;
  EXPECT_TRUE(absl::StrContains(not_held.message(), "does not hold its lease")) << not_held;
  EXPECT_EQ((*store_b)->fence_stats().rejected_not_held, 1);
}

TEST_F(ShardLeasesTest, AnExpiredLeaseStopsCommitsByTheNodesOwnClock) {
  auto a = Node("a", absl::Seconds(1));
  ASSERT_TRUE(a);
  absl::StatusOr<std::unique_ptr<PostgresStore>> store = OpenStore();
  ASSERT_TRUE(store.ok());
  (*store)->SetShardFence(a.get());
  ASSERT_TRUE(a->Acquire(1).ok());
  ASSERT_TRUE((*store)->Commit(Start(ExecutionInShard(1, 0))).ok());
  // Nobody took the shard, but A could not renew in time.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  absl::Status st = (*store)->Commit(Start(ExecutionInShard(1, 1)));
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted) << st;
  EXPECT_EQ((*store)->fence_stats().rejected_not_held, 1);
  EXPECT_EQ((*store)->fence_stats().rejected_by_database, 0);
}

TEST_F(ShardLeasesTest, TheShardCountIsFixedAtCreation) {
  auto a = Node("a", absl::Seconds(2));
  ASSERT_TRUE(a);
  ShardLeaseOptions o;
  o.advertise_address = "b:7700";
  o.shard_count = 16;
  absl::StatusOr<std::unique_ptr<ShardLeases>> b = ShardLeases::Open(conninfo_, o);
  ASSERT_EQ(b.status().code(), absl::StatusCode::kFailedPrecondition) << b.status();
  EXPECT_TRUE(absl::StrContains(b.status().message(), "created with 8 shards")) << b.status();
  EXPECT_TRUE(absl::StrContains(b.status().message(), "--cluster-shards 16")) << b.status();
  absl::StatusOr<std::string> rows =
      pg_->Psql(dbname_, "SELECT count(*), min(range_id) FROM shards");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, "8|0\n");
}

TEST_F(ShardLeasesTest, NodesRegisterWithTheirAddressAndLeaveOnStop) {
  auto a = Node("a", absl::Seconds(2));
  ASSERT_TRUE(a);
  absl::StatusOr<std::string> rows = pg_->Psql(dbname_, "SELECT node_id, address FROM nodes");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, "a|a:7700\n");
  a->Stop(ShardLeases::StopMode::kRelease);
  rows = pg_->Psql(dbname_, "SELECT count(*) FROM nodes");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, "0\n");
}

TEST_F(ShardLeasesTest, ThirtyTwoShardsRebalanceOverThreeNodesAndTwo) {
  constexpr int kMany = 32;
  const absl::Duration ttl = absl::Seconds(2);
  std::vector<std::unique_ptr<ShardLeases>> nodes;
  for (const char* name : {"n1", "n2", "n3"}) nodes.push_back(Node(name, ttl, kMany));
  for (auto& n : nodes) ASSERT_TRUE(n);
  for (auto& n : nodes) n->Start();

  auto owned_total = [&](size_t count) {
    std::vector<int> all;
    for (size_t i = 0; i < count; ++i) {
      for (int s : nodes[i]->OwnedShards()) all.push_back(s);
    }
    std::sort(all.begin(), all.end());
    return all;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (owned_total(3).size() == kMany) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<int> all = owned_total(3);
  ASSERT_EQ(all.size(), static_cast<size_t>(kMany));
  for (int i = 0; i < kMany; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], i);  // no shard twice
  for (auto& n : nodes) {
    EXPECT_GE(n->OwnedShards().size(), 10u) << n->node_id();
    EXPECT_LE(n->OwnedShards().size(), 11u) << n->node_id();
  }

  // n3 stops (a crash: no release); the others own all 32 within TTL + 2 s.
  const auto stopped = std::chrono::steady_clock::now();
  nodes[2]->Stop(ShardLeases::StopMode::kAbandon);
  const auto limit = stopped + absl::ToChronoNanoseconds(ttl) + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < limit && owned_total(2).size() < kMany) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  std::printf("32 shards re-owned by the 2 remaining nodes %.2f s after the third stopped "
              "(TTL %.0f s)\n",
              took, absl::ToDoubleSeconds(ttl));
  all = owned_total(2);
  ASSERT_EQ(all.size(), static_cast<size_t>(kMany));
  for (int i = 0; i < kMany; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], i);
  EXPECT_EQ(nodes[0]->OwnedShards().size(), 16u);
  EXPECT_EQ(nodes[1]->OwnedShards().size(), 16u);
}

}  // namespace
}  // namespace stepwise::storage
