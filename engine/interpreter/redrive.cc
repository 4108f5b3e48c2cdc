// Redrive: restarting a closed, unsuccessful execution where it stopped.
// When an execution ends FAILED, TIMED_OUT or ABORTED, KeepRedrivePoint
// records the root frame's unsuccessful state (its input and variables)
// and, for a Parallel or Map state, the results of the branches or
// iterations that had succeeded. Redrive appends ExecutionRedriven, counts
// the redrive and enters that state again with the same input; a
// Parallel or Map reruns only its failed, aborted or never started
// children (deeper states of a rerun child run again from the child's
// start). A Distributed Map run as a Map Run task redrives that same Map
// Run (MapRunRedriven; the Map Run room keeps its succeeded children). Runs on whichever thread calls the Interpreter; pure: no I/O,
// no locks.
#include <algorithm>
#include <utility>

#include "engine/interpreter/event_details.h"
#include "engine/interpreter/run.h"

namespace stepwise::engine {

absl::Status Interpreter::Redrive(ExecutionState& state, TimeMs now, Decision& out) const {
  if (state.status == ExecutionStatus::kRunning || state.status == ExecutionStatus::kSucceeded ||
      !state.redrive_point.has_value()) {
    return absl::FailedPreconditionError("execution is not redrivable");
  }
  return Run(*this, state, now, out).Redrive();
}

absl::Status Interpreter::Run::Redrive() {
  RedrivePoint point = std::move(*st_.redrive_point);
  st_.redrive_point.reset();
  st_.status = ExecutionStatus::kRunning;
  st_.output.reset();
  st_.error.clear();
  st_.cause.clear();
  ++st_.info.redrive_count;
  st_.redrive_date = now_;
  json::object d;
  d["redriveCount"] = st_.info.redrive_count;
  int64_t id = Emit(nullptr, "ExecutionRedriven", std::move(d), st_.last_event_id);
  if (in_.machine_->timeout_seconds.has_value()) {
    // The execution's timeout counts again from the redrive.
    st_.execution_timer_id = st_.next_timer_id++;
    out_.start_timers.push_back(
        {st_.execution_timer_id, now_ + *in_.machine_->timeout_seconds * 1000});
  }
  const asl::Scope* root_scope = in_.machine_->root.get();
  Frame& root = NewFrame(-1, root_scope, std::move(point.input), id);
  if (point.state >= 0 && static_cast<size_t>(point.state) < root_scope->states.size()) {
    root.state = point.state;
  }
  root.variables = std::move(point.variables);
  if (point.fan) {
    seed_ = &point;
    seed_frame_ = root.id;
  }
  if (!point.map_run_arn.empty()) {
    redriven_map_run_ = point.map_run_arn;
    redriven_map_run_count_ = point.map_run_redrive_count + 1;
    redriven_map_run_frame_ = root.id;
  }
  Schedule(root);
  Drain();
  seed_ = nullptr;
  redriven_map_run_.clear();
  return absl::OkStatus();
}

void Interpreter::Run::KeepRedrivePoint() {
  const Frame* root = nullptr;
  for (const auto& [id, f] : st_.frames) {
    if (f.parent < 0) {
      root = &f;
      break;
    }
  }
  if (root == nullptr) {
    st_.redrive_point.reset();
    return;
  }
  RedrivePoint p;
  p.state = root->state;
  p.input = root->input;
  p.variables = root->variables;
  p.map_run_arn = root->map_run_arn;  // its Map Run failed or was stopped: redrive it
  p.map_run_redrive_count = root->map_run_redrive_count;
  const FanOut* fan = root->fan.get();  // still running (stop, timeout)
  if (fan == nullptr) {
    auto it = failed_fans_.find(root->id);
    if (it != failed_fans_.end()) fan = it->second.get();
  }
  if (fan != nullptr) {
    p.fan = true;
    for (size_t i = 0; i < fan->child_frames.size(); ++i) {
      int i32 = static_cast<int>(i);
      bool ran = i < fan->next_to_launch || fan->child_frames[i] == kChildDoneBeforeRedrive;
      bool ok = ran && fan->child_frames[i] < 0 &&
                std::find(fan->unsuccessful.begin(), fan->unsuccessful.end(), i32) ==
                    fan->unsuccessful.end();
      if (!ok) continue;
      p.done.push_back(i32);
      p.results.push_back(fan->results[i]);
    }
  }
  st_.redrive_point = std::move(p);
}

void Interpreter::Run::SeedRedrivenFanOut(Frame& f) {
  FanOut& fan = *f.fan;
  const RedrivePoint& p = *seed_;
  seed_ = nullptr;
  for (size_t k = 0; k < p.done.size() && k < p.results.size(); ++k) {
    size_t i = static_cast<size_t>(p.done[k]);
    if (i >= fan.inputs.size()) continue;
    fan.child_frames[i] = kChildDoneBeforeRedrive;
    fan.results[i] = p.results[k];
    ++fan.succeeded;
  }
  SkipDoneChildren(fan);
}

void Interpreter::Run::SkipDoneChildren(FanOut& fan) {
  while (fan.next_to_launch < fan.child_frames.size() &&
         fan.child_frames[fan.next_to_launch] == kChildDoneBeforeRedrive) {
    ++fan.next_to_launch;
  }
}

}  // namespace stepwise::engine
