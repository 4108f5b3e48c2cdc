// PostgresStore cases beyond the store conformance suite: the SQL schema
// version (refusal of a newer one), connection failures (kUnavailable naming
// the host, never the password), recovery from a dropped connection, binary
// values, and the postgresql:// URI form. Runs on the test binary's own
// PostgreSQL (storage/testing/postgres_fixture.h).
#include "storage/postgres_store.h"

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
#include "storage/testing/postgres_fixture.h"

namespace stepwise::storage {
namespace {

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::PostgresFixture*> pg = testing::PostgresFixture::Shared();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *pg;
    absl::StatusOr<std::string> conninfo = pg_->CreateDatabase();
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    conninfo_ = *conninfo;
    dbname_ = conninfo_.substr(conninfo_.rfind('=') + 1);
  }

  absl::StatusOr<std::unique_ptr<PostgresStore>> Open() {
    return PostgresStore::Open(conninfo_, PostgresOptions{});
  }

  testing::PostgresFixture* pg_ = nullptr;
  std::string conninfo_;
  std::string dbname_;
};

TEST_F(PostgresStoreTest, NewDatabaseGetsTheCurrentSchemaVersion) {
  ASSERT_TRUE(Open().ok());
  absl::StatusOr<std::string> v = pg_->Psql(dbname_, "SELECT version FROM schema_version");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, "2\n");
  // A second Open leaves it alone.
  ASSERT_TRUE(Open().ok());
  v = pg_->Psql(dbname_, "SELECT count(*) FROM schema_version");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, "1\n");
}

TEST_F(PostgresStoreTest, OpenRefusesANewerSchema) {
  {
    absl::StatusOr<std::unique_ptr<PostgresStore>> s = Open();
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE((*s)->Put(Table::kMachines, "m", "def").ok());
  }
  ASSERT_TRUE(pg_->Psql(dbname_, "UPDATE schema_version SET version = 3").ok());
  absl::StatusOr<std::unique_ptr<PostgresStore>> s = Open();
  ASSERT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
  EXPECT_TRUE(absl::StrContains(s.status().message(), "has schema version 3, newer than this "
                                                      "server's 2"))
      << s.status();
  // Nothing was changed by the refused Open.
  absl::StatusOr<std::string> v = pg_->Psql(dbname_, "SELECT version FROM schema_version");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "3\n");
}

// A version-1 database (no cluster tables) is migrated to version 2 and
// keeps its rows.
TEST_F(PostgresStoreTest, OpenMigratesVersionOneToTwo) {
  {
    absl::StatusOr<std::unique_ptr<PostgresStore>> s = Open();
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_TRUE((*s)->Put(Table::kMachines, "m", "def").ok());
  }
  ASSERT_TRUE(pg_->Psql(dbname_, "DROP TABLE shards; DROP TABLE nodes; "
                                 "UPDATE schema_version SET version = 1")
                  .ok());
  absl::StatusOr<std::unique_ptr<PostgresStore>> s = Open();
  ASSERT_TRUE(s.ok()) << s.status();
  absl::StatusOr<std::string> v = pg_->Psql(
      dbname_, "SELECT version, (SELECT count(*) FROM shards), (SELECT count(*) FROM nodes) "
               "FROM schema_version");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, "2|0|0\n");
  absl::StatusOr<std::optional<std::string>> got = (*s)->Get(Table::kMachines, "m");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "def");
}

