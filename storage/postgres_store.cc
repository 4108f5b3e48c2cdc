// PostgresStore (see postgres_store.h): the only file that includes libpq.
#include "storage/postgres_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "storage/keys.h"
#include "storage/postgres/shard_hash.h"
#include "storage/store_internal.h"

namespace stepwise::storage {
namespace {

using internal::TableName;

constexpr Table kAllTables[] = {Table::kMachines, Table::kActivities,
                                Table::kExecutions, Table::kHistory,
                                Table::kVisibility, Table::kTasks,
                                Table::kTimers, Table::kMeta};

// Serialises concurrent Opens creating or migrating the schema (any
// number; only has to be the same in every stepwised).
constexpr int64_t kSchemaLockId = 0x5374657077697365;  // "Stepwise"

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

struct ConninfoDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
using ConninfoOptions = std::unique_ptr<PQconninfoOption, ConninfoDeleter>;

// One parameter of a prepared statement, sent in binary (bytea: the raw
// bytes; bigint: 8 bytes big-endian). A null `data` is SQL NULL.
struct Param {
  const char* data = nullptr;
  int length = 0;
  static Param Bytes(absl::string_view s) {
    return Param{s.data() == nullptr ? "" : s.data(), static_cast<int>(s.size())};
  }
  static Param Null() { return Param{}; }
};

// Holds the 8-byte encodings of bigint parameters alive for one call.
class Int64Params {
 public:
  Param Add(int64_t v) {
    std::string& s = storage_[used_++];
    s.clear();
    AppendUint64(&s, static_cast<uint64_t>(v));
    return Param::Bytes(s);
  }

 private:
  std::array<std::string, 4> storage_;
  size_t used_ = 0;
};

std::string Cell(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col),
                     static_cast<size_t>(PQgetlength(r, row, col)));
}

// The value of keyword `name` in parsed conninfo options, or "".
std::string OptionValue(const PQconninfoOption* options, absl::string_view name) {
  for (const PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (name == o->keyword && o->val != nullptr) return o->val;
  }
  return "";
}

// Masks `password=value` (value up to whitespace, or quoted) in `text`.
std::string MaskPasswordKeywords(std::string text) {
  const std::string lower = absl::AsciiStrToLower(text);
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t at = lower.find("password=", pos);
    if (at == std::string::npos) break;
    size_t start = at + 9;
    size_t end = start;
    if (end < text.size() && text[end] == '\'') {
      end = text.find('\'', end + 1);
      end = end == std::string::npos ? text.size() : end + 1;
    } else {
      while (end < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[end])) &&
             text[end] != '&') {
        ++end;
      }
    }
    absl::StrAppend(&out, text.substr(pos, start - pos), "***");
    pos = end;
  }
  out += text.substr(pos);
  return out;
}

// Masks the password of `scheme://user:password@host` URIs in `text`.
std::string MaskUriPasswords(std::string text) {
  size_t pos = 0;
  while (true) {
    size_t scheme = text.find("://", pos);
    if (scheme == std::string::npos) break;
    size_t authority = scheme + 3;
    size_t end = text.find_first_of("/?# \t\n", authority);
    if (end == std::string::npos) end = text.size();
    size_t at = text.rfind('@', end);
    if (at != std::string::npos && at >= authority) {
      size_t colon = text.find(':', authority);
      if (colon != std::string::npos && colon < at) {
        text.replace(colon + 1, at - colon - 1, "***");
        end = colon + 4;
      }
    }
    pos = end;
  }
  return text;
}

std::string Trimmed(absl::string_view s) {
  return std::string(absl::StripAsciiWhitespace(s));
}

// "host H port P database D" (what is given) of a parsed conninfo.
std::string Describe(const PQconninfoOption* options) {
  std::string host = OptionValue(options, "host");
  if (host.empty()) host = OptionValue(options, "hostaddr");
  if (host.empty()) host = "(default socket)";
  std::string out = absl::StrCat("host ", host);
  std::string port = OptionValue(options, "port");
  if (!port.empty()) absl::StrAppend(&out, " port ", port);
  std::string db = OptionValue(options, "dbname");
  if (!db.empty()) absl::StrAppend(&out, " database ", db);
  return out;
}

bool IsRetryable(const char* sqlstate) {
  return sqlstate != nullptr && (absl::string_view(sqlstate) == "40001" ||
                                 absl::string_view(sqlstate) == "40P01");
}

