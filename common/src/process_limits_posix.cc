#include "process_limits.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace coproc {

long raise_open_files_limit(long wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return -1;
  const rlim_t want = wanted > 0 ? static_cast<rlim_t>(wanted) : 0;
  if (want > lim.rlim_max) {
    const rlimit raised{want, want};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return wanted;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  return static_cast<long>(lim.rlim_cur);
}

bool check_private_directory(const std::string& dir, std::string* error) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) {
    *error = dir + ": " + std::strerror(errno);
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    *error = dir + " is not a directory (a symlink is not accepted)";
    return false;
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    *error = dir + " is owned by uid " + std::to_string(st.st_uid) + ", not by uid " +
             std::to_string(::geteuid()) + " or root";
    return false;
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    *error = dir + " is writable by group or others (mode " + mode +
             "); another user could replace the sockets";
    return false;
  }
  return true;
}

}  // namespace coproc
