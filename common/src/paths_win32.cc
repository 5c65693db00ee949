// ensure_directory() on Windows (paths.cc has the POSIX one): the mode has
// no meaning there; the directory inherits its parent's ACL.
#include <filesystem>
#include <system_error>

#include "paths.h"

namespace coproc {

void ensure_directory(const std::string& dir, unsigned /*mode*/) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::u8path(dir), ec);
  if (ec) throw std::system_error(ec, "cannot create directory " + dir);
}

}  // namespace coproc
