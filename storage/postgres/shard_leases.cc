// ShardLeases (see shard_leases.h).
#include "storage/postgres/shard_leases.h"

#include <libpq-fe.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"
#include "storage/postgres_store.h"

namespace stepwise::storage {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Serialises the first cluster nodes creating the shard rows.
constexpr int64_t kShardsLockId = 0x5374657077697366;

std::string Value(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
}

std::string Seconds(absl::Duration d) { return absl::StrCat(absl::ToDoubleSeconds(d)); }

std::string RandomHex() {
  std::random_device rd;
  return absl::StrCat(absl::Hex(static_cast<uint64_t>(rd()) << 32 | rd(), absl::kZeroPad16));
}

}  // namespace

// One libpq connection, text parameters and results. Reconnects on its next
// use after a failure. Used under ShardLeases::db_mu_.
class ShardLeases::Db {
 public:
  explicit Db(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  ~Db() {
    if (conn_ != nullptr) PQfinish(conn_);
  }

  absl::StatusOr<PgResult> Exec(const std::string& sql, const std::vector<std::string>& params) {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_BAD) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
    if (conn_ == nullptr) {
      conn_ = PQconnectdb(conninfo_.c_str());
      if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
        std::string msg = conn_ == nullptr ? "out of memory" : PQerrorMessage(conn_);
        if (conn_ != nullptr) PQfinish(conn_);
        conn_ = nullptr;
        return absl::UnavailableError(
            absl::StrCat("shard leases: cannot connect to PostgreSQL: ",
                         absl::StripAsciiWhitespace(StripPasswords(msg, conninfo_))));
      }
      PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    }
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    PgResult r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0));
    ExecStatusType st = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r.get());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    std::string msg(absl::StripAsciiWhitespace(StripPasswords(
        r == nullptr ? PQerrorMessage(conn_) : PQresultErrorMessage(r.get()), conninfo_)));
    if (PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PgResult(PQexec(conn_, "ROLLBACK"));
    }
    if (PQstatus(conn_) == CONNECTION_BAD) {
      return absl::UnavailableError(absl::StrCat("shard leases: PostgreSQL unavailable: ", msg));
    }
    return absl::InternalError(absl::StrCat("shard leases: PostgreSQL failed: ", msg));
  }

 private:
  const std::string conninfo_;
  PGconn* conn_ = nullptr;
};

ShardLeases::ShardLeases(std::unique_ptr<Db> db, ShardLeaseOptions options)
    : db_(std::move(db)), options_(std::move(options)) {}

ShardLeases::~ShardLeases() { Stop(StopMode::kRelease); }

absl::Status ShardLeases::CheckOpen() const {
  if (db_ == nullptr) return absl::FailedPreconditionError("shard leases: stopped");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ShardLeases>> ShardLeases::Open(
    const std::string& conninfo, const ShardLeaseOptions& options) {
  if (options.shard_count < 1) {
    return absl::InvalidArgumentError("cluster shard count must be at least 1");
  }
  if (options.ttl < absl::Seconds(1)) {
    return absl::InvalidArgumentError("shard lease TTL must be at least 1 second");
  }
  ShardLeaseOptions o = options;
  if (o.node_id.empty()) o.node_id = absl::StrCat(o.advertise_address, "#", RandomHex());
  auto db = std::make_unique<Db>(conninfo);

  // The shard rows: created by the first node, checked by every other.
  SW_RETURN_IF_ERROR(db->Exec("BEGIN", {}).status());
  absl::Status st = [&]() -> absl::Status {
    SW_RETURN_IF_ERROR(
        db->Exec(absl::StrCat("SELECT pg_advisory_xact_lock(", kShardsLockId, ")"), {}).status());
    SW_ASSIGN_OR_RETURN(PgResult r, db->Exec("SELECT count(*) FROM shards", {}));
    int64_t existing = 0;
    if (!absl::SimpleAtoi(PQgetvalue(r.get(), 0, 0), &existing)) {
      return absl::DataLossError("shard leases: unreadable shard count");
    }
    if (existing == 0) {
      SW_RETURN_IF_ERROR(db->Exec("INSERT INTO shards (shard_id, range_id, owner, lease_until) "
                                  "SELECT g, 0, NULL, now() FROM generate_series(0, $1::int - 1) g",
                                  {absl::StrCat(o.shard_count)})
                             .status());
    } else if (existing != o.shard_count) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this cluster was created with ", existing, " shards, but this node was started with "
          "--cluster-shards ", o.shard_count, "; the shard count is fixed when the cluster is "
          "created: start every node with --cluster-shards ", existing));
    }
    return db->Exec("COMMIT", {}).status();
  }();
  if (!st.ok()) return st;

  SW_RETURN_IF_ERROR(db->Exec("INSERT INTO nodes (node_id, address, started_at, heartbeat) "
                              "VALUES ($1, $2, now(), now()) ON CONFLICT (node_id) DO UPDATE "
                              "SET address = EXCLUDED.address, started_at = now(), "
                              "heartbeat = now()",
                              {o.node_id, o.advertise_address})
                         .status());
  return std::unique_ptr<ShardLeases>(new ShardLeases(std::move(db), std::move(o)));
}

