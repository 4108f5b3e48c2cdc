// PostgresStore over TLS: a real PostgreSQL listening on 127.0.0.1 with a
// certificate from a test CA, refusing unencrypted connections and asking
// for a password. Checks that libpq's TLS settings in the connection URI
// are honoured (sslmode=verify-full connects only to a server whose
// certificate chains to sslrootcert and names the host) and that no error
// carries the password. Certificates are made with the openssl command.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/postgres_store.h"
#include "storage/testing/postgres_fixture.h"

namespace stepwise::storage {
namespace {

constexpr char kPassword[] = "Tls-Secret-3141";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command; its output on failure.
absl::Status Sh(const std::string& command) {
  std::string full = command + " 2>&1";
  FILE* p = popen(full.c_str(), "r");
  if (p == nullptr) return absl::InternalError("popen failed");
  std::string out;
  char buf[1024];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (pclose(p) != 0) return absl::InternalError(absl::StrCat(command, ": ", out));
  return absl::OkStatus();
}

// A CA and a server certificate for DNS name "localhost" signed by it, and
// a second CA that signed nothing.
struct Certificates {
  std::string dir;
  std::string ca_pem;
  std::string other_ca_pem;
  std::string server_pem;
  std::string server_key;
};

absl::StatusOr<Certificates> MakeCertificates() {
  Certificates c;
  std::string tmpl = "/tmp/sw_pgtls.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  c.dir = tmpl;
  const std::string d = c.dir;
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  std::ofstream(d + "/san.ext") << "subjectAltName=DNS:localhost\n";
  for (const std::string& cmd : {
           absl::StrCat("openssl req -x509 ", ec, " -keyout ", d, "/ca.key -out ", d,
                        "/ca.pem -days 2 -subj /CN=stepwise-test-ca"),
           absl::StrCat("openssl req -x509 ", ec, " -keyout ", d, "/other.key -out ", d,
                        "/other.pem -days 2 -subj /CN=stepwise-other-ca"),
           absl::StrCat("openssl req ", ec, " -keyout ", d, "/server.key -out ", d,
                        "/server.csr -subj /CN=localhost"),
           absl::StrCat("openssl x509 -req -in ", d, "/server.csr -CA ", d, "/ca.pem -CAkey ", d,
                        "/ca.key -CAcreateserial -out ", d, "/server.pem -days 2 -extfile ", d,
                        "/san.ext"),
       }) {
    absl::Status s = Sh(cmd);
    if (!s.ok()) return s;
  }
  c.ca_pem = d + "/ca.pem";
  c.other_ca_pem = d + "/other.pem";
  c.server_pem = ReadFile(d + "/server.pem");
  c.server_key = ReadFile(d + "/server.key");
  return c;
}

class PostgresTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<Certificates> certs = MakeCertificates();
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = new Certificates(*certs);
    testing::PostgresServerOptions options;
    options.tcp = true;
    options.files = {{"server.pem", certs_->server_pem}, {"server.key", certs_->server_key}};
    options.settings = {{"ssl", "on"},
                        {"ssl_cert_file", "<dir>/server.pem"},
                        {"ssl_key_file", "<dir>/server.key"},
                        {"password_encryption", "scram-sha-256"}};
    options.hba_lines = {"hostnossl all all 127.0.0.1/32 reject",
                         "hostssl all all 127.0.0.1/32 scram-sha-256"};
    absl::StatusOr<std::unique_ptr<testing::PostgresFixture>> pg =
        testing::PostgresFixture::Start(options);
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = pg->release();
    absl::StatusOr<std::string> set = pg_->Psql(
        "postgres", absl::StrCat("ALTER USER \"", pg_->user(), "\" PASSWORD '", kPassword, "'"));
    ASSERT_TRUE(set.ok()) << set.status();
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
    if (certs_ != nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(certs_->dir, ec);
    }
    delete certs_;
    certs_ = nullptr;
  }

