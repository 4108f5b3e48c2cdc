// RecentlyClosed: the ids of the executions a shard evicted because they had
// finished, newest kept, oldest forgotten past a bound. It lets a watch from
// the tail (WatchExecution with after_event_id = max: "tell me when it has
// closed", what a client waiting for a result sends right after StartExecution
// returns) be answered without reading and decoding the finished execution's
// record again. An id is forgotten as soon as the execution is loaded again
// (a redrive reopens it only after loading it) and when the cluster shard
// holding it changes hands (EngineImpl::DropLoadedIf).
// Threads: a Shard's; only the thread running the shard's work uses it.
#ifndef SW_ENGINE_RECENTLY_CLOSED_H_
#define SW_ENGINE_RECENTLY_CLOSED_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <unordered_set>
#include <utility>

namespace stepwise::engine {

class RecentlyClosed {
 public:
  explicit RecentlyClosed(size_t capacity) : capacity_(capacity) {}

  void Add(const std::string& id) {
    if (capacity_ == 0 || !ids_.insert(id).second) return;
    order_.push_back(id);
    while (ids_.size() > capacity_ && !order_.empty()) {
      ids_.erase(order_.front());  // may be gone already (Forget): then a no-op
      order_.pop_front();
    }
    // Forgotten ids leave their place in `order_` behind; keep it bounded.
    if (order_.size() > 2 * capacity_) Compact();
  }
  bool Contains(const std::string& id) const { return ids_.count(id) != 0; }
  void Forget(const std::string& id) { ids_.erase(id); }
  void ForgetIf(const std::function<bool(const std::string&)>& pred) {
    for (auto it = ids_.begin(); it != ids_.end();) {
      it = pred(*it) ? ids_.erase(it) : std::next(it);
    }
    Compact();
  }
  size_t size() const { return ids_.size(); }

 private:
  void Compact() {
    std::deque<std::string> kept;
    for (std::string& id : order_) {
      if (ids_.count(id) != 0) kept.push_back(std::move(id));
    }
    order_ = std::move(kept);
  }

  size_t capacity_;
  std::unordered_set<std::string> ids_;
  std::deque<std::string> order_;  // oldest first; may hold forgotten ids
};

}  // namespace stepwise::engine

#endif  // SW_ENGINE_RECENTLY_CLOSED_H_
