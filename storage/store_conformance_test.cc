// One suite, run against every Store: MemoryStore, RocksStore (on a fresh
// directory under /tmp, removed afterwards) and PostgresStore (on a fresh
// database of the test binary's own PostgreSQL, storage/testing/
// postgres_fixture.h). Cases that need a reopen or a schema on disk run only
// for the persistent stores.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/memory_store.h"
#include "storage/postgres_store.h"
#include "storage/rocks_store.h"
#include "storage/store.h"
#include "storage/testing/postgres_fixture.h"
#include "storage/transition.h"

namespace stepwise::storage {
namespace {

const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

#define SW_TEST_CONCAT_INNER_(a, b) a##b
#define SW_TEST_CONCAT_(a, b) SW_TEST_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr)                                             \
  do {                                                              \
    const auto& sw_result_ = (expr);                                \
    ASSERT_TRUE(StatusOf(sw_result_).ok()) << StatusOf(sw_result_); \
  } while (0)

#define EXPECT_OK(expr)                                             \
  do {                                                              \
    const auto& sw_result_ = (expr);                                \
    EXPECT_TRUE(StatusOf(sw_result_).ok()) << StatusOf(sw_result_); \
  } while (0)

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(SW_TEST_CONCAT_(sw_or_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                               \
  ASSERT_TRUE(tmp.ok()) << tmp.status();            \
  lhs = std::move(tmp).value()

#define EXPECT_CODE(expr, want) \
  EXPECT_EQ(StatusOf(expr).code(), want) << StatusOf(expr)

Transition Step(const std::string& id, int64_t expected, int64_t first = 0,
                int64_t last = 0) {
  Transition t;
  t.execution_id = id;
  t.expected_version = expected;
  t.new_version = expected + 1;
  t.execution_record = absl::StrCat("record of ", id, " v", expected + 1);
  if (first > 0) {
    t.first_event_id = first;
    t.last_event_id = last;
    t.history_chunk = absl::StrCat("events ", first, "..", last, " of ", id);
  }
  return t;
}

ScanOptions Opts(std::string prefix, std::string start_after, bool reverse,
                 size_t limit) {
  ScanOptions o;
  o.prefix = std::move(prefix);
  o.start_after = std::move(start_after);
  o.reverse = reverse;
  o.limit = limit;
  return o;
}

std::vector<std::string> Keys(const std::vector<KeyValue>& kvs) {
  std::vector<std::string> keys;
  for (const KeyValue& kv : kvs) keys.push_back(kv.key);
  return keys;
}

class StoreConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      store_ = std::make_unique<MemoryStore>();
      return;
    }
    if (IsPostgres()) {
      absl::StatusOr<testing::PostgresFixture*> pg = testing::PostgresFixture::Shared();
      ASSERT_TRUE(pg.ok()) << pg.status();
      absl::StatusOr<std::string> conninfo = (*pg)->CreateDatabase();
      ASSERT_TRUE(conninfo.ok()) << conninfo.status();
      conninfo_ = *conninfo;
      ASSERT_NO_FATAL_FAILURE(Reopen());
      return;
    }
    std::string tmpl = "/tmp/sw_store_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ASSERT_NO_FATAL_FAILURE(Reopen());
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  bool IsRocks() const { return GetParam() == "rocks"; }
  bool IsPostgres() const { return GetParam() == "postgres"; }
  bool Persists() const { return IsRocks() || IsPostgres(); }

  // Closes and reopens the RocksStore on the same directory, or opens a new
  // PostgresStore on the same database.
  absl::Status TryReopen() {
    store_.reset();
    if (IsPostgres()) {
      absl::StatusOr<std::unique_ptr<PostgresStore>> s =
          PostgresStore::Open(conninfo_, PostgresOptions{});
      if (!s.ok()) return s.status();
      store_ = std::move(*s);
      return absl::OkStatus();
    }
    absl::StatusOr<std::unique_ptr<RocksStore>> s =
        RocksStore::Open(dir_, RocksOptions{});
    if (!s.ok()) return s.status();
    store_ = std::move(*s);
    return absl::OkStatus();
  }
  void Reopen() { ASSERT_OK(TryReopen()); }

  std::vector<std::string> TableKeys(Table table) {
    absl::StatusOr<std::vector<KeyValue>> kvs = store_->Scan(table, {});
    EXPECT_TRUE(kvs.ok()) << kvs.status();
    return kvs.ok() ? Keys(*kvs) : std::vector<std::string>{};
  }

  int64_t VersionOf(const std::string& id) {
    absl::StatusOr<std::optional<VersionedValue>> v = store_->GetExecution(id);
    EXPECT_TRUE(v.ok()) << v.status();
    if (!v.ok() || !v->has_value()) return 0;
    return (*v)->version;
  }

  std::string dir_;
  std::string conninfo_;  // postgres
  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformanceTest, NewStoreRecordsSchemaVersion) {
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> v,
                       store_->Get(Table::kMeta, kSchemaVersionKey));
  EXPECT_EQ(v, absl::StrCat(kSchemaVersion));
  EXPECT_EQ(v, "2");
}

TEST_P(StoreConformanceTest, CommitWritesRecordHistoryAndWrites) {
  Transition t = Step("e1", 0, 1, 3);
  t.writes.push_back({Table::kTasks, TaskKey("act", "exec", 1), "task"});
  t.writes.push_back({Table::kTimers, TimerKey(1000, "e1", "t"), "timer"});
  t.writes.push_back({Table::kVisibility, VisibilityKey("m", 5, "e1"), "RUN"});
  ASSERT_OK(store_->Commit(t));

  ASSERT_OK_AND_ASSIGN(std::optional<VersionedValue> e,
                       store_->GetExecution("e1"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->version, 1);
  EXPECT_EQ(e->value, "record of e1 v1");
  ASSERT_OK_AND_ASSIGN(std::vector<HistoryChunk> h,
                       store_->ReadHistory("e1", 1, 0));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].first_event_id, 1);
  EXPECT_EQ(h[0].last_event_id, 3);
  EXPECT_EQ(h[0].value, "events 1..3 of e1");
  EXPECT_EQ(store_->Get(Table::kTasks, TaskKey("act", "exec", 1)).value(), "task");
  EXPECT_EQ(store_->Get(Table::kTimers, TimerKey(1000, "e1", "t")).value(),
            "timer");
  EXPECT_EQ(
      store_->Get(Table::kVisibility, VisibilityKey("m", 5, "e1")).value(),
      "RUN");
  // The raw executions value is the 8-byte big-endian version + record.
  EXPECT_EQ(store_->Get(Table::kExecutions, "e1").value(),
            EncodeExecutionValue(1, "record of e1 v1"));