  // A postgresql:// URI to a new database over TCP with `password` and the
  // query `params`.
  std::string Uri(const std::string& host, const std::string& password,
                  const std::string& params) {
    absl::StatusOr<std::string> conninfo = pg_->CreateDatabase();
    EXPECT_TRUE(conninfo.ok()) << conninfo.status();
    std::string db = conninfo.ok() ? conninfo->substr(conninfo->rfind('=') + 1) : "postgres";
    return absl::StrCat("postgresql://", pg_->user(), ":", password, "@", host, ":",
                        pg_->port(), "/", db, "?hostaddr=127.0.0.1&connect_timeout=5&", params);
  }

  static absl::Status OpenStatus(const std::string& uri) {
    return PostgresStore::Open(uri, PostgresOptions{}).status();
  }

  static testing::PostgresFixture* pg_;
  static Certificates* certs_;
};

testing::PostgresFixture* PostgresTlsTest::pg_ = nullptr;
Certificates* PostgresTlsTest::certs_ = nullptr;

TEST_F(PostgresTlsTest, VerifyFullConnectsToTheServerTheCaVouchesFor) {
  std::string uri = Uri("localhost", kPassword,
                        absl::StrCat("sslmode=verify-full&sslrootcert=", certs_->ca_pem));
  absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(uri, {});
  ASSERT_TRUE(store.ok()) << store.status();
  // The server refuses every connection that is not TLS (hostnossl reject),
  // so a working store is an encrypted one.
  ASSERT_TRUE((*store)->Put(Table::kMeta, "tls/probe", std::string("over TLS")).ok());
  absl::StatusOr<std::optional<std::string>> got = (*store)->Get(Table::kMeta, "tls/probe");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, "over TLS");
  EXPECT_FALSE(absl::StrContains((*store)->description(), kPassword));
}

TEST_F(PostgresTlsTest, VerifyFullRefusesAServerAnotherCaSigned) {
  absl::Status s = OpenStatus(Uri(
      "localhost", kPassword, absl::StrCat("sslmode=verify-full&sslrootcert=", certs_->other_ca_pem)));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "certificate verify failed")) << s;
  EXPECT_FALSE(absl::StrContains(s.message(), kPassword)) << s;
}

TEST_F(PostgresTlsTest, VerifyFullRefusesACertificateForAnotherHostName) {
  // The certificate names "localhost"; asked for 127.0.0.1 by name,
  // verify-full must refuse (verify-ca would accept).
  absl::Status s = OpenStatus(Uri(
      "127.0.0.1", kPassword, absl::StrCat("sslmode=verify-full&sslrootcert=", certs_->ca_pem)));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "does not match host name")) << s;
  EXPECT_FALSE(absl::StrContains(s.message(), kPassword)) << s;
  EXPECT_TRUE(OpenStatus(Uri("127.0.0.1", kPassword,
                             absl::StrCat("sslmode=verify-ca&sslrootcert=", certs_->ca_pem)))
                  .ok());
}

TEST_F(PostgresTlsTest, UnencryptedAndWrongPasswordAreRefusedWithoutShowingThePassword) {
  absl::Status plain = OpenStatus(Uri("localhost", kPassword, "sslmode=disable"));
  ASSERT_FALSE(plain.ok());
  EXPECT_TRUE(absl::StrContains(plain.message(), "no encryption")) << plain;
  EXPECT_FALSE(absl::StrContains(plain.message(), kPassword)) << plain;

  const std::string wrong = "Wrong-Secret-2718";
  absl::Status bad = OpenStatus(
      Uri("localhost", wrong, absl::StrCat("sslmode=verify-full&sslrootcert=", certs_->ca_pem)));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.message(), "password authentication failed")) << bad;
  EXPECT_FALSE(absl::StrContains(bad.message(), wrong)) << bad;
}

}  // namespace
}  // namespace stepwise::storage
