// Where things live. Every binary takes --runtime-dir / --state-dir so the
// whole system also runs unprivileged under a temporary folder.
#pragma once

#include <string>

namespace coproc {

struct Paths {
  std::string runtime_dir = "/run/coproc";
  std::string state_dir = "/var/spool/coproc";
  std::string config_file = "/etc/coproc/coproc.conf";

  std::string client_socket() const { return runtime_dir + "/coproc.sock"; }
  std::string control_socket() const { return runtime_dir + "/control.sock"; }
  std::string coprocess_lock() const { return runtime_dir + "/coproc.lock"; }
  std::string service_lock() const { return runtime_dir + "/service.lock"; }
};

/// Creates `dir` (and parents) with `mode` if missing. Throws std::system_error.
void ensure_directory(const std::string& dir, unsigned mode);

}  // namespace coproc
