// The MessagePack-RPC server: accepts local connections on a listening
// socket it is handed, runs one RpcConnection per client and keeps the
// per-user accounting. Used by the co-process (coproc.sock) and by the
// service (control.sock).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <asio.hpp>

#include "config.h"
#include "dispatcher.h"
#include "local_transport.h"
#include "server_stats.h"
#include "stream_decoder.h"
#include "worker_pool.h"

namespace coproc {

class RpcConnection;

struct ServerSettings {
  rpc::DecodeLimits decode;
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_uid = 1024;
  std::size_t max_in_flight_per_connection = 64;
  std::size_t max_in_flight_per_uid = 1024;
  std::size_t max_output_bytes = 1u << 20;
  /// Bytes all connections together may hold in partly received messages
  /// and unsent answers; beyond it the biggest holders are closed. 0 = none.
  std::size_t memory_budget = 256u << 20;
  std::chrono::milliseconds handshake_timeout{10000};  // 0 = none
  std::chrono::milliseconds idle_timeout{0};           // 0 = none
  std::string admin_group;                             // besides uid 0
  std::string component = "rpc";                      // log component name

  /// Reads server.* and limits.* (and service.admin_group).
  static ServerSettings from_config(const Config& config);
};

class RpcServer {
 public:
  RpcServer(asio::io_context& io, const Dispatcher& dispatcher, WorkerPool& workers,
            ServerSettings settings, ServerStats& stats);
  ~RpcServer();
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  /// Starts accepting on `target`: an already listening Unix stream socket
  /// (the server takes ownership of the fd) or, on Windows, a named pipe.
  void listen(ListenTarget target);
  /// Stops accepting; the listening socket is closed. Thread-safe.
  void stop_accepting();
  /// Stops reading new requests everywhere, waits until in-flight calls are
  /// answered (or `grace` passes), closes every connection, then calls
  /// `done` on the io_context. Thread-safe.
  void shutdown(std::chrono::milliseconds grace, std::function<void()> done);

  struct Usage {
    std::size_t connections = 0;
    std::size_t in_flight = 0;
  };
  /// Connections and calls in flight per uid, now.
  std::map<std::uint32_t, Usage> usage_by_uid() const;

  const ServerSettings& settings() const { return settings_; }
  ServerStats& stats() { return stats_; }
  const Dispatcher& dispatcher() const { return dispatcher_; }
  WorkerPool& workers() { return workers_; }

  // Used by RpcConnection.
  bool admit_request(std::uint32_t uid);    // per-uid in-flight accounting
  void request_done(std::uint32_t uid);
  void connection_closed(const std::shared_ptr<RpcConnection>& c);
  /// A connection's held bytes changed by `delta`. Over the memory budget,
  /// closes the connections holding the most (Redis's client eviction) until
  /// what remains fits, and logs each. Thread-safe.
  void memory_changed(std::int64_t delta);
  /// Bytes held by all connections now.
  std::size_t memory_held() const { return static_cast<std::size_t>(stats_.memory_held.load()); }
  std::uint64_t next_request_id() { return ++request_ids_; }
  bool is_admin(std::uint32_t uid, std::uint32_t gid) const;

 private:
  void accept_next();
  void on_accept(const std::error_code& ec, LocalStream socket, const PeerCredentials& peer);
  void resolve_admin_group();  // platform file: rpc_server_posix.cc / _win32.cc
  void poll_drained(std::chrono::steady_clock::time_point deadline, std::function<void()> done);
  void evict_biggest_holders();

  asio::io_context& io_;
  const Dispatcher& dispatcher_;
  WorkerPool& workers_;
  ServerSettings settings_;
  ServerStats& stats_;
  LocalAcceptor acceptor_;
  asio::steady_timer drain_timer_;
  asio::steady_timer accept_retry_timer_;
  std::atomic<std::uint64_t> request_ids_{0};
  std::uint64_t connection_ids_ = 0;

  mutable std::mutex mutex_;  // guards the members below
  std::set<std::shared_ptr<RpcConnection>> connections_;
  std::map<std::uint32_t, std::size_t> connections_per_uid_;
  std::map<std::uint32_t, std::size_t> in_flight_per_uid_;
  std::uint32_t admin_gid_ = static_cast<std::uint32_t>(-1);
};

}  // namespace coproc
