// What the service does when its configuration is wrong but systemd has
// already passed it the listening sockets (coproc.socket): instead of
// exiting — which leaves clients waiting in the sockets' backlogs for their
// whole connect deadline while systemd restarts it — it answers every
// request on both sockets, sys.hello included, with `unavailable` and the
// configuration error (file:line: message). It stays so until it is stopped
// or restarted (`systemctl restart coproc` after fixing the file).
#pragma once

#include <string>
#include <vector>

#include "rpc_host.h"

namespace coproc {

class ConfigErrorServer {
 public:
  /// `error` is what clients are told, e.g. "/etc/coproc/coproc.conf:3: ...".
  explicit ConfigErrorServer(const std::string& error);

  /// Answers on `targets` (listening sockets, owned from now on) on a thread.
  void start(std::vector<ListenTarget> targets);
  void shutdown(std::chrono::milliseconds grace) { host_.shutdown(grace); }
  asio::io_context& io() { return host_.io(); }

 private:
  RpcHost host_{1, 64};
};

}  // namespace coproc