  // The next step deletes the task and timer it made.
  Transition t2 = Step("e1", 1, 4, 5);
  t2.writes.push_back({Table::kTasks, TaskKey("act", "exec", 1), std::nullopt});
  t2.writes.push_back(
      {Table::kTimers, TimerKey(1000, "e1", "t"), std::nullopt});
  ASSERT_OK(store_->Commit(t2));
  EXPECT_TRUE(TableKeys(Table::kTasks).empty());
  EXPECT_TRUE(TableKeys(Table::kTimers).empty());
  EXPECT_EQ(VersionOf("e1"), 2);
}

TEST_P(StoreConformanceTest, VersionConflictIsAbortedAndWritesNothing) {
  ASSERT_OK(store_->Commit(Step("e1", 0, 1, 2)));

  Transition stale = Step("e1", 0, 3, 4);
  stale.execution_record = "stale";
  stale.writes.push_back({Table::kTasks, TaskKey("act", "exec", 1), "task"});
  EXPECT_CODE(store_->Commit(stale), absl::StatusCode::kAborted);

  Transition ahead = Step("e1", 5, 3, 4);
  EXPECT_CODE(store_->Commit(ahead), absl::StatusCode::kAborted);

  ASSERT_OK_AND_ASSIGN(std::optional<VersionedValue> e,
                       store_->GetExecution("e1"));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->version, 1);
  EXPECT_EQ(e->value, "record of e1 v1");
  EXPECT_TRUE(TableKeys(Table::kTasks).empty());
  EXPECT_EQ(TableKeys(Table::kHistory),
            std::vector<std::string>{HistoryKey("e1", 1)});
}

TEST_P(StoreConformanceTest, NewExecutionMustExpectVersionZero) {
  EXPECT_CODE(store_->Commit(Step("e1", 1, 1, 1)), absl::StatusCode::kAborted);
  EXPECT_EQ(VersionOf("e1"), 0);
  EXPECT_TRUE(TableKeys(Table::kHistory).empty());
  ASSERT_OK(store_->Commit(Step("e1", 0, 1, 1)));
  EXPECT_EQ(VersionOf("e1"), 1);
}

TEST_P(StoreConformanceTest, InvalidTransitionIsRejectedAndWritesNothing) {
  Transition meta = Step("e1", 0, 1, 1);
  meta.writes.push_back({Table::kTasks, TaskKey("a", "exec", 1), "task"});
  meta.writes.push_back({Table::kMeta, "k", "v"});
  EXPECT_CODE(store_->Commit(meta), absl::StatusCode::kInvalidArgument);

  Transition backwards = Step("e1", 0);
  backwards.new_version = 0;
  EXPECT_CODE(store_->Commit(backwards), absl::StatusCode::kInvalidArgument);

  EXPECT_CODE(store_->Commit(Step("", 0)), absl::StatusCode::kInvalidArgument);

  Transition inverted = Step("e1", 0, 5, 4);
  EXPECT_CODE(store_->Commit(inverted), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(VersionOf("e1"), 0);
  EXPECT_TRUE(TableKeys(Table::kTasks).empty());
  EXPECT_TRUE(TableKeys(Table::kHistory).empty());
  EXPECT_EQ(TableKeys(Table::kMeta),
            std::vector<std::string>{kSchemaVersionKey});
}

TEST_P(StoreConformanceTest, CommitBatchAppliesPassingTransitionsOnly) {
  ASSERT_OK(store_->Commit(Step("b", 0, 1, 1)));
  Transition a = Step("a", 0, 1, 2);
  a.writes.push_back({Table::kTasks, TaskKey("act", "exec", 1), "a"});
  Transition b = Step("b", 0, 2, 3);  // stale: b is at version 1
  b.writes.push_back({Table::kTasks, TaskKey("act", "exec", 2), "b"});
  Transition c = Step("c", 0, 1, 1);
  c.writes.push_back({Table::kTasks, TaskKey("act", "exec", 3), "c"});
  const Transition* batch[] = {&a, &b, &c};
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> statuses,
                       store_->CommitBatch(batch));
  ASSERT_EQ(statuses.size(), 3u);
  EXPECT_OK(statuses[0]);
  EXPECT_CODE(statuses[1], absl::StatusCode::kAborted);
  EXPECT_OK(statuses[2]);
  EXPECT_EQ(VersionOf("a"), 1);
  EXPECT_EQ(VersionOf("b"), 1);
  EXPECT_EQ(VersionOf("c"), 1);
  EXPECT_EQ(TableKeys(Table::kTasks),
            (std::vector<std::string>{TaskKey("act", "exec", 1), TaskKey("act", "exec", 3)}));
  EXPECT_EQ(TableKeys(Table::kHistory),
            (std::vector<std::string>{HistoryKey("a", 1), HistoryKey("b", 1),
                                      HistoryKey("c", 1)}));
}

