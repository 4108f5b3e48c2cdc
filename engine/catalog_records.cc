// Catalog: how machine and activity records are read and written (see
// catalog.h). Reads of machine records go through a cache trusted for
// EngineOptions::catalog_cache_ttl_ms (0: forever); writes never trust it:
// they re-read the record from the store and write it back with
// Store::PutIfUnchanged over the bytes read, so a node that raced another
// one re-applies its change to the other's result instead of overwriting
// it (after a short random back-off,
// BackOffAfterLostRace). Any thread; writers hold machines_mu_ (catalog.h),
// also while backing off.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "engine/arn.h"
#include "engine/catalog.h"
#include "engine/service_error.h"

namespace stepwise::engine {

using storage::Table;

namespace {

// Sleeps a random 0..min(2^attempt, 16) ms after the `attempt`th lost race,
// so that two nodes writing one record in lock step (each read landing
// just before the other's write) fall out of step instead of losing in
// turn until the attempts run out (bench/catalog_cluster_proof.py saw 16
// losses in a row, with and without a back-off capped at 32 ms).
void BackOffAfterLostRace(int attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int64_t cap_us = int64_t{1000} << std::min(attempt, 4);
  std::uniform_int_distribution<int64_t> pick(0, cap_us);
  std::this_thread::sleep_for(std::chrono::microseconds(pick(rng)));
}

}  // namespace

bool Catalog::Expired(TimeMs cached_ms) const {
  if (options_->catalog_cache_ttl_ms <= 0) return false;
  TimeMs now = clock_->NowMs();
  // A clock that went back also expires (never trust an age we cannot tell).
  return now < cached_ms || now - cached_ms >= options_->catalog_cache_ttl_ms;
}

void Catalog::CacheMachineLocked(const std::string& name, json::object rec,
                                 uint64_t generation) {
  // A write of this process came between the read and now: what was read
  // may be older than what the write cached, so it is not kept.
  if (generation != machine_generation_) return;
  TimeMs now = options_->catalog_cache_ttl_ms > 0 ? clock_->NowMs() : 0;
  machine_cache_[name] = CachedMachine{std::move(rec), now};
}

absl::StatusOr<std::optional<json::object>> Catalog::MachineRecord(const std::string& name) {
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> l(machine_cache_mu_);
    auto it = machine_cache_.find(name);
    if (it != machine_cache_.end() && !Expired(it->second.cached_ms)) {
      return std::optional<json::object>(it->second.rec);
    }
    generation = machine_generation_;
  }
  SW_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_->Get(Table::kMachines, name));
  std::lock_guard<std::mutex> l(machine_cache_mu_);
  if (!raw.has_value()) {
    // Gone from the store (never so today: a deleted machine stays DELETING).
    if (generation == machine_generation_) machine_cache_.erase(name);
    return std::optional<json::object>();
  }
  SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(*raw, "state machine " + name));
  CacheMachineLocked(name, rec, generation);
  return std::optional<json::object>(std::move(rec));
}

absl::StatusOr<std::optional<json::object>> Catalog::FreshMachineRecord(const std::string& name) {
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> l(machine_cache_mu_);
    generation = machine_generation_;
  }
  SW_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_->Get(Table::kMachines, name));
  if (!raw.has_value()) return std::optional<json::object>();
  SW_ASSIGN_OR_RETURN(json::object rec, ParseRecord(*raw, "state machine " + name));
  std::lock_guard<std::mutex> l(machine_cache_mu_);
  CacheMachineLocked(name, rec, generation);
  return std::optional<json::object>(std::move(rec));
}

absl::Status Catalog::ModifyRecord(Table table, const std::string& name,
                                   const Mutation& mutate) {
  const std::string what =
      absl::StrCat(table == Table::kMachines ? "state machine " : "activity ", name);
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    uint64_t generation = 0;
    if (table == Table::kMachines) {
      std::lock_guard<std::mutex> l(machine_cache_mu_);
      generation = machine_generation_;
    }
    SW_ASSIGN_OR_RETURN(std::optional<std::string> raw, store_->Get(table, name));
    std::optional<json::object> rec;
    if (raw.has_value()) {
      SW_ASSIGN_OR_RETURN(rec, ParseRecord(*raw, what));
    }
    SW_ASSIGN_OR_RETURN(bool write, mutate(rec));
    if (!write) {
      // What was read is the freshest there is: cache it (as read, not as
      // the mutation may have touched it).
      if (table == Table::kMachines && raw.has_value()) {
        SW_ASSIGN_OR_RETURN(json::object read, ParseRecord(*raw, what));
        std::lock_guard<std::mutex> l(machine_cache_mu_);
        CacheMachineLocked(name, std::move(read), generation);
      }
      return absl::OkStatus();
    }
    std::optional<std::string> value;
    if (rec.has_value()) value = SerializeJson(*rec);
    SW_ASSIGN_OR_RETURN(bool written, store_->PutIfUnchanged(table, name, raw, std::move(value)));
    if (!written) {  // another node wrote meanwhile: re-read, re-apply
      BackOffAfterLostRace(attempt);
      continue;
    }
    if (table == Table::kMachines) {
      std::lock_guard<std::mutex> l(machine_cache_mu_);
      ++machine_generation_;
      if (rec.has_value()) {
        machine_cache_[name] = CachedMachine{*std::move(rec), clock_->NowMs()};
      } else {
        machine_cache_.erase(name);
      }
    }
    return absl::OkStatus();
  }
  return ServiceError("ConflictException",
                      absl::StrCat("Concurrent updates of ", what, " kept conflicting (",
                                   kMaxWriteAttempts, " attempts); retry the request"));
}

absl::Status Catalog::ModifyMachine(const std::string& name, const Mutation& mutate) {
  return ModifyRecord(Table::kMachines, name, mutate);
}

absl::Status Catalog::ModifyActivity(const std::string& name, const Mutation& mutate) {
  return ModifyRecord(Table::kActivities, name, mutate);
}

absl::StatusOr<std::string> Catalog::MachineName(const std::string& arn) const {
  std::string prefix = MachineArn("");
  if (arn.rfind(prefix, 0) != 0 || arn.size() == prefix.size()) {
    return InvalidArnError(arn);
  }
  return arn.substr(prefix.size());
}

absl::Status Catalog::RequireMachine(const std::optional<json::object>& rec,
                                     const std::string& arn, bool allow_deleting) {
  if (!rec.has_value() ||
      (!allow_deleting && rec->at("status").as_string() != "ACTIVE")) {
    return ServiceError("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'");
  }
  return absl::OkStatus();
}

absl::StatusOr<json::object> Catalog::LoadMachine(const std::string& arn, bool allow_deleting) {
  SW_ASSIGN_OR_RETURN(std::string name, MachineName(arn));
  SW_ASSIGN_OR_RETURN(std::optional<json::object> found, MachineRecord(name));
  SW_RETURN_IF_ERROR(RequireMachine(found, arn, allow_deleting));
  return *std::move(found);
}

absl::StatusOr<json::object> Catalog::LoadMachineToDescribe(const std::string& arn) {
  if (options_->catalog_cache_ttl_ms <= 0) return LoadMachine(arn);
  SW_ASSIGN_OR_RETURN(std::string name, MachineName(arn));
  SW_ASSIGN_OR_RETURN(std::optional<json::object> found, FreshMachineRecord(name));
  SW_RETURN_IF_ERROR(RequireMachine(found, arn));
  return *std::move(found);
}

}  // namespace stepwise::engine
