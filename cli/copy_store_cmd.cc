// `stepwise admin copy-store` (see copy_store_cmd.h): opens the two stores
// (RocksStore for a directory, PostgresStore for a postgresql:// URI or a
// libpq keyword string), runs CopyStore and CompareStores, prints progress.
#include "cli/copy_store_cmd.h"

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/postgres_store.h"
#include "storage/rocks_store.h"
#include "storage/store.h"
#include "storage/store_copy.h"
#include "storage/store_internal.h"

namespace stepwise::client {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitBadArguments = 2;

bool IsPostgres(const std::string& location) {
  return absl::StartsWith(location, "postgresql://") ||
         absl::StartsWith(location, "postgres://") ||
         absl::StrContains(location, "dbname=") || absl::StrContains(location, "host=");
}

struct OpenedStore {
  std::unique_ptr<storage::Store> store;
  std::string description;  // for messages: never a password
};

// Opens `location`. A source data directory must already hold a store (a
// mistyped path must not read as an empty store); a destination one is
// created. kInvalidArgument names the flag.
absl::StatusOr<OpenedStore> OpenLocation(const std::string& flag, const std::string& location,
                                         bool is_source) {
  OpenedStore out;
  if (IsPostgres(location)) {
    auto pg = storage::PostgresStore::Open(location, storage::PostgresOptions{});
    if (!pg.ok()) {
      // PostgresStore's errors name the host, never the password.
      return absl::Status(pg.status().code(),
                          absl::StrCat(flag, ": ", pg.status().message()));
    }
    out.description = absl::StrCat("PostgreSQL (", (*pg)->description(), ")");
    out.store = std::move(*pg);
    return out;
  }
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(location, ec).lexically_normal();
  if (ec || location.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot resolve '", location, "'"));
  }
  if (is_source && !std::filesystem::exists(dir / "CURRENT", ec)) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": ", dir.string(), " is not a Stepwise data directory (no RocksDB store in it)"));
  }
  if (!is_source) {
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": cannot create ", dir.string(), ": ", ec.message()));
    }
  }
  auto rocks = storage::RocksStore::Open(dir.string(), storage::RocksOptions{});
  if (!rocks.ok()) {
    if (rocks.status().code() == absl::StatusCode::kUnavailable) {
      return absl::UnavailableError(absl::StrCat(
          flag, ": data directory ", dir.string(),
          " is locked by a running stepwised (stop it first) or cannot be opened: ",
          rocks.status().message()));
    }
    return absl::Status(rocks.status().code(),
                        absl::StrCat(flag, ": ", dir.string(), ": ", rocks.status().message()));
  }
  out.description = dir.string();
  out.store = std::move(*rocks);
  return out;
}

// "machines 3, activities 1, ..." and the total.
std::string Summary(const std::vector<storage::TableCount>& counts, uint64_t* total) {
  std::vector<std::string> parts;
  *total = 0;
  for (const storage::TableCount& c : counts) {
    parts.push_back(absl::StrCat(storage::internal::TableName(c.table), " ", c.rows));
    *total += c.rows;
  }
  return absl::StrJoin(parts, ", ");
}

storage::CopyProgress ProgressTo(const char* verb) {
  return [verb](storage::Table table, uint64_t rows, bool done) {
    std::cerr << "copy-store: " << storage::internal::TableName(table) << ": " << rows
              << " rows " << verb << (done ? "" : " so far") << "\n";
  };
}

}  // namespace

int CopyStoreCommand(const RemoteArgs& args) {
  const bool verify_only = args.Has("verify-only");
  const bool verify = verify_only || args.Has("verify");
  const size_t batch_rows = static_cast<size_t>(args.GetInt("batch-rows", 1000));
  if (batch_rows == 0) {
    std::cerr << "stepwise: --batch-rows must be at least 1\n";
    return kExitBadArguments;
  }
  if (verify_only && args.Has("allow-non-empty")) {
    std::cerr << "stepwise: --verify-only copies nothing; --allow-non-empty does not apply\n";
    return kExitBadArguments;
  }
  absl::StatusOr<OpenedStore> from = OpenLocation("--from", args.Get("from"), true);
  if (!from.ok()) {
    std::cerr << "stepwise: " << from.status().message() << "\n";
    return from.status().code() == absl::StatusCode::kInvalidArgument ? kExitBadArguments
                                                                       : kExitFailed;
  }
  absl::StatusOr<OpenedStore> to = OpenLocation("--to", args.Get("to"), false);
  if (!to.ok()) {
    std::cerr << "stepwise: " << to.status().message() << "\n";
    return to.status().code() == absl::StatusCode::kInvalidArgument ? kExitBadArguments
                                                                     : kExitFailed;
  }

  if (!verify_only) {
    std::cerr << "copy-store: copying " << from->description << " to " << to->description
              << "\n";
    storage::CopyOptions options;
    options.batch_rows = batch_rows;
    options.allow_non_empty_destination = args.Has("allow-non-empty");
    options.progress = ProgressTo("copied");
    absl::StatusOr<std::vector<storage::TableCount>> counts =
        storage::CopyStore(*from->store, *to->store, options);
    if (!counts.ok()) {
      std::cerr << "stepwise: copy failed: " << counts.status().message() << "\n";
      return kExitFailed;
    }
    uint64_t total = 0;
    std::string per_table = Summary(*counts, &total);
    std::cout << "copied " << total << " rows (" << per_table << ") from " << from->description
              << " to " << to->description << "\n";
  }
  if (!verify) return kExitOk;

  std::cerr << "copy-store: comparing " << from->description << " with " << to->description
            << "\n";
  absl::StatusOr<storage::CompareResult> compared =
      storage::CompareStores(*from->store, *to->store, batch_rows, ProgressTo("compared"));
  if (!compared.ok()) {
    std::cerr << "stepwise: verify failed: " << compared.status().message() << "\n";
    return kExitFailed;
  }
  uint64_t total = 0;
  Summary(compared->rows, &total);
  if (compared->differences > 0) {
    std::cout << "verify: " << compared->differences << " difference(s) in " << total
              << " rows; the first: " << compared->first->ToString() << "\n";
    return kExitFailed;
  }
  std::cout << "verify: " << total << " rows compared, no difference\n";
  return kExitOk;
}

}  // namespace stepwise::client
