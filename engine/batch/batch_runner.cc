// BatchRunner (see batch_runner.h): the jobs in memory, their saves, and the
// "sw-batch" thread that selects and acts on one page at a time. Public
// methods: any thread; Count: engine threads; Loop/RunPage/ActOnPage: the
// runner's thread only.
#include "engine/batch/batch_runner.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "engine/arn.h"
#include "engine/service_error.h"
#include "storage/keys.h"

namespace stepwise::engine {

BatchRunner::BatchRunner(storage::Store* store, const Clock* clock, BatchTarget* target,
                         BatchRunnerOptions options)
    : store_(store),
      clock_(clock),
      target_(target),
      opts_(options),
      rng_(std::random_device{}()) {}

BatchRunner::~BatchRunner() { Stop(); }

absl::Status BatchRunner::Start() {
  storage::ScanOptions o;
  o.prefix = storage::kBatchOperationPrefix;
  SW_ASSIGN_OR_RETURN(std::vector<storage::KeyValue> rows,
                      store_->Scan(storage::Table::kMeta, o));
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const storage::KeyValue& kv : rows) {
      SW_ASSIGN_OR_RETURN(BatchOperation op, DecodeBatchOperation(kv.key, kv.value));
      jobs_[op.id] = std::move(op);
    }
    stop_ = false;
  }
  thread_ = std::thread([this] {
    SetThreadName("sw-batch");
    Loop();
  });
  return absl::OkStatus();
}

void BatchRunner::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<BatchOperation> BatchRunner::StartOperation(const BatchOperationRequest& req) {
  SW_ASSIGN_OR_RETURN(BatchOperation op, NewBatchOperation(req));
  std::lock_guard<std::mutex> start(start_mu_);
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stop_) return absl::UnavailableError("the engine is shutting down");
    int open = 0;
    for (const auto& [id, job] : jobs_) {
      if (!op.client_token.empty() && job.client_token == op.client_token) return job;
      if (job.open()) ++open;
    }
    if (open >= opts_.max_open) {
      return ServiceError("BatchOperationLimitExceeded",
                          absl::StrCat("at most ", opts_.max_open,
                                       " batch operations may run at once"));
    }
  }
  // The selection's own errors (an unknown machine, a bad query) now,
  // before a job exists.
  SW_RETURN_IF_ERROR(target_->Select(op, "", 1).status());
  op.id = NewUuid(rng_);
  op.start_date = clock_->NowMs();
  SW_RETURN_IF_ERROR(store_->Put(storage::Table::kMeta, storage::BatchOperationKey(op.id),
                                 EncodeBatchOperation(op)));
  {
    std::lock_guard<std::mutex> l(mu_);
    jobs_[op.id] = op;
  }
  cv_.notify_all();
  return op;
}

absl::StatusOr<BatchOperation> BatchRunner::Describe(const std::string& id) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) {
    return ServiceError("BatchOperationDoesNotExist",
                        absl::StrCat("Batch Operation Does Not Exist: '", id, "'"));
  }
  BatchOperation op = it->second;
  op.pending.clear();
  return op;
}

std::vector<BatchOperation> BatchRunner::List() {
  std::vector<BatchOperation> out;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [id, job] : jobs_) {
      out.push_back(job);
      out.back().pending.clear();
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const BatchOperation& a, const BatchOperation& b) {
    return a.start_date > b.start_date;
  });
  return out;
}

absl::Status BatchRunner::Cancel(const std::string& id) {
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) {
      return ServiceError("BatchOperationDoesNotExist",
                          absl::StrCat("Batch Operation Does Not Exist: '", id, "'"));
    }
    if (!it->second.open()) return absl::OkStatus();
    it->second.status = "CANCELLED";
    it->second.stop_date = clock_->NowMs();
    it->second.pending.clear();
  }
  cv_.notify_all();
  return Save(id);
}

int BatchRunner::running() {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(std::count_if(jobs_.begin(), jobs_.end(),
                                        [](const auto& kv) { return kv.second.open(); }));
}

// ------------------------------------------------------------ the thread

void BatchRunner::Loop() {
  while (true) {
    std::string id;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this, &id] {
        if (stop_) return true;
        id = NextOpenLocked();
        return !id.empty();
      });
      if (stop_) return;
      last_served_ = id;
    }
    RunPage(id);
  }
}

std::string BatchRunner::NextOpenLocked() {
  for (auto it = jobs_.upper_bound(last_served_); it != jobs_.end(); ++it) {
    if (it->second.open()) return it->first;
  }
  for (auto& [id, job] : jobs_) {
    if (job.open()) return id;
  }
  return "";
}