absl::StatusOr<int64_t> ShardLeases::Acquire(int shard) {
  if (shard < 0 || shard >= options_.shard_count) {
    return absl::InvalidArgumentError(
        absl::StrCat("shard ", shard, " is not in 0..", options_.shard_count - 1));
  }
  if (std::optional<int64_t> held = HeldRangeId(shard); held.has_value()) return *held;
  std::lock_guard<std::mutex> db_lock(db_mu_);
  SW_RETURN_IF_ERROR(CheckOpen());
  const Clock::time_point sent = Clock::now();
  SW_ASSIGN_OR_RETURN(
      PgResult r,
      db_->Exec("UPDATE shards SET range_id = range_id + 1, owner = $2, "
                "lease_until = now() + make_interval(secs => $3::float8) "
                "WHERE shard_id = $1::int AND (owner = $2 OR owner IS NULL OR "
                "lease_until < now()) RETURNING range_id",
                {absl::StrCat(shard), options_.node_id, Seconds(options_.ttl)}));
  if (PQntuples(r.get()) == 1) {
    int64_t range_id = 0;
    if (!absl::SimpleAtoi(PQgetvalue(r.get(), 0, 0), &range_id)) {
      return absl::DataLossError("shard leases: unreadable range_id");
    }
    std::lock_guard<std::mutex> lock(held_mu_);
    held_[shard] = Held{range_id, sent + absl::ToChronoNanoseconds(options_.ttl)};
    return range_id;
  }
  SW_ASSIGN_OR_RETURN(PgResult who, db_->Exec("SELECT coalesce(owner, ''), lease_until::text "
                                              "FROM shards WHERE shard_id = $1::int",
                                              {absl::StrCat(shard)}));
  if (PQntuples(who.get()) == 0) {
    return absl::FailedPreconditionError(absl::StrCat("shard ", shard, " has no row"));
  }
  return absl::FailedPreconditionError(absl::StrCat("shard ", shard, " is held by node ",
                                                    Value(who.get(), 0, 0), " until ",
                                                    Value(who.get(), 0, 1)));
}

absl::StatusOr<int> ShardLeases::Renew() {
  std::vector<std::string> ids;
  std::vector<std::string> ranges;
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    const Clock::time_point now = Clock::now();
    for (auto it = held_.begin(); it != held_.end();) {
      if (it->second.deadline <= now) {
        spdlog::warn("shard {}: lease lost (not renewed in time)", it->first);
        it = held_.erase(it);
        continue;
      }
      ids.push_back(absl::StrCat(it->first));
      ranges.push_back(absl::StrCat(it->second.range_id));
      ++it;
    }
  }
  if (ids.empty()) return 0;
  std::lock_guard<std::mutex> db_lock(db_mu_);
  SW_RETURN_IF_ERROR(CheckOpen());
  const Clock::time_point sent = Clock::now();
  SW_ASSIGN_OR_RETURN(
      PgResult r,
      db_->Exec("UPDATE shards s SET lease_until = now() + make_interval(secs => $4::float8) "
                "FROM unnest(string_to_array($1, ',')::int[], string_to_array($2, ',')::bigint[]) "
                "AS h(id, r) WHERE s.shard_id = h.id AND s.range_id = h.r AND s.owner = $3 "
                "AND s.lease_until >= now() RETURNING s.shard_id",
                {absl::StrJoin(ids, ","), absl::StrJoin(ranges, ","), options_.node_id,
                 Seconds(options_.ttl)}));
  std::vector<int> renewed;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    int id = 0;
    if (absl::SimpleAtoi(PQgetvalue(r.get(), i, 0), &id)) renewed.push_back(id);
  }
  std::sort(renewed.begin(), renewed.end());
  std::lock_guard<std::mutex> lock(held_mu_);
  for (auto it = held_.begin(); it != held_.end();) {
    if (std::binary_search(renewed.begin(), renewed.end(), it->first)) {
      it->second.deadline = sent + absl::ToChronoNanoseconds(options_.ttl);
      ++it;
    } else if (std::find(ids.begin(), ids.end(), absl::StrCat(it->first)) != ids.end()) {
      spdlog::warn("shard {}: lease lost (taken over or expired in the database)", it->first);
      it = held_.erase(it);
    } else {
      ++it;  // acquired meanwhile
    }
  }
  return static_cast<int>(held_.size());
}

