// PostgresFixture (see postgres_fixture.h): drives initdb, pg_ctl and psql
// through the shell.
#include "storage/testing/postgres_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
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

// A TCP port on 127.0.0.1 nobody listens on now, or -1.
int FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

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
  return Start(PostgresServerOptions{});
}

absl::StatusOr<std::unique_ptr<PostgresFixture>> PostgresFixture::Start(
    const PostgresServerOptions& options) {
  std::unique_ptr<PostgresFixture> f(new PostgresFixture());
  std::string tmpl = absl::StrCat(options.parent_dir.empty() ? "/tmp" : options.parent_dir,
                                  "/sw_pg.XXXXXX");
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
  f->port_ = options.tcp ? FreeTcpPort() : 5432;
  if (f->port_ <= 0) return absl::InternalError("no free TCP port on 127.0.0.1");
  const std::string data = f->dir_ + "/data";
  absl::StatusOr<std::string> init =
      f->Run(absl::StrCat(f->bin_, "/initdb -D ", ShellQuote(data), " -U ", ShellQuote(f->user_),
                          " --auth=trust -E UTF8 --locale=C --no-sync"));
  if (!init.ok()) return init.status();
  absl::Status configured = f->Configure(options);
  if (!configured.ok()) return configured;
  f->start_command_ = absl::StrCat(
      f->bin_, "/pg_ctl -D ", ShellQuote(data), " -l ", ShellQuote(f->dir_ + "/log"),
      " -w -t 60 -o \"-c listen_addresses='", options.tcp ? "127.0.0.1" : "", "' -k ", f->dir_,
      " -p ", f->port_, " -c fsync=on -c max_connections=200\" start");
  absl::StatusOr<std::string> start = f->Run(f->start_command_);
  if (!start.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(f->dir_, ec);
    f->dir_.clear();
    return start.status();
  }
  return f;
}

absl::Status PostgresFixture::Configure(const PostgresServerOptions& options) {
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (as_other_user_) {
    struct passwd* pw = getpwnam(user_.c_str());
    if (pw == nullptr) return absl::InternalError(absl::StrCat("no user ", user_));
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  auto write_file = [&](const std::string& path, const std::string& bytes,
                        bool append) -> absl::Status {
    std::ofstream out(path, append ? std::ios::app : std::ios::trunc);
    out << bytes;
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
    if (chown(path.c_str(), uid, gid) != 0 || chmod(path.c_str(), 0600) != 0) {
      return absl::InternalError(absl::StrCat("cannot hand ", path, " to ", user_));
    }
    return absl::OkStatus();
  };
  for (const auto& [name, bytes] : options.files) {
    absl::Status s = write_file(absl::StrCat(dir_, "/", name), bytes, false);
    if (!s.ok()) return s;
  }
  std::string conf;
  for (const auto& [key, value] : options.settings) {
    absl::StrAppend(&conf, key, " = '", absl::StrReplaceAll(value, {{"<dir>", dir_}}), "'\n");
  }
  if (!conf.empty()) {
    absl::Status s = write_file(dir_ + "/data/postgresql.conf", "\n" + conf, true);
    if (!s.ok()) return s;
  }
  if (!options.hba_lines.empty()) {
    std::string hba = "local all all trust\n";
    for (const std::string& line : options.hba_lines) absl::StrAppend(&hba, line, "\n");
    absl::Status s = write_file(dir_ + "/data/pg_hba.conf", hba, false);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

PostgresFixture::~PostgresFixture() {
  if (dir_.empty()) return;
  (void)Run(absl::StrCat(bin_, "/pg_ctl -D ", ShellQuote(dir_ + "/data"), " -m fast -w stop"));
  // Kept to look at a failure, as tests/stepwised_process.h keeps its own.
  if (const char* keep = std::getenv("STEPWISE_KEEP_TEST_DIRS"); keep && *keep == '1') return;
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

std::string PostgresFixture::TcpUri(const std::string& dbname) const {
  return absl::StrCat("postgresql://", user_, "@127.0.0.1:", port_, "/", dbname);
}

absl::Status PostgresFixture::StopImmediately() {
  absl::StatusOr<std::string> r =
      Run(absl::StrCat(bin_, "/pg_ctl -D ", ShellQuote(dir_ + "/data"), " -m immediate -w stop"));
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::Status PostgresFixture::StartAgain() {
  absl::StatusOr<std::string> r = Run(start_command_);
  return r.ok() ? absl::OkStatus() : r.status();
}

std::string PostgresFixture::Uri(const std::string& dbname) const {
  std::string host = absl::StrReplaceAll(dir_, {{"/", "%2F"}});
  return absl::StrCat("postgresql://", user_, "@", host, ":", port_, "/", dbname);
}

}  // namespace stepwise::storage::testing
