// Catalog: the state machines (records with their revisions, a cache of the
// records, a cache of parsed revisions) and the activities the engine
// knows. Records are JSON objects in the store's machines and activities
// tables.
//
// Several processes may share the store (cluster mode: stepwised nodes on
// one PostgreSQL, docs/postgres.md), so no write trusts the cache: every
// write re-reads the record from the store and writes it back with
// Store::PutIfUnchanged, re-reading and re-applying on a lost race
// (catalog_records.cc; ConflictException after kMaxWriteAttempts). Two
// nodes updating one machine at once both land, with distinct revisions.
// Cached records (and compiled indexed fields, known activities) are
// trusted for EngineOptions::catalog_cache_ttl_ms, then re-read: an
// UpdateStateMachine or DeleteStateMachine on another node is seen by
// StartExecution here within that time; the Describe and List calls read
// the store at once when the TTL is set. AWS documents the same window:
// state machine (and alias) updates are eventually consistent, and
// executions started within a few seconds of UpdateStateMachine or
// UpdateStateMachineAlias may still use the previous definition, roleArn
// or routing ("Read consistency in Step Functions",
// docs.aws.amazon.com/step-functions/latest/dg/concepts-read-consistency.html,
// and the UpdateStateMachineAlias API reference). ConflictException is
// AWS's error for concurrent catalog writes (its API reference).
// With TTL 0 (RocksDB: one process owns the store, every write goes through
// it) cached records never expire and a read costs no store access. Parsed
// revisions are immutable and cached for good.
// Thread-safe: any thread may call it; it has its own locks, held only
// around its own data and store calls (never while calling out).
#ifndef SW_ENGINE_CATALOG_H_
#define SW_ENGINE_CATALOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "asl/definition.h"
#include "asl/validator.h"
#include "common/clock.h"
#include "common/json.h"
#include "engine/api_types.h"
#include "storage/store.h"

namespace stepwise::engine {

class CompiledIndexedFields;  // engine/search/indexed_fields.h

// Parses a stored JSON object; kDataLoss naming `what` if it is not one.
absl::StatusOr<json::object> ParseRecord(const std::string& text, const std::string& what);

class Catalog {
 public:
  // `store`, `options` and `clock` must outlive the catalog. Create and
  // Update refuse a definition with a Task Resource `unrecognized_resource`
  // says AWS does not recognize (asl::ValidationOptions).
  Catalog(storage::Store* store, const EngineOptions* options, const Clock* clock,
          std::function<bool(std::string_view resource)> unrecognized_resource = nullptr);

  // ---- state machines (AWS errors, engine/service_error.h) ----
  // `tags` (checked by the caller, engine/tags.h) go into the new record; an
  // idempotent repeat keeps the tags it has, as AWS does.
  absl::StatusOr<StateMachineDescription> CreateStateMachine(
      const std::string& name, const std::string& definition, const std::string& role_arn,
      const std::string& type, const std::vector<Tag>& tags = {},
      const LoggingConfiguration& logging = {}, bool publish = false,
      const std::string& version_description = "");
  // A version ARN (MACHINE:N) describes that version (catalog_versions.cc).
  absl::StatusOr<StateMachineDescription> DescribeStateMachine(const std::string& arn);
  // `logging` absent: the machine's loggingConfiguration stays as it is.
  // `publish` publishes the new revision as a version (version_arn is set).
  absl::StatusOr<StateMachineDescription> UpdateStateMachine(
      const std::string& arn, const std::optional<std::string>& definition,
      const std::optional<std::string>& role_arn,
      const std::optional<LoggingConfiguration>& logging = std::nullopt, bool publish = false,
      const std::string& version_description = "");
  absl::Status DeleteStateMachine(const std::string& arn);
  absl::StatusOr<std::vector<StateMachineDescription>> ListStateMachines();

