// BlockingPool: a fixed pool of threads ("sw-pool") for work that may block
// or take a while (blocking engine calls that wait for their commit,
// parsing and answering AWS JSON requests), so it stays off the gRPC
// callback threads and the HTTP listener's I/O thread. FIFO, unbounded.
//
// Thread-safe: Submit from any thread, pool threads included. Destroying it
// runs the queued work, then joins the threads.
#ifndef SW_SERVER_BLOCKING_POOL_H_
#define SW_SERVER_BLOCKING_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace stepwise::server {

class BlockingPool {
 public:
  // At least one thread.
  explicit BlockingPool(int threads);
  // Runs the queued work, then joins the threads.
  ~BlockingPool();

  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Queues `fn`; it runs on a pool thread.
  void Submit(std::function<void()> fn);

 private:
  void Run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stop_ = false;                        // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace stepwise::server

#endif  // SW_SERVER_BLOCKING_POOL_H_
