// TaskDispatch: picks the dispatcher of a Task (task_dispatcher.h). Const
// after construction: any thread.
#include "engine/dispatch/task_dispatcher.h"

#include <utility>

#include "common/status_macros.h"

namespace stepwise::engine {

TaskDispatch::TaskDispatch(std::vector<std::unique_ptr<TaskDispatcher>> dispatchers,
                           std::unique_ptr<TaskDispatcher> fallback)
    : dispatchers_(std::move(dispatchers)), fallback_(std::move(fallback)) {}

TaskDispatcher& TaskDispatch::For(const ScheduleTaskCommand& command) const {
  for (const auto& d : dispatchers_) {
    if (d->Takes(command)) return *d;
  }
  return *fallback_;
}

bool TaskDispatch::Runs(const ScheduleTaskCommand& command) const {
  return &For(command) != fallback_.get();
}

bool TaskDispatch::Refuses(const ScheduleTaskCommand& command) const {
  return For(command).Refuses(command);
}

TaskDispatcher* TaskDispatch::OwnerOf(const OpenTask& task) const {
  for (const auto& d : dispatchers_) {
    if (d->Owns(task)) return d.get();
  }
  return fallback_->Owns(task) ? fallback_.get() : nullptr;
}

absl::Status TaskDispatch::Recover(storage::Store& store, TaskInputs& inputs) const {
  for (const auto& d : dispatchers_) SW_RETURN_IF_ERROR(d->Recover(store, inputs));
  return fallback_->Recover(store, inputs);
}

void TaskDispatch::ExecutionClosed(const ExecutionDescription& closed) const {
  for (const auto& d : dispatchers_) d->ExecutionClosed(closed);
}

void TaskDispatch::AwaitedExecutions(std::vector<std::string>& out) const {
  for (const auto& d : dispatchers_) d->AwaitedExecutions(out);
}

void TaskDispatch::ExecutionsLost(
    const std::function<bool(const std::string& execution)>& lost) const {
  for (const auto& d : dispatchers_) d->ExecutionsLost(lost);
}

void TaskDispatch::Shutdown() const {
  for (const auto& d : dispatchers_) d->Shutdown();
}

}  // namespace stepwise::engine
