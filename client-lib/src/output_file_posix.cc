#include "output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace coproc {

bool OutputFile::open(const std::string& path, std::string* error) {
  finish(false);
  path_ = path;
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  } else {
    temp_ = path + ".coproc-XXXXXX";
    fd_ = ::mkostemp(&temp_[0], O_CLOEXEC);
    if (fd_ >= 0) {
      const mode_t mask = ::umask(0);
      ::umask(mask);
      ::fchmod(fd_, exists ? (st.st_mode & 07777) : (0666 & ~mask));
    } else {
      temp_.clear();
    }
  }
  if (fd_ < 0) *error = "cannot open output file '" + path + "': " + std::strerror(errno);
  return fd_ >= 0;
}

bool OutputFile::write(std::string_view body, std::string* error) {
  std::size_t done = 0;
  while (done < body.size()) {
    const ssize_t n = ::write(fd_, body.data() + done, body.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = "cannot write output file '" + path_ + "': " + std::strerror(errno);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void OutputFile::finish(bool ok) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (temp_.empty()) return;
  if (!ok || ::rename(temp_.c_str(), path_.c_str()) != 0) ::unlink(temp_.c_str());
  temp_.clear();
}

}  // namespace coproc
