#include "notify_receiver.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "endpoint.h"

namespace coproc {

NotifyReceiver::~NotifyReceiver() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

bool NotifyReceiver::open(const std::string& path, uid_t owner, std::string* error) {
  if (path.size() > kMaxSocketPath) {
    *error = "notify socket path is longer than " + std::to_string(kMaxSocketPath) +
             " bytes: " + path;
    return false;
  }
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *error = std::string("socket(): ") + std::strerror(errno);
    return false;
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  ::unlink(path.c_str());
  const mode_t old_umask = ::umask(0177);
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  ::umask(old_umask);
  if (rc != 0) {
    ::close(fd);
    *error = "cannot bind notify socket " + path + ": " + std::strerror(err);
    return false;
  }
  if (owner != static_cast<uid_t>(-1) && ::chown(path.c_str(), owner, static_cast<gid_t>(-1)) != 0) {
    const int e = errno;
    ::close(fd);
    ::unlink(path.c_str());
    *error = "cannot give notify socket " + path + " to uid " + std::to_string(owner) + ": " +
             std::strerror(e);
    return false;
  }
  fd_ = fd;
  path_ = path;
  return true;
}

void NotifyReceiver::drain(const std::function<void(pid_t, std::string_view)>& on_message) {
  if (fd_ < 0) return;
  for (;;) {
    char data[4096];
    iovec iov{data, sizeof data - 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: nothing more
    }
    pid_t sender = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        ucred cred;
        std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
        sender = cred.pid;
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        // Nobody should pass descriptors here; close them.
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
          int passed;
          std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
          ::close(passed);
        }
      }
    }
    on_message(sender, std::string_view(data, static_cast<std::size_t>(n)));
  }
}

}  // namespace coproc
