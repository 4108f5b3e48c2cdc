// ExpressChildOutcome: the small durable record an Express child execution
// of a Map Run leaves when it closes. Express executions keep nothing on
// disk (DESIGN.md, "Express executions"), but AWS lets DescribeExecution
// see a Map Run's Express children, and the Map Run reads their results in
// item order at its end and after a restart. So when one closes, the
// MapRunDispatcher (map_run_dispatcher.h) writes this row (status, input,
// output or error/cause, dates) to the durable store's meta table under a
// key made from its ARN, before the in-memory execution is forgotten;
// EngineImpl::DescribeExecution reads it once the execution is gone from
// memory. An Express child that was running at a crash has no row: the
// Map Run starts it again (at-least-once, AWS's Express contract) and only
// its one row is counted.
// Also the ARN of such a child. Pure functions; any thread.
#ifndef SW_ENGINE_MAP_RUN_EXPRESS_CHILD_OUTCOME_H_
#define SW_ENGINE_MAP_RUN_EXPRESS_CHILD_OUTCOME_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/api_types.h"

namespace stepwise::engine {

// The ARN of an Express child execution `name` of a Map Run on the hidden
// machine `machine` (MACHINE/LABEL): the Express form with a UUID stable
// for the name, so the driver knows it before the start and an item run
// again after a restart keeps it.
std::string MapRunExpressChildArn(std::string_view region, std::string_view account,
                                  std::string_view machine, std::string_view name);
// Whether `arn` is an Express execution of a Map Run's hidden machine (its
// machine part holds the '/' of MACHINE/LABEL).
bool IsMapRunExpressChildArn(std::string_view arn);

// The meta-table key of the outcome of Express child `execution_arn`. The
// keys of one Map Run's children share the prefix
// ExpressChildOutcomeKey(<ARN up to and including "<run id>-">).
std::string ExpressChildOutcomeKey(std::string_view execution_arn);

// The row's bytes (JSON) for a closed execution, and back. Decode answers
// kDataLoss naming the ARN when the bytes are not such a row.
std::string EncodeExpressChildOutcome(const ExecutionDescription& closed);
absl::StatusOr<ExecutionDescription> DecodeExpressChildOutcome(std::string_view execution_arn,
                                                               std::string_view bytes);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_MAP_RUN_EXPRESS_CHILD_OUTCOME_H_
