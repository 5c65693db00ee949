// The service's control endpoint (control.sock, \\.\pipe\coproc-control on
// Windows): the same MessagePack-RPC server as the co-process (rpc/), serving
// sys.hello / sys.ping and
// svc.launch, svc.status, svc.restart (admin) on top of the Supervisor.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <asio.hpp>

#include "config.h"
#include "dispatcher.h"
#include "rpc_host.h"
#include "server_stats.h"
#include "supervisor.h"
#include "worker_pool.h"

namespace coproc {

struct ControlSettings {
  std::string version;
  std::chrono::milliseconds default_launch_deadline{40000};
};

/// Registers svc.launch, svc.status and svc.restart. `supervisor` and
/// `stats` must outlive the dispatcher's use.
void register_control_methods(Dispatcher& dispatcher, Supervisor& supervisor,
                              const ControlSettings& settings, const ServerStats& stats);

class ControlServer {
 public:
  /// `supervisor` must outlive this object.
  ControlServer(const Config& config, Supervisor& supervisor, ControlSettings settings);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  /// Serves `target` (a listening socket, owned from now on, or on Windows
  /// the control pipe) on its own thread.
  void start(ListenTarget target);
  /// Stops accepting new connections; thread-safe.
  void stop_accepting();
  /// Answers what is in flight (up to `grace`), closes everything and joins
  /// the threads. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

  asio::io_context& io() { return host_.io(); }

 private:
  RpcHost host_{16, 4096};
  ServerSettings settings_;
};

}  // namespace coproc
