// Real workers for one conformance case run against a real stepwised
// (conformance_live_runner): each Lambda stub of the case is served by a
// thread long-polling GetFunctionTask for its function name, each activity
// stub by a thread long-polling GetActivityTask, over gRPC with the generated
// stub (no client library). They answer as the stub's `behaviour` says
// (shared/conformance/README.md, `lambda_stubs` and `activity_stubs`) with
// SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat.
// StubFunctionReply and StubActivityReply are the behaviours as pure
// functions (any thread). LiveWorkers: Start and Stop from one thread; its
// own threads do the polling; log() from any thread.
#ifndef SW_TESTS_CONFORMANCE_LIVE_WORKERS_H_
#define SW_TESTS_CONFORMANCE_LIVE_WORKERS_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/json.h"
#include "grpcpp/grpcpp.h"
#include "stepwise/v1/service.grpc.pb.h"

namespace stepwise::conformance {

// How a function answers one invocation.
struct FunctionReply {
  bool success = true;
  std::string output;  // SendTaskSuccess: the return value as JSON text
  std::string error;   // SendTaskFailure: the errorType
  std::string cause;   // SendTaskFailure: the error JSON, as the Python runtime writes it
  double sleep_seconds = 0;  // case seconds to wait before answering
};

// The reply of Lambda stub `stub` to the event `payload` (JSON text) in the
// attempt `request_id`, as the Python runtime sends it (the return value
// through json.dumps, so with ", " and ": " separators): identity, constant, constant_bytes, python_format,
// large_output, sleep_then_identity, raise (error = errorType, cause =
// {"errorMessage", "errorType", "requestId", "stackTrace": []} as Python's
// json.dumps writes it). An unknown behaviour fails with errorType
// "UnknownStubBehaviour".
FunctionReply StubFunctionReply(const json::object& stub, std::string_view payload,
                                std::string_view request_id);

// How an activity worker handles one task.
struct ActivityReply {
  enum class Kind { kSucceed, kFail, kNeverAnswer };
  Kind kind = Kind::kSucceed;
  std::string output;  // kSucceed
  std::string error;   // kFail
  std::string cause;   // kFail
  int heartbeats = 0;  // sent first, heartbeat_interval_seconds apart
  double heartbeat_interval_seconds = 0;
};

// The reply of activity stub `stub` to the task input `input` (JSON text):
// identity; heartbeat_then_identity (4 heartbeats 3 s apart, then the
// input: longer than the 10 s HeartbeatSeconds of the recorded case, so the
// heartbeats are what keeps the task alive); send_task_failure (error
// "Programmatic Error", cause = the input, as LocalStack's worker sends);
// never_answers.
ActivityReply StubActivityReply(const json::object& stub, std::string_view input);

class LiveWorkers {
 public:
  // `case_doc` outlives the workers. `time_scale` is stepwised's
  // --time-scale: case seconds (sleeps, heartbeat intervals) last
  // 1/time_scale real seconds.
  LiveWorkers(const json::object& case_doc, std::shared_ptr<grpc::Channel> channel,
              double time_scale);
  ~LiveWorkers();
  LiveWorkers(const LiveWorkers&) = delete;
  LiveWorkers& operator=(const LiveWorkers&) = delete;

  // One polling thread per Lambda stub and per activity stub. Activities
  // must exist (CreateActivity) before; their ARNs are the stubs'
  // `activity_arn`.
  void Start();
  // Cancels the pending calls, wakes sleeping workers and joins the threads.
  void Stop();

  // One line per task taken and per failed call, in order.
  std::vector<std::string> log() const;

 private:
  void ServeFunction(const json::object* stub);
  void ServeActivity(const json::object* stub);
  // Runs `call` with a fresh context registered for cancellation by Stop.
  grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& call);
  // Waits `case_seconds` (scaled); false when Stop came first.
  bool Sleep(double case_seconds);
  void Log(std::string line);

  const json::object& case_doc_;
  std::unique_ptr<v1::States::Stub> stub_;
  const double time_scale_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::set<grpc::ClientContext*> pending_;
  std::vector<std::string> log_;
  std::vector<std::thread> threads_;
};

}  // namespace stepwise::conformance

#endif  // SW_TESTS_CONFORMANCE_LIVE_WORKERS_H_
