// BlockingPool (see blocking_pool.h): its threads take work off one queue.
#include "server/blocking_pool.h"

#include <algorithm>
#include <utility>

#include "common/thread_name.h"

namespace stepwise::server {

BlockingPool::BlockingPool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] {
      SetThreadName("sw-pool");
      Run();
    });
}

BlockingPool::~BlockingPool() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void BlockingPool::Submit(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void BlockingPool::Run() {
  while (true) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

}  // namespace stepwise::server
