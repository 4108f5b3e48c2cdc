// MockedTaskDispatcher (mocked_task_dispatcher.h): mocked Tasks answered
// from the mock config after their scheduling commit, again at Open.
#include "engine/mock_config/mocked_task_dispatcher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "engine/task_resource.h"

namespace stepwise::engine {

MockedTaskDispatcher::MockedTaskDispatcher(TaskInputs& inputs,
                                           std::shared_ptr<const MockConfig> config)
    : answers_(std::make_shared<OutboundCallRows::Answers>(inputs)),
      config_(std::move(config)),
      rows_(kRowKey) {}

MockedTaskDispatcher::~MockedTaskDispatcher() { answers_->Close(); }

bool MockedTaskDispatcher::Takes(const ScheduleTaskCommand& command) const {
  if (command.test_case.empty()) return false;
  return config_->ResponseNameFor(command.state_machine_name, command.test_case,
                                  command.state_name) != nullptr;
}

std::shared_ptr<PollClaim> MockedTaskDispatcher::Schedule(const ScheduleTaskCommand& command,
                                                          OpenTask& task,
                                                          PendingCommit& commit) {
  const std::string* response =
      config_->ResponseNameFor(command.state_machine_name, command.test_case, command.state_name);
  json::object details;
  details["testCase"] = command.test_case;
  details["mockedResponse"] = response != nullptr ? *response : std::string();
  details["invocation"] = command.mock_invocation;
  task.via = rows_.row_key();
  task.callback = TaskResource::Parse(command.resource).wait_for_task_token;
  task.details = SerializeJson(details);
  return rows_.Schedule(task, commit, [this, execution = commit.execution_id(), task] {
    Report(execution, task);
  });
}

TaskResult MockedTaskDispatcher::AnswerOf(const OpenTask& task) const {
  auto details = ParseJson(task.details);
  const json::object* d = details.ok() ? details->if_object() : nullptr;
  const json::value* name = d != nullptr ? d->if_contains("mockedResponse") : nullptr;
  const json::value* invocation = d != nullptr ? d->if_contains("invocation") : nullptr;
  if (name == nullptr || !name->is_string() || invocation == nullptr || !invocation->is_int64()) {
    return TaskResult::Failed("States.Runtime", "The mocked task's stored details are malformed.");
  }
  std::string response_name(name->get_string());
  const MockedResponse* response = config_->Response(response_name);
  if (response == nullptr) {
    return TaskResult::Failed(
        "States.Runtime",
        absl::StrCat("The mock config has no mocked response '", response_name, "'."));
  }
  const MockedAnswer* answer = response->At(invocation->get_int64());
  if (answer == nullptr) {
    return TaskResult::Failed(
        "States.Runtime",
        absl::StrCat("The mocked response '", response_name, "' gives no answer for invocation ",
                     invocation->get_int64(), "."));
  }
  if (answer->is_throw) return TaskResult::Failed(answer->error, answer->cause);
  TaskResult r;
  r.output = answer->return_value;
  return r;
}

void MockedTaskDispatcher::Report(const std::string& execution, const OpenTask& task) {
  // A mocked .waitForTaskToken answer is the callback's: it completes the
  // task (callback = false), nothing waits for a token.
  answers_->Report(execution, task.task_id, /*callback=*/false, AnswerOf(task));
}

void MockedTaskDispatcher::Requeue(const OpenTask& task, PendingCommit& commit) {
  commit.AfterCommit([this, execution = commit.execution_id(), task] { Report(execution, task); });
}

void MockedTaskDispatcher::Close(const OpenTask& task, PendingCommit& commit) {
  rows_.Close(task, commit);
}

absl::Status MockedTaskDispatcher::Recover(storage::Store& store, TaskInputs& inputs) {
  return rows_.Recover(store, inputs, [this](const std::string& execution, const OpenTask& t) {
    Report(execution, t);
  });
}

}  // namespace stepwise::engine
