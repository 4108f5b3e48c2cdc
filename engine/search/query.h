// The search query language (`stepwise list --where`, Stepwise.SearchExecutions):
//
//   query      := disjunct ('or' disjunct)*          (empty: every execution)
//   disjunct   := term ('and' term)*
//   term       := '(' query ')' | comparison
//   comparison := FIELD OP VALUE | FIELD 'starts' 'with' STRING
//   OP         := = | != | < | <= | > | >=
//   VALUE      := "string" (JSON escapes) | number | true | false | null
//                 | a bare word (status enums, ARNs)
//
// Fields: `status` (= or != a status: RUNNING, SUCCEEDED, FAILED,
// TIMED_OUT, ABORTED, PENDING_REDRIVE), `name` (=, !=, starts with),
// `startDate` and `stopDate` (compared with an ISO 8601 time in quotes,
// "2026-12-01T00:00:00Z"; a running execution has no stopDate),
// `stateMachine` (= or != a machine name or ARN), `version` and `alias`
// (= or != an ARN); any other name is an indexed field the machine declares
// (engine/search/indexed_fields.h), compared by its JSON value: "4711" is a
// string and 4711 a number; < <= > >= compare two numbers or two strings;
// `starts with` takes a string. A comparison on a field the execution has
// no value for is false (!= included). `and` binds tighter than `or`;
// keywords are case-insensitive. Errors are ValidationException
// "query: <what> at column N" (1-based).
// Pure functions; a parsed Query is immutable and thread-safe.
#ifndef SW_ENGINE_SEARCH_QUERY_H_
#define SW_ENGINE_SEARCH_QUERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/api_types.h"

namespace stepwise::engine::search {

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kStartsWith };

enum class Field { kStatus, kName, kStartDate, kStopDate, kStateMachine, kVersion, kAlias,
                   kIndexed };

struct Comparison {
  Field field = Field::kIndexed;
  std::string name;  // as written (the indexed field's name)
  Op op = Op::kEq;
  // kIndexed: the value's indexed JSON text (indexed_fields.h); the date
  // fields: unused (see `ms`); others: the string.
  std::string value;
  int64_t ms = 0;  // the date fields: milliseconds since the epoch
  int column = 0;
};

struct QueryNode {
  enum class Kind { kAll, kAnd, kOr, kCompare };
  Kind kind = Kind::kAll;
  std::vector<QueryNode> children;  // kAnd, kOr
  Comparison cmp;                   // kCompare
};

// Parses `text`. ValidationException "query: ... at column N".
absl::StatusOr<QueryNode> ParseQuery(const std::string& text);

// True when execution row `d` (with state_machine_arn and indexed_fields
// set) satisfies `q`.
bool Matches(const QueryNode& q, const ExecutionDescription& d);

// The comparisons every match must satisfy (the top-level conjuncts).
std::vector<const Comparison*> Conjuncts(const QueryNode& q);

}  // namespace stepwise::engine::search

#endif  // SW_ENGINE_SEARCH_QUERY_H_
