// The context object: what "$$" (JSONPath) and "$states.context" (JSONata)
// show of the execution, the state, the state machine, the task token of a
// .waitForTaskToken Task and the current Map item. Runs on whichever thread
// calls the Interpreter; pure: no I/O, no locks.
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "engine/interpreter/event_details.h"
#include "engine/interpreter/run.h"
#include "engine/task_resource.h"

namespace stepwise::engine {

using asl::StateType;
using interpreter::Str;

json::value Interpreter::Run::ContextObject(const Frame& f, const State& s,
                                            const json::value* map_index,
                                            const json::value* map_value,
                                            const json::value* map_key) const {
  json::object exec;
  exec["Id"] = Str(st_.info.execution_arn);
  exec["Input"] = st_.execution_input;
  exec["Name"] = Str(st_.info.execution_name);
  exec["RoleArn"] = Str(st_.info.role_arn);
  exec["StartTime"] = Str(FormatIso8601(st_.info.start_time));
  if (!st_.info.express || st_.info.express_async) exec["RedriveCount"] = st_.info.redrive_count;
  // Only once redriven (engine/interpreter/redrive.cc).
  if (st_.redrive_date != 0) exec["RedriveTime"] = Str(FormatIso8601(st_.redrive_date));
  json::object state;
  state["EnteredTime"] = Str(FormatIso8601(f.entered_time));
  state["Name"] = Str(s.name);
  if (s.type == StateType::kTask || s.type == StateType::kParallel ||
      s.type == StateType::kMap) {
    state["RetryCount"] = f.retry_count;
  }
  json::object machine;
  machine["Id"] = Str(st_.info.state_machine_arn);
  machine["Name"] = Str(st_.info.state_machine_name);
  json::object ctx;
  ctx["Execution"] = std::move(exec);
  ctx["State"] = std::move(state);
  ctx["StateMachine"] = std::move(machine);
  if (s.type == StateType::kTask && TaskResource::Parse(s.resource).wait_for_task_token) {
    json::object task;
    // The token of the attempt about to be scheduled (ScheduleAttempt takes
    // next_task_id and the frame's retry count).
    const CallbackTokens* tokens = in_.options_.tokens;
    task["Token"] = Str(tokens != nullptr
                            ? tokens->Mint(st_.info.execution_arn, st_.next_task_id,
                                           f.retry_count)
                            : absl::StrCat(st_.info.execution_arn, "#", st_.next_task_id));
    ctx["Task"] = std::move(task);
  }
  if (map_index != nullptr) {
    json::object item;
    item["Index"] = *map_index;
    item["Value"] = *map_value;
    if (map_key != nullptr) item["Key"] = *map_key;
    json::object m;
    m["Item"] = std::move(item);
    ctx["Map"] = std::move(m);
  }
  return ctx;
}

}  // namespace stepwise::engine
