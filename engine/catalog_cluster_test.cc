// The catalog shared by several nodes (engine/catalog.h): two engines over
// one store, as two stepwised nodes over one PostgreSQL (MemoryStore for
// most cases; the last runs two PostgresStores on one real database). Concurrent catalog
// writes from both all land (distinct revisions, no lost tag or version);
// an update or delete on one node is seen by the other's StartExecution
// once the catalog cache TTL has passed; without a TTL (RocksDB: one
// process), StartExecution reads no machine record from the store.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/json.h"
#include "engine/catalog.h"
#include "engine/engine.h"
#include "engine/service_error.h"
#include "gtest/gtest.h"
#include "storage/forwarding_store.h"
#include "storage/memory_store.h"
#include "storage/postgres_store.h"
#include "storage/testing/postgres_fixture.h"

namespace stepwise::engine {
namespace {

constexpr char kRole[] = "arn:aws:iam::123456789012:role/r";

std::string PassReturning(const std::string& result) {
  return absl::StrCat(R"({"StartAt":"P","States":{"P":{"Type":"Pass","Result":)", result,
                      R"(,"End":true}}})");
}

// The shared store, counting reads of machine records and (when asked)
// pausing in them, so that two nodes' read-modify-writes overlap.
class SharedStore : public storage::ForwardingStore {
 public:
  explicit SharedStore(storage::Store* target) : ForwardingStore(target) {}
  absl::StatusOr<std::optional<std::string>> Get(storage::Table table,
                                                 const std::string& key) override {
    if (table == storage::Table::kMachines) {
      ++machine_reads;
      if (pause_reads) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return ForwardingStore::Get(table, key);
  }
  std::atomic<int> machine_reads{0};
  std::atomic<bool> pause_reads{false};
};

class CatalogClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = OpenNode(ttl_ms_);
    b_ = OpenNode(ttl_ms_);
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
  }

  std::unique_ptr<Engine> OpenNode(int64_t ttl_ms) {
    EngineOptions o;
    o.clock = &clock_;
    o.seed = 7;
    o.catalog_cache_ttl_ms = ttl_ms;
    auto e = Engine::Open(&shared_, o);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *std::move(e) : nullptr;
  }

  // Starts `arn` on `node` and returns the revision the execution runs.
  int64_t StartedRevision(Engine& node, const std::string& arn) {
    auto started = node.StartExecution(arn, absl::StrCat("e", ++executions_), "{}");
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return -1;
    auto d = node.DescribeExecution(started->execution_arn);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? d->revision : -1;
  }

  // The machine record as stored.
  json::object StoredRecord(const std::string& name) {
    auto raw = memory_.Get(storage::Table::kMachines, name);
    EXPECT_TRUE(raw.ok() && raw->has_value());
    auto rec = ParseRecord(**raw, name);
    EXPECT_TRUE(rec.ok()) << rec.status();
    return rec.ok() ? *rec : json::object();
  }

