// PostgresFixture (see postgres_fixture.h): drives initdb, pg_ctl and psql
// through the shell.
#include "storage/testing/postgres_fixture.h"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace stepwise::storage::testing {
namespace {

std::string ShellQuote(const std::string& s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "'\\''"}}), "'");
}

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

std::unique_ptr<PostgresFixture>* shared = nullptr;

void StopShared() {
  if (shared != nullptr) shared->reset();
}

}  // namespace

absl::StatusOr<std::string> PostgresFixture::Run(const std::string& command) const {
  std::string full = absl::StrCat(
      "cd / && ", as_other_user_ ? absl::StrCat("runuser -u ", ShellQuote(user_), " -- ") : "",
      command, " 2>&1");
  FILE* p = popen(full.c_str(), "r");
  if (p == nullptr) return absl::InternalError(absl::StrCat("cannot run: ", full));
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("`", full, "` failed (", rc, "): ", out));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<PostgresFixture>> PostgresFixture::Start() {
  std::unique_ptr<PostgresFixture> f(new PostgresFixture());
  std::string tmpl = "/tmp/sw_pg.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  f->dir_ = tmpl;
  f->bin_ = EnvOr("SW_TEST_PG_BIN", "/usr/lib/postgresql/15/bin");
  if (geteuid() == 0) {
    f->user_ = EnvOr("SW_TEST_PG_USER", "postgres");
    struct passwd* pw = getpwnam(f->user_.c_str());
    if (pw == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "running as root: PostgreSQL needs an unprivileged user, and user ", f->user_,
          " does not exist (set SW_TEST_PG_USER)"));
    }
    if (chown(f->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError(absl::StrCat("cannot chown ", f->dir_, " to ", f->user_));
    }
    f->as_other_user_ = true;
  } else {
    struct passwd* pw = getpwuid(geteuid());
    f->user_ = pw != nullptr ? pw->pw_name : "postgres";
  }
  f->port_ = 5432;
  const std::string data = f->dir_ + "/data";
  absl::StatusOr<std::string> init =
      f->Run(absl::StrCat(f->bin_, "/initdb -D ", ShellQuote(data), " -U ", ShellQuote(f->user_),
                          " --auth=trust -E UTF8 --locale=C --no-sync"));
  if (!init.ok()) return init.status();
  absl::StatusOr<std::string> start = f->Run(absl::StrCat(
      f->bin_, "/pg_ctl -D ", ShellQuote(data), " -l ", ShellQuote(f->dir_ + "/log"),
      " -w -t 60 -o \"-c listen_addresses='' -k ", f->dir_, " -p ", f->port_,
      " -c fsync=on -c max_connections=200\" start"));
  if (!start.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(f->dir_, ec);
    f->dir_.clear();
    return start.status();
  }
  return f;
}

PostgresFixture::~PostgresFixture() {
  if (dir_.empty()) return;
  (void)Run(absl::StrCat(bin_, "/pg_ctl -D ", ShellQuote(dir_ + "/data"), " -m fast -w stop"));
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

absl::StatusOr<PostgresFixture*> PostgresFixture::Shared() {
  static std::once_flag once;
  static absl::Status failure;
  std::call_once(once, [] {
    absl::StatusOr<std::unique_ptr<PostgresFixture>> f = Start();
    if (!f.ok()) {
      failure = f.status();
      return;
    }
    shared = new std::unique_ptr<PostgresFixture>(std::move(*f));
    std::atexit(StopShared);
  });
  if (!failure.ok()) return failure;
  return shared->get();
}

absl::StatusOr<std::string> PostgresFixture::Psql(const std::string& dbname,
                                                  const std::string& sql) {
  // psql is a client: it runs as the test's user, connecting as user_.
  std::string cmd = absl::StrCat(bin_, "/psql -X -q -A -t -v ON_ERROR_STOP=1 -h ", dir_, " -p ",
                                 port_, " -U ", ShellQuote(user_), " -d ", ShellQuote(dbname),
                                 " -c ", ShellQuote(sql), " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return absl::InternalError("cannot run psql");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (pclose(p) != 0) return absl::InternalError(absl::StrCat("psql failed: ", out));
  return out;
}

absl::StatusOr<std::string> PostgresFixture::CreateDatabase() {
  std::string name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    name = absl::StrCat("t_", ++next_db_);
  }
  absl::StatusOr<std::string> r = Psql("postgres", absl::StrCat("CREATE DATABASE ", name));
  if (!r.ok()) return r.status();
  return absl::StrCat("host=", dir_, " port=", port_, " user=", user_, " dbname=", name);
}

std::string PostgresFixture::Uri(const std::string& dbname) const {
  std::string host = absl::StrReplaceAll(dir_, {{"/", "%2F"}});
  return absl::StrCat("postgresql://", user_, "@", host, ":", port_, "/", dbname);
}

}  // namespace stepwise::storage::testing
