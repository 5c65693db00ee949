// Default endpoints on POSIX systems: Unix socket paths.
#include <cstdlib>
#include <string>

#include "coproc/client.hpp"

namespace coproc {

std::string default_endpoint() {
  if (const char* e = std::getenv("COPROC_ENDPOINT"); e && *e) return e;
  if (const char* d = std::getenv("COPROC_RUNTIME_DIR"); d && *d) {
    return std::string(d) + "/coproc.sock";
  }
  return "/run/coproc/coproc.sock";
}

std::string default_control_endpoint(const std::string& endpoint) {
  if (const char* e = std::getenv("COPROC_CONTROL_ENDPOINT"); e && *e) return e;
  const auto slash = endpoint.rfind('/');
  if (slash == std::string::npos) return "control.sock";
  return endpoint.substr(0, slash + 1) + "control.sock";
}

}  // namespace coproc
