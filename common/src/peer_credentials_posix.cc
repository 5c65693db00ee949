#include "peer_credentials.h"

#include <sys/socket.h>

namespace coproc {

bool read_peer_credentials(int socket_fd, PeerCredentials* out) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
    return false;
  }
  out->uid = cred.uid;
  out->gid = cred.gid;
  out->pid = cred.pid;
  return true;
}

}  // namespace coproc
