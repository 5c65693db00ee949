#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "local_file.h"

namespace coproc::local {

bool open_attachment(const std::string& path, OpenedFile* out, std::string* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    *error = "it is a directory";
    return false;
  }
  out->fd = fd;
  return true;
}

void rewind(int fd) noexcept {
  if (fd >= 0) ::lseek(fd, 0, SEEK_SET);
}

void close(int fd) noexcept {
  if (fd >= 0) ::close(fd);
}

std::string base_name(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace coproc::local