absl::Status ShardLeases::Release(int shard) {
  int64_t range_id = 0;
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    auto it = held_.find(shard);
    if (it == held_.end()) return absl::OkStatus();
    range_id = it->second.range_id;
    held_.erase(it);
  }
  std::lock_guard<std::mutex> db_lock(db_mu_);
  SW_RETURN_IF_ERROR(CheckOpen());
  return db_
      ->Exec("UPDATE shards SET owner = NULL, lease_until = now() "
             "WHERE shard_id = $1::int AND owner = $2 AND range_id = $3::bigint",
             {absl::StrCat(shard), options_.node_id, absl::StrCat(range_id)})
      .status();
}

absl::Status ShardLeases::Heartbeat() {
  std::lock_guard<std::mutex> db_lock(db_mu_);
  SW_RETURN_IF_ERROR(CheckOpen());
  // An upsert: a node whose row was removed (e.g. by hand) registers again.
  return db_
      ->Exec("INSERT INTO nodes (node_id, address, started_at, heartbeat) "
             "VALUES ($1, $2, now(), now()) ON CONFLICT (node_id) DO UPDATE "
             "SET heartbeat = now()",
             {options_.node_id, options_.advertise_address})
      .status();
}

absl::StatusOr<int> ShardLeases::LiveNodes() {
  std::lock_guard<std::mutex> db_lock(db_mu_);
  SW_RETURN_IF_ERROR(CheckOpen());
  SW_ASSIGN_OR_RETURN(PgResult r, db_->Exec("SELECT count(*) FROM nodes WHERE heartbeat >= "
                                            "now() - make_interval(secs => $1::float8)",
                                            {Seconds(options_.ttl)}));
  int live = 0;
  if (!absl::SimpleAtoi(PQgetvalue(r.get(), 0, 0), &live)) {
    return absl::DataLossError("shard leases: unreadable node count");
  }
  return live;
}

absl::StatusOr<ClusterView> ShardLeases::DescribeCluster() {
  std::lock_guard<std::mutex> db_lock(db_mu_);
  SW_RETURN_IF_ERROR(CheckOpen());
  SW_ASSIGN_OR_RETURN(
      PgResult nodes,
      db_->Exec("SELECT node_id, address, (extract(epoch FROM started_at) * 1000)::bigint, "
                "(extract(epoch FROM heartbeat) * 1000)::bigint, "
                "heartbeat >= now() - make_interval(secs => $1::float8) "
                "FROM nodes ORDER BY node_id",
                {Seconds(options_.ttl)}));
  SW_ASSIGN_OR_RETURN(PgResult shards,
                      db_->Exec("SELECT shard_id, coalesce(owner, ''), lease_until >= now() "
                                "FROM shards ORDER BY shard_id",
                                {}));
  ClusterView view;
  view.shard_count = options_.shard_count;
  std::map<std::string, size_t> by_id;
  for (int i = 0; i < PQntuples(nodes.get()); ++i) {
    ClusterNodeView n;
    n.node_id = Value(nodes.get(), i, 0);
    n.advertise_address = Value(nodes.get(), i, 1);
    if (!absl::SimpleAtoi(Value(nodes.get(), i, 2), &n.started_at_ms) ||
        !absl::SimpleAtoi(Value(nodes.get(), i, 3), &n.last_heartbeat_ms)) {
      return absl::DataLossError("shard leases: unreadable nodes row");
    }
    n.live = Value(nodes.get(), i, 4) == "t";
    by_id[n.node_id] = view.nodes.size();
    view.nodes.push_back(std::move(n));
  }
  for (int i = 0; i < PQntuples(shards.get()); ++i) {
    int id = 0;
    if (!absl::SimpleAtoi(Value(shards.get(), i, 0), &id)) {
      return absl::DataLossError("shard leases: unreadable shard_id");
    }
    std::string owner = Value(shards.get(), i, 1);
    if (owner.empty() || Value(shards.get(), i, 2) != "t") {
      view.unowned_shards.push_back(id);
      continue;
    }
    auto it = by_id.find(owner);
    if (it == by_id.end()) {
      ClusterNodeView gone;
      gone.node_id = owner;
      it = by_id.emplace(owner, view.nodes.size()).first;
      view.nodes.push_back(std::move(gone));
    }
    view.nodes[it->second].shards.push_back(id);
  }
  std::sort(view.nodes.begin(), view.nodes.end(),
            [](const ClusterNodeView& a, const ClusterNodeView& b) { return a.node_id < b.node_id; });
  return view;
}