TEST_F(PostgresStoreTest, OpenReportsAnUnreadableSchemaVersion) {
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(pg_->Psql(dbname_, "UPDATE schema_version SET version = 0").ok());
  EXPECT_EQ(Open().status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(PostgresStoreTest, UnreachableServerIsUnavailableNamingHostNotPassword) {
  absl::StatusOr<std::unique_ptr<PostgresStore>> s = PostgresStore::Open(
      "host=/nonexistent/socket/dir port=5999 dbname=x user=u password=s3cretpw",
      PostgresOptions{});
  ASSERT_EQ(s.status().code(), absl::StatusCode::kUnavailable) << s.status();
  EXPECT_TRUE(absl::StrContains(s.status().message(), "/nonexistent/socket/dir")) << s.status();
  EXPECT_FALSE(absl::StrContains(s.status().message(), "s3cretpw")) << s.status();

  s = PostgresStore::Open("postgresql://u:s3cretpw@127.0.0.1:1/x?connect_timeout=5",
                          PostgresOptions{});
  ASSERT_EQ(s.status().code(), absl::StatusCode::kUnavailable) << s.status();
  EXPECT_TRUE(absl::StrContains(s.status().message(), "127.0.0.1")) << s.status();
  EXPECT_FALSE(absl::StrContains(s.status().message(), "s3cretpw")) << s.status();

  s = PostgresStore::Open("postgresql://u:s3cretpw@host:notaport:/x=", PostgresOptions{});
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(absl::StrContains(s.status().message(), "s3cretpw")) << s.status();
}

TEST(StripPasswordsTest, MasksKeywordAndUriPasswords) {
  EXPECT_EQ(StripPasswords("host=h password=abc dbname=d", ""), "host=h password=*** dbname=d");
  EXPECT_EQ(StripPasswords("PASSWORD='a b' x", ""), "PASSWORD=*** x");
  EXPECT_EQ(StripPasswords("url postgresql://u:pw@h:5/d failed", ""),
            "url postgresql://u:***@h:5/d failed");
  EXPECT_EQ(StripPasswords("postgresql://u@h/d", ""), "postgresql://u@h/d");
  EXPECT_EQ(StripPasswords("error near hunter22 here", "host=h password=hunter22"),
            "error near *** here");
  EXPECT_EQ(StripPasswords("saw p@ss", "postgresql://u:p%40ss@h/d"), "saw ***");
}

TEST_F(PostgresStoreTest, DroppedConnectionsAreReplaced) {
  absl::StatusOr<std::unique_ptr<PostgresStore>> s = Open();
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->Put(Table::kMachines, "m", "v").ok());
  ASSERT_TRUE(pg_->Psql("postgres", absl::StrCat("SELECT pg_terminate_backend(pid) FROM "
                                                 "pg_stat_activity WHERE datname = '",
                                                 dbname_, "'"))
                  .ok());
  int failures = 0;
  absl::StatusOr<std::optional<std::string>> got;
  for (int i = 0; i < 10; ++i) {
    got = (*s)->Get(Table::kMachines, "m");
    if (got.ok()) break;
    ++failures;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable) << got.status();
  }
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "v");
  EXPECT_LE(failures, PostgresOptions{}.connections);
  Transition t;
  t.execution_id = "e";
  t.new_version = 1;
  t.execution_record = "r";
  EXPECT_TRUE((*s)->Commit(t).ok());
}

TEST_F(PostgresStoreTest, BinaryKeysAndValuesRoundTrip) {
  absl::StatusOr<std::unique_ptr<PostgresStore>> s = Open();
  ASSERT_TRUE(s.ok()) << s.status();
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  ASSERT_TRUE((*s)->Put(Table::kActivities, every_byte, every_byte + every_byte).ok());
  absl::StatusOr<std::optional<std::string>> got = (*s)->Get(Table::kActivities, every_byte);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, every_byte + every_byte);

  Transition t;
  t.execution_id = std::string("ex\0ec", 5);
  t.new_version = 1;
  t.execution_record = every_byte;
  t.first_event_id = 1;
  t.last_event_id = 1;
  t.history_chunk = every_byte;
  ASSERT_TRUE((*s)->Commit(t).ok());
  absl::StatusOr<std::optional<VersionedValue>> e = (*s)->GetExecution(t.execution_id);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->value, every_byte);
  absl::StatusOr<std::vector<HistoryChunk>> h = (*s)->ReadHistory(t.execution_id, 1, 0);
  ASSERT_TRUE(h.ok() && h->size() == 1u);
  EXPECT_EQ((*h)[0].value, every_byte);
}

