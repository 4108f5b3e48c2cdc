// CopyStore and CompareStores: every table is covered (a row in each table
// of the enum must arrive), rows move in batches across batch boundaries,
// a non-empty destination or another schema version is refused, and the
// comparison names the first missing, extra or different row. Over
// MemoryStores, and once RocksDB -> PostgreSQL -> RocksDB on a real
// PostgreSQL (storage/testing/postgres_fixture.h).
#include "storage/store_copy.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "storage/memory_store.h"
#include "storage/postgres_store.h"
#include "storage/rocks_store.h"
#include "storage/store_internal.h"
#include "storage/testing/postgres_fixture.h"

namespace stepwise::storage {
namespace {

using internal::TableName;

// Fills every table with `per_table` rows (binary keys and values included),
// executions framed with a version and history framed with an event id.
void Fill(Store& s, int per_table) {
  for (Table t : AllTables()) {
    for (int i = 0; i < per_table; ++i) {
      std::string key = absl::StrCat(TableName(t), "/", i, std::string("\0\xff", 2));
      std::string value = absl::StrCat("value ", i, std::string("\x00\x01\xfe", 3));
      if (t == Table::kExecutions) value = EncodeExecutionValue(i + 1, value);
      if (t == Table::kHistory) value = EncodeHistoryValue(i + 5, value);
      ASSERT_TRUE(s.Put(t, key, value).ok());
    }
  }
}

std::string TempDir() {
  std::string tmpl = "/tmp/sw_store_copy_test.XXXXXX";
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

TEST(StoreCopyTest, AllTablesIsTheWholeEnum) {
  std::vector<Table> tables = AllTables();
  ASSERT_EQ(tables.size(), static_cast<size_t>(internal::kTableCount));
  for (Table t : tables) EXPECT_STRNE(TableName(t), "unknown");
  // A table added to the enum without raising kTableCount would be left
  // out of every copy: the value after the last one must name no table.
  EXPECT_STREQ(TableName(static_cast<Table>(internal::kTableCount)), "unknown");
}

TEST(StoreCopyTest, CopiesEveryRowOfEveryTableInBatches) {
  MemoryStore from, to;
  Fill(from, 7);
  CopyOptions options;
  options.batch_rows = 3;
  std::vector<std::string> progress;
  options.progress = [&](Table t, uint64_t rows, bool done) {
    progress.push_back(absl::StrCat(TableName(t), ":", rows, done ? " done" : ""));
  };
  auto counts = CopyStore(from, to, options);
  ASSERT_TRUE(counts.ok()) << counts.status();
  ASSERT_EQ(counts->size(), static_cast<size_t>(internal::kTableCount));
  for (int t = 0; t < internal::kTableCount; ++t) {
    const Table table = static_cast<Table>(t);
    // The meta table also holds the schema version.
    EXPECT_EQ((*counts)[t].table, table);
    EXPECT_EQ((*counts)[t].rows, table == Table::kMeta ? 8u : 7u) << TableName(table);
    ScanOptions all;
    auto a = from.Scan(table, all);
    auto b = to.Scan(table, all);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), b->size()) << TableName(table);
    for (size_t i = 0; i < a->size(); ++i) {
      EXPECT_EQ((*a)[i].key, (*b)[i].key);
      EXPECT_EQ((*a)[i].value, (*b)[i].value);
    }
  }
  auto version = to.GetExecution(absl::StrCat("executions/3", std::string("\0\xff", 2)));
  ASSERT_TRUE(version.ok() && version->has_value());
  EXPECT_EQ((*version)->version, 4);
  // Batches of 3 out of 7: 3, 6, then the end.
  EXPECT_EQ(progress[0], "machines:3");
  EXPECT_EQ(progress[1], "machines:6");
  EXPECT_EQ(progress[2], "machines:7 done");

  auto same = CompareStores(from, to, 2, nullptr);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->differences, 0u);
  EXPECT_FALSE(same->first.has_value());
}

TEST(StoreCopyTest, RefusesANonEmptyDestinationUnlessAllowed) {
  MemoryStore from, to;
  Fill(from, 2);
  ASSERT_TRUE(to.Put(Table::kTimers, "t1", "").ok());
  auto refused = CopyStore(from, to, CopyOptions{});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "timers key t1"))
      << refused.status();
  auto machines = to.Scan(Table::kMachines, ScanOptions{});
  ASSERT_TRUE(machines.ok());
  EXPECT_TRUE(machines->empty());  // nothing written

  CopyOptions allow;
  allow.allow_non_empty_destination = true;
  ASSERT_TRUE(CopyStore(from, to, allow).ok());
  auto diff = CompareStores(from, to, 100, nullptr);
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(diff->differences, 1u);
  ASSERT_TRUE(diff->first.has_value());
  EXPECT_EQ(diff->first->ToString(), "timers key t1: in the destination only");
}

