#include "local_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace coproc::net {

bool wait_ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, ms_left(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return true;
  }
}

ssize_t recv_some(int fd, char* buffer, std::size_t len, Clock::time_point deadline, int* err) {
  for (;;) {
    if (!wait_ready(fd, POLLIN, deadline)) {
      *err = ETIMEDOUT;
      return -1;
    }
    ssize_t n;
    do {
      n = ::recv(fd, buffer, len, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n >= 0) return n;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      *err = errno;
      return -1;
    }
  }
}

int connect_local(const std::string& path, int* err) {
  sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    *err = path.empty() ? ENOENT : ENAMETOOLONG;
    return -1;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno == EINPROGRESS) {
    // Not usual for Unix sockets; wait a little for the outcome.
    wait_ready(fd, POLLOUT, Clock::now() + std::chrono::milliseconds(100));
    int so_error = 0;
    socklen_t len = sizeof so_error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error == 0) return fd;
    errno = so_error;
  }
  if (rc != 0) {
    *err = errno;
    ::close(fd);
    return -1;
  }
  return fd;
}

ssize_t send_some(int fd, const char* data, std::size_t size, const int* fds, std::size_t nfds) {
  iovec iov{const_cast<char*>(data), size};
  msghdr msg;
  std::memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (nfds > 0) {
    control.resize(CMSG_SPACE(sizeof(int) * nfds));
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    std::memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  ssize_t n;
  do {
    n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n;
}

int send_all(int fd, std::string_view bytes, const std::vector<int>& fds,
             Clock::time_point deadline) {
  std::size_t sent = 0;
  bool fds_sent = fds.empty();
  while (sent < bytes.size()) {
    const ssize_t n = send_some(fd, bytes.data() + sent, bytes.size() - sent,
                                fds_sent ? nullptr : fds.data(), fds_sent ? 0 : fds.size());
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      if (n > 0) fds_sent = true;
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) return errno;
    if (!wait_ready(fd, POLLOUT, deadline)) return ETIMEDOUT;
  }
  return 0;
}

}  // namespace coproc::net
