// Where handlers that block (disk, network) run.
//
// The pool adds `threads` threads to the ones running the event loop's
// io_context, and lets at most `threads` jobs run at once. So at least
// `server.io_threads` threads are always free to serve sockets, whatever the
// jobs do: the event loop never waits for a blocking handler.
//
// A job posted by an event-loop handler (the request was just decoded) is
// deferred to the same thread, which runs it right after that handler while
// a free thread takes over the event loop. A call therefore costs no thread
// hand-off on top of the RPC round trip: with a separate pool, waking a
// worker and then waking the event loop again for the answer took longer
// than a whole keep-alive HTTP request to a local server (docs/benchmarks.md).
//
// Beyond the limit, jobs wait in a bounded queue; when it is full, new work
// is refused rather than buffered without bound, and the caller answers
// `unavailable`.
#pragma once

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
  /// Starts `threads` threads running `io`; they keep running it until
  /// stop() (or until `io` is stopped).
  WorkerPool(asio::io_context& io, std::size_t threads, std::size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Runs `job` on an io_context thread, at most `threads()` at once; the
  /// rest wait in the queue. False when the queue is full or the pool is
  /// stopping. Thread-safe.
  bool try_post(std::function<void()> job);
  /// Takes no more jobs, lets the accepted ones finish (as long as the
  /// io_context runs) and joins the pool's threads. Idempotent.
  void stop();

  std::size_t queued() const;
  std::size_t busy() const;
  std::size_t threads() const { return limit_; }

 private:
  /// Runs `job`, then whatever queued up meanwhile.
  void run_jobs(std::function<void()> job);

  asio::io_context& io_;
  asio::executor_work_guard<asio::io_context::executor_type> keep_running_;
  const std::size_t limit_;
  const std::size_t max_queued_;
  mutable std::mutex mutex_;
  std::deque<std::function<void()>> queue_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace coproc
