#include "cli/lambda_runtime_api.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json.h"

namespace stepwise::client {
namespace {

constexpr char kPrefix[] = "/2018-06-01/runtime/";
constexpr char kInvocationPrefix[] = "/2018-06-01/runtime/invocation/";
// SendTaskFailure's cause is at most 32,768 characters.
constexpr size_t kMaxCause = 32768;

RuntimeResponse JsonError(int status, const std::string& type, const std::string& message) {
  json::object o;
  o["errorMessage"] = message;
  o["errorType"] = type;
  RuntimeResponse r;
  r.status = status;
  r.body = SerializeJson(o);
  return r;
}

RuntimeResponse Accepted() {
  RuntimeResponse r;
  r.status = 202;
  r.body = R"({"status":"OK"})";
  return r;
}

// Decodes %XX escapes (a runtime URL-encodes the request id).
std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      unsigned int v = 0;
      if (std::sscanf(s.substr(i + 1, 2).c_str(), "%2x", &v) == 1) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string RandomHex(size_t digits) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < digits; ++i) out.push_back(kHex[rng() % 16]);
  return out;
}

}  // namespace

std::string NewTraceId(absl::Time now) {
  return absl::StrFormat("Root=1-%08x-%s;Parent=%s;Sampled=0",
                         static_cast<uint32_t>(absl::ToUnixSeconds(now)), RandomHex(24),
                         RandomHex(16));
}

RuntimeResponse NextInvocationResponse(const v1::GetFunctionTaskResponse& task, absl::Time now) {
  RuntimeResponse r;
  r.status = 200;
  r.body = task.payload().empty() ? "{}" : task.payload();
  int64_t deadline_ms = task.deadline_ms() > 0
                            ? task.deadline_ms()
                            : absl::ToUnixMillis(now) + kDefaultInvocationMs;
  r.headers["Lambda-Runtime-Aws-Request-Id"] = task.request_id();
  r.headers["Lambda-Runtime-Deadline-Ms"] = std::to_string(deadline_ms);
  r.headers["Lambda-Runtime-Invoked-Function-Arn"] = task.function_arn();
  r.headers["Lambda-Runtime-Trace-Id"] = NewTraceId(now);
  if (!task.client_context().empty()) {
    // The Task's ClientContext is base64 (as Invoke takes it); runtimes get
    // the JSON itself.
    std::string decoded;
    r.headers["Lambda-Runtime-Client-Context"] =
        absl::Base64Unescape(task.client_context(), &decoded) ? decoded : task.client_context();
  }
  return r;
}

LambdaRuntimeApi::LambdaRuntimeApi(FunctionTaskSource* source,
                                   std::function<void(const std::string&)> on_error)
    : source_(source), on_error_(std::move(on_error)) {}

void LambdaRuntimeApi::ReportError(const std::string& message) const {
  if (on_error_) {
    on_error_(message);
  } else {
    std::cerr << ("stepwise lambda-runtime: " + message + "\n") << std::flush;
  }
}

RuntimeResponse LambdaRuntimeApi::Handle(const RuntimeRequest& request) {
  std::string path = request.target.substr(0, request.target.find('?'));
  if (path.rfind(kPrefix, 0) != 0) {
    return JsonError(404, "NotFound", "unknown path " + path);
  }
  if (path == absl::StrCat(kInvocationPrefix, "next")) {
    if (request.method != "GET") return JsonError(405, "MethodNotAllowed", "use GET");
    return Next(request.client_gone);
  }
  if (path == absl::StrCat(kPrefix, "init/error")) {
    if (request.method != "POST") return JsonError(405, "MethodNotAllowed", "use POST");
    auto header = request.headers.find("lambda-runtime-function-error-type");
    Failure f = FailureFromErrorBody(
        request.body, header == request.headers.end() ? "" : header->second);
    ReportError("the runtime reported an init error: " + f.error + ": " + f.cause);
    std::map<std::string, Invocation> failing;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (in_flight_.empty()) {
        // Failed to start: the next invocation fails with it (see
        // TakeInitError), as each invocation of such a function does in AWS.
        init_error_ = InitError{f.error, f.cause};
      } else {
        // During an invocation (e.g. Node's unhandled promise rejection):
        // that invocation fails with it.
        failing.swap(in_flight_);
      }
    }
    for (const auto& [id, inv] : failing) {
      source_->StopHeartbeats(inv.token);
      absl::Status s = source_->Fail(inv.token, f.error, f.cause);
      if (!s.ok()) ReportError("SendTaskFailure failed: " + std::string(s.message()));
    }
    return Accepted();
  }
  if (path.rfind(kInvocationPrefix, 0) == 0) {
    std::string rest = path.substr(std::string(kInvocationPrefix).size());
    size_t slash = rest.find('/');
    if (slash != std::string::npos && slash > 0) {
      std::string id = PercentDecode(rest.substr(0, slash));
      std::string what = rest.substr(slash + 1);
      if (what == "response" || what == "error") {
        if (request.method != "POST") return JsonError(405, "MethodNotAllowed", "use POST");
        return Report(id, what == "response", request);
      }
    }
  }
  return JsonError(404, "NotFound", "unknown path " + path);
}

