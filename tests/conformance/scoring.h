// Scoring of execution conformance runs, shared by the runners
// (conformance_runner: engine::RunLocal with stubs; conformance_live_runner:
// a real stepwised with real workers): one case's result against its
// expected result (strict, relaxed, history, through compare.h), the
// per-category table, the most common failures, one case's detail, and the
// passing-list regression gate (write and check). Pure functions over the
// outcomes plus printing to stdout; call from one thread.
#ifndef SW_TESTS_CONFORMANCE_SCORING_H_
#define SW_TESTS_CONFORMANCE_SCORING_H_

#include <string>
#include <vector>

#include "tests/conformance/case_file.h"
#include "tests/conformance/compare.h"

namespace stepwise::conformance {

// What running one case produced.
struct RunOutput {
  bool ok = false;        // the execution ran to an end and was read back
  std::string run_error;  // why not (status message, crash, timeout)
  ActualResult result;
  std::vector<std::string> task_log;  // one line per task answered
};

struct CaseOutcome {
  const ConformanceCase* c = nullptr;
  bool strict = false;
  bool relaxed = false;
  bool history_checked = false;
  bool history = false;
  std::string strict_diff;
  std::string relaxed_diff;
  std::string history_diff;
  RunOutput run;
};

// Scores `run` against the case's `expected` (README "Comparison rule"):
// strict, relaxed and, when the case has `expected.events`, history.
CaseOutcome ScoreCase(const ConformanceCase& c, RunOutput run);

// Prints the per-category table (cases, headline, masked, stubs, replay,
// strict, relaxed, history, jsonata) and the total line.
void PrintScoreTable(const std::vector<CaseOutcome>& outcomes);

// Prints the most common strict (or, with `history`, history) failures,
// grouped by a short signature of the difference.
void PrintFailureGroups(const std::vector<CaseOutcome>& outcomes, bool history,
                        size_t max_groups);

// Prints one case's verdicts and task log; with `full`, also the actual and
// expected results and both histories side by side.
void PrintCaseDetail(const CaseOutcome& o, bool full);

// Writes the passing list: "status ID" per strict pass, then "history ID"
// per history pass, after a comment naming `regenerate_command`. False when
// the file cannot be written.
bool WritePassing(const std::string& path, const std::vector<CaseOutcome>& outcomes,
                  const std::string& regenerate_command);

// The regression gate: every line of the passing list at `path` must still
// pass among `outcomes`. A listed case that did not run counts as a
// regression unless `partial_run` (a --case or --category selection).
// Returns 0 when all pass, 1 on a regression (listed on stdout), 2 when the
// file cannot be read.
int CheckPassing(const std::string& path, const std::vector<CaseOutcome>& outcomes,
                 bool partial_run);

}  // namespace stepwise::conformance

#endif  // SW_TESTS_CONFORMANCE_SCORING_H_