// kAborted with this message marks a transaction PostgreSQL rolled back for
// a deadlock or serialisation failure (retried by CommitBatch).
constexpr char kRetryMarker[] = "postgres: transaction rolled back, retry: ";

}  // namespace

std::string StripPasswords(absl::string_view text, absl::string_view conninfo) {
  std::string out(text);
  char* err = nullptr;
  ConninfoOptions options(PQconninfoParse(std::string(conninfo).c_str(), &err));
  if (err != nullptr) PQfreemem(err);
  if (options != nullptr) {
    std::string password = OptionValue(options.get(), "password");
    if (!password.empty()) out = absl::StrReplaceAll(out, {{password, "***"}});
  }
  return MaskUriPasswords(MaskPasswordKeywords(std::move(out)));
}

// One libpq connection and the statements prepared on it. Used by one
// thread at a time (the one holding its Lease).
class PostgresStore::Connection {
 public:
  explicit Connection(const PostgresStore* store) : store_(store) {}
  ~Connection() {
    if (conn_ != nullptr) PQfinish(conn_);
  }

  // Connects (or reconnects after a failure) and, once the schema exists,
  // prepares the statements.
  absl::Status Ensure(bool prepare) {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_BAD) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
    if (conn_ == nullptr) {
      prepared_ = false;
      conn_ = PQconnectdb(store_->conninfo_.c_str());
      if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
        std::string msg = conn_ == nullptr ? "out of memory" : PQerrorMessage(conn_);
        if (conn_ != nullptr) PQfinish(conn_);
        conn_ = nullptr;
        return absl::UnavailableError(
            absl::StrCat("cannot connect to PostgreSQL at ", store_->description_, ": ",
                         Trimmed(StripPasswords(msg, store_->conninfo_))));
      }
      // Notices ("relation already exists, skipping") are not for stderr.
      PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    }
    if (prepare && !prepared_) {
      SW_RETURN_IF_ERROR(PrepareAll());
      prepared_ = true;
    }
    return absl::OkStatus();
  }

  // Runs SQL text without parameters (transaction control, DDL).
  absl::StatusOr<PgResult> Exec(const std::string& sql) {
    return Check(PgResult(PQexec(conn_, sql.c_str())), sql);
  }

  // Runs a prepared statement with binary parameters, results in binary.
  absl::StatusOr<PgResult> Run(const std::string& name, std::initializer_list<Param> params) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (const Param& p : params) {
      values.push_back(p.data);
      lengths.push_back(p.length);
      formats.push_back(1);
    }
    return Check(PgResult(PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()),
                                         values.data(), lengths.data(), formats.data(), 1)),
                 name);
  }

  // Best effort after a failure inside a transaction.
  void Rollback() {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) {
      PgResult(PQexec(conn_, "ROLLBACK"));
    }
  }

 private:
  absl::StatusOr<PgResult> Check(PgResult r, absl::string_view what) {
    ExecStatusType st = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r.get());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    const char* sqlstate = r == nullptr ? nullptr : PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
    std::string msg = Trimmed(StripPasswords(
        r == nullptr ? PQerrorMessage(conn_) : PQresultErrorMessage(r.get()),
        store_->conninfo_));
    absl::string_view state = sqlstate == nullptr ? "" : sqlstate;
    if (PQstatus(conn_) == CONNECTION_BAD || absl::StartsWith(state, "08") ||
        absl::StartsWith(state, "57P")) {
      return absl::UnavailableError(absl::StrCat(
          "PostgreSQL at ", store_->description_, " is unavailable (", what, "): ", msg));
    }
    if (IsRetryable(sqlstate)) return absl::AbortedError(absl::StrCat(kRetryMarker, msg));
    return absl::InternalError(absl::StrCat("PostgreSQL ", what, " failed: ", msg));
  }

  absl::Status Prepare(const std::string& name, const std::string& sql) {
    SW_RETURN_IF_ERROR(
        Check(PgResult(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr)), name).status());
    return absl::OkStatus();
  }

  absl::Status PrepareAll() {
    for (Table t : kAllTables) {
      const std::string n = TableName(t);
      SW_RETURN_IF_ERROR(
          Prepare("get_" + n, absl::StrCat("SELECT value FROM ", n, " WHERE key = $1::bytea")));
      SW_RETURN_IF_ERROR(
          Prepare("del_" + n, absl::StrCat("DELETE FROM ", n, " WHERE key = $1::bytea")));
      if (t == Table::kExecutions) {
        SW_RETURN_IF_ERROR(Prepare(
            "put_" + n,
            "INSERT INTO executions (key, value, version) VALUES ($1::bytea, $2::bytea, "
            "$3::bigint) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, "
            "version = EXCLUDED.version"));
      } else {
        SW_RETURN_IF_ERROR(Prepare(
            "put_" + n, absl::StrCat("INSERT INTO ", n,
                                     " (key, value) VALUES ($1::bytea, $2::bytea) ON CONFLICT "
                                     "(key) DO UPDATE SET value = EXCLUDED.value")));
        SW_RETURN_IF_ERROR(Prepare(
            "putnx_" + n, absl::StrCat("INSERT INTO ", n,
                                       " (key, value) VALUES ($1::bytea, $2::bytea) ON CONFLICT "
                                       "(key) DO NOTHING")));
        // PutIfUnchanged: each one statement, the affected row count says
        // whether the stored value was the expected one.
        SW_RETURN_IF_ERROR(Prepare(
            "cas_update_" + n,
            absl::StrCat("UPDATE ", n, " SET value = $3::bytea WHERE key = $1::bytea AND value = "
                         "$2::bytea")));
        SW_RETURN_IF_ERROR(Prepare(
            "cas_delete_" + n,
            absl::StrCat("DELETE FROM ", n, " WHERE key = $1::bytea AND value = $2::bytea")));
      }
      for (bool exclusive : {false, true}) {
        for (bool upper : {false, true}) {
          for (bool reverse : {false, true}) {
            std::string sql = absl::StrCat("SELECT key, value FROM ", n, " WHERE key ",
                                           exclusive ? ">" : ">=", " $1::bytea");
            int next = 2;
            if (upper) absl::StrAppend(&sql, " AND key < $", next++, "::bytea");
            absl::StrAppend(&sql, " ORDER BY key", reverse ? " DESC" : "", " LIMIT $", next,
                            "::bigint");
            SW_RETURN_IF_ERROR(Prepare(ScanName(t, exclusive, upper, reverse), sql));
          }
        }
      }
    }
    SW_RETURN_IF_ERROR(Prepare(
        "exec_insert",
        "INSERT INTO executions (key, version, value) VALUES ($1::bytea, $2::bigint, "
        "$3::bytea) ON CONFLICT (key) DO NOTHING"));
    SW_RETURN_IF_ERROR(Prepare(
        "exec_update",
        "UPDATE executions SET version = $2::bigint, value = $3::bytea WHERE key = $1::bytea "
        "AND version = $4::bigint"));
    // The fence: the shards' rows, locked against a takeover until commit.
    SW_RETURN_IF_ERROR(Prepare(
        "fence_check",
        "SELECT shard_id::bigint, range_id FROM shards WHERE shard_id = "
        "ANY(string_to_array($1::text, ',')::integer[]) FOR SHARE"));
    SW_RETURN_IF_ERROR(Prepare(
        "hist_floor",
        "SELECT key FROM history WHERE key >= $1::bytea AND key <= $2::bytea "
        "ORDER BY key DESC LIMIT 1"));
    return absl::OkStatus();
  }

 public:
  static std::string ScanName(Table t, bool exclusive, bool upper, bool reverse) {
    return absl::StrCat("scan_", TableName(t), exclusive ? "_gt" : "_ge", upper ? "_u" : "_n",
                        reverse ? "_d" : "_a");
  }

 private:
  const PostgresStore* store_;
  PGconn* conn_ = nullptr;
  bool prepared_ = false;
};

