#include "worker_pool.h"

#include <asio/defer.hpp>

namespace coproc {

WorkerPool::WorkerPool(asio::io_context& io, std::size_t threads, std::size_t max_queued)
    : io_(io), keep_running_(io.get_executor()), limit_(threads), max_queued_(max_queued) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::try_post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return false;
    if (running_ >= limit_) {
      if (queue_.size() >= max_queued_) return false;
      queue_.push_back(std::move(job));
      return true;
    }
    ++running_;
  }
  // From an event-loop thread this runs after the current handler on the
  // same thread (no wake-up); from elsewhere it is an ordinary post.
  asio::defer(io_.get_executor(), [this, job = std::move(job)]() mutable { run_jobs(std::move(job)); });
  return true;
}

void WorkerPool::run_jobs(std::function<void()> job) {
  for (;;) {
    job();
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.empty()) {
      --running_;
      return;
    }
    job = std::move(queue_.front());
    queue_.pop_front();
  }
}

void WorkerPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  keep_running_.reset();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::size_t WorkerPool::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

std::size_t WorkerPool::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

}  // namespace coproc