TEST(StoreCopyTest, RefusesAnotherSchemaVersion) {
  MemoryStore from, to;
  ASSERT_TRUE(to.Put(Table::kMeta, kSchemaVersionKey, absl::StrCat(kSchemaVersion + 1)).ok());
  auto refused = CopyStore(from, to, CopyOptions{});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "schema version")) << refused.status();
}

TEST(StoreCopyTest, CompareNamesTheFirstDifference) {
  MemoryStore from, to;
  Fill(from, 4);
  ASSERT_TRUE(CopyStore(from, to, CopyOptions{}).ok());
  const std::string exec = absl::StrCat("executions/2", std::string("\0\xff", 2));
  ASSERT_TRUE(to.Put(Table::kExecutions, exec, EncodeExecutionValue(9, "x")).ok());
  const std::string hist = absl::StrCat("history/1", std::string("\0\xff", 2));
  ASSERT_TRUE(to.Put(Table::kHistory, hist, std::nullopt).ok());
  auto diff = CompareStores(from, to, 3, nullptr);
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(diff->differences, 2u);
  ASSERT_TRUE(diff->first.has_value());
  EXPECT_EQ(diff->first->table, Table::kExecutions);
  EXPECT_EQ(diff->first->ToString(),
            "executions key executions/2\\x00\\xff: execution version 3 in the source, 9 in the "
            "destination");

  // The same bytes but another value of a plain table.
  MemoryStore a, b;
  ASSERT_TRUE(a.Put(Table::kVisibility, "v", "one").ok());
  ASSERT_TRUE(b.Put(Table::kVisibility, "v", "two").ok());
  diff = CompareStores(a, b, 3, nullptr);
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(diff->first->ToString(),
            "visibility key v: values differ (3 bytes in the source, 3 in the destination)");
  // A row only in the source.
  ASSERT_TRUE(b.Put(Table::kVisibility, "v", std::nullopt).ok());
  diff = CompareStores(a, b, 3, nullptr);
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(diff->first->ToString(), "visibility key v: missing in the destination");
}

TEST(StoreCopyTest, RocksToPostgresAndBack) {
  absl::StatusOr<testing::PostgresFixture*> pg = testing::PostgresFixture::Shared();
  ASSERT_TRUE(pg.ok()) << pg.status();
  absl::StatusOr<std::string> conninfo = (*pg)->CreateDatabase();
  ASSERT_TRUE(conninfo.ok()) << conninfo.status();
  const std::string dir1 = TempDir(), dir2 = TempDir();
  {
    auto rocks = RocksStore::Open(dir1, RocksOptions{});
    ASSERT_TRUE(rocks.ok()) << rocks.status();
    Fill(**rocks, 5);
    auto postgres = PostgresStore::Open(*conninfo, PostgresOptions{});
    ASSERT_TRUE(postgres.ok()) << postgres.status();
    CopyOptions options;
    options.batch_rows = 2;
    ASSERT_TRUE(CopyStore(**rocks, **postgres, options).ok());
    auto diff = CompareStores(**rocks, **postgres, 2, nullptr);
    ASSERT_TRUE(diff.ok()) << diff.status();
    EXPECT_EQ(diff->differences, 0u) << diff->first->ToString();

    auto back = RocksStore::Open(dir2, RocksOptions{});
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_TRUE(CopyStore(**postgres, **back, options).ok());
    diff = CompareStores(**rocks, **back, 3, nullptr);
    ASSERT_TRUE(diff.ok()) << diff.status();
    EXPECT_EQ(diff->differences, 0u) << diff->first->ToString();
    // The PostgreSQL copy answers version checks from its copied rows.
    Transition t;
    t.execution_id = absl::StrCat("executions/0", std::string("\0\xff", 2));
    t.expected_version = 1;
    t.new_version = 2;
    t.execution_record = "next";
    EXPECT_TRUE((*postgres)->Commit(t).ok());
  }
  std::error_code ec;
  std::filesystem::remove_all(dir1, ec);
  std::filesystem::remove_all(dir2, ec);
}

}  // namespace
}  // namespace stepwise::storage