RuntimeResponse LambdaRuntimeApi::Next(const std::function<bool()>& client_gone) {
  CallCanceller canceller;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (polls_cancelled_) {
      return JsonError(500, "ServiceUnavailable", "stepwise lambda-runtime is stopping");
    }
    polls_.insert(&canceller);
  }
  // Watches the runtime's connection while the poll runs: a runtime that
  // hangs up (killed, Ctrl-C) must not be handed an invocation.
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool polling = true;
  std::atomic<bool> gone{false};
  std::thread watcher;
  if (client_gone) {
    watcher = std::thread([&] {
      std::unique_lock<std::mutex> lock(watch_mu);
      while (polling) {
        if (client_gone()) {
          gone.store(true);
          canceller.Cancel();
          return;
        }
        watch_cv.wait_for(lock, std::chrono::milliseconds(200));
      }
    });
  }
  absl::Duration backoff = absl::Milliseconds(100);
  RuntimeResponse reply;
  std::optional<v1::GetFunctionTaskResponse> orphan;  // handed out to a runtime gone
  while (true) {
    absl::StatusOr<v1::GetFunctionTaskResponse> task = source_->Poll(&canceller);
    if (canceller.cancelled()) {
      if (task.ok() && !task->task_token().empty()) {
        // Handed out just as the poll was cancelled: nobody will run it.
        if (gone.load()) {
          orphan = *std::move(task);
        } else {
          // Stopping or the copy exited: FailInFlight fails it.
          std::lock_guard<std::mutex> lock(mu_);
          in_flight_[task->request_id()] = Invocation{task->task_token()};
        }
      }
      reply = JsonError(500, "ServiceUnavailable",
                        gone.load() ? "the runtime hung up" : "stepwise lambda-runtime is stopping");
      break;
    }
    if (!task.ok()) {
      if (task.status().code() != absl::StatusCode::kDeadlineExceeded) {
        std::string name = AwsErrorName(task.status());
        if (name.empty()) name = absl::StatusCodeToString(task.status().code());
        ReportError("GetFunctionTask failed: " + name +
                    (task.status().message().empty() ? "" : ": ") +
                    std::string(task.status().message()));
        std::unique_lock<std::mutex> lock(mu_);
        polls_done_.wait_for(lock, absl::ToChronoMilliseconds(backoff),
                             [this] { return polls_cancelled_; });
        backoff = std::min(backoff * 2, absl::Seconds(1));  // resume soon after a restart
      }
      continue;
    }
    backoff = absl::Milliseconds(100);
    if (task->task_token().empty()) continue;
    if (client_gone && client_gone()) {
      orphan = *std::move(task);
      reply = JsonError(500, "ServiceUnavailable", "the runtime hung up");
      break;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_flight_[task->request_id()] = Invocation{task->task_token()};
    }
    reply = NextInvocationResponse(*task, absl::Now());
    int64_t deadline_ms = 0;
    if (!absl::SimpleAtoi(reply.headers["Lambda-Runtime-Deadline-Ms"], &deadline_ms)) {
      deadline_ms = absl::ToUnixMillis(absl::Now()) + kDefaultInvocationMs;
    }
    source_->StartHeartbeats(task->task_token(), absl::FromUnixMillis(deadline_ms));
    break;
  }
  if (watcher.joinable()) {
    {
      std::lock_guard<std::mutex> lock(watch_mu);
      polling = false;
    }
    watch_cv.notify_all();
    watcher.join();
  }
  if (orphan) {
    absl::Status s = source_->Fail(
        orphan->task_token(), "Runtime.ExitError",
        ExitErrorCause(orphan->request_id(), "Runtime exited without providing a reason"));
    if (!s.ok()) ReportError("SendTaskFailure failed: " + std::string(s.message()));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    polls_.erase(&canceller);
  }
  polls_done_.notify_all();
  return reply;
}

std::optional<LambdaRuntimeApi::Invocation> LambdaRuntimeApi::Take(const std::string& request_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = in_flight_.find(request_id);
  if (it == in_flight_.end()) return std::nullopt;
  Invocation inv = std::move(it->second);
  in_flight_.erase(it);
  return inv;
}