TEST_P(StoreConformanceTest, CommitBatchChainsVersionsOfOneExecution) {
  Transition t1 = Step("x", 0, 1, 2);
  Transition t2 = Step("x", 1, 3, 4);
  Transition dup = Step("x", 1, 3, 9);  // second writer of version 2
  Transition t3 = Step("x", 2, 5, 5);
  Transition y = Step("y", 0, 1, 1);
  const Transition* batch[] = {&t1, &t2, &dup, &t3, &y};
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> statuses,
                       store_->CommitBatch(batch));
  ASSERT_EQ(statuses.size(), 5u);
  EXPECT_OK(statuses[0]);
  EXPECT_OK(statuses[1]);
  EXPECT_CODE(statuses[2], absl::StatusCode::kAborted);
  EXPECT_OK(statuses[3]);
  EXPECT_OK(statuses[4]);
  ASSERT_OK_AND_ASSIGN(std::optional<VersionedValue> x,
                       store_->GetExecution("x"));
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->version, 3);
  EXPECT_EQ(x->value, "record of x v3");
  ASSERT_OK_AND_ASSIGN(std::vector<HistoryChunk> h,
                       store_->ReadHistory("x", 1, 0));
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[1].first_event_id, 3);
  EXPECT_EQ(h[1].last_event_id, 4);  // not the aborted 3..9
  // A later commit continues from the chained version.
  EXPECT_CODE(store_->Commit(Step("x", 2)), absl::StatusCode::kAborted);
  EXPECT_OK(store_->Commit(Step("x", 3)));
}

TEST_P(StoreConformanceTest, CommitBatchChainStartsFromStoredAfterAbort) {
  Transition wrong = Step("x", 4, 1, 1);
  Transition right = Step("x", 0, 1, 1);
  const Transition* batch[] = {&wrong, &right};
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> statuses,
                       store_->CommitBatch(batch));
  EXPECT_CODE(statuses[0], absl::StatusCode::kAborted);
  EXPECT_OK(statuses[1]);
  EXPECT_EQ(VersionOf("x"), 1);
}

TEST_P(StoreConformanceTest, EmptyOrAllAbortedBatchWritesNothing) {
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> none, store_->CommitBatch({}));
  EXPECT_TRUE(none.empty());
  Transition t = Step("x", 3);
  const Transition* batch[] = {&t};
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> statuses,
                       store_->CommitBatch(batch));
  EXPECT_CODE(statuses[0], absl::StatusCode::kAborted);
  EXPECT_TRUE(TableKeys(Table::kExecutions).empty());
}

TEST_P(StoreConformanceTest, ReadHistoryStartsAtTheChunkHoldingTheEvent) {
  // Neighbouring executions whose ids extend "e" must not leak in.
  ASSERT_OK(store_->Commit(Step("d", 0, 1, 50)));
  ASSERT_OK(store_->Commit(Step("e0", 0, 1, 50)));
  ASSERT_OK(store_->Commit(Step(std::string("e\0", 2), 0, 1, 50)));
  const std::vector<std::pair<int64_t, int64_t>> chunks = {
      {1, 3}, {4, 4}, {5, 9}, {10, 12}, {13, 300}};
  int64_t version = 0;
  for (auto [first, last] : chunks) {
    ASSERT_OK(store_->Commit(Step("e", version++, first, last)));
  }
  ASSERT_OK(store_->Commit(Step("e", version++)));  // a step without events

  for (int64_t from = -1; from <= 302; ++from) {
    ASSERT_OK_AND_ASSIGN(std::vector<HistoryChunk> got,
                         store_->ReadHistory("e", from, 0));
    size_t want_start = chunks.size();
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (chunks[i].second >= std::max<int64_t>(from, 1)) {
        want_start = i;
        break;
      }
    }
    ASSERT_EQ(got.size(), chunks.size() - want_start) << "from " << from;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].first_event_id, chunks[want_start + i].first);
      EXPECT_EQ(got[i].last_event_id, chunks[want_start + i].second);
      EXPECT_EQ(got[i].value,
                absl::StrCat("events ", got[i].first_event_id, "..",
                             got[i].last_event_id, " of e"));
    }
  }
  ASSERT_OK_AND_ASSIGN(std::vector<HistoryChunk> two,
                       store_->ReadHistory("e", 4, 2));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].first_event_id, 4);
  EXPECT_EQ(two[1].first_event_id, 5);
  ASSERT_OK_AND_ASSIGN(std::vector<HistoryChunk> none,
                       store_->ReadHistory("nope", 1, 0));
  EXPECT_TRUE(none.empty());
}

