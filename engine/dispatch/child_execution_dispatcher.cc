// ChildExecutionDispatcher (child_execution_dispatcher.h): nested
// executions started, adopted after a crash, waited for and stopped.
#include "engine/dispatch/child_execution_dispatcher.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/arn.h"
#include "engine/dispatch/sdk_metadata.h"
#include "engine/service_error.h"
#include "engine/task_resource.h"
#include "storage/keys.h"

namespace stepwise::engine {

// The task's details (OpenTask::details, and the row's value).
struct ChildExecutionDispatcher::Child {
  std::string arn;      // the child execution's ARN
  std::string machine;  // StateMachineArn
  std::string name;
  std::string input;  // JSON text
  std::string mode;   // "", "sync", "sync:2", "callback"

  std::string Encode() const {
    json::object o;
    o["child"] = arn;
    o["machine"] = machine;
    o["name"] = name;
    o["input"] = input;
    o["mode"] = mode;
    return SerializeJson(json::value(std::move(o)));
  }
  static std::optional<Child> Decode(const std::string& text) {
    auto v = ParseJson(text);
    if (!v.ok() || !v->is_object()) return std::nullopt;
    const json::object& o = v->get_object();
    Child c;
    for (auto [key, field] : {std::pair{"child", &c.arn}, {"machine", &c.machine},
                              {"name", &c.name}, {"input", &c.input}, {"mode", &c.mode}}) {
      const json::value* f = o.if_contains(key);
      if (f == nullptr || !f->is_string()) return std::nullopt;
      *field = std::string(f->get_string());
    }
    return c;
  }
};

namespace {

// An API error of StartExecution as the optimized integration reports it:
// StepFunctions.<Name>Exception.
TaskResult ApiFailure(const absl::Status& s) {
  std::string name(ServiceErrorName(s));
  if (name.empty()) name = "StepFunctions";  // not an API error: keep it readable
  if (!name.ends_with("Exception")) name += "Exception";
  return TaskResult::Failed("StepFunctions." + name, std::string(s.message()));
}

std::string ModeOf(std::string_view resource_name) {
  if (resource_name == "startExecution.sync") return "sync";
  if (resource_name == "startExecution.sync:2") return "sync:2";
  if (resource_name == "startExecution.waitForTaskToken") return "callback";
  return "";
}

// StartExecution's answer as the optimized integration returns it.
json::value StartResponse(const std::string& arn, TimeMs start, TimeMs now) {
  json::object o;
  o["ExecutionArn"] = arn;
  o["StartDate"] = start;
  std::string body = SerializeJson(json::value(o));
  AddSdkMetadata(o, {{"Content-Type", "application/x-amz-json-1.0"}},
                 StableUuid(absl::StrCat(arn, "#start")), body.size(), now, 200);
  return o;
}

// DescribeExecution's shape, as a .sync Task returns it: Input and Output
// as JSON text, or (.sync:2) as JSON.
json::value Described(const ExecutionDescription& d, bool as_json) {
  auto payload = [as_json](const std::string& text) -> json::value {
    if (!as_json) return json::string(text);
    auto v = ParseJson(text);
    return v.ok() ? *std::move(v) : json::value(json::string(text));
  };
  json::object included;
  included["Included"] = true;
  json::object o;
  o["ExecutionArn"] = d.execution_arn;
  o["Input"] = payload(d.input);
  o["InputDetails"] = included;
  o["Name"] = d.name;
  if (d.output) {
    o["Output"] = payload(*d.output);
    o["OutputDetails"] = included;
  }
  o["StartDate"] = d.start_date;
  o["StateMachineArn"] = d.state_machine_arn;
  o["Status"] = d.status;
  if (d.stop_date != 0) o["StopDate"] = d.stop_date;
  if (d.error) o["Error"] = *d.error;
  if (d.cause) o["Cause"] = *d.cause;
  return o;
}

// What a .sync parent's task ends with when its child ends as `d` says.
TaskResult SyncResult(const ExecutionDescription& d, bool as_json) {
  json::value described = Described(d, as_json);
  if (d.status == "SUCCEEDED") {
    TaskResult r;
    r.output = std::move(described);
    return r;
  }
  return TaskResult::Failed("States.TaskFailed", SerializeJson(described));
}

}  // namespace

bool ChildExecutionDispatcher::Takes(const ScheduleTaskCommand& command) const {
  if (command.kind != TaskKind::kService) return false;
  TaskResource r = TaskResource::Parse(command.resource);
  return r.resource_type == "states" && r.resource_name.starts_with("startExecution");
}

std::shared_ptr<PollClaim> ChildExecutionDispatcher::Schedule(const ScheduleTaskCommand& command,
                                                              OpenTask& task,
                                                              PendingCommit& commit) {
  task.via = kVia;
  const std::string& parent = commit.execution_id();
  int64_t task_id = task.task_id;
  auto fail = [&](TaskResult r) {
    commit.AfterCommit([this, parent, task_id, r = std::move(r)]() mutable {
      inputs_.ReportTaskResult(parent, task_id, std::move(r));
    });
    return nullptr;
  };
  if (!command.input.is_object()) {
    return fail(TaskResult::Failed("States.Runtime",
                        "The Parameters of states:startExecution must be an object with "
                        "StateMachineArn"));
  }
  const json::object& in = command.input.get_object();
  const json::value* machine = in.if_contains("StateMachineArn");
  if (machine == nullptr || !machine->is_string()) {
    return fail(TaskResult::Failed("StepFunctions.ValidationException",
                        "The field 'StateMachineArn' is required and must be a string"));
  }
  Child c;
  c.machine = std::string(machine->get_string());
  c.mode = ModeOf(TaskResource::Parse(command.resource).resource_name);
  const json::value* input = in.if_contains("Input");
  if (input == nullptr || input->is_null()) {
    c.input = "{}";
  } else if (input->is_string()) {
    c.input = std::string(input->get_string());  // JSON text, given as is
  } else {
    c.input = SerializeJson(*input);
  }
  const json::value* name = in.if_contains("Name");
  if (name != nullptr && !name->is_string()) {
    return fail(TaskResult::Failed("StepFunctions.ValidationException", "The field 'Name' must be a string"));
  }
  // The same name for this attempt whatever happens: a restart that starts
  // it again finds it (exactly once).
  c.name = name != nullptr ? std::string(name->get_string())
                           : StableUuid(absl::StrCat(parent, "#child#", task_id));
  size_t at = c.machine.find(":stateMachine:");
  if (!c.machine.starts_with("arn:") || at == std::string::npos) {
    return fail(TaskResult::Failed("StepFunctions.InvalidArnException",
                        absl::StrCat("Invalid Arn: 'Resource type not valid in this context: ",
                                     c.machine, "'")));
  }
  std::string machine_name = c.machine.substr(at + 14);
  if (size_t colon = machine_name.find(':'); colon != std::string::npos) {
    machine_name.resize(colon);  // a version or alias qualifier
  }
  c.arn = absl::StrCat(c.machine.substr(0, at), ":execution:", machine_name, ":", c.name);
  task.callback = c.mode == "callback";
  task.details = c.Encode();
  commit.Write({storage::Table::kTasks, storage::TaskKey(kRowKey, parent, task_id),
                task.details});
  commit.AfterCommit([this, parent, task_id, details = task.details, child = c.arn,
                      mode = c.mode] {
    {
      std::lock_guard<std::mutex> l(mu_);
      waiting_[child] = Waiter{parent, task_id, mode, false, std::nullopt};
    }
    Start(parent, task_id, details);
  });
  return nullptr;
}

void ChildExecutionDispatcher::Start(const std::string& parent, int64_t task_id,
                                     const std::string& details) {
  std::optional<Child> c = Child::Decode(details);
  if (!c) {
    return inputs_.ReportTaskResult(parent, task_id,
                                    TaskResult::Failed("States.Runtime", "stored child details are malformed"));
  }
  inputs_.StartExecution(
      c->machine, c->name, c->input,
      [this, parent, task_id, c = *c](absl::StatusOr<StartExecutionResult> r) {
        if (r.ok()) return Started(c.arn, r->start_date);
        if (ServiceErrorName(r.status()) == "ExecutionAlreadyExists") {
          // Started before a crash (or by a retry of this step): adopt it
          // when it is the same child, then see whether it already ended.
          absl::StatusOr<ExecutionDescription> d = inputs_.DescribeExecution(c.arn);
          if (d.ok() && d->state_machine_arn == c.machine && d->input == c.input) {
            Started(c.arn, d->start_date);
            if (d->status != "RUNNING") Ended(*d);
            return;
          }
        }
        {
          std::lock_guard<std::mutex> l(mu_);
          waiting_.erase(c.arn);
        }
        inputs_.ReportTaskResult(parent, task_id, ApiFailure(r.status()));
      });
}

void ChildExecutionDispatcher::Started(const std::string& child_arn, TimeMs start_date) {
  std::optional<TaskResult> result;
  std::string parent;
  int64_t task_id = 0;
  bool submit = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = waiting_.find(child_arn);
    if (it == waiting_.end()) return;  // the parent's task is gone
    Waiter& w = it->second;
    parent = w.parent;
    task_id = w.task_id;
    if (w.mode.empty()) {
      TaskResult r;
      r.output = StartResponse(child_arn, start_date, start_date);
      result = std::move(r);
      waiting_.erase(it);
    } else {
      submit = true;
      w.submitted = true;
      if (w.result) result = std::move(w.result);
      if (w.mode == "callback" || result) waiting_.erase(it);
    }
  }
  // Both go to the parent's shard in this order: TaskSubmitted first.
  if (submit) inputs_.ReportTaskSubmitted(parent, task_id, StartResponse(child_arn, start_date, start_date));
  if (result) inputs_.ReportTaskResult(parent, task_id, *std::move(result));
}

