// Parallel and Map: the fan-out of a state into child frames (one per
// branch or item), their launch under MaxConcurrency, the failure
// tolerance, aborting the siblings of a failed child and gathering the
// results in order. Runs on whichever thread calls the Interpreter; pure:
// no I/O, no locks.
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "asl/errors.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/interpreter/event_details.h"
#include "engine/interpreter/run.h"

namespace stepwise::engine {

using asl::StateType;
using interpreter::ErrorOutput;
using interpreter::Str;

absl::Status Interpreter::Run::StartFanOut(Frame& f, const State& s) {
  json::value eff;
  if (s.jsonata) {
    eff = f.input;
  } else {
    SW_ASSIGN_OR_RETURN(eff, SelectPath(s.input_path, f.input, f, s));
  }
  auto fan = std::make_unique<FanOut>();
  fan->is_map = s.type == StateType::kMap;
  if (!fan->is_map) {
    if (s.jsonata && s.arguments.has_value()) {
      SW_ASSIGN_OR_RETURN(eff, s.arguments->Evaluate(Bindings(f, s), "Arguments"));
    } else if (s.parameters.has_value()) {
      SW_ASSIGN_OR_RETURN(eff, ApplyTemplate(*s.parameters, eff, f, s));
    }
    fan->inputs.assign(s.branches.size(), eff);
    EmitFrame(f, "ParallelStateStarted", {});
  } else {
    SW_RETURN_IF_ERROR(PrepareMap(f, s, eff, *fan));
  }
  if (st_.status != ExecutionStatus::kRunning) return absl::OkStatus();
  if (fan->is_map && s.distributed && in_.options_.map_runs_as_tasks) {
    return ScheduleMapRun(f, s, std::move(eff), *fan);  // map_run_request.cc
  }
  fan->results.assign(fan->inputs.size(), json::value());
  fan->child_frames.assign(fan->inputs.size(), -1);
  f.effective = std::move(eff);
  f.fan = std::move(fan);
  f.phase = Frame::Phase::kAwaitChildren;
  if (seed_ != nullptr && seed_frame_ == f.id) SeedRedrivenFanOut(f);
  if (f.fan->next_to_launch >= f.fan->inputs.size() && f.fan->running == 0) {
    FinishFanOut(f);
    return absl::OkStatus();
  }
  LaunchMore(f.id);
  return absl::OkStatus();
}

absl::Status Interpreter::Run::PrepareMap(Frame& f, const State& s, const json::value& eff,
                                          FanOut& fan) {
  json::value items_holder;
  const json::value* items = &eff;
  bool entries = false;
  if (s.has_item_reader && in_.options_.map_runs_as_tasks) {
    items_holder = json::array();  // the Map Run reads them (map_run_request.cc)
    items = &items_holder;
  } else if (s.items.has_value()) {
    SW_ASSIGN_OR_RETURN(items_holder, s.items->Evaluate(Bindings(f, s), "Items"));
    items = &items_holder;
    if (!items->is_array()) return asl::QueryResultTypeError(*s.items, "Items", "array", *items);
  } else if (s.items_path.has_value()) {
    asl::PathField pf;
    pf.path = s.items_path;
    SW_ASSIGN_OR_RETURN(items_holder, SelectPath(pf, eff, f, s));
    items = &items_holder;
  }
  if (!items->is_array() && s.jsonata) {
    // A JSONata Map without Items iterates over its input (AWS records this
    // wording, and an EvaluationFailed event without a location).
    return asl::QueryError("", absl::StrCat("Map state input must be an array but was: ",
                                            SerializeJson(*items)));
  }
  if (items->is_object()) {
    // A JSONPath Map over an object iterates over its entries, each item
    // {"Key": k, "Value": v} in the object's order (AWS's ItemsPath
    // documentation; $$.Map.Item.Key names the entry).
    items_holder = ObjectEntries(items->get_object());
    items = &items_holder;
    entries = true;
  }
  if (!items->is_array()) {
    return asl::RuntimeError(
        asl::kStatesRuntime,
        absl::StrCat("Invalid path '", s.items_path ? s.items_path->text() : "$",
                     "': The path must point to an array, but found: ",
                     SerializeJson(*items)));
  }
  const json::array& arr = items->get_array();
  // MaxConcurrencyPath is resolved before the Map starts; the tolerance
  // paths after (AWS records MapStateStarted before those failures).
  if (s.max_concurrency.has_value()) fan.max_concurrency = *s.max_concurrency;
  if (s.max_concurrency_expr.has_value()) {
    SW_ASSIGN_OR_RETURN(fan.max_concurrency,
                        JsonataInt(f, s, *s.max_concurrency_expr, "MaxConcurrency", 0));
  }
  if (s.max_concurrency_path.has_value()) {
    SW_ASSIGN_OR_RETURN(fan.max_concurrency,
                        NumberAtPath(f, s, eff, *s.max_concurrency_path,
                                     "MaxConcurrencyPath", /*integer=*/true));
  }
  json::object started;
  started["length"] = static_cast<int64_t>(arr.size());
  EmitFrame(f, "MapStateStarted", std::move(started));
  if (s.tolerated_failure_count.has_value()) fan.tolerated_count = *s.tolerated_failure_count;
  if (s.tolerated_failure_count_path.has_value()) {
    SW_ASSIGN_OR_RETURN(double c, NumberAtPath(f, s, eff, *s.tolerated_failure_count_path,
                                               "ToleratedFailureCountPath", true));
    fan.tolerated_count = static_cast<int64_t>(c);
  }
  if (s.tolerated_failure_percentage.has_value()) {
    fan.tolerated_percentage = *s.tolerated_failure_percentage;
  }
  if (s.tolerated_failure_count_expr.has_value()) {
    SW_ASSIGN_OR_RETURN(fan.tolerated_count,
                        JsonataInt(f, s, *s.tolerated_failure_count_expr,
                                   "ToleratedFailureCount", 0));
  }
  if (s.tolerated_failure_percentage_expr.has_value()) {
    SW_ASSIGN_OR_RETURN(json::value v, s.tolerated_failure_percentage_expr->Evaluate(
                                           Bindings(f, s), "ToleratedFailurePercentage"));
    if (!v.is_number() || ToDouble(v) < 0 || ToDouble(v) > 100) {
      return asl::QueryError(
          "ToleratedFailurePercentage",
          absl::StrCat("The ToleratedFailurePercentage field refers to value \"",
                       Shown(v), "\" which is not a valid percentage between 0 and 100."));
    }
    fan.tolerated_percentage = ToDouble(v);
  }
  if (s.tolerated_failure_percentage_path.has_value()) {
    SW_ASSIGN_OR_RETURN(fan.tolerated_percentage,
                        NumberAtPath(f, s, eff, *s.tolerated_failure_percentage_path,
                                     "ToleratedFailurePercentagePath", false));
  }
  if (fan.tolerated_count.has_value() && *fan.tolerated_count < 0) {
    return asl::RuntimeError(asl::kStatesRuntime, "ToleratedFailureCount cannot be negative.");
  }
  if (fan.tolerated_percentage.has_value() &&
      (*fan.tolerated_percentage < 0 || *fan.tolerated_percentage > 100)) {
    return asl::RuntimeError(asl::kStatesRuntime,
                             "ToleratedFailurePercentage must be between 0 and 100.");
  }
  fan.silent_children = s.distributed;
  if (s.distributed && in_.options_.map_runs_as_tasks && RedrivesMapRun(f)) {
    if (redriven_map_run_count_ > kMaxMapRunRedrives) {
      // AWS's hard limit: a Map Run is redriven at most 1,000 times; past
      // it the Map fails with States.Runtime.
      return asl::RuntimeError(
          asl::kStatesRuntime,
          absl::StrCat("The Map Run ", redriven_map_run_, " was redriven ",
                       kMaxMapRunRedrives, " times, the most a Map Run may be redriven."));
    }
    json::object d;
    d["mapRunArn"] = Str(redriven_map_run_);
    d["redriveCount"] = redriven_map_run_count_;
    EmitFrame(f, "MapRunRedriven", std::move(d));
  } else if (s.distributed) {
    json::object d;
    d["mapRunArn"] = Str(in_.options_.map_runs_as_tasks
                             ? MapRunArn(f, s)
                             : absl::StrCat(st_.info.execution_arn, "/", s.name));
    EmitFrame(f, "MapRunStarted", std::move(d));
  }
  // Item inputs: ItemSelector (or Parameters) with $$.Map.Item.
  fan.inputs.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    const json::value* key = entries ? arr[i].get_object().if_contains("Key")
                                                   : nullptr;
    if (s.item_selector.has_value()) {
      json::value index(static_cast<int64_t>(i));
      SW_ASSIGN_OR_RETURN(json::value in,
                          s.item_selector->Evaluate(
                              Bindings(f, s, nullptr, nullptr, &index, &arr[i], key),
                              "ItemSelector"));
      fan.inputs.push_back(std::move(in));
      continue;
    }
    if (!s.parameters.has_value()) {
      fan.inputs.push_back(arr[i]);
      continue;
    }
    json::value index(static_cast<int64_t>(i));
    json::value ctx = ContextObject(f, s, &index, &arr[i], key);
    SW_ASSIGN_OR_RETURN(json::value in, s.parameters->Evaluate(Env(f, &eff, &ctx)));
    fan.inputs.push_back(std::move(in));
  }
  return absl::OkStatus();
}