TEST_P(StoreConformanceTest, ScanHonoursPrefixStartAfterReverseAndLimit) {
  const std::vector<std::string> keys = {
      "a", "b", "ba", "bb", "bc", std::string("b\0", 2), "b\xff", "c", "\xff"};
  for (const std::string& k : keys) {
    ASSERT_OK(store_->Put(Table::kMachines, k, "v" + k));
  }
  auto scan = [&](ScanOptions opts) {
    absl::StatusOr<std::vector<KeyValue>> r =
        store_->Scan(Table::kMachines, opts);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? Keys(*r) : std::vector<std::string>{"<error>"};
  };
  using V = std::vector<std::string>;
  const std::string b0("b\0", 2);
  EXPECT_EQ(scan({}),
            (V{"a", "b", b0, "ba", "bb", "bc", "b\xff", "c", "\xff"}));
  EXPECT_EQ(scan(Opts("b", "", false, 0)),
            (V{"b", b0, "ba", "bb", "bc", "b\xff"}));
  EXPECT_EQ(scan(Opts("b", "ba", false, 0)), (V{"bb", "bc", "b\xff"}));
  EXPECT_EQ(scan(Opts("b", "a", false, 0)),
            (V{"b", b0, "ba", "bb", "bc", "b\xff"}));
  EXPECT_EQ(scan(Opts("b", "b\xff", false, 0)), V{});
  EXPECT_EQ(scan(Opts("b", "zz", false, 0)), V{});
  EXPECT_EQ(scan(Opts("b", "", true, 0)),
            (V{"b\xff", "bc", "bb", "ba", b0, "b"}));
  EXPECT_EQ(scan(Opts("b", "bb", true, 0)), (V{"ba", b0, "b"}));
  EXPECT_EQ(scan(Opts("b", "zz", true, 0)),
            (V{"b\xff", "bc", "bb", "ba", b0, "b"}));
  EXPECT_EQ(scan(Opts("b", "b", true, 0)), V{});
  EXPECT_EQ(scan(Opts("b", "a", true, 0)), V{});
  EXPECT_EQ(scan(Opts("b", "", false, 2)), (V{"b", b0}));
  EXPECT_EQ(scan(Opts("b", "b", false, 2)), (V{b0, "ba"}));
  EXPECT_EQ(scan(Opts("b", "", true, 2)), (V{"b\xff", "bc"}));
  EXPECT_EQ(scan(Opts("", "", true, 0)),
            (V{"\xff", "c", "b\xff", "bc", "bb", "ba", b0, "b", "a"}));
  EXPECT_EQ(scan(Opts("", "bc", true, 3)), (V{"bb", "ba", b0}));
  EXPECT_EQ(scan(Opts("", "bc", false, 0)), (V{"b\xff", "c", "\xff"}));
  EXPECT_EQ(scan(Opts("\xff", "", false, 0)), (V{"\xff"}));
  EXPECT_EQ(scan(Opts("\xff", "", true, 0)), (V{"\xff"}));
  EXPECT_EQ(scan(Opts("zz", "", false, 0)), V{});

  ASSERT_OK_AND_ASSIGN(
      std::vector<KeyValue> kv,
      store_->Scan(Table::kMachines, Opts("bc", "", false, 0)));
  ASSERT_EQ(kv.size(), 1u);
  EXPECT_EQ(kv[0].value, "vbc");
  // Other tables are separate.
  EXPECT_TRUE(TableKeys(Table::kActivities).empty());
}

TEST_P(StoreConformanceTest, ScanVisibilityNewestFirst) {
  for (int64_t t : {100, 300, 200}) {
    Transition s = Step(absl::StrCat("e", t), 0);
    s.writes.push_back({Table::kVisibility,
                        VisibilityKey("m", t, absl::StrCat("e", t)),
                        "RUNNING"});
    s.writes.push_back({Table::kVisibility,
                        VisibilityKey("m2", t, absl::StrCat("e", t)), "X"});
    ASSERT_OK(store_->Commit(s));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<KeyValue> page,
                       store_->Scan(Table::kVisibility,
                                    Opts(VisibilityPrefix("m"), "", false, 2)));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(DecodeVisibilityKey(page[0].key)->start_time_ms, 300);
  EXPECT_EQ(DecodeVisibilityKey(page[1].key)->start_time_ms, 200);
  ASSERT_OK_AND_ASSIGN(
      std::vector<KeyValue> next,
      store_->Scan(Table::kVisibility,
                   Opts(VisibilityPrefix("m"), page[1].key, false, 0)));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(DecodeVisibilityKey(next[0].key)->start_time_ms, 100);
}

