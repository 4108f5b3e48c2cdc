// FunctionServers: the real Lambda servers of the daemon crash harness's
// nested workload, beside the raw workers of function_workers.h. One
// `stepwise worker --function crash-fn-invoke -- python3 HANDLER worker …`
// process (a handler process per invocation) and one `stepwise
// lambda-runtime --function crash-fn-arn -- python3 HANDLER runtime …`
// process whose copies speak AWS Lambda's Runtime API (GET next, POST
// response or error against $AWS_LAMBDA_RUNTIME_API). They are the
// harness's processes, not the daemon's: they live across the daemon's
// deaths and must keep polling; one that exits anyway is started again
// (and counted). The handler answers as NestedWorkflow::FunctionAnswer
// does, with a unique "by" nonce that it appends to a log before it
// answers; MergeSent puts those nonces into FunctionLog::sent, so the
// nested checker's per-nonce checks cover these servers too. "First
// attempt" is decided through a directory shared with the raw workers
// (FirstSeenDir).
//
// Threads: everything from the harness's main thread.
#ifndef SW_TESTS_CRASH_FUNCTION_SERVERS_H_
#define SW_TESTS_CRASH_FUNCTION_SERVERS_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/crash/function_workers.h"
#include "tests/stepwised_process.h"

namespace stepwise::crash {

// True the first time `key` ("<execution>/<state>") is asked about, across
// every process that shares `dir` (an atomic mkdir).
bool FirstSeenDir(const std::string& dir, const std::string& key);

// Wall-clock milliseconds since the epoch (the handlers' log times).
int64_t UnixNowMs();

class FunctionServers {
 public:
  // One served function: its server process, its log of answers.
  struct Server {
    std::string what;      // "worker --function" or "lambda-runtime"
    std::string function;  // the function queue it serves
    std::string prefix;    // the nonce prefix of its answers
    std::string answers;   // the handler's log: "<key> <nonce|-> <unix ms>" lines
    std::vector<std::string> args;
    std::unique_ptr<testproc::StepwisedProcess> process;
    int starts = 0;
  };

  // `stepwise` is the CLI binary, `dir` the harness's directory (handler,
  // logs), `seen_dir` the FirstSeenDir of the raw workers, `port` the
  // daemon's gRPC port.
  FunctionServers(std::string stepwise, std::string dir, std::string seen_dir, int port);

  // Writes the handler and starts both servers.
  absl::Status Start();
  // Starts again a server that has exited (call it often).
  void Check();
  // SIGTERM, then SIGKILL if they do not stop within 20 s.
  void Stop();

  // Adds every success nonce the handlers logged to `log->sent`, and the
  // invocations they saw to `log->handouts` (under "<function> (<what>)").
  void MergeSent(FunctionLog* log) const;
  // The nonces the handlers logged after `unix_ms`.
  std::set<std::string> SentAfter(int64_t unix_ms) const;
  const std::vector<Server>& servers() const { return servers_; }

 private:
  absl::Status Spawn(Server& s);

  const std::string stepwise_, dir_, seen_dir_;
  const int port_;
  std::vector<Server> servers_;
};

}  // namespace stepwise::crash

#endif  // SW_TESTS_CRASH_FUNCTION_SERVERS_H_