  // The record of machine `name` (cached, for the TTL), nullopt if there
  // is none.
  absl::StatusOr<std::optional<json::object>> MachineRecord(const std::string& name);
  // The record of the machine `arn`: InvalidArn, StateMachineDoesNotExist
  // (also while DELETING unless `allow_deleting`).
  absl::StatusOr<json::object> LoadMachine(const std::string& arn, bool allow_deleting = false);
  // The parsed definition of one revision of `rec` (cached: revisions are
  // immutable). A revision `rec` does not have yet (a cached record older
  // than another node's update) is read from the store. kDataLoss for a
  // missing or malformed stored revision.
  absl::StatusOr<std::shared_ptr<const asl::StateMachine>> ParsedRevision(json::object& rec,
                                                                         int64_t revision);
  // The description of `rec` at `revision` (clamped to the revisions there are).
  StateMachineDescription Describe(json::object& rec, int64_t revision) const;

  // ---- activities ----
  // Idempotent on the name: a repeat keeps the tags the activity has.
  absl::StatusOr<ActivityDescription> CreateActivity(const std::string& name,
                                                     const std::vector<Tag>& tags = {});
  absl::StatusOr<ActivityDescription> DescribeActivity(const std::string& arn);
  absl::Status DeleteActivity(const std::string& arn);
  absl::StatusOr<std::vector<ActivityDescription>> ListActivities();
  // True once `arn` was seen to exist (remembered until deleted here, or
  // for the cache TTL), so a long-poll does not read the store each time.
  bool KnownActivity(const std::string& arn);
  void RememberActivity(const std::string& arn);

  // ---- tags (engine/catalog_tags.cc) ----
  // The tags of the state machine or activity `arn`, kept in its record.
  // InvalidArn for an ARN that is not of this region and account or names
  // another kind of resource (an execution); ResourceNotFound for a machine
  // or activity that does not exist (a deleting machine, a version or alias
  // ARN). TagResource adds or replaces (TooManyTags past 50, nothing
  // written); UntagResource removes (absent keys are fine). Durable on OK.
  absl::Status TagResource(const std::string& arn, const std::vector<Tag>& tags);
  absl::Status UntagResource(const std::string& arn, const std::vector<std::string>& keys);
  absl::StatusOr<std::vector<Tag>> ListTagsForResource(const std::string& arn);

  // ---- versions (engine/catalog_versions.cc) and aliases (catalog_aliases.cc) ----
  // Kept in the machine's record; numbers are never reused; deleting the
  // machine deletes its versions and aliases. Errors in AWS's words.
  // Publishes the current revision (idempotent: the version it already has);
  // ConflictException when `revision_id` is not the current revision's;
  // ServiceQuotaExceededException past max_versions_per_machine.
  absl::StatusOr<StateMachineVersionItem> PublishStateMachineVersion(
      const std::string& arn, const std::optional<std::string>& revision_id,
      const std::string& description);
  // Newest first.
  absl::StatusOr<std::vector<StateMachineVersionItem>> ListStateMachineVersions(
      const std::string& arn);
  // OK for a version that does not exist; ConflictException while an alias
  // routes to it.
  absl::Status DeleteStateMachineVersion(const std::string& version_arn);
  absl::StatusOr<StateMachineAliasDescription> CreateStateMachineAlias(
      const std::string& name, const std::string& description,
      const std::vector<AliasRoute>& routing);
  absl::StatusOr<StateMachineAliasDescription> DescribeStateMachineAlias(
      const std::string& alias_arn);
  absl::StatusOr<StateMachineAliasDescription> UpdateStateMachineAlias(
      const std::string& alias_arn, const std::optional<std::string>& description,
      const std::optional<std::vector<AliasRoute>>& routing);
  absl::Status DeleteStateMachineAlias(const std::string& alias_arn);
  absl::StatusOr<std::vector<StateMachineAliasDescription>> ListStateMachineAliases(
      const std::string& arn);

  // ---- indexed fields for search (engine/catalog_indexed_fields.cc) ----
  // Replaces the fields machine `arn` indexes (empty: none); applies to the
  // executions whose visibility row is written after it. ValidationException
  // naming the member (engine/search/indexed_fields.h), for a version or
  // alias ARN; StateMachineTypeNotSupported for an EXPRESS machine.
  absl::Status PutIndexedFields(const std::string& arn, const std::vector<IndexedField>& fields);
  absl::StatusOr<std::vector<IndexedField>> GetIndexedFields(const std::string& arn);
  // The compiled fields of `machine_arn` (null when it declares none),
  // cached; for the step writing a visibility row.
  absl::StatusOr<std::shared_ptr<const CompiledIndexedFields>> CompiledIndexedFieldsOf(
      const std::string& machine_arn);
  void ForgetIndexedFields(const std::string& machine_arn);