TEST_P(StoreConformanceTest, PutGetAndDelete) {
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> absent,
                       store_->Get(Table::kActivities, "act"));
  EXPECT_FALSE(absent.has_value());
  ASSERT_OK(store_->Put(Table::kActivities, "act", "one"));
  ASSERT_OK(store_->Put(Table::kActivities, "act", "two"));
  EXPECT_EQ(store_->Get(Table::kActivities, "act").value(), "two");
  EXPECT_FALSE(store_->Get(Table::kMachines, "act").value().has_value());
  ASSERT_OK(store_->Put(Table::kActivities, "act", std::nullopt));
  EXPECT_FALSE(store_->Get(Table::kActivities, "act").value().has_value());
  ASSERT_OK(store_->Put(Table::kActivities, "never", std::nullopt));
  ASSERT_OK(store_->Put(Table::kMachines, "empty", ""));
  EXPECT_EQ(store_->Get(Table::kMachines, "empty").value(), "");
}

TEST_P(StoreConformanceTest, PutIfAbsentKeepsTheFirstValue) {
  ASSERT_OK_AND_ASSIGN(std::string first, store_->PutIfAbsent(Table::kMeta, "k", "one"));
  EXPECT_EQ(first, "one");
  ASSERT_OK_AND_ASSIGN(std::string second, store_->PutIfAbsent(Table::kMeta, "k", "two"));
  EXPECT_EQ(second, "one");
  EXPECT_EQ(store_->Get(Table::kMeta, "k").value(), "one");
}

TEST_P(StoreConformanceTest, PutIfUnchangedWritesOnlyOverTheExpectedValue) {
  // Absent expected: creates once.
  ASSERT_OK_AND_ASSIGN(bool created, store_->PutIfUnchanged(Table::kMachines, "m", std::nullopt,
                                                            std::string("v1")));
  EXPECT_TRUE(created);
  ASSERT_OK_AND_ASSIGN(bool again, store_->PutIfUnchanged(Table::kMachines, "m", std::nullopt,
                                                          std::string("other")));
  EXPECT_FALSE(again);
  EXPECT_EQ(store_->Get(Table::kMachines, "m").value(), "v1");
  // A stale expected value writes nothing.
  ASSERT_OK_AND_ASSIGN(bool stale, store_->PutIfUnchanged(Table::kMachines, "m",
                                                          std::string("v0"), std::string("v2")));
  EXPECT_FALSE(stale);
  EXPECT_EQ(store_->Get(Table::kMachines, "m").value(), "v1");
  // The current value replaces.
  ASSERT_OK_AND_ASSIGN(bool replaced, store_->PutIfUnchanged(
                                          Table::kMachines, "m", std::string("v1"),
                                          std::string("v2")));
  EXPECT_TRUE(replaced);
  EXPECT_EQ(store_->Get(Table::kMachines, "m").value(), "v2");
  // Deletes: a stale one keeps the row, the current one removes it.
  ASSERT_OK_AND_ASSIGN(bool stale_delete, store_->PutIfUnchanged(Table::kMachines, "m",
                                                                 std::string("v1"), std::nullopt));
  EXPECT_FALSE(stale_delete);
  EXPECT_EQ(store_->Get(Table::kMachines, "m").value(), "v2");
  ASSERT_OK_AND_ASSIGN(bool deleted, store_->PutIfUnchanged(Table::kMachines, "m",
                                                            std::string("v2"), std::nullopt));
  EXPECT_TRUE(deleted);
  EXPECT_EQ(store_->Get(Table::kMachines, "m").value(), std::nullopt);
  // An expected value never matches an absent key, and absent matches absent.
  ASSERT_OK_AND_ASSIGN(bool over_absent, store_->PutIfUnchanged(
                                             Table::kMachines, "m", std::string("v2"),
                                             std::string("v3")));
  EXPECT_FALSE(over_absent);
  EXPECT_EQ(store_->Get(Table::kMachines, "m").value(), std::nullopt);
  ASSERT_OK_AND_ASSIGN(bool absent_delete, store_->PutIfUnchanged(Table::kMachines, "m",
                                                                  std::nullopt, std::nullopt));
  EXPECT_TRUE(absent_delete);
  // An empty value is a value, not an absent key.
  ASSERT_OK(store_->Put(Table::kMachines, "e", std::string()));
  ASSERT_OK_AND_ASSIGN(bool empty_is_not_absent, store_->PutIfUnchanged(
                                                     Table::kMachines, "e", std::nullopt,
                                                     std::string("x")));
  EXPECT_FALSE(empty_is_not_absent);
  ASSERT_OK_AND_ASSIGN(bool empty_matches, store_->PutIfUnchanged(
                                               Table::kMachines, "e", std::string(),
                                               std::string("x")));
  EXPECT_TRUE(empty_matches);
  EXPECT_CODE(store_->PutIfUnchanged(Table::kExecutions, "x", std::nullopt, std::string("v")),
              absl::StatusCode::kInvalidArgument);
}

