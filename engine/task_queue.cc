#include "engine/task_queue.h"

#include <algorithm>
#include <vector>

#include "common/check.h"
#include "common/thread_name.h"

namespace stepwise::engine {

TaskQueue::TaskQueue(size_t max_pollers) : max_pollers_(max_pollers) {
  thread_ = std::thread([this] {
    SetThreadName("sw-task-expiry");
    RunDeadlines();
  });
}

TaskQueue::~TaskQueue() { Stop(); }

void TaskQueue::Push(ActivityTask t) { Add(std::move(t), /*front=*/false); }

void TaskQueue::Requeue(ActivityTask t) { Add(std::move(t), /*front=*/true); }

void TaskQueue::Add(ActivityTask t, bool front) {
  DoneFn done;
  {
    std::lock_guard<std::mutex> lk(mu_);
    Activity& a = activities_[t.activity_arn];
    if (a.pollers.empty()) {
      auto found = a.index.find(TaskKey(t.execution_id, t.task_id));
      if (found != a.index.end()) {
        found->second->attempt = t.attempt;
        return;
      }
      auto pos = front ? a.tasks.begin() : a.tasks.end();
      auto node = a.tasks.insert(pos, Pending{t.execution_id, t.task_id, t.attempt});
      a.index.emplace(TaskKey(node->execution_id, node->task_id), node);
    } else {
      // A poll waits only while no task is pending, so this one goes to the
      // longest-waiting poll.
      SW_CHECK(a.tasks.empty());
      auto p = a.pollers.begin();
      done = std::move(p->second.done);
      deadlines_.erase({p->second.deadline, p->first});
      a.pollers.erase(p);
      MaybeEraseLocked(activities_.find(t.activity_arn));
    }
  }
  if (done != nullptr) return done(std::move(t));
  // Parked: no poll here took it.
  if (parked_hook_ != nullptr) parked_hook_(t.activity_arn);
}

void TaskQueue::SetParkedHook(std::function<void(const std::string& activity_arn)> hook) {
  parked_hook_ = std::move(hook);
}

size_t TaskQueue::Wake(const std::string& activity_arn, size_t count) {
  std::vector<DoneFn> ended;
  size_t woken = 0;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = activities_.find(activity_arn);
    if (it == activities_.end()) return 0;
    Activity& a = it->second;
    for (auto p = a.pollers.begin(); p != a.pollers.end() && woken < count;) {
      if (!(p->second.is_cancelled && p->second.is_cancelled())) ++woken;
      ended.push_back(std::move(p->second.done));
      deadlines_.erase({p->second.deadline, p->first});
      p = a.pollers.erase(p);
    }
    MaybeEraseLocked(it);
  }
  for (DoneFn& d : ended) d(std::nullopt);
  return woken;
}

void TaskQueue::Remove(const std::string& activity_arn,
                       const std::string& execution_id, int64_t task_id) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = activities_.find(activity_arn);
  if (it == activities_.end()) return;
  Activity& a = it->second;
  auto found = a.index.find(TaskKey(execution_id, task_id));
  if (found == a.index.end()) return;
  a.tasks.erase(found->second);
  a.index.erase(found);
  MaybeEraseLocked(it);
}

void TaskQueue::RemoveIf(const std::function<bool(const std::string& execution_id)>& drop) {
  std::lock_guard<std::mutex> lk(mu_);
  for (auto it = activities_.begin(); it != activities_.end();) {
    Activity& a = it->second;
    for (auto t = a.tasks.begin(); t != a.tasks.end();) {
      if (drop(t->execution_id)) {
        a.index.erase(TaskKey(t->execution_id, t->task_id));
        t = a.tasks.erase(t);
      } else {
        ++t;
      }
    }
    auto next = std::next(it);
    MaybeEraseLocked(it);
    it = next;
  }
}

