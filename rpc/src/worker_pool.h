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
// the loop, so that a thread serves sockets again at most `helper_grace`
// after a job took the last one: helpers needed = jobs running - loop
// threads + 1. A helper wakes into standby and joins the loop only when the
// need outlasts the grace: a quick blocking call (a kept-alive HTTP request
// to a local server blocks some 40 us) then costs no hand-off to a helper
// and back (2 voluntary context switches and ~17 us per request,
// docs/benchmarks.md). When no job runs, the helpers sleep and only the
// `loop_threads` serve the sockets; more threads taking turns on two cores
// would only make a flood slower for everyone.
//
// At most `threads` jobs run at once; the rest wait in a bounded queue, and
// when it is full new work is refused (the caller answers `unavailable`).
//
// Fairness between owners (the caller's uid): one owner runs at most
// `max_per_owner` jobs at once, so another owner's call finds a free thread
// even while the first keeps every slot it may have busy with slow work; and
// waiting jobs are taken round-robin between owners, so a long queue of one
// owner's jobs does not delay another's next job behind all of them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
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
  /// `max_per_owner`: jobs of one owner running at once (at least 1).
  /// `helper_grace`: how long a job may hold the last loop thread before a
  /// helper takes over the loop.
  WorkerPool(asio::io_context& io, std::size_t loop_threads, std::size_t threads,
             std::size_t max_queued, std::size_t max_per_owner = SIZE_MAX,
             std::chrono::microseconds helper_grace = std::chrono::milliseconds(1));
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Runs `job` on a thread running `io`, at most `threads()` at once; the
  /// rest wait in the queue. False when the queue is full or the pool is
  /// stopping. Thread-safe.
  bool try_post(std::function<void()> job) { return try_post(0, std::move(job)); }
  /// The same for a job of `owner` (a uid), under the per-owner limit.
  bool try_post(std::uint32_t owner, std::function<void()> job);
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
  /// Runs `job`, then whatever queued up meanwhile that may run.
  void run_jobs(std::uint32_t owner, std::function<void()> job);
  /// The next waiting job whose owner is below its limit, round-robin
  /// between owners; false when none may run. Under mutex_.
  bool take_next(std::uint32_t* owner, std::function<void()>* job);
  void helper();
  /// Helpers that should be running the loop now; under mutex_.
  std::size_t helpers_wanted() const;

  asio::io_context& io_;
  asio::executor_work_guard<asio::io_context::executor_type> keep_running_;
  const std::size_t loop_threads_;
  const std::size_t limit_;
  const std::size_t max_queued_;
  const std::size_t max_per_owner_;
  const std::chrono::microseconds helper_grace_;
  mutable std::mutex mutex_;
  std::condition_variable helper_wake_;
  std::map<std::uint32_t, std::deque<std::function<void()>>> waiting_;  // per owner, in order
  std::deque<std::uint32_t> turns_;  // owners with waiting jobs, next turn first
  std::map<std::uint32_t, std::size_t> running_per_owner_;
  std::size_t queued_ = 0;
  std::size_t running_ = 0;    // accepted, not finished
  std::size_t executing_ = 0;  // threads inside a job
  std::size_t helpers_in_loop_ = 0;
  bool standby_ = false;  // a helper waits out the grace before joining the loop
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace coproc