// A borrowed connection, handed back to the pool when destroyed.
class PostgresStore::Lease {
 public:
  Lease(PostgresStore* store, Connection* c) : store_(store), c_(c) {}
  Lease(Lease&& o) noexcept : store_(o.store_), c_(std::exchange(o.c_, nullptr)) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (c_ != nullptr) store_->Release(c_);
  }
  Connection& operator*() const { return *c_; }
  Connection* operator->() const { return c_; }

 private:
  PostgresStore* store_;
  Connection* c_;
};

namespace {

// The SQL layout of version 1.
absl::Status CreateSchemaV1(
    const std::function<absl::Status(const std::string&)>& exec) {
  for (Table t : kAllTables) {
    const std::string n = TableName(t);
    if (t == Table::kExecutions) {
      SW_RETURN_IF_ERROR(exec(
          "CREATE TABLE executions (key bytea PRIMARY KEY, version bigint, "
          "value bytea NOT NULL)"));
    } else {
      SW_RETURN_IF_ERROR(
          exec(absl::StrCat("CREATE TABLE ", n, " (key bytea PRIMARY KEY, value bytea NOT NULL)")));
    }
  }
  return absl::OkStatus();
}

// Version 2: the cluster tables (storage/postgres/shard_leases.h). `shards`
// gets its rows when the first cluster node starts (the shard count is fixed
// then); `nodes` holds one row per registered node.
absl::Status CreateClusterTablesV2(
    const std::function<absl::Status(const std::string&)>& exec) {
  SW_RETURN_IF_ERROR(exec(
      "CREATE TABLE shards (shard_id integer PRIMARY KEY, range_id bigint NOT NULL, "
      "owner text, lease_until timestamptz NOT NULL)"));
  return exec(
      "CREATE TABLE nodes (node_id text PRIMARY KEY, address text NOT NULL, "
      "started_at timestamptz NOT NULL, heartbeat timestamptz NOT NULL)");
}

// kMigrations[i] takes the SQL layout from version i + 1 to i + 2, inside
// Open's transaction.
using Migration = absl::Status (*)(const std::function<absl::Status(const std::string&)>&);
constexpr std::array<Migration, kPostgresSchemaVersion - 1> kMigrations = {
    &CreateClusterTablesV2};

}  // namespace