// Threads each add to one counter by read, then compare-and-set, retrying
// when they lose: no increment may be lost (a plain Get+Put loses some).
TEST_P(StoreConformanceTest, PutIfUnchangedLosesNoConcurrentIncrement) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 10;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        while (true) {
          absl::StatusOr<std::optional<std::string>> cur = store_->Get(Table::kMeta, "counter");
          if (!cur.ok()) {
            ++errors;
            return;
          }
          int n = cur->has_value() ? std::stoi(**cur) : 0;
          absl::StatusOr<bool> won =
              store_->PutIfUnchanged(Table::kMeta, "counter", *cur, std::to_string(n + 1));
          if (!won.ok()) {
            ++errors;
            return;
          }
          if (*won) break;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(store_->Get(Table::kMeta, "counter").value(), std::to_string(kThreads * kIncrements));
}

TEST_P(StoreConformanceTest, RawExecutionPutBypassesAndResetsVersionCheck) {
  ASSERT_OK(store_->Commit(Step("x", 0)));
  ASSERT_OK(store_->Put(Table::kExecutions, "x",
                        EncodeExecutionValue(5, "imported")));
  EXPECT_CODE(store_->Commit(Step("x", 1)), absl::StatusCode::kAborted);
  EXPECT_OK(store_->Commit(Step("x", 5)));
  ASSERT_OK(store_->Put(Table::kExecutions, "x", std::nullopt));
  EXPECT_CODE(store_->Commit(Step("x", 6)), absl::StatusCode::kAborted);
  EXPECT_OK(store_->Commit(Step("x", 0)));
}

TEST_P(StoreConformanceTest, PutBatchWritesRawRowsOfEveryTable) {
  ASSERT_OK(store_->Commit(Step("x", 0)));
  ASSERT_OK(store_->Put(Table::kTimers, "gone", ""));
  std::vector<Write> rows = {
      {Table::kMachines, "m", std::string("def\0", 4)},
      {Table::kExecutions, "x", EncodeExecutionValue(7, "imported")},
      {Table::kHistory, HistoryKey("x", 1), EncodeHistoryValue(3, "chunk")},
      {Table::kTimers, "gone", std::nullopt},
      {Table::kMeta, "token_key", "k"},
  };
  ASSERT_OK(store_->PutBatch(rows));
  ASSERT_OK(store_->PutBatch({}));
  EXPECT_EQ(store_->Get(Table::kMachines, "m").value(), std::string("def\0", 4));
  EXPECT_FALSE(store_->Get(Table::kTimers, "gone").value().has_value());
  EXPECT_EQ(store_->Get(Table::kMeta, "token_key").value(), "k");
  ASSERT_OK_AND_ASSIGN(std::vector<HistoryChunk> history, store_->ReadHistory("x", 1, 0));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].last_event_id, 3);
  EXPECT_EQ(history[0].value, "chunk");
  // The execution row's framed version is the one the version check sees.
  ASSERT_OK_AND_ASSIGN(std::optional<VersionedValue> x, store_->GetExecution("x"));
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->version, 7);
  EXPECT_CODE(store_->Commit(Step("x", 1)), absl::StatusCode::kAborted);
  EXPECT_OK(store_->Commit(Step("x", 7)));
}

TEST_P(StoreConformanceTest, CorruptedExecutionValueIsDataLoss) {
  ASSERT_OK(store_->Put(Table::kExecutions, "bad-exec", "short"));
  absl::Status get = store_->GetExecution("bad-exec").status();
  EXPECT_EQ(get.code(), absl::StatusCode::kDataLoss) << get;
  EXPECT_TRUE(absl::StrContains(get.message(), "bad-exec")) << get;
  EXPECT_CODE(store_->Commit(Step("bad-exec", 0)), absl::StatusCode::kDataLoss);

  Transition bad = Step("bad-exec", 1);
  Transition good = Step("good", 0);
  const Transition* batch[] = {&bad, &good};
  ASSERT_OK_AND_ASSIGN(std::vector<absl::Status> statuses,
                       store_->CommitBatch(batch));
  EXPECT_CODE(statuses[0], absl::StatusCode::kDataLoss);
  EXPECT_OK(statuses[1]);
  EXPECT_EQ(store_->Get(Table::kExecutions, "bad-exec").value(), "short");

  ASSERT_OK(store_->Put(Table::kHistory, HistoryKey("h", 1), "1234"));
  EXPECT_CODE(store_->ReadHistory("h", 1, 0), absl::StatusCode::kDataLoss);
}