RuntimeResponse LambdaRuntimeApi::Report(const std::string& request_id, bool success,
                                         const RuntimeRequest& request) {
  std::optional<Invocation> inv = Take(request_id);
  if (!inv) return JsonError(400, "InvalidRequestID", "Invalid request ID");
  source_->StopHeartbeats(inv->token);
  if (request.body.size() > kMaxLambdaPayloadBytes) {
    std::string message = absl::StrCat("Response payload size exceeded maximum allowed payload size (",
                                       kMaxLambdaPayloadBytes, " bytes).");
    json::object cause;
    cause["errorMessage"] = message;
    cause["errorType"] = "Function.ResponseSizeTooLarge";
    absl::Status s = source_->Fail(inv->token, "Function.ResponseSizeTooLarge", SerializeJson(cause));
    if (!s.ok()) ReportError("SendTaskFailure failed: " + std::string(s.message()));
    return JsonError(413, "RequestEntityTooLarge",
                     absl::StrCat("Exceeded maximum allowed payload size (", kMaxLambdaPayloadBytes,
                                  " bytes)."));
  }
  absl::Status sent;
  if (success) {
    sent = source_->Succeed(inv->token, OutputFromResponseBody(request.body));
  } else {
    auto header = request.headers.find("lambda-runtime-function-error-type");
    Failure f = FailureFromErrorBody(request.body,
                                     header == request.headers.end() ? "" : header->second);
    sent = source_->Fail(inv->token, f.error, f.cause);
  }
  if (!sent.ok()) {
    // The task is gone (timed out, execution stopped): the runtime has done
    // its part; AWS would have ended the invocation too.
    std::string name = AwsErrorName(sent);
    ReportError(std::string(success ? "SendTaskSuccess" : "SendTaskFailure") + " failed: " +
                (name.empty() ? "" : name + ": ") + std::string(sent.message()));
  }
  return Accepted();
}

void LambdaRuntimeApi::CancelPolls() {
  std::unique_lock<std::mutex> lock(mu_);
  polls_cancelled_ = true;
  for (CallCanceller* c : polls_) c->Cancel();
  polls_done_.notify_all();
  polls_done_.wait(lock, [this] { return polls_.empty(); });
}

void LambdaRuntimeApi::Resume() {
  std::lock_guard<std::mutex> lock(mu_);
  polls_cancelled_ = false;
}

int LambdaRuntimeApi::FailInFlight(const std::string& reason) {
  std::map<std::string, Invocation> failing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    failing.swap(in_flight_);
  }
  for (const auto& [id, inv] : failing) {
    source_->StopHeartbeats(inv.token);
    absl::Status s = source_->Fail(inv.token, "Runtime.ExitError", ExitErrorCause(id, reason));
    if (!s.ok()) ReportError("SendTaskFailure failed: " + std::string(s.message()));
  }
  return static_cast<int>(failing.size());
}

std::optional<InitError> LambdaRuntimeApi::TakeInitError() {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<InitError> e = std::move(init_error_);
  init_error_.reset();
  return e;
}

size_t LambdaRuntimeApi::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_.size();
}

std::string LambdaRuntimeApi::ExitErrorCause(const std::string& request_id,
                                             const std::string& reason) {
  json::object o;
  o["errorMessage"] = absl::StrCat("RequestId: ", request_id, " Error: ", reason);
  o["errorType"] = "Runtime.ExitError";
  return SerializeJson(o);
}

LambdaRuntimeApi::Failure LambdaRuntimeApi::FailureFromErrorBody(const std::string& body,
                                                                 const std::string& type_header) {
  Failure f;
  if (absl::StatusOr<json::value> v = ParseJson(body); v.ok()) {
    if (const json::object* o = v->if_object()) {
      if (const json::value* t = o->if_contains("errorType")) {
        if (const json::string* s = t->if_string(); s != nullptr && !s->empty()) {
          f.error = std::string(*s);
        }
      }
    }
  }
  // The header is what the runtime says when the document does not;
  // "Unhandled" is Lambda's X-Amz-Function-Error for every function error,
  // not a type. With none, stepwised reports Lambda.Unknown, as AWS does.
  if (f.error.empty() && type_header != "Unhandled") f.error = type_header;
  // AWS Lambda returns the runtime's error document as the invocation's
  // payload, and Step Functions records that as the cause.
  f.cause = body.size() > kMaxCause ? body.substr(0, kMaxCause) : body;
  return f;
}

std::string LambdaRuntimeApi::OutputFromResponseBody(const std::string& body) {
  if (body.empty()) return "null";
  if (ParseJson(body).ok()) return body;
  return SerializeJson(json::value(json::string(body)));
}

}  // namespace stepwise::client