void ChildExecutionDispatcher::ExecutionClosed(const ExecutionDescription& closed) {
  Ended(closed);
}

void ChildExecutionDispatcher::ExecutionsLost(
    std::function<bool(const std::string& execution)> lost) {
  std::lock_guard<std::mutex> l(mu_);
  std::erase_if(waiting_, [&lost](const auto& kv) { return lost(kv.second.parent); });
}

void ChildExecutionDispatcher::AwaitedExecutions(std::vector<std::string>& out) {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [child, w] : waiting_) {
    if (w.mode == "sync" || w.mode == "sync:2") out.push_back(child);
  }
}

void ChildExecutionDispatcher::Ended(const ExecutionDescription& closed) {
  std::string parent;
  int64_t task_id = 0;
  TaskResult result;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (waiting_.empty()) return;
    auto it = waiting_.find(closed.execution_arn);
    if (it == waiting_.end()) return;
    Waiter& w = it->second;
    if (w.mode != "sync" && w.mode != "sync:2") return;  // its start reports it
    result = SyncResult(closed, w.mode == "sync:2");
    if (!w.submitted) {
      w.result = std::move(result);  // reported after TaskSubmitted
      return;
    }
    parent = w.parent;
    task_id = w.task_id;
    waiting_.erase(it);
  }
  inputs_.ReportTaskResult(parent, task_id, std::move(result));
}

