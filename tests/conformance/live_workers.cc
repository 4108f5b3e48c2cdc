// Real workers for conformance_live_runner: the stub behaviours and the
// polling threads (see live_workers.h for which thread calls what).
#include "tests/conformance/live_workers.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "tests/conformance/cat.h"
#include "tests/conformance/task_stubs.h"

namespace stepwise::conformance {
namespace {

std::string_view Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  const json::string& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

double Num(const json::object& o, std::string_view key, double fallback) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && IsNumber(*v) ? ToDouble(*v) : fallback;
}

std::string Short(std::string_view s, size_t n = 200) {
  if (s.size() <= n) return std::string(s);
  return Cat(s.substr(0, n), "… (", s.size(), " bytes)");
}

std::string Describe(const grpc::Status& s) {
  return Cat("code ", static_cast<int>(s.error_code()), " ", s.error_message());
}

// A long poll ends after 60 s without a task; the call gets a little more.
constexpr auto kPollDeadline = std::chrono::seconds(75);
constexpr auto kCallDeadline = std::chrono::seconds(30);

}  // namespace

FunctionReply StubFunctionReply(const json::object& stub, std::string_view payload,
                                std::string_view request_id) {
  FunctionReply r;
  std::string_view behaviour = Str(stub, "behaviour");
  std::string event_text = payload.empty() ? "null" : std::string(payload);
  auto event = ParseJson(absl::string_view(event_text.data(), event_text.size()));
  // The Python runtime sends json.dumps of the handler's return value.
  auto dumps = [](const json::value& v) { return PythonJsonDumps(v); };
  if (behaviour == "identity" || behaviour == "sleep_then_identity") {
    r.output = event.ok() ? dumps(*event) : event_text;
    if (behaviour == "sleep_then_identity") r.sleep_seconds = Num(stub, "seconds", 0);
  } else if (behaviour == "constant") {
    const json::value* v = stub.if_contains("result");
    r.output = v != nullptr ? dumps(*v) : "null";
  } else if (behaviour == "constant_bytes") {
    // The handler returns these bytes itself (not through json.dumps).
    r.output = std::string(Str(stub, "result"));
  } else if (behaviour == "python_format") {
    std::string shown = event.ok() ? PythonStr(*event) : event_text;
    r.output = dumps(json::string(Cat("input-event-", shown)));
  } else if (behaviour == "large_output") {
    size_t size = static_cast<size_t>(Num(stub, "size_bytes", 263168));
    r.output = dumps(json::string(std::string(size, 'a')));
  } else if (behaviour == "raise") {
    r.success = false;
    r.error = std::string(Str(stub, "error"));
    if (r.error.empty()) r.error = "Exception";
    json::object cause = {{"errorMessage", Str(stub, "message")},
                          {"errorType", r.error},
                          {"requestId", request_id},
                          {"stackTrace", json::array()}};
    r.cause = PythonJsonDumps(cause);
  } else {
    r.success = false;
    r.error = "UnknownStubBehaviour";
    r.cause = Cat("conformance live worker: unknown behaviour '", behaviour, "'");
  }
  return r;
}

ActivityReply StubActivityReply(const json::object& stub, std::string_view input) {
  ActivityReply r;
  std::string_view behaviour = Str(stub, "behaviour");
  if (behaviour == "identity") {
    r.output = std::string(input);
  } else if (behaviour == "heartbeat_then_identity") {
    r.output = std::string(input);
    r.heartbeats = 4;
    r.heartbeat_interval_seconds = 3;
  } else if (behaviour == "send_task_failure") {
    r.kind = ActivityReply::Kind::kFail;
    r.error = "Programmatic Error";
    r.cause = std::string(input);
  } else if (behaviour == "never_answers") {
    r.kind = ActivityReply::Kind::kNeverAnswer;
  } else {
    r.kind = ActivityReply::Kind::kFail;
    r.error = "UnknownStubBehaviour";
    r.cause = Cat("conformance live worker: unknown behaviour '", behaviour, "'");
  }
  return r;
}

LiveWorkers::LiveWorkers(const json::object& case_doc, std::shared_ptr<grpc::Channel> channel,
                         double time_scale)
    : case_doc_(case_doc),
      stub_(v1::States::NewStub(std::move(channel))),
      time_scale_(time_scale > 0 ? time_scale : 1.0) {}

LiveWorkers::~LiveWorkers() { Stop(); }

void LiveWorkers::Start() {
  auto each = [&](std::string_view key, auto serve) {
    const json::value* stubs = case_doc_.if_contains(key);
    if (stubs == nullptr || !stubs->is_object()) return;
    for (const auto& entry : stubs->get_object()) {
      const json::object* stub = entry.value().if_object();
      if (stub == nullptr) continue;
      threads_.emplace_back([this, serve, stub] { (this->*serve)(stub); });
    }
  };
  each("lambda_stubs", &LiveWorkers::ServeFunction);
  each("activity_stubs", &LiveWorkers::ServeActivity);
}

void LiveWorkers::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (grpc::ClientContext* ctx : pending_) ctx->TryCancel();
  }
  wake_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::vector<std::string> LiveWorkers::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

void LiveWorkers::Log(std::string line) {
  std::lock_guard<std::mutex> lock(mu_);
  log_.push_back(std::move(line));
}

grpc::Status LiveWorkers::Call(const std::function<grpc::Status(grpc::ClientContext*)>& call) {
  grpc::ClientContext ctx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return grpc::Status(grpc::StatusCode::CANCELLED, "workers stopping");
    pending_.insert(&ctx);
  }
  grpc::Status s = call(&ctx);
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(&ctx);
  return s;
}