PostgresStore::PostgresStore(std::string conninfo, std::string description,
                             const PostgresOptions& options)
    : conninfo_(std::move(conninfo)),
      description_(std::move(description)),
      options_(options) {
  const int n = std::max(1, options_.connections);
  for (int i = 0; i < n; ++i) {
    connections_.push_back(std::make_unique<Connection>(this));
    idle_.push_back(connections_.back().get());
  }
}

PostgresStore::~PostgresStore() = default;

absl::StatusOr<PostgresStore::Lease> PostgresStore::Acquire() {
  Connection* c = nullptr;
  {
    std::unique_lock<std::mutex> lock(pool_mu_);
    pool_cv_.wait(lock, [this] { return !idle_.empty(); });
    c = idle_.back();
    idle_.pop_back();
  }
  Lease lease(this, c);
  SW_RETURN_IF_ERROR(c->Ensure(schema_ready_));
  return lease;
}

void PostgresStore::Release(Connection* c) {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    idle_.push_back(c);
  }
  pool_cv_.notify_one();
}

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(
    const std::string& conninfo, const PostgresOptions& options) {
  char* err = nullptr;
  ConninfoOptions parsed(PQconninfoParse(conninfo.c_str(), &err));
  if (parsed == nullptr) {
    std::string msg = err == nullptr ? "out of memory" : err;
    if (err != nullptr) PQfreemem(err);
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid PostgreSQL connection string: ", Trimmed(StripPasswords(msg, conninfo))));
  }
  std::unique_ptr<PostgresStore> store(
      new PostgresStore(conninfo, Describe(parsed.get()), options));

  {
    SW_ASSIGN_OR_RETURN(Lease c, store->Acquire());
    auto exec = [&c](const std::string& sql) { return c->Exec(sql).status(); };
    absl::Status st = [&]() -> absl::Status {
      SW_RETURN_IF_ERROR(exec("BEGIN"));
      SW_RETURN_IF_ERROR(exec(absl::StrCat("SELECT pg_advisory_xact_lock(", kSchemaLockId, ")")));
      SW_RETURN_IF_ERROR(
          exec("CREATE TABLE IF NOT EXISTS schema_version (version bigint NOT NULL)"));
      SW_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT max(version)::text FROM schema_version"));
      if (PQgetisnull(r.get(), 0, 0)) {
        SW_RETURN_IF_ERROR(CreateSchemaV1(exec));
        for (Migration m : kMigrations) SW_RETURN_IF_ERROR(m(exec));
        SW_RETURN_IF_ERROR(exec(absl::StrCat("INSERT INTO schema_version VALUES (",
                                             kPostgresSchemaVersion, ")")));
        return exec("COMMIT");
      }
      int64_t version = 0;
      if (!absl::SimpleAtoi(PQgetvalue(r.get(), 0, 0), &version) || version < 1) {
        return absl::DataLossError(absl::StrCat("PostgreSQL store at ", store->description_,
                                                ": schema version \"", PQgetvalue(r.get(), 0, 0),
                                                "\" is unreadable"));
      }
      if (version > kPostgresSchemaVersion) {
        return absl::FailedPreconditionError(absl::StrCat(
            "PostgreSQL store at ", store->description_, " has schema version ", version,
            ", newer than this server's ", kPostgresSchemaVersion,
            "; run a stepwised that knows version ", version));
      }
      for (int64_t v = version; v < kPostgresSchemaVersion; ++v) {
        SW_RETURN_IF_ERROR(kMigrations[static_cast<size_t>(v - 1)](exec));
      }
      if (version != kPostgresSchemaVersion) {
        SW_RETURN_IF_ERROR(
            exec(absl::StrCat("UPDATE schema_version SET version = ", kPostgresSchemaVersion)));
      }
      return exec("COMMIT");
    }();
    if (!st.ok()) {
      c->Rollback();
      return st;
    }
  }
  store->schema_ready_ = true;

  // The byte layout version, checked as RocksStore checks it.
  SW_RETURN_IF_ERROR(internal::CheckSchemaVersionOnOpen(
      *store, absl::StrCat("PostgreSQL store at ", store->description_)));
  return store;
}