absl::Status ShardLeases::Tick() {
  SW_RETURN_IF_ERROR(Heartbeat());
  SW_RETURN_IF_ERROR(Renew().status());
  return Rebalance();
}

absl::Status ShardLeases::Rebalance() {
  SW_ASSIGN_OR_RETURN(int live, LiveNodes());
  live = std::max(live, 1);
  const int target = (options_.shard_count + live - 1) / live;
  std::vector<int> owned = OwnedShards();
  // Too many: give back the highest ones for the nodes that joined.
  for (int i = static_cast<int>(owned.size()) - 1; i >= target; --i) {
    SW_RETURN_IF_ERROR(Release(owned[static_cast<size_t>(i)]));
  }
  int need = target - static_cast<int>(owned.size());
  if (need <= 0) return absl::OkStatus();
  std::vector<int> candidates;
  {
    std::lock_guard<std::mutex> db_lock(db_mu_);
  SW_RETURN_IF_ERROR(CheckOpen());
    SW_ASSIGN_OR_RETURN(PgResult r, db_->Exec("SELECT shard_id FROM shards WHERE owner IS NULL "
                                              "OR lease_until < now() ORDER BY shard_id",
                                              {}));
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      int id = 0;
      if (absl::SimpleAtoi(PQgetvalue(r.get(), i, 0), &id)) candidates.push_back(id);
    }
  }
  for (int shard : candidates) {
    if (need == 0) break;
    absl::StatusOr<int64_t> got = Acquire(shard);
    if (got.ok()) {
      --need;
    } else if (!absl::IsFailedPrecondition(got.status())) {
      return got.status();  // a database failure; another node winning the race is fine
    }
  }
  return absl::OkStatus();
}

std::vector<int> ShardLeases::OwnedShards() const {
  std::vector<int> out;
  std::lock_guard<std::mutex> lock(held_mu_);
  const Clock::time_point now = Clock::now();
  for (const auto& [shard, held] : held_) {
    if (held.deadline > now) out.push_back(shard);
  }
  return out;
}

std::optional<int64_t> ShardLeases::HeldRangeId(int shard) const {
  std::lock_guard<std::mutex> lock(held_mu_);
  auto it = held_.find(shard);
  if (it == held_.end() || it->second.deadline <= Clock::now()) return std::nullopt;
  return it->second.range_id;
}

void ShardLeases::Start() {
  std::lock_guard<std::mutex> lock(loop_mu_);
  if (loop_.joinable()) return;
  stopping_ = false;
  loop_ = std::thread([this] { Loop(); });
}

void ShardLeases::Loop() {
  // Every third of the TTL (renewals), and at least every second: a shard
  // whose owner died is taken within a round of its lease's expiry, so
  // within TTL + 1 s (+ the database's latency) rather than TTL + TTL/3
  // (13.3 s with the default 10 s: tests/crash/README.md "Three nodes on
  // PostgreSQL" measured 12.1 s).
  const auto period = absl::ToChronoNanoseconds(std::min(options_.ttl / 3, absl::Seconds(1)));
  std::unique_lock<std::mutex> lock(loop_mu_);
  while (!stopping_) {
    lock.unlock();
    absl::Status st = Tick();
    if (!st.ok()) spdlog::warn("shard leases: {}", st.ToString());
    lock.lock();
    loop_cv_.wait_for(lock, period, [this] { return stopping_; });
  }
}

void ShardLeases::Stop(StopMode mode) {
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  if (mode == StopMode::kAbandon) {
    std::lock_guard<std::mutex> lock(held_mu_);
    held_.clear();
    return;
  }
  for (int shard : OwnedShards()) {
    absl::Status st = Release(shard);
    if (!st.ok()) spdlog::warn("shard leases: releasing shard {}: {}", shard, st.ToString());
  }
  {
    std::lock_guard<std::mutex> lock(held_mu_);
    held_.clear();
  }
  std::lock_guard<std::mutex> db_lock(db_mu_);
  if (db_ == nullptr) return;
  absl::Status st = db_->Exec("DELETE FROM nodes WHERE node_id = $1", {options_.node_id}).status();
  if (!st.ok()) spdlog::warn("shard leases: removing node row: {}", st.ToString());
  db_.reset();  // stopped: the destructor's Stop does nothing more
}

}  // namespace stepwise::storage
