// ServiceCallDispatcher (service_call_dispatcher.h): Tasks called out for
// through a ServiceIntegration after their scheduling commit, again at
// Open, with the outcome reported as an input.
#include "engine/dispatch/service_call_dispatcher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "engine/arn.h"

namespace stepwise::engine {

namespace {

// What the task row and the OpenTask keep of a call: its resource and
// region (the parameters are the task's input).
std::string DetailsOf(const ServiceCall& call) {
  json::object o;
  o["resource"] = call.resource;
  o["region"] = call.region;
  return json::serialize(o);
}

}  // namespace

std::string ServiceCallRegion(std::string_view resource) {
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

ServiceCallDispatcher::ServiceCallDispatcher(TaskInputs& inputs,
                                             std::shared_ptr<ServiceIntegration> integration,
                                             std::string region)
    : answers_(std::make_shared<OutboundCallRows::Answers>(inputs)),
      integration_(std::move(integration)),
      region_(std::move(region)),
      rows_(absl::StrCat("service:", ToAbsl(integration_->name()))) {}

ServiceCallDispatcher::~ServiceCallDispatcher() { answers_->Close(); }

bool ServiceCallDispatcher::Takes(const ScheduleTaskCommand& command) const {
  if (command.kind != TaskKind::kService) return false;
  return integration_->Takes(TaskResource::Parse(command.resource));
}

bool ServiceCallDispatcher::Refuses(const ScheduleTaskCommand& command) const {
  return integration_->Refuses(TaskResource::Parse(command.resource));
}

std::shared_ptr<PollClaim> ServiceCallDispatcher::Schedule(const ScheduleTaskCommand& command,
                                                           OpenTask& task,
                                                           PendingCommit& commit) {
  task.via = rows_.row_key();
  ServiceCall call;
  call.resource = command.resource;
  call.region = ServiceCallRegion(command.resource);
  if (call.region.empty()) call.region = region_;
  task.callback = TaskResource::Parse(command.resource).wait_for_task_token;
  task.details = DetailsOf(call);
  absl::StatusOr<ServiceCall> full = CallOf(commit.execution_id(), task);
  if (!full.ok()) {
    commit.AfterCommit([answers = answers_, execution = commit.execution_id(),
                        task_id = task.task_id, status = full.status()] {
      answers->Report(execution, task_id, false,
                      TaskResult::Failed("States.Runtime", std::string(status.message())));
    });
    return nullptr;
  }
  return rows_.Schedule(task, commit, [this, call = *std::move(full)] { Call(call); });
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
  integration_->Call(call, [answers = answers_, execution = call.execution_arn,
                            task_id = call.task_id, callback = call.callback](TaskResult r) {
    answers->Report(execution, task_id, callback, std::move(r));
  });
}

void ServiceCallDispatcher::Close(const OpenTask& task, PendingCommit& commit) {
  rows_.Close(task, commit);
}

absl::Status ServiceCallDispatcher::Recover(storage::Store& store, TaskInputs& inputs) {
  return rows_.Recover(store, inputs, [this](const std::string& execution, const OpenTask& t) {
    absl::StatusOr<ServiceCall> call = CallOf(execution, t);
    if (!call.ok()) {
      answers_->Report(execution, t.task_id, false,
                       TaskResult::Failed("States.Runtime", std::string(call.status().message())));
      return;
    }
    Call(*std::move(call));
  });
}

}  // namespace stepwise::engine