// Nodes started at once on an empty database each try to store their own
// task-token key: every one of them must end up with the same, the first
// stored (engine/engine.cc Init). Eight stores race PutIfAbsent on one key.
TEST_F(PostgresStoreTest, PutIfAbsentHasOneWinnerAcrossStores) {
  constexpr int kStores = 8;
  std::vector<std::unique_ptr<PostgresStore>> stores;
  for (int i = 0; i < kStores; ++i) {
    absl::StatusOr<std::unique_ptr<PostgresStore>> s = Open();
    ASSERT_TRUE(s.ok()) << s.status();
    stores.push_back(*std::move(s));
  }
  for (int round = 0; round < 5; ++round) {
    const std::string key = "token_key_" + std::to_string(round);
    std::vector<std::string> got(kStores);
    std::vector<std::thread> threads;
    for (int i = 0; i < kStores; ++i) {
      threads.emplace_back([&, i] {
        absl::StatusOr<std::string> v =
            stores[i]->PutIfAbsent(Table::kMeta, key, "value-of-" + std::to_string(i));
        got[i] = v.ok() ? *v : "error: " + std::string(v.status().message());
      });
    }
    for (std::thread& t : threads) t.join();
    absl::StatusOr<std::optional<std::string>> stored = stores[0]->Get(Table::kMeta, key);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    for (int i = 0; i < kStores; ++i) EXPECT_EQ(got[i], **stored) << "store " << i;
  }
}

// Nodes updating one catalog record at once (engine/catalog.cc): each
// reads the row, then writes it back with PutIfUnchanged, retrying when it
// loses. Eight stores (eight nodes' pools) add their own entries to one
// row; every entry must be there once at the end, none lost.
TEST_F(PostgresStoreTest, PutIfUnchangedLosesNoUpdateAcrossStores) {
  constexpr int kStores = 8;
  constexpr int kEntries = 6;
  std::vector<std::unique_ptr<PostgresStore>> stores;
  for (int i = 0; i < kStores; ++i) {
    absl::StatusOr<std::unique_ptr<PostgresStore>> s = Open();
    ASSERT_TRUE(s.ok()) << s.status();
    stores.push_back(*std::move(s));
  }
  std::vector<std::string> failures(kStores);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] {
      for (int e = 0; e < kEntries; ++e) {
        std::string entry = "[" + std::to_string(i) + "." + std::to_string(e) + "]";
        while (true) {
          absl::StatusOr<std::optional<std::string>> cur = stores[i]->Get(Table::kMachines, "m");
          if (!cur.ok()) {
            failures[i] = std::string(cur.status().message());
            return;
          }
          std::string next = cur->value_or("") + entry;
          absl::StatusOr<bool> won = stores[i]->PutIfUnchanged(Table::kMachines, "m", *cur, next);
          if (!won.ok()) {
            failures[i] = std::string(won.status().message());
            return;
          }
          if (*won) break;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kStores; ++i) EXPECT_EQ(failures[i], "") << "store " << i;
  absl::StatusOr<std::optional<std::string>> stored = stores[0]->Get(Table::kMachines, "m");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  for (int i = 0; i < kStores; ++i) {
    for (int e = 0; e < kEntries; ++e) {
      std::string entry = "[" + std::to_string(i) + "." + std::to_string(e) + "]";
      size_t at = (*stored)->find(entry);
      EXPECT_NE(at, std::string::npos) << entry << " lost";
      if (at != std::string::npos) {
        EXPECT_EQ((*stored)->find(entry, at + 1), std::string::npos) << entry << " twice";
      }
    }
  }
  EXPECT_EQ((*stored)->size(), size_t{kStores * kEntries * 5});
}

TEST_F(PostgresStoreTest, UriConnectionStringWorks) {
  absl::StatusOr<std::unique_ptr<PostgresStore>> s =
      PostgresStore::Open(pg_->Uri(dbname_), PostgresOptions{});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE((*s)->Put(Table::kMeta, "k", "v").ok());
  EXPECT_TRUE(absl::StrContains((*s)->description(), pg_->socket_dir())) << (*s)->description();
}

}  // namespace
}  // namespace stepwise::storage
