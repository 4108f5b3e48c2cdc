// ExpressRoutingStore: Express executions' transitions stay in memory, the
// rest reach the durable store; a mixed CommitBatch is split (one write to
// the durable store, holding only its part); reads route the same way;
// Forget drops every row of an Express execution. Test-only.
#include "storage/express_routing_store.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/memory_store.h"

namespace stepwise::storage {
namespace {

constexpr char kStandard[] = "arn:aws:states:us-east-1:123456789012:execution:m:run";
constexpr char kExpress[] = "arn:aws:states:us-east-1:123456789012:express:m:run:uuid";
constexpr char kMachine[] = "arn:aws:states:us-east-1:123456789012:stateMachine:m";

Transition Start(const std::string& id) {
  Transition t;
  t.execution_id = id;
  t.expected_version = 0;
  t.new_version = 1;
  t.execution_record = "record of " + id;
  t.first_event_id = 1;
  t.last_event_id = 2;
  t.history_chunk = "events of " + id;
  t.writes.push_back({Table::kVisibility, VisibilityKey(kMachine, 1000, id), "row"});
  t.writes.push_back({Table::kTimers, TimerKey(5000, id, 1), ""});
  return t;
}

size_t Rows(Store& s, Table t) {
  auto rows = s.Scan(t, ScanOptions{});
  EXPECT_TRUE(rows.ok());
  return rows.ok() ? rows->size() : 0;
}

TEST(ExpressRoutingStoreTest, TellsExpressArns) {
  EXPECT_TRUE(ExpressRoutingStore::IsExpress(kExpress));
  EXPECT_FALSE(ExpressRoutingStore::IsExpress(kStandard));
}

TEST(ExpressRoutingStoreTest, MixedBatchIsSplitAndOnlyTheStandardPartIsDurable) {
  MemoryStore durable;
  ExpressRoutingStore store(&durable);
  Transition s = Start(kStandard);
  Transition e = Start(kExpress);
  Transition stale = Start(kExpress);  // same execution, version 0 again: aborted
  const Transition* batch[] = {&e, &s, &stale};
  auto out = store.CommitBatch(batch);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_TRUE((*out)[0].ok());
  EXPECT_TRUE((*out)[1].ok());
  EXPECT_EQ((*out)[2].code(), absl::StatusCode::kAborted);
  EXPECT_EQ(durable.commit_calls(), 1);

  // The durable store holds the Standard execution's rows and nothing else.
  EXPECT_EQ(Rows(durable, Table::kExecutions), 1u);
  EXPECT_EQ(Rows(durable, Table::kHistory), 1u);
  EXPECT_EQ(Rows(durable, Table::kVisibility), 1u);
  EXPECT_EQ(Rows(durable, Table::kTimers), 1u);
  auto d = durable.GetExecution(kExpress);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->has_value());

  // Reads route: both are there through the routing store.
  auto x = store.GetExecution(kExpress);
  ASSERT_TRUE(x.ok());
  ASSERT_TRUE(x->has_value());
  EXPECT_EQ((*x)->value, std::string("record of ") + kExpress);
  auto h = store.ReadHistory(kExpress, 1, 0);
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ(h->front().value, std::string("events of ") + kExpress);
  EXPECT_EQ(store.express_rows(), 4u);  // record, history, visibility, timer

  // A single Express commit never reaches the durable store either.
  Transition next = Start(kExpress);
  next.expected_version = 1;
  next.new_version = 2;
  next.first_event_id = 3;
  next.last_event_id = 3;
  next.writes = {{Table::kTimers, TimerKey(5000, kExpress, 1), std::nullopt}};
  ASSERT_TRUE(store.Commit(next).ok());
  EXPECT_EQ(durable.commit_calls(), 1);

  store.Forget(kExpress, kMachine, 1000);
  EXPECT_EQ(store.express_rows(), 0u);
  auto gone = store.GetExecution(kExpress);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  // The Standard execution is untouched.
  auto kept = store.GetExecution(kStandard);
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->has_value());
}

TEST(ExpressRoutingStoreTest, NonExecutionTablesGoToTheDurableStore) {
  MemoryStore durable;
  ExpressRoutingStore store(&durable);
  ASSERT_TRUE(store.Put(Table::kMachines, "m", "record").ok());
  auto got = durable.Get(Table::kMachines, "m");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value_or(""), "record");
  EXPECT_EQ(store.express_rows(), 0u);
}

}  // namespace
}  // namespace stepwise::storage
