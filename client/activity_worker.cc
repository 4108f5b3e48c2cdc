#include "client/activity_worker.h"

#include <iostream>
#include <utility>

namespace stepwise::client {
namespace {

constexpr char kDefaultTaskError[] = "States.TaskFailed";
constexpr size_t kMaxCause = 32768;

}  // namespace

absl::Status TaskFailure(const std::string& error, const std::string& cause) {
  return WithAwsErrorName(absl::UnknownError(cause), error);
}

ActivityWorker::ActivityWorker(Client* client, ActivityWorkerOptions options,
                               ActivityHandler handler)
    : client_(client),
      options_(std::move(options)),
      handler_(std::move(handler)) {}

ActivityWorker::~ActivityWorker() { Stop(); }

void ActivityWorker::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  heartbeats_ = std::make_unique<TaskHeartbeats>(
      client_, options_.heartbeat_interval,
      [this](const absl::Status& s) { ReportError(s); });
  int n = options_.concurrency < 1 ? 1 : options_.concurrency;
  for (int i = 0; i < n; ++i) {
    cancellers_.push_back(std::make_unique<CallCanceller>());
    reporters_.push_back(std::make_unique<Reporter>());
    Reporter* r = reporters_.back().get();
    r->thread = std::thread([r] { ReportLoop(r); });
  }
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([this, i] {
      PollLoop(i);
      CloseReporter(reporters_[static_cast<size_t>(i)].get());
    });
  }
}

void ActivityWorker::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& c : cancellers_) c->Cancel();
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (std::thread& t : threads) {
    if (t.joinable()) t.join();
  }
  // Every task in flight has been reported: no heartbeat is left to send.
  if (heartbeats_ != nullptr) heartbeats_->Stop();
}

void ActivityWorker::ReportError(const absl::Status& status) {
  if (options_.on_error) {
    options_.on_error(status);
    return;
  }
  std::string name = AwsErrorName(status);
  std::cerr << "stepwise worker: " << (name.empty() ? "" : name + ": ")
            << status.message() << "\n";
}

void ActivityWorker::PollLoop(int index) {
  CallCanceller* canceller = cancellers_[static_cast<size_t>(index)].get();
  absl::Duration backoff = absl::Milliseconds(100);
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    absl::StatusOr<Task> task = Poll(canceller);
    if (!task.ok()) {
      if (canceller->cancelled()) return;
      if (task.status().code() != absl::StatusCode::kDeadlineExceeded) {
        ReportError(task.status());
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, absl::ToChronoMilliseconds(backoff),
                     [this] { return stopping_; });
        // At most 1 s: a worker resumes within a second of a restarted
        // server listening again (a failed poll against a down server costs
        // nothing).
        backoff = std::min(backoff * 2, absl::Seconds(1));
      }
      continue;
    }
    backoff = absl::Milliseconds(100);
    if (task->token.empty()) continue;
    SubmitReport(reporters_[static_cast<size_t>(index)].get(), Handle(*task));
  }
}

absl::StatusOr<ActivityWorker::Task> ActivityWorker::Poll(CallCanceller* canceller) const {
  if (!options_.function_name.empty()) {
    v1::GetFunctionTaskRequest request;
    request.set_function_name(options_.function_name);
    request.set_worker_name(options_.worker_name);
    absl::StatusOr<v1::GetFunctionTaskResponse> got = client_->GetFunctionTask(request, canceller);
    if (!got.ok()) return got.status();
    return Task{std::move(*got->mutable_task_token()), std::move(*got->mutable_payload())};
  }
  v1::GetActivityTaskRequest request;
  request.set_activity_arn(options_.activity_arn);
  request.set_worker_name(options_.worker_name);
  absl::StatusOr<v1::GetActivityTaskResponse> got = client_->GetActivityTask(request, canceller);
  if (!got.ok()) return got.status();
  return Task{std::move(*got->mutable_task_token()), std::move(*got->mutable_input())};
}

void ActivityWorker::ReportLoop(Reporter* r) {
  std::unique_lock<std::mutex> lock(r->mu);
  while (true) {
    r->cv.wait(lock, [r] { return r->report != nullptr || r->closed; });
    if (r->report == nullptr) return;  // closed, nothing left
    std::function<void()> report = std::move(r->report);
    r->report = nullptr;
    r->sending = true;
    lock.unlock();
    report();
    lock.lock();
    r->sending = false;
    r->cv.notify_all();
  }
}

void ActivityWorker::SubmitReport(Reporter* r, std::function<void()> report) {
  std::unique_lock<std::mutex> lock(r->mu);
  r->cv.wait(lock, [r] { return r->report == nullptr && !r->sending; });
  r->report = std::move(report);
  r->cv.notify_all();
}

void ActivityWorker::CloseReporter(Reporter* r) {
  {
    std::lock_guard<std::mutex> lock(r->mu);
    r->closed = true;
  }
  r->cv.notify_all();
  if (r->thread.joinable()) r->thread.join();
}

std::function<void()> ActivityWorker::Handle(const Task& task) {
  const std::string& token = task.token;
  heartbeats_->Add(token);
  HeartbeatFn heartbeat = [this, &token]() {
    v1::SendTaskHeartbeatRequest request;
    request.set_task_token(token);
    return client_->SendTaskHeartbeat(request);
  };
  absl::StatusOr<std::string> result;
  try {
    result = handler_(task.input, heartbeat);
  } catch (const std::exception& e) {
    result = TaskFailure("States.TaskFailed",
                         std::string("handler threw: ") + e.what());
  } catch (...) {
    result = TaskFailure("States.TaskFailed", "handler threw");
  }
  heartbeats_->Remove(token);
  if (result.ok()) {
    v1::SendTaskSuccessRequest request;
    request.set_task_token(token);
    request.set_output(*std::move(result));
    return [this, request = std::move(request)] {
      Count(client_->SendTaskSuccess(request), succeeded_);
    };
  }
  v1::SendTaskFailureRequest request;
  request.set_task_token(token);
  std::string error = AwsErrorName(result.status());
  request.set_error(error.empty() ? kDefaultTaskError : error);
  std::string cause(result.status().message());
  if (cause.size() > kMaxCause) cause = cause.substr(cause.size() - kMaxCause);
  request.set_cause(cause);
  return [this, request = std::move(request)] {
    Count(client_->SendTaskFailure(request), failed_);
  };
}

void ActivityWorker::Count(const absl::Status& sent, std::atomic<int64_t>& counter) {
  if (sent.ok()) {
    counter.fetch_add(1);
  } else {
    ReportError(sent);
  }
}

}  // namespace stepwise::client