void Interpreter::Run::LaunchMore(int parent_id) {
  auto it = st_.frames.find(parent_id);
  if (it == st_.frames.end()) return;
  Frame& p = it->second;
  if (p.phase != Frame::Phase::kAwaitChildren || !p.fan) return;
  FanOut& fan = *p.fan;
  if (fan.finished || fan.next_to_launch >= fan.inputs.size()) return;
  if (fan.max_concurrency > 0 && fan.running >= fan.max_concurrency) return;
  size_t i = fan.next_to_launch++;
  SkipDoneChildren(fan);
  const State& s = StateOf(p);
  const asl::Scope* scope = fan.is_map ? s.processor.get() : s.branches[i].get();
  if (fan.launch_tail == 0) fan.launch_tail = p.tail;
  int64_t tail = fan.launch_tail;
  if (fan.is_map && !fan.silent_children) {
    json::object d;
    d["name"] = Str(s.name);
    d["index"] = static_cast<int64_t>(i);
    tail = Emit(&p, "MapIterationStarted", std::move(d), fan.launch_tail);
  }
  Frame& child = NewFrame(p.id, scope, fan.inputs[i], tail);
  child.child_index = static_cast<int>(i);
  child.scope_path = p.scope_path;
  child.scope_path.push_back(p.state);
  child.scope_path.push_back(fan.is_map ? 0 : static_cast<int>(i));
  child.variables = p.variables;
  child.silent = p.silent || fan.silent_children;
  fan.child_frames[i] = child.id;
  ++fan.running;
  Schedule(child);
}