absl::Status PostgresStore::Commit(const Transition& t) {
  const Transition* one[] = {&t};
  SW_ASSIGN_OR_RETURN(std::vector<absl::Status> statuses, CommitBatch(one));
  return statuses.front();
}

absl::StatusOr<std::vector<absl::Status>> PostgresStore::CommitBatch(
    absl::Span<const Transition* const> batch) {
  if (batch.empty()) return std::vector<absl::Status>{};
  std::lock_guard<std::mutex> write_lock(write_mu_);
  SW_ASSIGN_OR_RETURN(Lease c, Acquire());
  absl::Status last;
  for (int attempt = 0; attempt < std::max(1, options_.max_transaction_attempts); ++attempt) {
    absl::StatusOr<std::vector<absl::Status>> r = CommitOnce(*c, batch);
    if (r.ok()) return r;
    c->Rollback();
    last = r.status();
    if (!absl::IsAborted(last) || !absl::StartsWith(last.message(), kRetryMarker)) return last;
  }
  return absl::UnavailableError(absl::StrCat("PostgreSQL at ", description_,
                                             ": commit kept being rolled back: ", last.message()));
}

absl::StatusOr<std::vector<absl::Status>> PostgresStore::CommitOnce(
    Connection& c, absl::Span<const Transition* const> batch) {
  std::vector<absl::Status> statuses;
  statuses.reserve(batch.size());
  SW_RETURN_IF_ERROR(c.Exec("BEGIN").status());
  std::vector<absl::Status> fenced;  // per transition; empty without a fence
  if (fence_ != nullptr) {
    SW_ASSIGN_OR_RETURN(fenced, CheckFence(c, batch));
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const Transition* t = batch[i];
    if (!fenced.empty() && !fenced[i].ok()) {
      statuses.push_back(fenced[i]);  // nothing of it is written
      continue;
    }
    absl::Status valid = internal::ValidateTransition(*t);
    if (!valid.ok()) {
      statuses.push_back(std::move(valid));
      continue;
    }
    // The version check: the row moves only from the expected version.
    const std::string framed = EncodeExecutionValue(t->new_version, t->execution_record);
    Int64Params ints;
    PgResult moved;
    if (t->expected_version == 0) {
      SW_ASSIGN_OR_RETURN(moved, c.Run("exec_insert", {Param::Bytes(t->execution_id),
                                                       ints.Add(t->new_version),
                                                       Param::Bytes(framed)}));
    } else {
      SW_ASSIGN_OR_RETURN(moved, c.Run("exec_update", {Param::Bytes(t->execution_id),
                                                       ints.Add(t->new_version),
                                                       Param::Bytes(framed),
                                                       ints.Add(t->expected_version)}));
    }
    if (absl::string_view(PQcmdTuples(moved.get())) != "1") {
      // Say why, as the other stores do: another version, or a malformed row.
      SW_ASSIGN_OR_RETURN(PgResult cur, c.Run("get_executions", {Param::Bytes(t->execution_id)}));
      int64_t stored = 0;
      if (PQntuples(cur.get()) > 0) {
        absl::StatusOr<std::pair<int64_t, std::string>> decoded =
            DecodeExecutionValue(t->execution_id, Cell(cur.get(), 0, 0));
        if (!decoded.ok()) {
          statuses.push_back(decoded.status());
          continue;
        }
        stored = decoded->first;
      }
      statuses.push_back(absl::AbortedError(absl::StrCat("execution ", t->execution_id,
                                                         " is at version ", stored,
                                                         ", not the expected ",
                                                         t->expected_version)));
      continue;
    }
    if (t->first_event_id > 0) {
      SW_RETURN_IF_ERROR(
          c.Run("put_history",
                {Param::Bytes(HistoryKey(t->execution_id, t->first_event_id)),
                 Param::Bytes(EncodeHistoryValue(t->last_event_id, t->history_chunk))})
              .status());
    }
    for (const Write& w : t->writes) {
      const std::string n = TableName(w.table);
      if (w.value.has_value()) {
        SW_RETURN_IF_ERROR(
            c.Run("put_" + n, {Param::Bytes(w.key), Param::Bytes(*w.value)}).status());
      } else {
        SW_RETURN_IF_ERROR(c.Run("del_" + n, {Param::Bytes(w.key)}).status());
      }
    }
    statuses.push_back(absl::OkStatus());
  }
  SW_RETURN_IF_ERROR(c.Exec("COMMIT").status());
  return statuses;
}