TEST_P(StoreConformanceTest, ConcurrentWritersOfOneExecutionNeverBothWin) {
  constexpr int kThreads = 4;
  constexpr int kAttempts = 25;
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < kAttempts; ++n) {
        absl::StatusOr<std::optional<VersionedValue>> cur =
            store_->GetExecution("shared");
        if (!cur.ok()) return;
        int64_t v = cur->has_value() ? (*cur)->version : 0;
        Transition t = Step("shared", v, v + 1, v + 1);
        t.writes.push_back(
            {Table::kTasks, TaskKey(absl::StrCat("w", i), "exec", n), "x"});
        if (store_->Commit(t).ok()) ++wins;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(VersionOf("shared"), wins.load());
  EXPECT_EQ(TableKeys(Table::kTasks).size(), static_cast<size_t>(wins.load()));
  ASSERT_OK_AND_ASSIGN(std::vector<HistoryChunk> h,
                       store_->ReadHistory("shared", 1, 0));
  ASSERT_EQ(h.size(), static_cast<size_t>(wins.load()));
  for (size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(h[i].first_event_id, static_cast<int64_t>(i) + 1);
  }
}

// Group commit under load: threads committing batches at once, each batch
// holding its own new executions, a chain of one of them, and a bid for an
// execution every thread contends for. Every batch's own transitions apply;
// the contended execution moves one version per winning bid, never two
// winners of one version.
TEST_P(StoreConformanceTest, ConcurrentBatchesApplyOwnWorkAndContendFairly) {
  constexpr int kThreads = 4;
  constexpr int kBatches = 10;
  std::atomic<int> contended_wins{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < kBatches; ++n) {
        absl::StatusOr<std::optional<VersionedValue>> cur = store_->GetExecution("hot");
        if (!cur.ok()) {
          ++failures;
          return;
        }
        int64_t v = cur->has_value() ? (*cur)->version : 0;
        const std::string own = absl::StrCat("t", i, "-", n);
        Transition a = Step(own, 0, 1, 2);
        a.writes.push_back({Table::kTasks, TaskKey("act", own, 1), "a"});
        Transition b = Step(own, 1, 3, 3);
        b.writes.push_back({Table::kTasks, TaskKey("act", own, 1), std::nullopt});
        b.writes.push_back({Table::kTimers, TimerKey(n, own, 1), ""});
        Transition hot = Step("hot", v, v + 1, v + 1);
        hot.writes.push_back({Table::kVisibility, VisibilityKey("hot", v + 1, own), "x"});
        const Transition* batch[] = {&a, &hot, &b};
        absl::StatusOr<std::vector<absl::Status>> r = store_->CommitBatch(batch);
        if (!r.ok() || !(*r)[0].ok() || !(*r)[2].ok()) {
          ++failures;
          continue;
        }
        if ((*r)[1].ok()) {
          ++contended_wins;
        } else if (!absl::IsAborted((*r)[1])) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(contended_wins.load(), 1);
  EXPECT_EQ(VersionOf("hot"), contended_wins.load());
  EXPECT_EQ(TableKeys(Table::kVisibility).size(), static_cast<size_t>(contended_wins.load()));
  ASSERT_OK_AND_ASSIGN(std::vector<HistoryChunk> h, store_->ReadHistory("hot", 1, 0));
  ASSERT_EQ(h.size(), static_cast<size_t>(contended_wins.load()));
  for (size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(h[i].first_event_id, static_cast<int64_t>(i) + 1);
  }
  EXPECT_TRUE(TableKeys(Table::kTasks).empty());
  EXPECT_EQ(TableKeys(Table::kTimers).size(), static_cast<size_t>(kThreads * kBatches));
  for (int i = 0; i < kThreads; ++i) {
    for (int n = 0; n < kBatches; ++n) {
      const std::string own = absl::StrCat("t", i, "-", n);
      EXPECT_EQ(VersionOf(own), 2) << own;
      ASSERT_OK_AND_ASSIGN(std::vector<HistoryChunk> oh, store_->ReadHistory(own, 1, 0));
      EXPECT_EQ(oh.size(), 2u) << own;
    }
  }
}

TEST_P(StoreConformanceTest, ReopenKeepsEverything) {
  if (!Persists()) GTEST_SKIP() << "MemoryStore does not persist";
  Transition t = Step("e", 0, 1, 3);
  t.writes.push_back({Table::kTimers, TimerKey(7, "e", "t"), "timer"});
  ASSERT_OK(store_->Commit(t));
  ASSERT_OK(store_->Commit(Step("e", 1, 4, 6)));
  ASSERT_OK(store_->Put(Table::kMachines, "m", "def"));
  ASSERT_NO_FATAL_FAILURE(Reopen());

  EXPECT_EQ(VersionOf("e"), 2);
  ASSERT_OK_AND_ASSIGN(std::vector<HistoryChunk> h,
                       store_->ReadHistory("e", 5, 0));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].value, "events 4..6 of e");
  EXPECT_EQ(store_->Get(Table::kTimers, TimerKey(7, "e", "t")).value(),
            "timer");
  EXPECT_EQ(store_->Get(Table::kMachines, "m").value(), "def");
  EXPECT_EQ(store_->Get(Table::kMeta, kSchemaVersionKey).value(), absl::StrCat(kSchemaVersion));
  // Version checks continue from what is on disk.
  EXPECT_CODE(store_->Commit(Step("e", 1)), absl::StatusCode::kAborted);
  EXPECT_OK(store_->Commit(Step("e", 2)));
}