  // What a StartExecution on `arn` runs: a machine ARN its newest revision,
  // a version ARN that version's, an alias ARN one of its versions chosen by
  // weight with `pick` (uniform in [0, 1)). StateMachineDoesNotExist for a
  // version or alias that does not exist.
  struct StartTarget {
    json::object rec;          // the machine's record
    std::string machine_arn;   // unqualified
    int64_t revision = 0;
    std::string version_arn;   // "" for an unqualified start
    std::string alias_arn;     // "" unless started through an alias
  };
  absl::StatusOr<StartTarget> ResolveStartTarget(const std::string& arn, double pick);
  // A state machine ARN split at its qualifier: {"MACHINE_ARN", "N" or
  // "ALIAS" or ""}. InvalidArn when it is not a state machine ARN here.
  absl::StatusOr<std::pair<std::string, std::string>> SplitMachineArn(
      const std::string& arn) const;

  // ---- Map Run child machines (engine/catalog_map_run.cc) ----
  // The hidden machine `name` (MACHINE/LABEL) a Map Run starts its children
  // on, with `definition` (the Map's processor) as its newest revision:
  // created, or given a new revision when the definition differs. Not
  // listed by ListStateMachines. Returns its ARN.
  absl::StatusOr<std::string> EnsureMapRunMachine(const std::string& name,
                                                  const std::string& definition,
                                                  const std::string& type);
  // Whether `name` is such a machine's (it has a '/').
  static bool IsMapRunMachineName(std::string_view name) {
    return name.find('/') != std::string_view::npos;
  }

 private:
  // Writes of one record (catalog_records.cc). A mutation gets the record
  // as the store holds it now (nullopt: none), changes it in place (nullopt:
  // delete) and returns true to write it, false to leave the store as it is;
  // an error is returned as is. It may run more than once (after a lost
  // race), so it computes its answers from the record it is given.
  using Mutation = std::function<absl::StatusOr<bool>(std::optional<json::object>& rec)>;
  // A writer that keeps racing another node's hot writer loses each round
  // with a good chance (its compare-and-set often lands during the other's
  // commit): 64 rounds make giving up (ConflictException) rare.
  static constexpr int kMaxWriteAttempts = 64;
  // Read-modify-write of machine `name` with compare-and-set; refreshes the
  // cache with what was read or written. Callers hold machines_mu_ (one
  // writer per process; the compare-and-set orders the processes).
  absl::Status ModifyMachine(const std::string& name, const Mutation& mutate);
  // The same for activity `name` (activities are not cached).
  absl::Status ModifyActivity(const std::string& name, const Mutation& mutate);
  absl::Status ModifyRecord(storage::Table table, const std::string& name, const Mutation& mutate);
  // Machine `name` read from the store, not the cache (the cache is
  // refreshed with it); nullopt if there is none.
  absl::StatusOr<std::optional<json::object>> FreshMachineRecord(const std::string& name);
  // Caches `rec` as machine `name`'s record read when machine_generation_
  // was `generation` (dropped if a write came meanwhile). Requires
  // machine_cache_mu_.
  void CacheMachineLocked(const std::string& name, json::object rec, uint64_t generation);
  // Whether something cached at `cached_ms` is past the TTL.
  bool Expired(TimeMs cached_ms) const;
  // LoadMachine for the calls that describe or list what a machine holds
  // (DescribeStateMachine, its versions, aliases, tags, indexed fields):
  // read from the store when other nodes may write (TTL > 0), so a node
  // answers what another one has just written; StartExecution's path keeps
  // the cache. From the cache otherwise.
  absl::StatusOr<json::object> LoadMachineToDescribe(const std::string& arn);
  // The machine name of an unqualified machine ARN (InvalidArn otherwise).
  absl::StatusOr<std::string> MachineName(const std::string& arn) const;
  // LoadMachine's check of a record read for `arn`.
  static absl::Status RequireMachine(const std::optional<json::object>& rec,
                                     const std::string& arn, bool allow_deleting = false);

