#include "coprocess_path.h"

#include <limits.h>
#include <unistd.h>

#ifndef COPROC_INSTALLED_COPROCESS
#define COPROC_INSTALLED_COPROCESS "/usr/libexec/coproc/coprocess"
#endif

namespace coproc {
std::string executable_dir() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<std::size_t>(n));
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string locate_coprocess(const std::string& configured, std::vector<std::string>* tried) {
  std::vector<std::string> candidates;
  if (!configured.empty()) {
    candidates.push_back(configured);
  } else {
    const std::string dir = executable_dir();
    candidates = {dir + "/coprocess", dir + "/../coprocess/coprocess",
                  dir + "/../libexec/coproc/coprocess", COPROC_INSTALLED_COPROCESS};
  }
  for (const auto& c : candidates) {
    tried->push_back(c);
    if (::access(c.c_str(), X_OK) == 0) {
      char real[PATH_MAX];
      return ::realpath(c.c_str(), real) ? std::string(real) : c;
    }
  }
  return "";
}

}  // namespace coproc
