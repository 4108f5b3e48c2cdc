// PostgresFixture: a real PostgreSQL 15 server for tests, started once per
// test binary from initdb in a temporary directory and stopped and removed
// at exit. It listens only on a unix socket in that directory (no TCP unless
// started with PostgresServerOptions, e.g. for TLS tests), runs
// with fsync on, and gives each test a fresh database (CreateDatabase), so
// tests are independent.
//
// initdb and postgres refuse to run as root, so when the test runs as root
// the server runs as the unprivileged user `postgres` (Debian's
// postgresql-common creates it; override with SW_TEST_PG_USER) through
// `runuser -u`; the temporary directory is handed to that user. When the
// test is not root, the server runs as the test's own user. Binaries come
// from /usr/lib/postgresql/15/bin (override with SW_TEST_PG_BIN).
//
// Thread-safe: Shared() and CreateDatabase() may be called from any thread;
// StopImmediately() and StartAgain() from one thread at a time.
#ifndef SW_STORAGE_TESTING_POSTGRES_FIXTURE_H_
#define SW_STORAGE_TESTING_POSTGRES_FIXTURE_H_

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace stepwise::storage::testing {

// How a server started with PostgresFixture::Start(options) differs from
// the default (unix socket only, trust authentication).
struct PostgresServerOptions {
  // Also listen on TCP at 127.0.0.1 (port() is then a free TCP port).
  bool tcp = false;
  // Where the server's temporary directory is made (default /tmp); it
  // must be reachable by the server's user.
  std::string parent_dir;
  // Files written into the server's directory before it starts, owned by
  // the server's user, mode 0600 (certificates and keys): name -> bytes.
  // A setting may name one as "<dir>/NAME" (the directory is substituted).
  std::vector<std::pair<std::string, std::string>> files;
  // Extra postgresql.conf settings, e.g. {"ssl", "on"}.
  std::vector<std::pair<std::string, std::string>> settings;
  // Replaces pg_hba.conf when not empty (the unix socket keeps `local all
  // all trust` first, so Psql and CreateDatabase still work).
  std::vector<std::string> hba_lines;
};

class PostgresFixture {
 public:
  // The server of this process, started on first use; stopped at exit.
  static absl::StatusOr<PostgresFixture*> Shared();

  // Starts a new server in a new temporary directory.
  static absl::StatusOr<std::unique_ptr<PostgresFixture>> Start();
  static absl::StatusOr<std::unique_ptr<PostgresFixture>> Start(
      const PostgresServerOptions& options);
  // pg_ctl stop -m fast, then removes the directory (kept with
  // STEPWISE_KEEP_TEST_DIRS=1).
  ~PostgresFixture();

  // Creates a new empty database and returns its libpq connection string
  // ("host=<socket dir> port=<port> user=<user> dbname=t_N").
  absl::StatusOr<std::string> CreateDatabase();

  // Runs `sql` with psql against database `dbname` (for tests that tamper
  // with the schema); returns psql's output.
  absl::StatusOr<std::string> Psql(const std::string& dbname, const std::string& sql);

  // The same connection string as a postgresql:// URI.
  std::string Uri(const std::string& dbname) const;
  // A postgresql:// URI over TCP at 127.0.0.1 (a server started with tcp).
  std::string TcpUri(const std::string& dbname) const;

  // Crashes the server: `pg_ctl stop -m immediate` (no checkpoint; the
  // next start runs crash recovery from the WAL). For crash harnesses.
  absl::Status StopImmediately();
  // Starts the stopped server again on the same directory, port and
  // settings, waiting until it accepts connections.
  absl::Status StartAgain();

  const std::string& socket_dir() const { return dir_; }
  int port() const { return port_; }
  const std::string& user() const { return user_; }

 private:
  PostgresFixture() = default;
  // Writes options' files, settings and hba into the new data directory.
  absl::Status Configure(const PostgresServerOptions& options);
  // Runs a shell command, as the server's user when we are root.
  absl::StatusOr<std::string> Run(const std::string& command) const;

  std::string dir_;       // temp dir: socket, data/, log
  std::string start_command_;  // pg_ctl start, as Start ran it
  std::string bin_;
  std::string user_;
  bool as_other_user_ = false;
  int port_ = 5432;
  std::mutex mu_;
  int next_db_ = 0;
};

}  // namespace stepwise::storage::testing

#endif  // SW_STORAGE_TESTING_POSTGRES_FIXTURE_H_
