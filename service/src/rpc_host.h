// An RPC server of the service with the threads that run it: one event-loop
// thread, a small worker pool, the method table, and one server per
// listening endpoint. The control endpoint (control_server.h) and the
// configuration-error answerer (config_error_server.h) are each one.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <asio.hpp>

#include "dispatcher.h"
#include "rpc_server.h"
#include "server_stats.h"
#include "worker_pool.h"

namespace coproc {

class RpcHost {
 public:
  RpcHost(std::size_t worker_threads, std::size_t max_queued);
  ~RpcHost();
  RpcHost(const RpcHost&) = delete;
  RpcHost& operator=(const RpcHost&) = delete;

  /// Filled before start().
  Dispatcher& dispatcher() { return dispatcher_; }
  ServerStats& stats() { return stats_; }
  WorkerPool& workers() { return workers_; }
  asio::io_context& io() { return io_; }

  /// Serves each target (a listening socket, owned from now on, or on
  /// Windows a pipe) on the event-loop thread.
  void start(std::vector<ListenTarget> targets, const ServerSettings& settings);
  /// Stops accepting new connections; thread-safe.
  void stop_accepting();
  /// Answers what is in flight (up to `grace`), closes everything and joins
  /// the threads. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  ServerStats stats_;
  Dispatcher dispatcher_;
  WorkerPool workers_;
  std::vector<std::unique_ptr<RpcServer>> servers_;
  std::thread thread_;
  bool shut_down_ = false;
};

}  // namespace coproc
