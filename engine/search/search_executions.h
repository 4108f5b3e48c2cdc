// SearchExecutions and CountExecutions (Stepwise extensions): executions of
// one or all state machines matching a query (engine/search/query.h),
// newest first. The plan picks the most selective index: an equality on an
// indexed field (the field entries), else one machine (its visibility
// rows), else the all-machines time index; every candidate's visibility row
// is then matched against the whole query. A `startDate >=` bound stops the
// scan early. Paging tokens name the index and the last key returned.
// Any thread; reads only (the store is thread-safe).
#ifndef SW_ENGINE_SEARCH_SEARCH_EXECUTIONS_H_
#define SW_ENGINE_SEARCH_SEARCH_EXECUTIONS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "engine/api_types.h"
#include "engine/catalog.h"
#include "engine/search/query.h"
#include "storage/store.h"

namespace stepwise::engine {

class ExecutionSearch {
 public:
  // All must outlive the search.
  ExecutionSearch(storage::Store* store, Catalog* catalog, const EngineOptions* options)
      : store_(store), catalog_(catalog), options_(options) {}

  // `machine_arn` "" searches every machine; a version or alias ARN the
  // executions it ran. `max_results` 1..1000 (0: 100). Errors:
  // ValidationException (the query, maxResults), InvalidArn,
  // StateMachineDoesNotExist, StateMachineTypeNotSupported (EXPRESS),
  // InvalidToken.
  absl::StatusOr<ExecutionList> Search(const std::string& query, const std::string& machine_arn,
                                       int max_results, const std::string& next_token);
  absl::StatusOr<int64_t> Count(const std::string& query, const std::string& machine_arn);

 private:
  struct Plan {
    char index = 'T';    // F: field entries, M: one machine's rows, T: time index
    std::string prefix;  // of the keys scanned
    search::QueryNode query;
    int64_t min_start_ms = INT64_MIN;  // older rows cannot match
  };
  absl::StatusOr<Plan> MakePlan(const std::string& query, const std::string& machine_arn);
  // Scans `plan`'s index after `start_after`, newest first, calling `fn`
  // with each matching row and its index key until `fn` returns false.
  absl::Status Run(const Plan& plan, const std::string& start_after,
                   const std::function<bool(const std::string& key, ExecutionDescription d)>& fn);

  storage::Store* const store_;
  Catalog* const catalog_;
  const EngineOptions* const options_;
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_SEARCH_SEARCH_EXECUTIONS_H_
