#include "worker_pool.h"

#include <chrono>

#include <asio/defer.hpp>

namespace coproc {

WorkerPool::WorkerPool(asio::io_context& io, std::size_t loop_threads, std::size_t threads,
                       std::size_t max_queued, std::size_t max_per_owner,
                       std::chrono::microseconds helper_grace)
    : io_(io),
      keep_running_(io.get_executor()),
      loop_threads_(loop_threads < 1 ? 1 : loop_threads),
      limit_(threads),
      max_queued_(max_queued),
      max_per_owner_(max_per_owner < 1 ? 1 : max_per_owner),
      helper_grace_(helper_grace) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { helper(); });
}

WorkerPool::~WorkerPool() { stop(); }

std::size_t WorkerPool::helpers_wanted() const {
  return executing_ + 1 > loop_threads_ ? executing_ + 1 - loop_threads_ : 0;
}

bool WorkerPool::try_post(std::uint32_t owner, std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return false;
    std::size_t& mine = running_per_owner_[owner];
    if (running_ >= limit_ || mine >= max_per_owner_) {
      if (mine == 0) running_per_owner_.erase(owner);
      if (queued_ >= max_queued_) return false;
      auto& list = waiting_[owner];
      if (list.empty()) turns_.push_back(owner);
      list.push_back(std::move(job));
      ++queued_;
      return true;
    }
    ++mine;
    ++running_;
  }
  // From an event-loop thread this runs after the current handler on the
  // same thread (no wake-up); from elsewhere it is an ordinary post.
  asio::defer(io_.get_executor(), [this, owner, job = std::move(job)]() mutable {
    run_jobs(owner, std::move(job));
  });
  return true;
}

bool WorkerPool::take_next(std::uint32_t* owner, std::function<void()>* job) {
  for (auto turn = turns_.begin(); turn != turns_.end(); ++turn) {
    const std::uint32_t candidate = *turn;
    auto running = running_per_owner_.find(candidate);
    if (running != running_per_owner_.end() && running->second >= max_per_owner_) continue;
    auto& list = waiting_[candidate];
    *job = std::move(list.front());
    list.pop_front();
    --queued_;
    turns_.erase(turn);
    if (list.empty()) {
      waiting_.erase(candidate);
    } else {
      turns_.push_back(candidate);  // its next job waits for the others' turns
    }
    ++running_per_owner_[candidate];
    *owner = candidate;
    return true;
  }
  return false;
}

void WorkerPool::run_jobs(std::uint32_t owner, std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++executing_;
    // Into standby (helper()); a helper already there decides at its end.
    if (!standby_ && helpers_in_loop_ < helpers_wanted()) helper_wake_.notify_one();
  }
  for (;;) {
    job();
    job = nullptr;  // its captures are released outside the lock
    std::lock_guard<std::mutex> lock(mutex_);
    auto mine = running_per_owner_.find(owner);
    if (--mine->second == 0) running_per_owner_.erase(mine);
    if (!take_next(&owner, &job)) {
      --running_;
      --executing_;
      return;
    }
  }
}

void WorkerPool::helper() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    helper_wake_.wait(lock, [&] {
      return stopping_ || (!io_.stopped() && !standby_ && helpers_in_loop_ < helpers_wanted());
    });
    if (stopping_) return;
    // Standby: join the loop only if a job still holds the last loop thread
    // after the grace (no one is notified when a job ends; the grace is short).
    standby_ = true;
    const bool need_gone = helper_wake_.wait_for(lock, helper_grace_, [&] {
      return stopping_ || io_.stopped() || helpers_in_loop_ >= helpers_wanted();
    });
    standby_ = false;
    if (stopping_) return;
    if (need_gone) continue;
    ++helpers_in_loop_;
    // More jobs may block more threads: the next helper goes into standby.
    if (helpers_in_loop_ < helpers_wanted()) helper_wake_.notify_one();
    for (;;) {
      lock.unlock();
      // One handler, or a tenth of a second without any: a helper no longer
      // needed (or told to stop) leaves soon even when the loop is quiet.
      io_.run_one_for(std::chrono::milliseconds(100));
      lock.lock();
      if (stopping_ || io_.stopped() || helpers_in_loop_ > helpers_wanted()) break;
    }
    --helpers_in_loop_;
    // What a handler queues for its own thread (Asio's thread-private queue:
    // a deferred job, the next step of a write) moves to the shared queue
    // when run_one returns, and no thread is woken for it. io.run() would
    // take it next; a helper that parks must run it first, or it waits for
    // the next socket event. poll() runs everything ready, then returns.
    if (!io_.stopped()) {
      lock.unlock();
      io_.poll();
      lock.lock();
    }
  }
}

void WorkerPool::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  helper_wake_.notify_all();
  keep_running_.reset();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::size_t WorkerPool::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queued_;
}

std::size_t WorkerPool::helpers_running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return helpers_in_loop_;
}

std::size_t WorkerPool::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

}  // namespace coproc
