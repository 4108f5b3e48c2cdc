// The Interpreter's entry points: each trigger makes one Interpreter::Run
// (engine/interpreter/run.h, defined across engine/interpreter/) and hands
// it the call. Also the status names and ResolveScope. Runs on whichever
// thread calls the Interpreter; pure: no I/O, no locks.
#include "engine/interpreter.h"

#include <utility>

#include "absl/status/status.h"
#include "engine/interpreter/run.h"

namespace stepwise::engine {

using asl::StateType;

std::string_view ExecutionStatusName(ExecutionStatus s) {
  switch (s) {
    case ExecutionStatus::kRunning: return "RUNNING";
    case ExecutionStatus::kSucceeded: return "SUCCEEDED";
    case ExecutionStatus::kFailed: return "FAILED";
    case ExecutionStatus::kTimedOut: return "TIMED_OUT";
    case ExecutionStatus::kAborted: return "ABORTED";
  }
  return "";
}

const asl::Scope* ResolveScope(const asl::StateMachine& machine,
                               const std::vector<int>& path) {
  const asl::Scope* scope = machine.root.get();
  if (path.size() % 2 != 0) return nullptr;
  for (size_t i = 0; i < path.size(); i += 2) {
    int si = path[i], bi = path[i + 1];
    if (scope == nullptr || si < 0 || static_cast<size_t>(si) >= scope->states.size()) {
      return nullptr;
    }
    const asl::State& st = scope->states[static_cast<size_t>(si)];
    if (st.type == StateType::kMap) {
      scope = bi == 0 ? st.processor.get() : nullptr;
    } else if (st.type == StateType::kParallel && bi >= 0 &&
               static_cast<size_t>(bi) < st.branches.size()) {
      scope = st.branches[static_cast<size_t>(bi)].get();
    } else {
      return nullptr;
    }
  }
  return scope;
}

Interpreter::Interpreter(std::shared_ptr<const asl::StateMachine> machine,
                         asl::RandomSource* random, InterpreterOptions options)
    : machine_(std::move(machine)), random_(random), options_(options) {}

void Interpreter::Start(ExecutionState& state, json::value input, TimeMs now,
                        Decision& out, const StartPoint* from) const {
  Run(*this, state, now, out).Start(std::move(input), from);
}

absl::Status Interpreter::TaskStarted(ExecutionState& state, int64_t task_id,
                                      const std::string& worker_name, TimeMs now,
                                      Decision& out) const {
  return Run(*this, state, now, out).TaskStarted(task_id, worker_name);
}

absl::Status Interpreter::TaskSubmitted(ExecutionState& state, int64_t task_id,
                                        const json::value& output, TimeMs now,
                                        Decision& out) const {
  return Run(*this, state, now, out).TaskSubmitted(task_id, output);
}

absl::Status Interpreter::CompleteTask(ExecutionState& state, int64_t task_id,
                                       const TaskResult& result, TimeMs now,
                                       Decision& out) const {
  return Run(*this, state, now, out).CompleteTask(task_id, result);
}

absl::Status Interpreter::FireTimer(ExecutionState& state, int64_t timer_id, TimeMs now,
                                    Decision& out) const {
  if (state.status != ExecutionStatus::kRunning) return absl::OkStatus();
  return Run(*this, state, now, out).FireTimer(timer_id);
}

void Interpreter::Continue(ExecutionState& state, TimeMs now, Decision& out) const {
  if (state.status != ExecutionStatus::kRunning) return;
  Run(*this, state, now, out).Continue();
}

absl::Status Interpreter::Stop(ExecutionState& state, const std::string& error,
                               const std::string& cause, TimeMs now, Decision& out) const {
  if (state.status != ExecutionStatus::kRunning) {
    return absl::FailedPreconditionError("execution is not running");
  }
  return Run(*this, state, now, out).Stop(error, cause);
}

}  // namespace stepwise::engine
