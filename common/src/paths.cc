#include "paths.h"

#include <sys/stat.h>

#include <cerrno>
#include <system_error>

namespace coproc {

void ensure_directory(const std::string& dir, unsigned mode) {
  if (dir.empty()) return;
  for (std::size_t pos = 1;; ++pos) {
    pos = dir.find('/', pos);
    const std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      throw std::system_error(errno, std::generic_category(), "cannot create directory " + part);
    }
    if (pos == std::string::npos) break;
  }
}

}  // namespace coproc
