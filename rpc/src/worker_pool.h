// Where handlers that block (disk, network) run.
//
// On the event loop's own threads, with stand-in threads for the loop.
// A job posted by an event-loop handler (a request was just decoded) is
// deferred to that same thread, which runs it right after the handler: a
// call costs no thread hand-off on top of the RPC round trip. With a
// separate pool, waking a worker and then waking the event loop again for
// the answer took longer than a whole keep-alive HTTP request to a local
// server (docs/benchmarks.md).
//
// While jobs block loop threads, the pool's helper threads step in and run
// the loop, so that at least one thread always serves sockets: helpers
// needed = jobs running - loop threads + 1. When no job runs, the helpers
// sleep and only the `loop_threads` serve the sockets; more threads taking
// turns on two cores would only make a flood slower for everyone.
//
// At most `threads` jobs run at once; the rest wait in a bounded queue, and
// when it is full new work is refused (the caller answers `unavailable`).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

namespace coproc {

class WorkerPool {
 public:
  /// `loop_threads`: how many threads the owner runs `io` on (at least 1;
  /// jobs are only run by threads running `io`). Starts `threads` helper
  /// threads, which run `io` only while jobs block the loop's threads.
  WorkerPool(asio::io_context& io, std::size_t loop_threads, std::size_t threads,
             std::size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Runs `job` on a thread running `io`, at most `threads()` at once; the
  /// rest wait in the queue. False when the queue is full or the pool is
  /// stopping. Thread-safe.
  bool try_post(std::function<void()> job);
  /// Takes no more jobs and joins the helper threads; jobs already accepted
  /// finish on whichever thread runs `io`. Idempotent.
  void stop();

  std::size_t queued() const;
  /// Jobs accepted and not finished (running, or about to run).
  std::size_t busy() const;
  std::size_t threads() const { return limit_; }
  /// Helper threads running the loop right now.
  std::size_t helpers_running() const;

 private:
  /// Runs `job`, then whatever queued up meanwhile.
  void run_jobs(std::function<void()> job);
  void helper();
  /// Helpers that should be running the loop now; under mutex_.
  std::size_t helpers_wanted() const;

  asio::io_context& io_;
  asio::executor_work_guard<asio::io_context::executor_type> keep_running_;
  const std::size_t loop_threads_;
  const std::size_t limit_;
  const std::size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable helper_wake_;
  std::deque<std::function<void()>> queue_;
  std::size_t running_ = 0;    // accepted, not finished
  std::size_t executing_ = 0;  // threads inside a job
  std::size_t helpers_in_loop_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace coproc