absl::Status TaskQueue::Poll(const std::string& activity_arn,
                             int64_t timeout_ms, DoneFn done,
                             std::function<bool()> is_cancelled,
                             std::shared_ptr<PollClaim> claim) {
  std::optional<ActivityTask> task;
  bool waiting = false;
  bool exhausted = false;
  // Polls ended because their caller went away; answered after unlocking.
  std::vector<DoneFn> gone;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopped_) return absl::UnavailableError("task queue is stopped");
    auto it = activities_.find(activity_arn);
    if (it != activities_.end() && !it->second.tasks.empty()) {
      Activity& a = it->second;
      Pending& first = a.tasks.front();
      a.index.erase(TaskKey(first.execution_id, first.task_id));
      task = ActivityTask{it->first, std::move(first.execution_id), first.task_id, first.attempt};
      a.tasks.pop_front();
      MaybeEraseLocked(it);
    } else if (timeout_ms > 0) {
      Activity& a = activities_[activity_arn];
      if (a.pollers.size() >= max_pollers_) {
        for (auto p = a.pollers.begin(); p != a.pollers.end();) {
          if (p->second.is_cancelled && p->second.is_cancelled()) {
            deadlines_.erase({p->second.deadline, p->first});
            gone.push_back(std::move(p->second.done));
            p = a.pollers.erase(p);
          } else {
            ++p;
          }
        }
      }
      if (a.pollers.size() >= max_pollers_) {
        exhausted = true;
      } else {
        const uint64_t id = next_poll_id_++;
        const Deadline deadline =
            std::chrono::steady_clock::now() +
            std::chrono::milliseconds(std::min(timeout_ms, kMaxPollTimeoutMs));
        a.pollers.emplace(id, Poller{deadline, std::move(done), std::move(is_cancelled),
                                     std::move(claim)});
        auto d = deadlines_.emplace(std::make_pair(deadline, id), activity_arn);
        if (d.first == deadlines_.begin()) cv_.notify_one();
        waiting = true;
      }
    }
  }
  for (DoneFn& d : gone) d(std::nullopt);
  if (exhausted) {
    return absl::ResourceExhaustedError("too many pollers waiting on activity " +
                                        activity_arn);
  }
  if (!waiting) done(std::move(task));
  return absl::OkStatus();
}

std::shared_ptr<PollClaim> TaskQueue::TakePoller(const std::string& activity_arn) {
  std::shared_ptr<PollClaim> claim;
  std::vector<DoneFn> gone;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = activities_.find(activity_arn);
    if (it == activities_.end()) return nullptr;
    Activity& a = it->second;
    for (auto p = a.pollers.begin(); p != a.pollers.end() && claim == nullptr;) {
      if (p->second.claim == nullptr) {
        ++p;
        continue;
      }
      if (p->second.is_cancelled && p->second.is_cancelled()) {
        gone.push_back(std::move(p->second.done));
      } else {
        claim = std::move(p->second.claim);
      }
      deadlines_.erase({p->second.deadline, p->first});
      p = a.pollers.erase(p);
    }
    MaybeEraseLocked(it);
  }
  for (DoneFn& d : gone) d(std::nullopt);
  return claim;
}

size_t TaskQueue::pending(const std::string& activity_arn) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = activities_.find(activity_arn);
  return it == activities_.end() ? 0 : it->second.tasks.size();
}

size_t TaskQueue::waiting_pollers(const std::string& activity_arn) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = activities_.find(activity_arn);
  return it == activities_.end() ? 0 : it->second.pollers.size();
}

std::vector<TaskQueue::Depth> TaskQueue::Depths() const {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<Depth> out;
  for (const auto& [arn, a] : activities_) {
    out.push_back(Depth{arn, a.tasks.size(), a.pollers.size()});
  }
  return out;
}

void TaskQueue::Stop() {
  std::lock_guard<std::mutex> stop_lk(stop_mu_);
  // Joining itself would hang: Stop from a `done` on the deadline thread is
  // a bug.
  SW_CHECK(std::this_thread::get_id() != thread_.get_id());
  std::vector<DoneFn> woken;
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopped_ = true;
    for (auto it = activities_.begin(); it != activities_.end();) {
      for (auto& [id, poller] : it->second.pollers) {
        woken.push_back(std::move(poller.done));
      }
      it->second.pollers.clear();
      if (it->second.tasks.empty()) {
        it = activities_.erase(it);
      } else {
        ++it;
      }
    }
    deadlines_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (DoneFn& done : woken) done(std::nullopt);
}

void TaskQueue::MaybeEraseLocked(std::map<std::string, Activity>::iterator it) {
  if (it != activities_.end() && it->second.tasks.empty() &&
      it->second.pollers.empty()) {
    activities_.erase(it);
  }
}

void TaskQueue::RunDeadlines() {
  std::unique_lock<std::mutex> lk(mu_);
  while (!stopped_) {
    if (deadlines_.empty()) {
      cv_.wait(lk);
      continue;
    }
    const Deadline now = std::chrono::steady_clock::now();
    std::vector<DoneFn> expired;
    while (!deadlines_.empty() && deadlines_.begin()->first.first <= now) {
      auto d = deadlines_.begin();
      auto act = activities_.find(d->second);
      SW_CHECK(act != activities_.end());
      auto p = act->second.pollers.find(d->first.second);
      SW_CHECK(p != act->second.pollers.end());
      expired.push_back(std::move(p->second.done));
      act->second.pollers.erase(p);
      MaybeEraseLocked(act);
      deadlines_.erase(d);
    }
    if (expired.empty()) {
      // A copy: wait_until reads its argument after re-locking, when the
      // entry may be gone.
      const Deadline next = deadlines_.begin()->first.first;
      cv_.wait_until(lk, next);
      continue;
    }
    lk.unlock();
    for (DoneFn& done : expired) done(std::nullopt);
    lk.lock();
  }
}

}  // namespace stepwise::engine
