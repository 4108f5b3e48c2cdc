// PostgresDatabaseTest: the base of the integration tests that run on
// PostgreSQL. Each test gets a fresh database of the one PostgreSQL server
// the test binary shares (storage/testing/postgres_fixture.h): `uri_` to
// hand to stepwised's --store, `dbname_`, and Sql() to read it with psql.
// Header-only; one test thread.
#ifndef SW_TESTS_INTEGRATION_POSTGRES_DATABASE_TEST_H_
#define SW_TESTS_INTEGRATION_POSTGRES_DATABASE_TEST_H_

#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "storage/testing/postgres_fixture.h"

namespace stepwise::pgtest {

class PostgresDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<storage::testing::PostgresFixture*> pg =
        storage::testing::PostgresFixture::Shared();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *pg;
    absl::StatusOr<std::string> conninfo = pg_->CreateDatabase();
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    dbname_ = conninfo->substr(conninfo->rfind('=') + 1);
    uri_ = pg_->Uri(dbname_);
  }

  // psql's unaligned output of `sql` on the test's database ("" after a
  // failed expectation).
  std::string Sql(const std::string& sql) {
    absl::StatusOr<std::string> out = pg_->Psql(dbname_, sql);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : "";
  }

  storage::testing::PostgresFixture* pg_ = nullptr;
  std::string dbname_;
  std::string uri_;
};

}  // namespace stepwise::pgtest

#endif  // SW_TESTS_INTEGRATION_POSTGRES_DATABASE_TEST_H_
