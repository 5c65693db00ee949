// POSIX: a private runtime dir, flock() on coproc.lock, then the Unix socket
// coproc.sock — bound here, or handed over by coproc-service / systemd
// (LISTEN_FDS).
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_endpoint.h"
#include "endpoint.h"
#include "instance_lock.h"
#include "log.h"
#include "process_limits.h"
#include "rpc_server.h"
#include "socket_access.h"

namespace coproc {

// Descriptors the co-process needs besides client connections: logs, the
// outbox, SMTP and HTTP connections, eventfds and timers.
constexpr long kReservedFiles = 64;

struct ClientEndpoint::State {
  Paths paths;
  InstanceLock lock;
  int listen_fd = -1;
  bool own_socket = false;
  long max_files = 0;
};

ClientEndpoint::ClientEndpoint() : state_(std::make_unique<State>()) {}
ClientEndpoint::~ClientEndpoint() = default;

int ClientEndpoint::open(const Paths& paths, const Config& config) {
  State& s = *state_;
  s.paths = paths;
  ::signal(SIGPIPE, SIG_IGN);
  try {
    ensure_directory(paths.runtime_dir, 0755);
    ensure_directory(paths.state_dir, 0750);
  } catch (const std::exception& e) {
    COPROC_LOG(error, "main", e.what());
    return 1;
  }

  std::string error;
  if (!check_private_directory(paths.runtime_dir, &error)) {
    COPROC_LOG(error, "main", "cannot start: unsafe runtime dir: " << error);
    return 1;
  }
  s.max_files = raise_open_files_limit();
  const long max_connections = config.integer("server.max_connections");
  if (s.max_files > 0 && s.max_files < max_connections + kReservedFiles) {
    COPROC_LOG(warn, "main", "server.max_connections is " << max_connections << " but only "
                                 << s.max_files << " files may be open (RLIMIT_NOFILE): beyond about "
                                 << s.max_files - kReservedFiles
                                 << " connections, new clients wait in the listen backlog");
  }

  // A handed-over socket (from coproc-service or systemd) or our own.
  s.listen_fd = inherited_listen_fd();
  s.own_socket = s.listen_fd < 0;
  if (!s.lock.try_acquire(paths.coprocess_lock(), &error)) {
    COPROC_LOG(error, "main", "cannot start: " << error);
    if (s.listen_fd >= 0) ::close(s.listen_fd);
    return 1;
  }
  s.lock.write_pid();
  if (s.own_socket) {
    SocketAccess access;
    if (!socket_access_from_config(config, &access, &error)) {
      COPROC_LOG(error, "main", "cannot start: " << error);
      return 2;
    }
    s.listen_fd = listen_unix(paths.client_socket(), access.mode, access.group, SOMAXCONN, &error);
    if (s.listen_fd < 0) {
      COPROC_LOG(error, "main", "cannot start: " << error);
      return 1;
    }
  }
  return -1;
}

void ClientEndpoint::serve(RpcServer& server) { server.listen(state_->listen_fd); }

std::string ClientEndpoint::description() const {
  return state_->paths.client_socket() + (state_->own_socket ? "" : " (socket handed over)") +
         " max_open_files=" + std::to_string(state_->max_files);
}

void ClientEndpoint::remove() {
  if (state_->own_socket) ::unlink(state_->paths.client_socket().c_str());
}

}  // namespace coproc
