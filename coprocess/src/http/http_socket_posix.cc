#include "http_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace coproc::http {

// One poll(2): Poco's Socket::poll creates, fills and closes an epoll
// instance for every call, four system calls per check.
bool socket_has_input(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;  // readable, hung up, in error, or poll failed
}

std::intptr_t duplicate_socket(int fd, unsigned long* identity) {
  struct stat st {};
  *identity = ::fstat(fd, &st) == 0 ? static_cast<unsigned long>(st.st_ino) : 0;
  return ::dup(fd);
}

void shutdown_socket(std::intptr_t handle) {
  if (handle >= 0) ::shutdown(static_cast<int>(handle), SHUT_RDWR);
}

void close_socket(std::intptr_t handle) {
  if (handle >= 0) ::close(static_cast<int>(handle));
}

bool open_for_writing(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ((flags & O_ACCMODE) == O_WRONLY || (flags & O_ACCMODE) == O_RDWR);
}

}  // namespace coproc::http