  int64_t ttl_ms_ = 1000;
  int executions_ = 0;
  ManualClock clock_{1700000000000};
  storage::MemoryStore memory_;
  SharedStore shared_{&memory_};
  std::unique_ptr<Engine> a_;
  std::unique_ptr<Engine> b_;
};

// Both nodes update one machine at once (and tag it, and publish versions):
// every update lands once, with its own revision number.
TEST_F(CatalogClusterTest, ConcurrentUpdatesOnTwoNodesAllLandWithDistinctRevisions) {
  auto m = a_->CreateStateMachine("m", PassReturning("0"), kRole, "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  constexpr int kUpdates = 20;  // 2 x 20 tags: under AWS's 50
  shared_.pause_reads = true;
  std::vector<int64_t> revisions[2];
  std::vector<std::string> errors[2];
  auto run = [&](int node) {
    Engine& e = node == 0 ? *a_ : *b_;
    for (int i = 0; i < kUpdates; ++i) {
      std::string result = std::to_string(1000 * (node + 1) + i);
      auto u = e.UpdateStateMachine(m->arn, PassReturning(result), std::nullopt);
      if (!u.ok()) {
        errors[node].push_back(std::string(u.status().message()));
      } else {
        revisions[node].push_back(u->revision);
      }
      absl::Status tagged = e.TagResource(m->arn, {Tag{absl::StrCat("k", node, "-", i), result}});
      if (!tagged.ok()) errors[node].push_back(std::string(tagged.message()));
    }
  };
  std::thread t0(run, 0);
  std::thread t1(run, 1);
  t0.join();
  t1.join();
  shared_.pause_reads = false;
  EXPECT_TRUE(errors[0].empty()) << errors[0].front();
  EXPECT_TRUE(errors[1].empty()) << errors[1].front();

  // Revisions 2 .. 2*kUpdates+1, each answered once.
  std::set<int64_t> answered(revisions[0].begin(), revisions[0].end());
  answered.insert(revisions[1].begin(), revisions[1].end());
  EXPECT_EQ(answered.size(), size_t{2 * kUpdates});
  if (!answered.empty()) {
    EXPECT_EQ(*answered.begin(), 2);
    EXPECT_EQ(*answered.rbegin(), 2 * kUpdates + 1);
  }
  // Every definition is stored once, at the revision its update answered.
  json::object rec = StoredRecord("m");
  const json::array& revs = rec["revisions"].as_array();
  ASSERT_EQ(revs.size(), size_t{2 * kUpdates + 1});
  std::set<std::string> definitions;
  for (const json::value& r : revs) {
    definitions.insert(std::string(r.as_object().at("definition").as_string()));
  }
  EXPECT_EQ(definitions.size(), revs.size());
  // Every tag of both nodes is there (read past the TTL: node A's cache
  // may hold its own last write, older than node B's).
  clock_.Advance(ttl_ms_);
  auto tags = a_->ListTagsForResource(m->arn);
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_EQ(tags->size(), size_t{2 * kUpdates});
}

// Versions published on both nodes at once get distinct numbers.
TEST_F(CatalogClusterTest, ConcurrentPublishesOnTwoNodesGetDistinctVersionNumbers) {
  auto m = a_->CreateStateMachine("m", PassReturning("0"), kRole, "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  constexpr int kPublishes = 15;
  shared_.pause_reads = true;
  std::vector<std::string> versions[2];
  auto run = [&](int node) {
    Engine& e = node == 0 ? *a_ : *b_;
    for (int i = 0; i < kPublishes; ++i) {
      std::string result = std::to_string(1000 * (node + 1) + i);
      auto u = e.UpdateStateMachine(m->arn, PassReturning(result), std::nullopt, std::nullopt,
                                    /*publish=*/true);
      versions[node].push_back(u.ok() ? u->version_arn : u.status().ToString());
    }
  };
  std::thread t0(run, 0);
  std::thread t1(run, 1);
  t0.join();
  t1.join();
  shared_.pause_reads = false;
  std::set<std::string> all(versions[0].begin(), versions[0].end());
  all.insert(versions[1].begin(), versions[1].end());
  EXPECT_EQ(all.size(), size_t{2 * kPublishes});
  clock_.Advance(ttl_ms_);
  auto listed = b_->ListStateMachineVersions(m->arn);
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::set<std::string> stored;
  for (const auto& v : *listed) stored.insert(v.arn);
  EXPECT_EQ(stored, all);
}

// An update on node A: node B's StartExecution may still run the previous
// revision within the TTL (AWS's window too), and runs the new one after.
TEST_F(CatalogClusterTest, UpdateOnOneNodeIsSeenByTheOtherWithinTheTtl) {
  auto m = a_->CreateStateMachine("m", PassReturning("1"), kRole, "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(StartedRevision(*b_, m->arn), 1);  // B caches the record now
  auto u = a_->UpdateStateMachine(m->arn, PassReturning("2"), std::nullopt);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(StartedRevision(*a_, m->arn), 2);  // the writer sees it at once
  clock_.Advance(ttl_ms_ / 2);
  EXPECT_EQ(StartedRevision(*b_, m->arn), 1);  // within the TTL: cached
  clock_.Advance(ttl_ms_ / 2);
  EXPECT_EQ(StartedRevision(*b_, m->arn), 2);  // past it: re-read
  auto d = b_->DescribeStateMachine(m->arn);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->revision, 2);
}

// The Describe and List calls of node B answer node A's writes at once
// (they read the store when a TTL is set), and refresh B's cache.
TEST_F(CatalogClusterTest, DescribeOnTheOtherNodeAnswersAnUpdateAtOnce) {
  auto m = a_->CreateStateMachine("m", PassReturning("1"), kRole, "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(StartedRevision(*b_, m->arn), 1);  // B caches the record now
  auto u = a_->UpdateStateMachine(m->arn, PassReturning("2"), std::nullopt, std::nullopt,
                                  /*publish=*/true);
  ASSERT_TRUE(u.ok()) << u.status();
  ASSERT_TRUE(a_->TagResource(m->arn, {Tag{"team", "a"}}).ok());
  EXPECT_EQ(StartedRevision(*b_, m->arn), 1);  // StartExecution: cached, within the TTL
  auto d = b_->DescribeStateMachine(m->arn);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->revision, 2);
  auto versions = b_->ListStateMachineVersions(m->arn);
  ASSERT_TRUE(versions.ok()) << versions.status();
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].arn, u->version_arn);
  auto tags = b_->ListTagsForResource(m->arn);
  ASSERT_TRUE(tags.ok()) << tags.status();
  EXPECT_EQ(tags->size(), 1u);
  EXPECT_EQ(StartedRevision(*b_, m->arn), 2);  // the read refreshed B's cache
}

// A delete on node A: node B refuses StartExecution once the TTL passed.
TEST_F(CatalogClusterTest, DeleteOnOneNodeMakesTheOtherRefuseWithinTheTtl) {
  auto m = a_->CreateStateMachine("m", PassReturning("1"), kRole, "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(StartedRevision(*b_, m->arn), 1);
  ASSERT_TRUE(a_->DeleteStateMachine(m->arn).ok());
  auto on_a = a_->StartExecution(m->arn, "after-delete-a", "{}");
  EXPECT_EQ(ServiceErrorName(on_a.status()), "StateMachineDoesNotExist") << on_a.status();
  clock_.Advance(ttl_ms_);
  auto on_b = b_->StartExecution(m->arn, "after-delete-b", "{}");
  EXPECT_EQ(ServiceErrorName(on_b.status()), "StateMachineDoesNotExist") << on_b.status();
}

// A revision newer than a node's cached record (an execution another node
// started after its update, loaded here when the shard moves) is read from
// the store, not reported missing.
TEST_F(CatalogClusterTest, RevisionNewerThanTheCachedRecordIsReadFromTheStore) {
  EngineOptions o;
  o.catalog_cache_ttl_ms = ttl_ms_;
  Catalog on_a(&shared_, &o, &clock_);
  Catalog on_b(&shared_, &o, &clock_);
  auto m = on_a.CreateStateMachine("m", PassReturning("1"), kRole, "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  auto cached = on_b.MachineRecord("m");  // B caches revision 1 only
  ASSERT_TRUE(cached.ok() && cached->has_value());
  ASSERT_TRUE(on_a.UpdateStateMachine(m->arn, PassReturning("2"), std::nullopt).ok());
  auto rec = on_b.MachineRecord("m");  // still the cached one, within the TTL
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((**rec)["revisions"].as_array().size(), 1u);
  auto parsed = on_b.ParsedRevision(**rec, 2);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(ServiceErrorName(on_b.ParsedRevision(**rec, 3).status()), "");
  EXPECT_EQ(on_b.ParsedRevision(**rec, 3).status().code(), absl::StatusCode::kDataLoss);
}

// What else a node caches expires with the same TTL: the activities it
// saw exist, and the compiled indexed fields of a machine.
TEST_F(CatalogClusterTest, KnownActivitiesAndIndexedFieldsExpireWithTheTtl) {
  EngineOptions o;
  o.catalog_cache_ttl_ms = ttl_ms_;
  Catalog on_a(&shared_, &o, &clock_);
  Catalog on_b(&shared_, &o, &clock_);
  auto activity = on_a.CreateActivity("worker");
  ASSERT_TRUE(activity.ok()) << activity.status();
  on_b.RememberActivity(activity->arn);
  ASSERT_TRUE(on_a.DeleteActivity(activity->arn).ok());
  EXPECT_TRUE(on_b.KnownActivity(activity->arn));  // within the TTL
  clock_.Advance(ttl_ms_);
  EXPECT_FALSE(on_b.KnownActivity(activity->arn));

  auto m = on_a.CreateStateMachine("m", PassReturning("1"), kRole, "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  auto none = on_b.CompiledIndexedFieldsOf(m->arn);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(*none, nullptr);
  ASSERT_TRUE(on_a.PutIndexedFields(m->arn, {IndexedField{"customerId", "INPUT",
                                                           "$.customerId", ""}})
                  .ok());
  auto cached = on_b.CompiledIndexedFieldsOf(m->arn);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(*cached, nullptr);  // within the TTL
  clock_.Advance(ttl_ms_);
  auto fresh = on_b.CompiledIndexedFieldsOf(m->arn);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_NE(*fresh, nullptr);
}

// A store where another node always writes first: the write gives up after
// a bounded number of attempts with AWS's ConflictException, nothing written.
class AlwaysLosingStore : public storage::ForwardingStore {
 public:
  explicit AlwaysLosingStore(storage::Store* target) : ForwardingStore(target) {}
  absl::StatusOr<bool> PutIfUnchanged(storage::Table, const std::string&,
                                      const std::optional<std::string>&,
                                      std::optional<std::string>) override {
    ++attempts;
    return false;
  }
  int attempts = 0;
};

TEST_F(CatalogClusterTest, ARaceLostEveryTimeIsAConflictException) {
  auto m = a_->CreateStateMachine("m", PassReturning("1"), kRole, "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  AlwaysLosingStore losing(&memory_);
  EngineOptions o;
  o.catalog_cache_ttl_ms = ttl_ms_;
  Catalog catalog(&losing, &o, &clock_);
  auto u = catalog.UpdateStateMachine(m->arn, PassReturning("2"), std::nullopt);
  EXPECT_EQ(ServiceErrorName(u.status()), "ConflictException") << u.status();
  EXPECT_GE(losing.attempts, 2);
  EXPECT_LE(losing.attempts, 100);
  EXPECT_EQ(StoredRecord("m")["revisions"].as_array().size(), 1u);
}

class CatalogNoTtlTest : public CatalogClusterTest {
 protected:
  void SetUp() override {
    ttl_ms_ = 0;
    CatalogClusterTest::SetUp();
  }
};

// One process (RocksDB): StartExecution reads the record once, then never
// again, however much time passes.
TEST_F(CatalogNoTtlTest, StartExecutionReadsNoMachineRecordPerCall) {
  auto m = a_->CreateStateMachine("m", PassReturning("1"), kRole, "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(StartedRevision(*a_, m->arn), 1);
  int before = shared_.machine_reads.load();
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(60000);
    EXPECT_EQ(StartedRevision(*a_, m->arn), 1);
  }
  EXPECT_EQ(shared_.machine_reads.load(), before);
}

// With a TTL, one read per TTL, not one per call.
TEST_F(CatalogClusterTest, StartExecutionReadsTheRecordOncePerTtl) {
  auto m = a_->CreateStateMachine("m", PassReturning("1"), kRole, "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(StartedRevision(*a_, m->arn), 1);
  int before = shared_.machine_reads.load();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(StartedRevision(*a_, m->arn), 1);
  EXPECT_EQ(shared_.machine_reads.load(), before);
  clock_.Advance(ttl_ms_);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(StartedRevision(*a_, m->arn), 1);
  EXPECT_EQ(shared_.machine_reads.load(), before + 1);
}

// Two nodes as stepwised runs them on PostgreSQL: each engine over its own
// PostgresStore (its own connection pool) on one database, TTL 1000 ms.
TEST(CatalogPostgresClusterTest, TwoNodesOnOneDatabaseUpdateTogetherAndSeeEachOther) {
  absl::StatusOr<storage::testing::PostgresFixture*> pg =
      storage::testing::PostgresFixture::Shared();
  ASSERT_TRUE(pg.ok()) << pg.status();
  absl::StatusOr<std::string> conninfo = (*pg)->CreateDatabase();
  ASSERT_TRUE(conninfo.ok()) << conninfo.status();
  // Declared first, destroyed last: the engines' timer threads read it
  // until the engines are gone.
  ManualClock clock(1700000000000);
  std::unique_ptr<storage::PostgresStore> stores[2];
  std::unique_ptr<SharedStore> views[2];
  std::unique_ptr<Engine> nodes[2];
  for (int i = 0; i < 2; ++i) {
    auto s = storage::PostgresStore::Open(*conninfo, storage::PostgresOptions{});
    ASSERT_TRUE(s.ok()) << s.status();
    stores[i] = *std::move(s);
    views[i] = std::make_unique<SharedStore>(stores[i].get());
    EngineOptions o;
    o.clock = &clock;
    o.catalog_cache_ttl_ms = 1000;
    auto e = Engine::Open(views[i].get(), o);
    ASSERT_TRUE(e.ok()) << e.status();
    nodes[i] = *std::move(e);
  }
  auto m = nodes[0]->CreateStateMachine("m", PassReturning("0"), kRole, "STANDARD");
  ASSERT_TRUE(m.ok()) << m.status();
  constexpr int kUpdates = 8;
  std::vector<int64_t> revisions[2];
  std::string errors[2];
  for (auto& v : views) v->pause_reads = true;
  auto run = [&](int node) {
    for (int i = 0; i < kUpdates; ++i) {
      auto u = nodes[node]->UpdateStateMachine(
          m->arn, PassReturning(std::to_string(1000 * (node + 1) + i)), std::nullopt);
      if (u.ok()) {
        revisions[node].push_back(u->revision);
      } else {
        errors[node] += u.status().ToString() + "; ";
      }
    }
  };
  std::thread t0(run, 0);
  std::thread t1(run, 1);
  t0.join();
  t1.join();
  for (auto& v : views) v->pause_reads = false;
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  std::set<int64_t> answered(revisions[0].begin(), revisions[0].end());
  answered.insert(revisions[1].begin(), revisions[1].end());
  EXPECT_EQ(answered.size(), size_t{2 * kUpdates});
  clock.Advance(1000);
  for (auto& node : nodes) {
    auto d = node->DescribeStateMachine(m->arn);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->revision, 2 * kUpdates + 1);
  }
  // A delete on node 0 is refused by node 1's StartExecution past the TTL.
  ASSERT_TRUE(nodes[1]->StartExecution(m->arn, "before", "{}").ok());
  ASSERT_TRUE(nodes[0]->DeleteStateMachine(m->arn).ok());
  clock.Advance(1000);
  auto refused = nodes[1]->StartExecution(m->arn, "after", "{}");
  EXPECT_EQ(ServiceErrorName(refused.status()), "StateMachineDoesNotExist") << refused.status();
}

}  // namespace
}  // namespace stepwise::engine
