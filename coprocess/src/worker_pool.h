// A fixed set of threads for handlers that block (disk, network), with a
// bounded queue: when it is full, new work is refused rather than buffered
// without bound, and the caller answers `unavailable`.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace coproc {

class WorkerPool {
 public:
  WorkerPool(std::size_t threads, std::size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues `job`; false when the queue is full or the pool is stopping.
  /// Thread-safe.
  bool try_post(std::function<void()> job);
  /// Runs what is queued, then joins the threads. Idempotent.
  void stop();

  std::size_t queued() const;
  std::size_t busy() const;
  std::size_t threads() const { return threads_.size(); }

 private:
  void run();

  const std::size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  std::size_t busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace coproc
