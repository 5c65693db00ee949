#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "secret_file.h"

namespace coproc {

bool secret_file_is_private(const std::string& path, std::string* error) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  if ((st.st_mode & 0007) == 0) return true;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  *error = path + " is open to other users (mode " + mode +
           "); make it 0600 or 0640 (owner root, group coproc)";
  return false;
}

}  // namespace coproc
