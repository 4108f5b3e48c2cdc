// ServiceCallDispatcher (service_call_dispatcher.h): Tasks called out for
// through a ServiceIntegration after their scheduling commit, again at
// Open, with the outcome reported as an input.
#include "engine/dispatch/service_call_dispatcher.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/arn.h"
#include "storage/keys.h"

namespace stepwise::engine {

namespace {

// The region a resource names (arn:aws:states:REGION:...), else "".
std::string RegionOf(std::string_view resource) {
  // arn:aws:states:<region>:<account>:...; optimized integrations leave
  // region and account empty (arn:aws:states:::...).
  size_t p = 0;
  for (int colons = 0; colons < 3; ++colons) {
    p = resource.find(':', p);
    if (p == std::string_view::npos) return "";
    ++p;
  }
  size_t end = resource.find(':', p);
  if (end == std::string_view::npos) return "";
  return std::string(resource.substr(p, end - p));
}

// What the task row and the OpenTask keep of a call: its resource and
// region (the parameters are the task's input).
std::string DetailsOf(const ServiceCall& call) {
  json::object o;
  o["resource"] = call.resource;
  o["region"] = call.region;
  return json::serialize(o);
}

}  // namespace

ServiceCallDispatcher::ServiceCallDispatcher(TaskInputs& inputs,
                                             std::shared_ptr<ServiceIntegration> integration,
                                             std::string region)
    : inputs_(inputs),
      integration_(std::move(integration)),
      region_(std::move(region)),
      via_(absl::StrCat("service:", ToAbsl(integration_->name()))) {}

ServiceCallDispatcher::~ServiceCallDispatcher() {
  std::lock_guard<std::mutex> l(alive_->mu);
  alive_->open = false;
}

std::string ServiceCallDispatcher::RowKey() const { return via_; }

bool ServiceCallDispatcher::Takes(const ScheduleTaskCommand& command) const {
  if (command.kind != TaskKind::kService) return false;
  return integration_->Takes(TaskResource::Parse(command.resource));
}

std::shared_ptr<PollClaim> ServiceCallDispatcher::Schedule(const ScheduleTaskCommand& command,
                                                           OpenTask& task,
                                                           PendingCommit& commit) {
  task.via = via_;
  ServiceCall call;
  call.execution_arn = commit.execution_id();
  call.task_id = task.task_id;
  call.attempt = command.attempt;
  call.resource = command.resource;
  call.parameters = command.input;
  call.region = RegionOf(command.resource);
  if (call.region.empty()) call.region = region_;
  call.callback = TaskResource::Parse(command.resource).wait_for_task_token;
  task.callback = call.callback;
  task.details = DetailsOf(call);
  commit.Write({storage::Table::kTasks,
                storage::TaskKey(via_, call.execution_arn, task.task_id), task.details});
  // Started in this same commit (TaskStarted beside TaskScheduled), so
  // TimeoutSeconds counts from now; the claim is answered once the commit
  // is on disk, and only then is the call made.
  auto claim = std::make_shared<PollClaim>();
  claim->activity = via_;
  claim->deadline = std::chrono::steady_clock::now();
  claim->is_cancelled = [] { return false; };
  absl::StatusOr<ServiceCall> full = CallOf(call.execution_arn, task);
  claim->done = [this, call = full.ok() ? *std::move(full) : std::move(call)](
                    absl::StatusOr<ActivityTaskGrant> grant) mutable {
    // No grant: the commit failed (nothing to call), or the task could not
    // start after all (Requeue calls it).
    if (!grant.ok() || grant->task_token.empty()) return;
    Call(std::move(call));
  };
  return claim;
}

absl::StatusOr<ServiceCall> ServiceCallDispatcher::CallOf(const std::string& execution_arn,
                                                          const OpenTask& task) const {
  SW_ASSIGN_OR_RETURN(json::value details, ParseJson(task.details));
  SW_ASSIGN_OR_RETURN(json::value parameters, ParseJson(task.input));
  if (!details.is_object()) return absl::DataLossError("task details are not an object");
  const json::object& d = details.get_object();
  ServiceCall call;
  call.execution_arn = execution_arn;
  call.task_id = task.task_id;
  call.attempt = task.attempt;
  const json::value* resource = d.if_contains("resource");
  const json::value* region = d.if_contains("region");
  if (resource == nullptr || !resource->is_string() || region == nullptr ||
      !region->is_string()) {
    return absl::DataLossError("task details lack resource or region");
  }
  call.resource = std::string(resource->get_string());
  call.region = std::string(region->get_string());
  call.parameters = std::move(parameters);
  call.request_id = StableUuid(absl::StrCat(ToAbsl(execution_arn), "#", task.task_id, "#",
                                            task.attempt));
  call.timeout_ms =
      task.timeout_seconds > 0 ? task.timeout_seconds * 1000 + 1000 : kDefaultCallTimeoutMs;
  call.callback = task.callback;
  return call;
}

void ServiceCallDispatcher::Requeue(const OpenTask& task, PendingCommit& commit) {
  absl::StatusOr<ServiceCall> call = CallOf(commit.execution_id(), task);
  if (!call.ok()) return;
  commit.AfterCommit([this, call = *std::move(call)]() mutable { Call(std::move(call)); });
}

void ServiceCallDispatcher::Call(ServiceCall call) {
  std::string execution = call.execution_arn;
  int64_t task_id = call.task_id;
  bool callback = call.callback;
  integration_->Call(call, [this, alive = alive_, execution, task_id,
                            callback](TaskResult r) {
    std::lock_guard<std::mutex> l(alive->mu);
    if (!alive->open) return;  // the engine is going away
    if (callback && r.kind == TaskResult::Kind::kSucceeded) {
      // The call is made; the callback token completes the task.
      inputs_.ReportTaskSubmitted(execution, task_id, std::move(r.output));
      return;
    }
    inputs_.ReportTaskResult(execution, task_id, std::move(r));
  });
}

void ServiceCallDispatcher::Close(const OpenTask& task, PendingCommit& commit) {
  if (task.details.empty()) return;
  commit.Write({storage::Table::kTasks,
                storage::TaskKey(via_, commit.execution_id(), task.task_id), std::nullopt});
}

absl::Status ServiceCallDispatcher::Recover(storage::Store& store, TaskInputs& inputs) {
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                      store.Scan(storage::Table::kTasks, storage::ScanOptions{}));
  for (auto& kv : rows) {
    SW_ASSIGN_OR_RETURN(storage::TaskKeyParts p, storage::DecodeTaskKey(kv.key));
    if (p.activity != via_) continue;
    std::string execution = p.execution_id;
    int64_t task_id = p.task_id;
    inputs.IfTaskOpen(execution, task_id, [this, execution, task_id](const OpenTask& t) {
      if (t.callback && t.submitted) return;  // called; waiting for its token
      absl::StatusOr<ServiceCall> call = CallOf(execution, t);
      if (!call.ok()) {
        inputs_.ReportTaskResult(
            execution, task_id,
            TaskResult::Failed("States.Runtime", std::string(call.status().message())));
        return;
      }
      Call(*std::move(call));
    });
  }
  return absl::OkStatus();
}

}  // namespace stepwise::engine
