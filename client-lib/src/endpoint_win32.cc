// Default endpoints on Windows: named pipes (the co-process's
// server.pipe_name, \\.\pipe\coproc, and the service's \\.\pipe\coproc-control).
// A name without the \\.\pipe\ prefix gets it when connecting.
#include <cstdlib>
#include <string>

#include "coproc/client.hpp"

namespace coproc {

std::string default_endpoint() {
  if (const char* e = std::getenv("COPROC_ENDPOINT"); e && *e) return e;
  return R"(\\.\pipe\coproc)";
}

// As on POSIX, control.sock "in the endpoint's directory" when the pipe name
// has one (\\.\pipe\dir/coproc.sock -> \\.\pipe\dir/control.sock; tests give each
// run such a name); otherwise the pipe's name + "-control".
std::string default_control_endpoint(const std::string& endpoint) {
  if (const char* e = std::getenv("COPROC_CONTROL_ENDPOINT"); e && *e) return e;
  const auto slash = endpoint.rfind('/');
  if (slash == std::string::npos) return endpoint + "-control";
  return endpoint.substr(0, slash + 1) + "control.sock";
}

}  // namespace coproc