absl::StatusOr<std::vector<absl::Status>> PostgresStore::CheckFence(
    Connection& c, absl::Span<const Transition* const> batch) {
  std::vector<int> shard_of(batch.size());
  std::map<int, int64_t> held;  // shard -> the range_id this node holds it at
  std::map<int, absl::Status> refused;  // shard -> why its transitions are refused
  for (size_t i = 0; i < batch.size(); ++i) {
    const int shard = ShardOfExecution(batch[i]->execution_id, fence_->shard_count());
    shard_of[i] = shard;
    if (held.count(shard) != 0 || refused.count(shard) != 0) continue;
    std::optional<int64_t> range_id = fence_->HeldRangeId(shard);
    if (!range_id.has_value()) {
      fenced_not_held_.fetch_add(1);
      refused[shard] = absl::AbortedError(absl::StrCat(
          "shard ", shard, " fenced: this node does not hold its lease (execution ",
          batch[i]->execution_id, ")"));
      continue;
    }
    held[shard] = *range_id;
  }
  if (!held.empty()) {
    std::string list;
    for (const auto& [shard, range_id] : held) {
      absl::StrAppend(&list, list.empty() ? "" : ",", shard);
    }
    SW_ASSIGN_OR_RETURN(PgResult rows, c.Run("fence_check", {Param::Bytes(list)}));
    std::map<int, int64_t> current;
    for (int i = 0; i < PQntuples(rows.get()); ++i) {
      const std::string id_cell = Cell(rows.get(), i, 0);
      const std::string range_cell = Cell(rows.get(), i, 1);
      absl::string_view id_bytes = id_cell;
      absl::string_view range_bytes = range_cell;
      std::optional<uint64_t> id = ConsumeUint64(&id_bytes);
      std::optional<uint64_t> range_id = ConsumeUint64(&range_bytes);
      if (id.has_value() && range_id.has_value()) {
        current[static_cast<int>(*id)] = static_cast<int64_t>(*range_id);
      }
    }
    for (const auto& [shard, range_id] : held) {
      auto it = current.find(shard);
      if (it == current.end() || it->second != range_id) {
        fenced_by_database_.fetch_add(1);
        refused[shard] = absl::AbortedError(absl::StrCat(
            "shard ", shard, " fenced: range_id ", range_id, " is no longer current (",
            it == current.end() ? std::string("the shard has no row")
                                : absl::StrCat("the shard is at range_id ", it->second),
            ")"));
      }
    }
  }
  std::vector<absl::Status> verdicts(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto it = refused.find(shard_of[i]);
    if (it != refused.end()) verdicts[i] = it->second;
  }
  return verdicts;
}

