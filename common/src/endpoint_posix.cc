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

int inherited_listen_fd() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (!pid || !fds) return -1;
  const bool ours = std::strtol(pid, nullptr, 10) == static_cast<long>(::getpid()) &&
                    std::strtol(fds, nullptr, 10) >= 1;
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (!ours) return -1;
  constexpr int kFirstFd = 3;
  ::fcntl(kFirstFd, F_SETFD, FD_CLOEXEC);
  return kFirstFd;
}

}  // namespace coproc
