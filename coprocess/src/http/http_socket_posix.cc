#include "http_socket.h"

#include <poll.h>

namespace coproc::http {

// One poll(2): Poco's Socket::poll creates, fills and closes an epoll
// instance for every call, four system calls per check.
bool socket_has_input(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;  // readable, hung up, in error, or poll failed
}

}  // namespace coproc::http