void Interpreter::Run::ChildDone(Frame& child, bool ok, json::value output,
                                 const std::string& error, const std::string& cause) {
  int parent_id = child.parent;
  int index = child.child_index;
  int64_t child_tail = child.tail;
  child.phase = Frame::Phase::kDone;
  Frame& p = st_.frames.at(parent_id);
  FanOut& fan = *p.fan;
  const State& s = StateOf(p);
  fan.child_frames[static_cast<size_t>(index)] = -1;
  --fan.running;
  if (!fan.silent_children) {
    // The next iteration chains from this one's last event; the Map's own
    // closing events chain from the MapIterationSucceeded (as AWS records).
    fan.launch_tail = child_tail;
    p.tail = child_tail;
    if (fan.is_map) {
      json::object d;
      d["name"] = Str(s.name);
      d["index"] = static_cast<int64_t>(index);
      int64_t id = Emit(&p, ok ? "MapIterationSucceeded" : "MapIterationFailed",
                        std::move(d), child_tail);
      if (ok) p.tail = id;
    }
  }
  if (ok) {
    ++fan.succeeded;
    fan.results[static_cast<size_t>(index)] = std::move(output);
  } else {
    ++fan.failed;
    fan.unsuccessful.push_back(index);
    fan.results[static_cast<size_t>(index)] = ErrorOutput(error, cause);
    if (fan.first_error.empty()) {
      fan.first_error = error;
      fan.first_cause = cause;
    }
    if (!WithinTolerance(fan)) {
      AbortChildren(p);
      fan.finished = true;
      bool tolerance_set = fan.tolerated_count.has_value() || fan.tolerated_percentage.has_value();
      std::string e = tolerance_set ? std::string(asl::kStatesExceedToleratedFailureThreshold)
                                    : error;
      std::string c = tolerance_set ? "The specified tolerated failure threshold was exceeded"
                                    : cause;
      if (fan.silent_children) {
        json::object d;
        d["error"] = Str(e);
        d["cause"] = Str(c);
        EmitFrame(p, "MapRunFailed", std::move(d));
      }
      failed_fans_[p.id] = std::move(p.fan);
      HandleError(p, e, c, /*from_children=*/true);
      Schedule(p);
      return;
    }
  }
  if (fan.running == 0 && fan.next_to_launch >= fan.inputs.size()) {
    FinishFanOut(p);
    return;
  }
  LaunchMore(p.id);
}

