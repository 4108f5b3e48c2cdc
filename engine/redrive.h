// Redrive eligibility, as AWS decides it: an execution may be redriven when
// it is a Standard execution that closed unsuccessfully (FAILED, TIMED_OUT,
// ABORTED) less than 14 days ago, within a year of its start, with fewer
// than 24,999 history events, and kept a redrive point (records closed by
// builds before RedriveExecution have none). The reasons are AWS's words.
// DescribeExecution shows the answer (redriveStatus, redriveStatusReason);
// RedriveExecution refuses with ExecutionNotRedrivable and the same reason.
// Pure functions; any thread.
#ifndef SW_ENGINE_REDRIVE_H_
#define SW_ENGINE_REDRIVE_H_

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "engine/execution_codec.h"

namespace stepwise::engine {

// How long after it closes an execution may be redriven (AWS: 14 days).
inline constexpr TimeMs kRedriveWindowMs = 14LL * 24 * 3600 * 1000;
// The longest a Standard execution may run, redrives included (AWS: a year).
inline constexpr TimeMs kMaxExecutionTimeMs = 365LL * 24 * 3600 * 1000;

// RedriveExecution's clientToken (AWS): idempotent for the last 10 tokens
// that redrove the execution, each for 15 minutes after its first use.
inline constexpr size_t kRedriveTokensKept = 10;
inline constexpr TimeMs kRedriveTokenValidMs = 15LL * 60 * 1000;

struct RedriveCheck {
  std::string status;  // REDRIVABLE | NOT_REDRIVABLE; "" for EXPRESS executions
  std::string reason;  // why not; "" when redrivable
};

// The verdict for an execution whose state summarises as `st`, closed at
// `stop_date` (0 while running), at `now`; `max_events` is the engine's
// history limit (AWS: 25,000; redrive needs fewer than max_events - 1).
RedriveCheck CheckRedrive(const ExecutionStateSummary& st, TimeMs stop_date, TimeMs now,
                          int max_events);

}  // namespace stepwise::engine

#endif  // SW_ENGINE_REDRIVE_H_
