// `stepwise lambda-runtime --function NAME [--listen HOST:PORT]
// [--concurrency N] [-- COMMAND ARGS...]`: serves AWS Lambda's Runtime API
// (lambda_runtime_api.h over runtime_api_server.h) for the Lambda Tasks
// of one function that stepwised keeps in its function queue, so that an
// unchanged Lambda handler run by AWS's own runtime interface client (e.g.
// `npx aws-lambda-ric index.handler`) works Stepwise's Lambda Tasks.
//   Without COMMAND: one Runtime API on --listen (default 127.0.0.1:9001)
//   for runtimes started elsewhere (AWS_LAMBDA_RUNTIME_API=HOST:PORT).
//   With COMMAND: N copies of it, each with a Runtime API of its own on
//   --listen's host (port PORT+i, or a free port when PORT is 0, the
//   default) and the standard Lambda environment variables; a copy that
//   exits fails its invocation in flight with Runtime.ExitError and is
//   started again (after a pause that grows while it keeps exiting fast).
// SIGINT/SIGTERM: no new invocation is handed out, those in flight finish,
// then the copies get SIGTERM (SIGKILL 5 s later); a second signal ends at
// once. Called from main's thread only.
#ifndef SW_CLIENT_LAMBDA_RUNTIME_H_
#define SW_CLIENT_LAMBDA_RUNTIME_H_

#include <signal.h>

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/cli_args.h"
#include "cli/lambda_runtime_api.h"
#include "client/client.h"
#include "client/task_heartbeats.h"

namespace stepwise::client {

// FunctionTaskSource over stepwised's gRPC API. Thread-safe.
class ClientFunctionTaskSource : public FunctionTaskSource {
 public:
  // `client` must outlive this object.
  ClientFunctionTaskSource(Client* client, std::string function_name, std::string worker_name,
                           absl::Duration heartbeat_interval);

  absl::StatusOr<v1::GetFunctionTaskResponse> Poll(CallCanceller* canceller) override;
  absl::Status Succeed(const std::string& token, const std::string& output) override;
  absl::Status Fail(const std::string& token, const std::string& error,
                    const std::string& cause) override;
  void StartHeartbeats(const std::string& token, absl::Time until) override;
  void StopHeartbeats(const std::string& token) override;

 private:
  Client* const client_;
  const std::string function_name_;
  const std::string worker_name_;
  TaskHeartbeats heartbeats_;
};

// How AWS words a runtime process's end after "Error: " in a
// Runtime.ExitError ("Runtime exited with error: exit status 1", "...:
// signal: killed", "Runtime exited without providing a reason" for exit 0),
// from a waitpid status.
std::string ExitReason(int wait_status);

// The Lambda environment variables a runtime copy gets, "NAME=value" each
// (AWS_LAMBDA_LOG_STREAM_NAME is new each time, as each AWS instance's).
std::vector<std::string> LambdaEnvironment(const std::string& function_name,
                                           const std::string& runtime_api, int memory_mb,
                                           const std::string& task_root, absl::Time now);

// Runs the command; returns the exit code. `signals` (SIGINT, SIGTERM) are
// blocked in every thread.
int LambdaRuntimeCommand(const RemoteArgs& args, Client& client, const sigset_t& signals);

}  // namespace stepwise::client

#endif  // SW_CLIENT_LAMBDA_RUNTIME_H_
