// The redrive input on one execution (RedriveExecution): checks that the
// execution may be redriven (redrive.h), reopens it on its shard through
// Interpreter::Redrive (ExecutionRedriven, the unsuccessful state entered
// again) and commits like every step: the record becomes RUNNING again, its
// visibility row counts the redrive. The entry point is called from any
// thread and never blocks; the posted work runs on the execution's shard.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "engine/engine_impl.h"
#include "engine/redrive.h"

namespace stepwise::engine {

void EngineImpl::RedriveExecutionAsync(const std::string& arn, const std::string& client_token,
                                       std::function<void(absl::StatusOr<TimeMs>)> done) {
  // AWS's clientToken: 1 to 64 printable ASCII characters ([!-~]+); the
  // record keeps the last 10, so every front end gets the same bound.
  if (client_token.size() > 64 ||
      !std::all_of(client_token.begin(), client_token.end(),
                   [](char c) { return c >= '!' && c <= '~'; })) {
    return done(ServiceError(
        "ValidationException",
        absl::StrCat("1 validation error detected: Value at 'clientToken' failed to satisfy "
                     "constraint: ",
                     client_token.size() > 64
                         ? "Member must have length between 1 and 64"
                         : "Member must satisfy regular expression pattern: [!-~]+")));
  }
  PostExisting(arn, [this, client_token, done](LoadedExecution* ex) {
    ExecutionRecord& rec = ex->record;
    ExecutionState& st = *rec.state;
    TimeMs now = clock_->NowMs();
    // Idempotent on the clientTokens of the last redrives (AWS: the last
    // 10, each for 15 minutes): the same answer, no second redrive.
    if (!client_token.empty()) {
      for (const ExecutionState::RedriveToken& t : st.redrive_client_tokens) {
        if (t.token == client_token && now - t.date <= kRedriveTokenValidMs) return done(t.date);
      }
    }
    if (st.info.express) {
      return done(ServiceError("ExecutionNotRedrivable",
                               "Executions of EXPRESS state machines cannot be redriven"));
    }
    ExecutionStateSummary summary;
    summary.status = st.status;
    summary.last_event_id = st.last_event_id;
    summary.redrive_point = st.redrive_point.has_value();
    summary.start_time = st.info.start_time;
    RedriveCheck check = CheckRedrive(summary, rec.stop_date, now, opts_.max_history_events);
    if (check.status != "REDRIVABLE") {
      return done(ServiceError("ExecutionNotRedrivable", check.reason));
    }
    Decision d;
    absl::Status s = Interp(*ex).Redrive(st, now, d);
    if (!s.ok()) return done(ServiceError("ExecutionNotRedrivable", std::string(s.message())));
    if (!client_token.empty()) {
      auto& kept = st.redrive_client_tokens;
      kept.push_back({client_token, now});
      if (kept.size() > kRedriveTokensKept) kept.erase(kept.begin());
    }
    rec.stop_date = 0;
    Commit(ex, std::move(d), false, {}, [now, done](absl::Status c) {
      if (!c.ok()) return done(c);
      done(now);
    });
  }, done);
}

}  // namespace stepwise::engine