void BatchRunner::RunPage(const std::string& id) {
  BatchOperation snapshot;
  {
    std::lock_guard<std::mutex> l(mu_);
    snapshot = jobs_[id];
  }
  if (!snapshot.pending.empty()) return ActOnPage(id, snapshot);
  if (snapshot.selection_done) return End(id, "SUCCEEDED", "");
  absl::StatusOr<BatchPage> page = target_->Select(snapshot, snapshot.cursor, opts_.page_size);
  if (!page.ok()) {
    if (absl::IsUnavailable(page.status())) {  // shutting down: resume at the next Start
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
      return;
    }
    return End(id, "FAILED", absl::StrCat("selecting executions failed: ",
                                          page.status().message()));
  }
  std::vector<std::string> statuses = BatchStatuses(snapshot);
  std::vector<std::string> chosen;
  for (const BatchCandidate& c : page->executions) {
    // Executions started after the job are not its business.
    if (c.start_date > snapshot.start_date) continue;
    if (std::find(statuses.begin(), statuses.end(), c.status) == statuses.end()) continue;
    chosen.push_back(c.execution_arn);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    BatchOperation& job = jobs_[id];
    if (!job.open()) return;  // cancelled meanwhile
    job.selected += static_cast<int64_t>(chosen.size());
    job.pending = std::move(chosen);
    job.cursor = page->next_cursor;
    job.selection_done = page->next_cursor.empty();
  }
  // Saved before any execution is touched: a restart acts on this same page.
  absl::Status saved = Save(id);
  if (!saved.ok()) End(id, "FAILED", absl::StrCat("saving progress failed: ", saved.message()));
}

void BatchRunner::ActOnPage(const std::string& id, const BatchOperation& snapshot) {
  bool shutting_down = false;
  for (const std::string& arn : snapshot.pending) {
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stop_ || in_flight_ < opts_.max_in_flight; });
      if (stop_) {
        shutting_down = true;
        break;
      }
      if (!jobs_[id].open()) break;  // cancelled
      ++in_flight_;
    }
    auto done = [this, id, arn](absl::Status s) { Count(id, arn, s); };
    if (snapshot.operation == "STOP") {
      target_->Stop(arn, snapshot.error, snapshot.cause, done);
    } else {
      target_->Redrive(arn, BatchRedriveToken(id), done);
    }
  }
  {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return in_flight_ == 0; });
    if (shutting_down) return;  // the saved page is acted on again at the next Start
    BatchOperation& job = jobs_[id];
    job.pending.clear();
    if (job.open() && job.selection_done) {
      job.status = "SUCCEEDED";
      job.stop_date = clock_->NowMs();
    }
  }
  absl::Status saved = Save(id);
  if (!saved.ok()) End(id, "FAILED", absl::StrCat("saving progress failed: ", saved.message()));
}

void BatchRunner::Count(const std::string& id, const std::string& arn, const absl::Status& s) {
  {
    std::lock_guard<std::mutex> l(mu_);
    BatchOperation& job = jobs_[id];
    std::string name = ServiceErrorName(s);
    if (s.ok()) {
      ++job.succeeded;
    } else if (job.operation == "STOP" && name == "ValidationException" &&
               absl::StrContains(s.message(), "not running")) {
      ++job.skipped;  // closed before the job came to it (or by this job before a restart)
    } else {
      ++job.failed;
      if (job.failures.size() < kMaxBatchFailures) {
        job.failures.push_back(
            {arn, name.empty() ? std::string(absl::StatusCodeToString(s.code())) : name,
             std::string(s.message())});
      }
    }
    --in_flight_;
  }
  cv_.notify_all();
}

void BatchRunner::End(const std::string& id, const std::string& status,
                      const std::string& reason) {
  {
    std::lock_guard<std::mutex> l(mu_);
    BatchOperation& job = jobs_[id];
    if (!job.open()) return;
    job.status = status;
    job.status_reason = reason;
    job.stop_date = clock_->NowMs();
    job.pending.clear();
  }
  // A failed save leaves the stored job RUNNING: the next Start resumes it.
  (void)Save(id);
}

absl::Status BatchRunner::Save(const std::string& id) {
  std::lock_guard<std::mutex> p(persist_mu_);
  std::string bytes;
  {
    std::lock_guard<std::mutex> l(mu_);
    bytes = EncodeBatchOperation(jobs_[id]);
  }
  return store_->Put(storage::Table::kMeta, storage::BatchOperationKey(id), bytes);
}

}  // namespace stepwise::engine
