#include "endpoint.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace coproc {
namespace {

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

bool fill_address(const std::string& path, sockaddr_un* addr, std::string* error) {
  if (path.size() > kMaxSocketPath) {
    *error = "socket path is " + std::to_string(path.size()) + " bytes, longer than the " +
             std::to_string(kMaxSocketPath) + " bytes Unix sockets allow: " + path;
    return false;
  }
  std::memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  std::memcpy(addr->sun_path, path.data(), path.size());
  return true;
}

}  // namespace

bool parse_mode(const std::string& text, unsigned* mode) {
  if (text.empty()) return false;
  char* end = nullptr;
  unsigned long v = std::strtoul(text.c_str(), &end, 8);
  if (*end != '\0' || v > 07777) return false;
  *mode = static_cast<unsigned>(v);
  return true;
}

int listen_unix(const std::string& path, unsigned mode, const std::string& group, int backlog,
                std::string* error) {
  sockaddr_un addr;
  if (!fill_address(path, &addr, error)) return -1;

  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = path + " exists and is not a socket; refusing to replace it";
      return -1;
    }
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) {
      *error = errno_text("socket()", errno);
      return -1;
    }
    int rc = ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int err = errno;
    ::close(probe);
    if (rc == 0) {
      *error = "another process is listening on " + path;
      return -1;
    }
    if (err != ECONNREFUSED) {
      *error = errno_text("cannot probe existing socket " + path, err);
      return -1;
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      *error = errno_text("cannot remove stale socket " + path, errno);
      return -1;
    }
  }

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = errno_text("socket()", errno);
    return -1;
  }
  // Bind with a restrictive umask, then widen to the configured mode, so the
  // socket is never briefly more open than asked.
  const mode_t old_umask = ::umask(0177);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::umask(old_umask);
  if (rc != 0) {
    ::close(fd);
    *error = errno_text("cannot bind " + path, err);
    return -1;
  }
  if (!group.empty()) {
    struct group* gr = ::getgrnam(group.c_str());
    if (!gr || ::chown(path.c_str(), static_cast<uid_t>(-1), gr->gr_gid) != 0) {
      err = gr ? errno : ENOENT;
      ::close(fd);
      ::unlink(path.c_str());
      *error = errno_text("cannot give " + path + " to group '" + group + "'", err);
      return -1;
    }
  }
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0 ||
      ::listen(fd, backlog) != 0) {
    err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    *error = errno_text("cannot listen on " + path, err);
    return -1;
  }
  return fd;
}

std::vector<int> take_listen_fds() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  std::vector<int> out;
  if (pid && fds && std::strtol(pid, nullptr, 10) == static_cast<long>(::getpid())) {
    constexpr int kFirstFd = 3;
    const long count = std::strtol(fds, nullptr, 10);
    for (long i = 0; i < count && i < 64; ++i) out.push_back(kFirstFd + static_cast<int>(i));
  }
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return out;
}

int listen_fd_bound_to(const std::vector<int>& fds, const std::string& path) {
  for (int fd : fds) {
    sockaddr_un addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
        addr.sun_family == AF_UNIX && path == addr.sun_path) {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      return fd;
    }
  }
  return -1;
}

int inherited_listen_fd() {
  const std::vector<int> fds = take_listen_fds();
  if (fds.empty()) return -1;
  ::fcntl(fds.front(), F_SETFD, FD_CLOEXEC);
  return fds.front();
}

}  // namespace coproc