absl::StatusOr<std::optional<VersionedValue>> PostgresStore::GetExecution(
    const std::string& execution_id) {
  SW_ASSIGN_OR_RETURN(std::optional<std::string> raw, Get(Table::kExecutions, execution_id));
  if (!raw.has_value()) return std::nullopt;
  SW_ASSIGN_OR_RETURN(auto decoded, DecodeExecutionValue(execution_id, *raw));
  return VersionedValue{decoded.first, std::move(decoded.second)};
}

absl::StatusOr<std::vector<HistoryChunk>> PostgresStore::ReadHistory(
    const std::string& execution_id, int64_t from_event_id, size_t max_chunks) {
  if (from_event_id < 1) from_event_id = 1;
  const std::string prefix = HistoryPrefix(execution_id);
  const std::string target = HistoryKey(execution_id, from_event_id);
  const std::optional<std::string> end = PrefixSuccessor(prefix);
  SW_ASSIGN_OR_RETURN(Lease c, Acquire());
  // The chunk holding from_event_id is the last one starting at or before it.
  SW_ASSIGN_OR_RETURN(PgResult floor,
                      c->Run("hist_floor", {Param::Bytes(prefix), Param::Bytes(target)}));
  const std::string start = PQntuples(floor.get()) > 0 ? Cell(floor.get(), 0, 0) : target;
  Int64Params ints;
  // One more than asked: the floor chunk may end before from_event_id.
  Param limit = max_chunks == 0 ? Param::Null() : ints.Add(static_cast<int64_t>(max_chunks) + 1);
  absl::StatusOr<PgResult> rows =
      end.has_value()
          ? c->Run(Connection::ScanName(Table::kHistory, false, true, false),
                   {Param::Bytes(start), Param::Bytes(*end), limit})
          : c->Run(Connection::ScanName(Table::kHistory, false, false, false),
                   {Param::Bytes(start), limit});
  SW_RETURN_IF_ERROR(rows.status());
  std::vector<HistoryChunk> chunks;
  for (int i = 0; i < PQntuples(rows->get()); ++i) {
    const std::string key = Cell(rows->get(), i, 0);
    SW_ASSIGN_OR_RETURN(HistoryKeyParts parts, DecodeHistoryKey(key));
    SW_ASSIGN_OR_RETURN(HistoryValue value, DecodeHistoryValue(key, Cell(rows->get(), i, 1)));
    if (value.last_event_id < from_event_id) continue;
    chunks.push_back(
        HistoryChunk{parts.first_event_id, value.last_event_id, std::move(value.chunk)});
    if (max_chunks != 0 && chunks.size() >= max_chunks) break;
  }
  return chunks;
}

namespace {

// One raw row written (or deleted) on `c`, as Put and PutBatch write it.
template <typename Conn>
absl::Status PutRow(Conn& c, Table table, const std::string& key,
                    const std::optional<std::string>& value) {
  const std::string n = TableName(table);
  if (!value.has_value()) return c.Run("del_" + n, {Param::Bytes(key)}).status();
  if (table != Table::kExecutions) {
    return c.Run("put_" + n, {Param::Bytes(key), Param::Bytes(*value)}).status();
  }
  // Raw execution rows keep their framed version in the version column
  // (NULL when malformed, so no version check ever matches it).
  absl::StatusOr<std::pair<int64_t, std::string>> decoded = DecodeExecutionValue(key, *value);
  Int64Params ints;
  Param version = decoded.ok() ? ints.Add(decoded->first) : Param::Null();
  return c.Run("put_" + n, {Param::Bytes(key), Param::Bytes(*value), version}).status();
}

}  // namespace

absl::Status PostgresStore::Put(Table table, const std::string& key,
                                std::optional<std::string> value) {
  SW_ASSIGN_OR_RETURN(Lease c, Acquire());
  return PutRow(*c, table, key, value);
}

absl::Status PostgresStore::PutBatch(absl::Span<const Write> writes) {
  if (writes.empty()) return absl::OkStatus();
  SW_ASSIGN_OR_RETURN(Lease c, Acquire());
  absl::Status st = [&]() -> absl::Status {
    SW_RETURN_IF_ERROR(c->Exec("BEGIN").status());
    for (const Write& w : writes) SW_RETURN_IF_ERROR(PutRow(*c, w.table, w.key, w.value));
    return c->Exec("COMMIT").status();
  }();
  if (!st.ok()) c->Rollback();
  return st;
}

