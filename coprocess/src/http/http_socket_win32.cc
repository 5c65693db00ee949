#include "http_socket.h"

#include <winsock2.h>

namespace coproc::http {

bool socket_has_input(int fd) {
  WSAPOLLFD p{};
  p.fd = static_cast<SOCKET>(fd);
  p.events = POLLRDNORM;
  return ::WSAPoll(&p, 1, 0) != 0;  // readable, hung up, in error, or the poll failed
}

}  // namespace coproc::http