void ChildExecutionDispatcher::Close(const OpenTask& task, PendingCommit& commit) {
  if (task.details.empty()) return;  // failed before anything was written
  commit.Write({storage::Table::kTasks,
                storage::TaskKey(kRowKey, commit.execution_id(), task.task_id), std::nullopt});
  std::optional<Child> c = Child::Decode(task.details);
  if (!c) return;
  bool stop = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = waiting_.find(c->arn);
    if (it != waiting_.end() && it->second.task_id == task.task_id &&
        it->second.parent == commit.execution_id()) {
      // Still waited for: the parent's task ends before its child.
      stop = it->second.mode == "sync" || it->second.mode == "sync:2";
      waiting_.erase(it);
    }
  }
  if (stop) {
    // Durable: the stop row is on disk with the parent's closing commit.
    std::string row = storage::TaskKey(kStopRowKey, commit.execution_id(), task.task_id);
    commit.Write({storage::Table::kTasks, row, task.details});
    commit.AfterCommit([this, child = c->arn, parent = commit.execution_id(), row] {
      StopChild(child, parent, row);
    });
  }
}

void ChildExecutionDispatcher::StopChild(const std::string& child, const std::string& parent,
                                         const std::string& row_key) {
  inputs_.StopExecution(
      child, "States.Aborted",
      absl::StrCat("The parent execution's task ended before this execution: ", parent),
      [this, row_key](absl::StatusOr<TimeMs> r) {
        std::string name = r.ok() ? std::string() : ServiceErrorName(r.status());
        // Stopped, or nothing left to stop (never started, or already
        // closed): the row has done its job. Otherwise (shutting down) it
        // stays for the next Open.
        if (r.ok() || name == "ValidationException" || name == "ExecutionDoesNotExist") {
          store_.Put(storage::Table::kTasks, row_key, std::nullopt).IgnoreError();
        }
      });
}

// Every row is the child of a task that may still wait: start it again
// (a start that finds it adopts it) and wait for it. Every stop row is a
// child to stop again.
absl::Status ChildExecutionDispatcher::Recover(storage::Store& store, TaskInputs& inputs) {
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                      store.Scan(storage::Table::kTasks, storage::ScanOptions{}));
  for (auto& kv : rows) {
    SW_ASSIGN_OR_RETURN(storage::TaskKeyParts p, storage::DecodeTaskKey(kv.key));
    if (p.activity == kStopRowKey) {
      if (std::optional<Child> c = Child::Decode(kv.value)) StopChild(c->arn, p.execution_id, kv.key);
      continue;
    }
    if (p.activity != kRowKey) continue;
    std::string parent = p.execution_id;
    int64_t task_id = p.task_id;
    inputs.IfTaskOpen(parent, task_id, [this, parent, task_id](const OpenTask& t) {
      std::optional<Child> c = Child::Decode(t.details);
      if (!c) return;
      {
        std::lock_guard<std::mutex> l(mu_);
        waiting_[c->arn] = Waiter{parent, task_id, c->mode, t.submitted, std::nullopt};
      }
      Start(parent, task_id, t.details);
    });
  }
  return absl::OkStatus();
}

}  // namespace stepwise::engine
