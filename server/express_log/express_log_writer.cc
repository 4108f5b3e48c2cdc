// The Express execution log writer (see express_log_writer.h). Closed(),
// WantsEvents(): engine threads; the rest: its own writer thread.
#include "server/express_log/express_log_writer.h"

#include <utility>
#include <vector>

#include "common/logging.h"
#include "server/express_log/cloudwatch_log_events.h"

namespace stepwise::server::express_log {

ExpressLogWriter::ExpressLogWriter(ExpressLogOptions options)
    : options_(std::move(options)), recent_(options_.recent_capacity) {
  if (!options_.dir.empty()) files_ = std::make_unique<LogGroupFiles>(options_.dir);
  thread_ = std::thread([this] { Run(); });
}

ExpressLogWriter::~ExpressLogWriter() { Stop(); }

bool ExpressLogWriter::WantsEvents(const std::string& state_machine_arn) {
  if (!options_.lookup) return false;  // every level counts as OFF
  auto found = options_.lookup(state_machine_arn);
  return found.ok() && found->level != "OFF";
}

void ExpressLogWriter::Closed(engine::ClosedExpressExecution closed) {
  uint64_t dropped = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!stopping_ && queue_.size() < options_.queue_capacity) {
      queue_.push_back(std::move(closed));
      cv_.notify_one();
      return;
    }
    dropped = ++stats_.dropped;
  }
  if (dropped == 1 || dropped % 1000 == 0) {
    spdlog::warn("express log: queue full ({} executions), {} closed Express executions "
                 "dropped so far (not logged)",
                 options_.queue_capacity, dropped);
  }
}

void ExpressLogWriter::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void ExpressLogWriter::Flush() {
  std::unique_lock<std::mutex> l(mu_);
  idle_cv_.wait(l, [this] { return queue_.empty() && !busy_; });
}

ExpressLogStats ExpressLogWriter::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

void ExpressLogWriter::Run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, all written
    std::deque<engine::ClosedExpressExecution> batch;
    batch.swap(queue_);
    busy_ = true;
    l.unlock();
    for (const engine::ClosedExpressExecution& c : batch) Write(c);
    l.lock();
    busy_ = false;
    idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

void ExpressLogWriter::Write(const engine::ClosedExpressExecution& closed) {
  engine::LoggingConfiguration logging;  // OFF
  if (options_.lookup) {
    auto found = options_.lookup(closed.execution.state_machine_arn);
    if (found.ok()) logging = *std::move(found);
  }
  std::vector<std::string> lines = ExpressLogLines(closed, logging);
  bool write_failed = false;
  if (!lines.empty()) {
    if (files_ != nullptr) {
      for (const std::string& group : logging.log_group_arns) {
        absl::Status s = files_->Append(group, lines);
        if (!s.ok()) {
          write_failed = true;
          spdlog::warn("express log: {}", std::string(s.message()));
        }
      }
    }
    if (options_.to_stdout) {
      std::FILE* out = options_.out != nullptr ? options_.out : stdout;
      for (const std::string& line : lines) {
        std::fwrite(line.data(), 1, line.size(), out);
        std::fputc('\n', out);
      }
      std::fflush(out);
    }
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    ++stats_.executions;
    stats_.lines += lines.size();
    if (write_failed) ++stats_.write_errors;
  }
  recent_.Add(RecentExpressExecution{closed.execution, logging.level, std::move(lines)});
}

}  // namespace stepwise::server::express_log