TEST_P(StoreConformanceTest, OpenRefusesAnotherSchemaVersion) {
  if (!Persists()) GTEST_SKIP() << "MemoryStore has no schema on disk";
  ASSERT_OK(store_->Put(Table::kMeta, kSchemaVersionKey, absl::StrCat(kSchemaVersion + 1)));
  absl::Status s = TryReopen();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(s.message(), absl::StrCat("store schema version ", kSchemaVersion + 1,
                                      " is not supported by this server (it reads ",
                                      kOldestReadableSchemaVersion, " to ", kSchemaVersion, ")"));
}

// A store written by an older server this one reads (version 1: history
// chunks never share payloads) opens, and is recorded as the current
// version so that the older server refuses it from then on.
TEST_P(StoreConformanceTest, OpenRecordsTheCurrentVersionOverAnOlderReadableOne) {
  if (!Persists()) GTEST_SKIP() << "MemoryStore has no schema on disk";
  ASSERT_OK(store_->Put(Table::kMeta, kSchemaVersionKey,
                        absl::StrCat(kOldestReadableSchemaVersion)));
  ASSERT_OK(TryReopen());
  EXPECT_EQ(store_->Get(Table::kMeta, kSchemaVersionKey).value(), absl::StrCat(kSchemaVersion));
}

TEST_P(StoreConformanceTest, OpenReportsUnreadableSchemaVersion) {
  if (!Persists()) GTEST_SKIP() << "MemoryStore has no schema on disk";
  ASSERT_OK(store_->Put(Table::kMeta, kSchemaVersionKey, "one"));
  EXPECT_CODE(TryReopen(), absl::StatusCode::kDataLoss);
}

TEST_P(StoreConformanceTest, SecondOpenOfALockedStoreIsUnavailable) {
  if (!IsRocks()) {
    GTEST_SKIP() << "only RocksStore locks a directory (PostgreSQL serves many clients; "
                    "one writer per shard is issue 20's lease fencing)";
  }
  absl::StatusOr<std::unique_ptr<RocksStore>> second =
      RocksStore::Open(dir_, RocksOptions{});
  EXPECT_CODE(second, absl::StatusCode::kUnavailable);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreConformanceTest, ::testing::Values("memory", "rocks", "postgres"),
    [](const ::testing::TestParamInfo<std::string>& param_info) {
      return param_info.param;
    });

// RocksStore only: Checkpoint and ApproximateSize (the Backup RPC and
// /metrics use them).
TEST(RocksStoreTest, CheckpointIsAnOpenableCopyAtOneInstant) {
  std::string tmpl = "/tmp/sw_checkpoint_test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::string root = tmpl;
  absl::StatusOr<std::unique_ptr<RocksStore>> store =
      RocksStore::Open(root + "/data", RocksOptions{});
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_OK((*store)->Put(Table::kActivities, "before", "1"));
  EXPECT_GT((*store)->ApproximateSize(), 0u);

  ASSERT_OK((*store)->Checkpoint(root + "/backup"));
  ASSERT_OK((*store)->Put(Table::kActivities, "after", "2"));
  EXPECT_EQ((*store)->Checkpoint(root + "/backup").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ((*store)->Checkpoint("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE((*store)->Checkpoint(root + "/no/such/parent").ok());

  // The live store keeps its lock; the copy opens on its own.
  absl::StatusOr<std::unique_ptr<RocksStore>> copy =
      RocksStore::Open(root + "/backup", RocksOptions{});
  ASSERT_TRUE(copy.ok()) << copy.status();
  absl::StatusOr<std::optional<std::string>> before = (*copy)->Get(Table::kActivities, "before");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->value_or("<absent>"), "1");
  absl::StatusOr<std::optional<std::string>> after = (*copy)->Get(Table::kActivities, "after");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_FALSE(after->has_value());
  copy->reset();
  store->reset();
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
}

TEST(RocksStoreTest, BackgroundStatsCountFlushesAndCompactions) {
  std::string tmpl = "/tmp/sw_background_test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::string root = tmpl;
  RocksOptions options;
  options.sync = false;
  options.write_buffer_bytes = 64 << 10;  // many small memtables: flushes, then L0 compactions
  absl::StatusOr<std::unique_ptr<RocksStore>> store = RocksStore::Open(root + "/data", options);
  ASSERT_TRUE(store.ok()) << store.status();
  RocksStore::BackgroundStats fresh = (*store)->Background();
  EXPECT_EQ(fresh.flushes, 0u);
  EXPECT_EQ(fresh.compactions, 0u);

  const std::string value(1024, 'v');
  for (int i = 0; i < 4000; ++i) {
    ASSERT_OK((*store)->Put(Table::kActivities, absl::StrCat("key", i % 997, "-", i), value));
  }
  RocksStore::BackgroundStats b;
  for (int tries = 0; tries < 200; ++tries) {  // background threads report on their own time
    b = (*store)->Background();
    if (b.flushes > 0 && b.compactions > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GT(b.flushes, 3u);
  EXPECT_GT(b.compactions, 0u);
  EXPECT_GT(b.compaction_input_bytes, 0u);
  EXPECT_GT(b.compaction_output_bytes, 0u);
  EXPECT_GE(b.compaction_seconds, 0.0);
  store->reset();
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
}

}  // namespace
}  // namespace stepwise::storage