  std::string MachineArn(const std::string& name) const;
  std::string ActivityArn(const std::string& name) const;
  absl::StatusOr<std::string> ActivityName(const std::string& arn) const;
  static json::object RevisionRecord(const std::string& definition, TimeMs now);
  static ActivityDescription ActivityFromRecord(json::object& rec);
  // The resource a tag action names (catalog_tags.cc).
  struct TaggedResource {
    bool machine = false;  // else an activity
    std::string name;
  };
  absl::StatusOr<TaggedResource> ParseTaggedArn(const std::string& arn) const;
  // ResourceNotFound unless `rec` is a taggable record (an ACTIVE machine).
  static absl::Status RequireTaggable(const TaggedResource& r,
                                      const std::optional<json::object>& rec,
                                      const std::string& arn);
  // Changes the tags of `arn`'s record with `change` (returns false when
  // nothing changed) under the compare-and-set of ModifyRecord.
  absl::Status ModifyTags(const std::string& arn,
                          const std::function<absl::StatusOr<bool>(json::object& rec)>& change);
  // Versions (catalog_versions.cc): publishes `rec`'s newest revision into
  // `rec` (not written) unless a version of it exists; its ARN and date.
  absl::StatusOr<StateMachineVersionItem> PublishInto(json::object& rec,
                                                      const std::string& description);
  // The machine record a version or alias ARN names, and the qualifier.
  struct Qualified {
    json::object rec;
    std::string machine_arn;
    std::string qualifier;
  };
  absl::StatusOr<Qualified> LoadQualified(const std::string& arn);
  // LoadQualified for an alias ARN whose alias exists; ResourceNotFound
  // (naming the ARN) when the machine or the alias does not.
  absl::StatusOr<Qualified> LoadAlias(const std::string& alias_arn);
  // LoadAlias's check of a record read for `alias_arn` (qualifier `alias`).
  static absl::Status RequireAlias(const std::optional<json::object>& rec,
                                   const std::string& alias_arn, const std::string& alias);
  absl::StatusOr<StateMachineDescription> DescribeVersion(const std::string& version_arn);

  storage::Store* const store_;        // immutable; the store is thread-safe
  const EngineOptions* const options_;  // immutable (region, account)
  asl::ValidationOptions rules_;        // what Create and Update refuse beyond asl's own
  const Clock* const clock_;           // immutable; thread-safe

  // Serialises this process's read-modify-writes of machine and activity
  // records (create, update, delete); held across the store write.
  std::mutex machines_mu_;
  // Guards machine_cache_ (record by machine name, with when it was read)
  // and machine_generation_ (counts this process's machine writes, so a
  // read that raced a write does not cache what it read).
  struct CachedMachine {
    json::object rec;
    TimeMs cached_ms = 0;
  };
  std::mutex machine_cache_mu_;
  std::unordered_map<std::string, CachedMachine> machine_cache_;
  uint64_t machine_generation_ = 0;
  // Guards parsed_: parsed definition by "name#revision".
  std::mutex parsed_mu_;
  std::unordered_map<std::string, std::shared_ptr<const asl::StateMachine>> parsed_;
  // Guards known_activities_: activity ARNs seen to exist in the store,
  // with when.
  std::mutex activities_mu_;
  std::unordered_map<std::string, TimeMs> known_activities_;
  // Guards indexed_ (compiled indexed fields by machine ARN, null: none,
  // with when they were read) and indexed_generation_ (counts changes of
  // any declaration).
  struct CachedIndexedFields {
    std::shared_ptr<const CompiledIndexedFields> compiled;
    TimeMs cached_ms = 0;
  };
  std::mutex indexed_mu_;
  std::unordered_map<std::string, CachedIndexedFields> indexed_;
  uint64_t indexed_generation_ = 0;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_CATALOG_H_
