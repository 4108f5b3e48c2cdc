// ExpressLogWriter: stepwised's engine::ExpressHistorySink. Closed() (an
// engine shard thread) only queues the closed execution; a writer thread of
// its own looks up the machine's loggingConfiguration (`lookup`, wired by
// server/main.cc to Engine::DescribeStateMachine), shapes the events as AWS
// writes them to CloudWatch Logs (cloudwatch_log_events.h) and appends them
// to the log group's file under `dir` (log_group_files.h) and/or stdout,
// then keeps the execution in the recent ring the console reads. The queue
// is bounded: when it is full Closed() drops the execution, counts it and
// logs a warning (the first drop, then every 1000th), never blocking the
// engine. Thread-safe; call Stop() after Engine::Shutdown (it writes what
// is queued, then joins the thread).
#ifndef SW_SERVER_EXPRESS_LOG_EXPRESS_LOG_WRITER_H_
#define SW_SERVER_EXPRESS_LOG_EXPRESS_LOG_WRITER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "engine/api_types.h"
#include "engine/express_history_sink.h"
#include "server/express_log/log_group_files.h"
#include "server/express_log/recent_express_executions.h"

namespace stepwise::server::express_log {

struct ExpressLogOptions {
  // Directory of the log group files; empty: no files.
  std::string dir;
  // Also write every line to stdout (`out`, stdout when null).
  bool to_stdout = false;
  std::FILE* out = nullptr;
  // Closed executions waiting for the writer at most; more are dropped.
  size_t queue_capacity = 10000;
  // Executions the console can list.
  size_t recent_capacity = 200;
  // The loggingConfiguration of a state machine (called on the writer
  // thread, and by WantsEvents on engine shard threads: thread-safe). An
  // error (machine deleted since) counts as level OFF.
  std::function<absl::StatusOr<engine::LoggingConfiguration>(const std::string& machine_arn)>
      lookup;
};

struct ExpressLogStats {
  uint64_t executions = 0;    // closed executions written (or seen at level OFF)
  uint64_t lines = 0;         // log lines written
  uint64_t dropped = 0;       // closed executions dropped: queue full
  uint64_t write_errors = 0;  // appends to a log file that failed
};

class ExpressLogWriter final : public engine::ExpressHistorySink {
 public:
  explicit ExpressLogWriter(ExpressLogOptions options);
  ~ExpressLogWriter() override;  // Stop()s

  ExpressLogWriter(const ExpressLogWriter&) = delete;
  ExpressLogWriter& operator=(const ExpressLogWriter&) = delete;

  // Whether the machine's level is other than OFF (calls `lookup`): at OFF
  // no line is written, so the engine need not shape the events.
  bool WantsEvents(const std::string& state_machine_arn) override;
  void Closed(engine::ClosedExpressExecution closed) override;

  // Writes what is queued, then joins the writer thread. Later Closed()
  // calls are dropped. Idempotent.
  void Stop();
  // Returns once everything queued before the call is written (tests).
  void Flush();

  ExpressLogStats stats() const;
  const RecentExpressExecutions& recent() const { return recent_; }

 private:
  void Run();
  void Write(const engine::ClosedExpressExecution& closed);

  const ExpressLogOptions options_;
  std::unique_ptr<LogGroupFiles> files_;  // writer thread only
  RecentExpressExecutions recent_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // queue not empty, or stopping
  std::condition_variable idle_cv_;  // the writer finished a batch
  std::deque<engine::ClosedExpressExecution> queue_;  // guarded by mu_
  bool stopping_ = false;                             // guarded by mu_
  bool busy_ = false;        // the writer holds a batch; guarded by mu_
  ExpressLogStats stats_;    // guarded by mu_
  std::thread thread_;
};

}  // namespace stepwise::server::express_log

#endif  // SW_SERVER_EXPRESS_LOG_EXPRESS_LOG_WRITER_H_