absl::StatusOr<std::string> PostgresStore::PutIfAbsent(Table table, const std::string& key,
                                                       const std::string& value) {
  if (table == Table::kExecutions) {
    return absl::InvalidArgumentError("PutIfAbsent is for non-execution tables");
  }
  SW_ASSIGN_OR_RETURN(Lease c, Acquire());
  // The insert commits on its own (autocommit); a concurrent insert of the
  // same key by another node makes this one do nothing, and the read below
  // sees the winner's value.
  SW_RETURN_IF_ERROR(
      c->Run(absl::StrCat("putnx_", TableName(table)), {Param::Bytes(key), Param::Bytes(value)}).status());
  SW_ASSIGN_OR_RETURN(PgResult r, c->Run(absl::StrCat("get_", TableName(table)),
                                         {Param::Bytes(key)}));
  if (PQntuples(r.get()) == 0) {
    return absl::InternalError(absl::StrCat("PutIfAbsent: the row ", TableName(table),
                                            " was not there after its insert"));
  }
  return Cell(r.get(), 0, 0);
}

absl::StatusOr<bool> PostgresStore::PutIfUnchanged(Table table, const std::string& key,
                                                   const std::optional<std::string>& expected,
                                                   std::optional<std::string> value) {
  if (table == Table::kExecutions) {
    return absl::InvalidArgumentError("PutIfUnchanged is for non-execution tables");
  }
  const std::string n = TableName(table);
  SW_ASSIGN_OR_RETURN(Lease c, Acquire());
  if (!expected.has_value() && !value.has_value()) {  // "delete if absent": absent?
    SW_ASSIGN_OR_RETURN(PgResult r, c->Run("get_" + n, {Param::Bytes(key)}));
    return PQntuples(r.get()) == 0;
  }
  // One autocommitted statement each: the row lock PostgreSQL takes makes a
  // concurrent one wait, then re-check its WHERE against the new value.
  absl::StatusOr<PgResult> r =
      !expected.has_value()
          ? c->Run("putnx_" + n, {Param::Bytes(key), Param::Bytes(*value)})
          : value.has_value()
                ? c->Run("cas_update_" + n,
                         {Param::Bytes(key), Param::Bytes(*expected), Param::Bytes(*value)})
                : c->Run("cas_delete_" + n, {Param::Bytes(key), Param::Bytes(*expected)});
  SW_RETURN_IF_ERROR(r.status());
  return absl::string_view(PQcmdTuples(r->get())) == "1";
}

absl::StatusOr<std::optional<std::string>> PostgresStore::Get(Table table,
                                                              const std::string& key) {
  SW_ASSIGN_OR_RETURN(Lease c, Acquire());
  SW_ASSIGN_OR_RETURN(PgResult r, c->Run(absl::StrCat("get_", TableName(table)),
                                         {Param::Bytes(key)}));
  if (PQntuples(r.get()) == 0) return std::nullopt;
  return Cell(r.get(), 0, 0);
}

absl::StatusOr<std::vector<KeyValue>> PostgresStore::Scan(Table table,
                                                          const ScanOptions& opts) {
  internal::ScanRange range = internal::ComputeScanRange(opts);
  std::vector<KeyValue> out;
  if (range.empty) return out;
  Int64Params ints;
  Param limit = opts.limit == 0 ? Param::Null() : ints.Add(static_cast<int64_t>(opts.limit));
  const std::string name = Connection::ScanName(table, range.lower_exclusive,
                                                range.upper.has_value(), opts.reverse);
  SW_ASSIGN_OR_RETURN(Lease c, Acquire());
  absl::StatusOr<PgResult> rows =
      range.upper.has_value()
          ? c->Run(name, {Param::Bytes(range.lower), Param::Bytes(*range.upper), limit})
          : c->Run(name, {Param::Bytes(range.lower), limit});
  SW_RETURN_IF_ERROR(rows.status());
  const int n = PQntuples(rows->get());
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    out.push_back(KeyValue{Cell(rows->get(), i, 0), Cell(rows->get(), i, 1)});
  }
  return out;
}

}  // namespace stepwise::storage
