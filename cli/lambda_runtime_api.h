// LambdaRuntimeApi: the logic of AWS Lambda's Runtime API (version
// 2018-06-01) for one endpoint of `stepwise lambda-runtime`, apart from the
// HTTP transport (runtime_api_server.h) so that it can be unit-tested with a
// fake FunctionTaskSource:
//   GET  /2018-06-01/runtime/invocation/next         long-polls the function
//        queue and answers the payload with the Lambda-Runtime-* headers
//   POST /2018-06-01/runtime/invocation/{id}/response → SendTaskSuccess, 202
//   POST /2018-06-01/runtime/invocation/{id}/error    → SendTaskFailure, 202
//   POST /2018-06-01/runtime/init/error  fails the invocation in flight, or
//        is kept for the next one (TakeInitError), 202
// Errors are answered as AWS's Runtime API does: JSON
// {"errorMessage","errorType"}, 400 InvalidRequestID for an unknown or
// already reported request id, 413 RequestEntityTooLarge past 6 MB, 404
// for other paths. While an invocation is in flight, up to its deadline
// (Lambda-Runtime-Deadline-Ms), its task is heartbeated (the source's
// StartHeartbeats), so a Task's HeartbeatSeconds fires only when the
// runtime is gone (a runtime copy that exits fails its invocation at once)
// or past the deadline.
// Thread-safe: Handle is called from one thread per HTTP connection, and
// /next blocks that thread for as long as the long poll lasts.
#ifndef SW_CLIENT_LAMBDA_RUNTIME_API_H_
#define SW_CLIENT_LAMBDA_RUNTIME_API_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"

namespace stepwise::client {

// The largest request or response payload AWS Lambda accepts (6 MB, as
// the Runtime API counts it).
inline constexpr size_t kMaxLambdaPayloadBytes = 6 * 1024 * 1024 + 100;
// The deadline handed out when the Task has no TimeoutSeconds: Lambda's
// longest timeout (15 minutes) from now, as AWS always sends one.
inline constexpr int64_t kDefaultInvocationMs = 15 * 60 * 1000;

// What the Runtime API needs from stepwised: the function queue's long
// poll and the task reports. ClientFunctionTaskSource (lambda_runtime.h)
// is the real one. Called from many threads at once.
class FunctionTaskSource {
 public:
  virtual ~FunctionTaskSource() = default;
  // One long poll (about 60 s); an empty task_token means none arrived.
  virtual absl::StatusOr<v1::GetFunctionTaskResponse> Poll(CallCanceller* canceller) = 0;
  virtual absl::Status Succeed(const std::string& token, const std::string& output) = 0;
  virtual absl::Status Fail(const std::string& token, const std::string& error,
                            const std::string& cause) = 0;
  // Heartbeats `token` until StopHeartbeats, or until `until` passes.
  virtual void StartHeartbeats(const std::string& token, absl::Time until) = 0;
  virtual void StopHeartbeats(const std::string& token) = 0;
};

struct RuntimeRequest {
  std::string method;
  std::string target;  // path and query
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  // Set by the transport: true once the runtime has closed its connection
  // (a /next whose runtime is gone stops polling). Callable from any thread
  // while Handle runs.
  std::function<bool()> client_gone;
};

struct RuntimeResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
  std::string body;
};

// A runtime's POST /runtime/init/error.
struct InitError {
  std::string error_type;
  std::string body;
};

class LambdaRuntimeApi {
 public:
  // `source` must outlive this object. `on_error` reports failed polls and
  // reports (default: stderr).
  explicit LambdaRuntimeApi(FunctionTaskSource* source,
                            std::function<void(const std::string&)> on_error = nullptr);

  // Answers one request; /next blocks until an invocation arrives or
  // CancelPolls is called (then 500, as when Lambda is shutting down).
  RuntimeResponse Handle(const RuntimeRequest& request);

  // Cancels the /next polls in flight and makes new ones fail at once
  // until Resume; returns once no poll is running any more.
  void CancelPolls();
  void Resume();

  // Fails every invocation in flight with Runtime.ExitError (the runtime
  // process exited: `reason` as AWS words it, e.g. "Runtime exited with
  // error: exit status 1", see ExitReason in lambda_runtime.h). Returns how
  // many.
  int FailInFlight(const std::string& reason);

  // Returns and forgets the init error a runtime posted, if any.
  std::optional<InitError> TakeInitError();

  size_t in_flight() const;

  // The cause AWS Lambda records when a runtime exits during `request_id`.
  static std::string ExitErrorCause(const std::string& request_id, const std::string& reason);
  // The error name and cause reported for a runtime's /error body and its
  // Lambda-Runtime-Function-Error-Type header (may be empty): the body's
  // errorType, else the header's, else "" (stepwised then reports
  // Lambda.Unknown); the cause is the body (at most 32,768 bytes).
  struct Failure {
    std::string error;
    std::string cause;
  };
  static Failure FailureFromErrorBody(const std::string& body, const std::string& type_header);
  // The output reported for a /response body: the body when it is JSON,
  // else the body as a JSON string; "null" when empty.
  static std::string OutputFromResponseBody(const std::string& body);

 private:
  struct Invocation {
    std::string token;
  };

  RuntimeResponse Next(const std::function<bool()>& client_gone);
  RuntimeResponse Report(const std::string& request_id, bool success,
                         const RuntimeRequest& request);
  // Removes the invocation `request_id`; nullopt when unknown.
  std::optional<Invocation> Take(const std::string& request_id);
  void ReportError(const std::string& message) const;

  FunctionTaskSource* const source_;
  const std::function<void(const std::string&)> on_error_;

  mutable std::mutex mu_;
  std::map<std::string, Invocation> in_flight_;  // by request id
  std::set<CallCanceller*> polls_;
  bool polls_cancelled_ = false;
  std::optional<InitError> init_error_;
  std::condition_variable polls_done_;
};

// Builds the GET /next reply for `task` handed out at `now`.
RuntimeResponse NextInvocationResponse(const v1::GetFunctionTaskResponse& task, absl::Time now);

// A fresh X-Ray trace header value ("Root=1-…;Parent=…;Sampled=0").
std::string NewTraceId(absl::Time now);

}  // namespace stepwise::client

#endif  // SW_CLIENT_LAMBDA_RUNTIME_API_H_
