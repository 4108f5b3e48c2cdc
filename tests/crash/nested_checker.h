// The checks of the daemon crash harness's Lambda, callback and child
// workload (nested_workflow.h) once it is done: every parent closed as the
// workflow says, every function attempt answered at most once by an
// acknowledged answer and every callback completing its attempt exactly
// once (against the FunctionLog of function_workers.h), no hand-out
// repeated, and exactly one child per parent attempt of a
// states:startExecution Task (the child executions in the store against
// the parents' TaskSubmitted/TaskSucceeded outputs), each child SUCCEEDED
// as its machine says; every parent and child passes CheckClosedExecution
// (history chain, replay to the stored state). Not thread-safe: run once
// the workers have stopped.
#ifndef SW_TESTS_CRASH_NESTED_CHECKER_H_
#define SW_TESTS_CRASH_NESTED_CHECKER_H_

#include <cstdint>
#include <set>
#include <string>

#include "storage/store.h"
#include "tests/crash/checker.h"
#include "tests/crash/function_workers.h"
#include "tests/crash/nested_workflow.h"
#include "tests/crash/replay.h"

namespace stepwise::crash {

struct NestedTotals {
  int parents_succeeded = 0;
  int children = 0;  // child executions in the store
  int children_sync = 0, children_fire = 0;
  int64_t function_started = 0;  // LambdaFunctionStarted + TaskStarted of lambda:invoke
  int64_t function_timed_out = 0;
  int64_t callbacks_submitted = 0;  // TaskSubmitted of the Callback state
  int64_t acked_successes = 0;      // acknowledged SendTaskSuccess (functions and callbacks)
  std::set<std::string> history_nonces;  // the "by" of every function success in a history
};

// Checks parents 0..parents-1 of `flow` (whose acknowledged starts are
// `start_acked`) and every child execution in `store`. `opts` replays
// (with the data directory's callback tokens).
void VerifyNested(storage::Store& store, const NestedWorkflow& flow, int parents,
                  const std::set<int>& start_acked, FunctionLog& log, const ReplayOptions& opts,
                  CheckTotals* totals, NestedTotals* nested, Report* rep);

}  // namespace stepwise::crash

#endif  // SW_TESTS_CRASH_NESTED_CHECKER_H_
