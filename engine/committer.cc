// Committer: group commit and fail-stop (see committer.h). Loop runs on the
// "sw-commit" thread; Submit and InFlight on any thread.
#include "engine/committer.h"

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/thread_name.h"

namespace stepwise::engine {

Committer::Committer(storage::Store* store, const EngineOptions* options)
    : store_(store), options_(options) {}

void Committer::Start() {
  thread_ = std::thread([this] {
    SetThreadName("sw-commit");
    Loop();
  });
}

void Committer::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Committer::Submit(storage::Transition t, std::function<void(absl::Status)> done) {
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(PendingCommit{std::move(t), std::move(done)});
    ++in_flight_;
  }
  cv_.notify_one();
}

size_t Committer::InFlight() {
  std::lock_guard<std::mutex> l(mu_);
  return in_flight_;
}

void Committer::Loop() {
  while (true) {
    std::vector<PendingCommit> batch;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      while (!queue_.empty() && batch.size() < options_->max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<const storage::Transition*> ptrs;
    for (auto& p : batch) ptrs.push_back(&p.t);
    // Fail-stop: once a write failed, what is on disk is uncertain and
    // nothing more is written or acknowledged (see on_storage_failure).
    // (A StatusOr must not be built from an OK status: absl aborts.)
    absl::StatusOr<std::vector<absl::Status>> results =
        storage_failure_.ok() ? store_->CommitBatch(ptrs)
                              : absl::StatusOr<std::vector<absl::Status>>(storage_failure_);
    batches_ += 1;
    bool first_failure = !results.ok() && storage_failure_.ok();
    if (first_failure) {
      storage_failure_ = absl::UnavailableError(absl::StrCat(
          "the server cannot persist changes and is stopping (", results.status().message(),
          ")"));
      results = storage_failure_;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      absl::Status s = results.ok() ? (*results)[i] : results.status();
      if (s.ok()) commits_ += 1;
      batch[i].done(s);
    }
    if (first_failure && options_->on_storage_failure) {
      options_->on_storage_failure(results.status());
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      in_flight_ -= batch.size();
    }
  }
}

}  // namespace stepwise::engine