bool LiveWorkers::Sleep(double case_seconds) {
  auto real = std::chrono::duration<double>(case_seconds / time_scale_);
  std::unique_lock<std::mutex> lock(mu_);
  return !wake_.wait_for(lock, real, [this] { return stopping_.load(); });
}

void LiveWorkers::ServeFunction(const json::object* stub) {
  std::string name(Str(*stub, "function_name"));
  while (!stopping_) {
    v1::GetFunctionTaskRequest req;
    req.set_function_name(name);
    req.set_worker_name("conformance-live");
    v1::GetFunctionTaskResponse task;
    grpc::Status s = Call([&](grpc::ClientContext* ctx) {
      ctx->set_deadline(std::chrono::system_clock::now() + kPollDeadline);
      return stub_->GetFunctionTask(ctx, req, &task);
    });
    if (stopping_) return;
    if (!s.ok()) {
      Log(Cat("function ", name, ": GetFunctionTask failed: ", Describe(s)));
      if (!Sleep(time_scale_ * 0.2)) return;  // 0.2 real seconds
      continue;
    }
    if (task.task_token().empty()) continue;
    FunctionReply reply = StubFunctionReply(*stub, task.payload(), task.request_id());
    std::string line = Cat("function ", name, " [", task.state_name(), "] event ",
                           Short(task.payload()));
    if (reply.sleep_seconds > 0 && !Sleep(reply.sleep_seconds)) {
      Log(Cat(line, " -> stopped while sleeping ", reply.sleep_seconds, " s"));
      return;
    }
    if (reply.success) {
      v1::SendTaskSuccessRequest answer;
      answer.set_task_token(task.task_token());
      answer.set_output(reply.output);
      v1::SendTaskSuccessResponse resp;
      s = Call([&](grpc::ClientContext* ctx) {
        ctx->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
        return stub_->SendTaskSuccess(ctx, answer, &resp);
      });
      line = Cat(line, " -> success ", Short(reply.output));
    } else {
      v1::SendTaskFailureRequest answer;
      answer.set_task_token(task.task_token());
      answer.set_error(reply.error);
      answer.set_cause(reply.cause);
      v1::SendTaskFailureResponse resp;
      s = Call([&](grpc::ClientContext* ctx) {
        ctx->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
        return stub_->SendTaskFailure(ctx, answer, &resp);
      });
      line = Cat(line, " -> failure ", reply.error, " ", Short(reply.cause));
    }
    Log(s.ok() ? line : Cat(line, " REFUSED: ", Describe(s)));
  }
}

void LiveWorkers::ServeActivity(const json::object* stub) {
  std::string arn(Str(*stub, "activity_arn"));
  while (!stopping_) {
    v1::GetActivityTaskRequest req;
    req.set_activity_arn(arn);
    req.set_worker_name("conformance-live");
    v1::GetActivityTaskResponse task;
    grpc::Status s = Call([&](grpc::ClientContext* ctx) {
      ctx->set_deadline(std::chrono::system_clock::now() + kPollDeadline);
      return stub_->GetActivityTask(ctx, req, &task);
    });
    if (stopping_) return;
    if (!s.ok()) {
      Log(Cat("activity ", arn, ": GetActivityTask failed: ", Describe(s)));
      if (!Sleep(time_scale_ * 0.2)) return;
      continue;
    }
    if (task.task_token().empty()) continue;
    ActivityReply reply = StubActivityReply(*stub, task.input());
    std::string line = Cat("activity ", arn, " input ", Short(task.input()));
    for (int i = 0; i < reply.heartbeats; ++i) {
      if (!Sleep(reply.heartbeat_interval_seconds)) return;
      v1::SendTaskHeartbeatRequest beat;
      beat.set_task_token(task.task_token());
      v1::SendTaskHeartbeatResponse resp;
      s = Call([&](grpc::ClientContext* ctx) {
        ctx->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
        return stub_->SendTaskHeartbeat(ctx, beat, &resp);
      });
      if (!s.ok()) Log(Cat(line, ": heartbeat ", i + 1, " REFUSED: ", Describe(s)));
    }
    if (reply.heartbeats > 0) line = Cat(line, " (", reply.heartbeats, " heartbeats)");
    if (reply.kind == ActivityReply::Kind::kNeverAnswer) {
      Log(Cat(line, " -> never answers"));
      continue;
    }
    if (reply.kind == ActivityReply::Kind::kSucceed) {
      v1::SendTaskSuccessRequest answer;
      answer.set_task_token(task.task_token());
      answer.set_output(reply.output);
      v1::SendTaskSuccessResponse resp;
      s = Call([&](grpc::ClientContext* ctx) {
        ctx->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
        return stub_->SendTaskSuccess(ctx, answer, &resp);
      });
      line = Cat(line, " -> success ", Short(reply.output));
    } else {
      v1::SendTaskFailureRequest answer;
      answer.set_task_token(task.task_token());
      answer.set_error(reply.error);
      answer.set_cause(reply.cause);
      v1::SendTaskFailureResponse resp;
      s = Call([&](grpc::ClientContext* ctx) {
        ctx->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
        return stub_->SendTaskFailure(ctx, answer, &resp);
      });
      line = Cat(line, " -> failure ", reply.error, " ", Short(reply.cause));
    }
    Log(s.ok() ? line : Cat(line, " REFUSED: ", Describe(s)));
  }
}

}  // namespace stepwise::conformance