bool Interpreter::Run::WithinTolerance(const FanOut& fan) {
  bool any = false;
  if (fan.tolerated_count.has_value()) {
    any = true;
    if (fan.failed <= *fan.tolerated_count) return true;
  }
  if (fan.tolerated_percentage.has_value() && !fan.inputs.empty()) {
    any = true;
    double pct = 100.0 * fan.failed / static_cast<double>(fan.inputs.size());
    if (pct <= *fan.tolerated_percentage) return true;
  }
  (void)any;
  return false;
}

void Interpreter::Run::AbortChildren(Frame& p) {
  if (!p.fan) return;
  const State& s = StateOf(p);
  for (size_t i = 0; i < p.fan->child_frames.size(); ++i) {
    int id = p.fan->child_frames[i];
    if (id < 0) continue;
    AbortFrame(st_.frames.at(id));
    if (p.fan->is_map && !p.fan->silent_children) {
      json::object d;
      d["name"] = Str(s.name);
      d["index"] = static_cast<int64_t>(i);
      Emit(&p, "MapIterationAborted", std::move(d), st_.frames.at(id).tail);
    }
    st_.frames.at(id).phase = Frame::Phase::kDone;
    p.fan->child_frames[i] = -1;
    p.fan->unsuccessful.push_back(static_cast<int>(i));
  }
  p.fan->running = 0;
}

void Interpreter::Run::AbortFrame(Frame& f) {
  const State& s = StateOf(f);
  if (f.task_id != 0) out_.cancel_tasks.push_back(f.task_id);
  if (f.timer_id != 0) out_.cancel_timers.push_back(f.timer_id);
  f.task_id = 0;
  f.timer_id = 0;
  switch (f.phase) {
    case Frame::Phase::kAwaitTask:
      if (s.type == StateType::kMap) {  // a Map Run task (map_run_request.cc)
        EmitFrame(f, "MapRunAborted", {});
        EmitFrame(f, "MapStateAborted", {});
        break;
      }
      EmitFrame(f, "TaskStateAborted", {});
      break;
    case Frame::Phase::kAwaitRetry:
      EmitFrame(f, "TaskStateAborted", {});
      break;
    case Frame::Phase::kAwaitTimer:
      EmitFrame(f, "WaitStateAborted", {});
      break;
    case Frame::Phase::kAwaitChildren:
      AbortChildren(f);
      EmitFrame(f, s.type == StateType::kMap ? "MapStateAborted" : "ParallelStateAborted", {});
      break;
    default:
      break;
  }
  f.phase = Frame::Phase::kDone;
}

void Interpreter::Run::FinishFanOut(Frame& p) {
  FanOut& fan = *p.fan;
  fan.finished = true;
  if (fan.is_map) {
    int64_t prev = p.tail;
    if (fan.silent_children) prev = Emit(&p, "MapRunSucceeded", {}, p.tail);
    Emit(&p, "MapStateSucceeded", {}, prev);
  }
  json::array results;
  results.reserve(fan.results.size());
  for (json::value& v : fan.results) results.push_back(std::move(v));
  p.fan.reset();
  FinishWithResult(p, json::value(std::move(results)));
}

}  // namespace stepwise::engine
