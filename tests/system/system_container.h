// A booted Debian system (systemd as PID 1) in a systemd-nspawn container
// for the system tests: the root file system comes from scripts/system-rootfs
// (built once, cached), runs on a throw-away overlay, and sees this source
// and build tree at the same paths as the host. tests/system/container.sh
// does the work; this class boots in its constructor and always powers the
// container off in its destructor.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace coproc::test {

struct RunResult {
  int status = -1;     // exit status of the command, -1 if it did not exit normally
  std::string output;  // stdout and stderr, interleaved
};

/// Quotes `s` for a POSIX shell ('...' with embedded quotes escaped).
std::string shell_quote(const std::string& s);

class SystemContainer {
 public:
  /// Boots the container; `boot_args` go to `container.sh boot` (e.g.
  /// "--bind-ro", "HOST:CONTAINER"). Throws std::runtime_error with the
  /// console log when it does not reach "running" or "degraded".
  explicit SystemContainer(const std::vector<std::string>& boot_args = {});
  ~SystemContainer();  // powers off (SIGKILL after a deadline)
  SystemContainer(const SystemContainer&) = delete;
  SystemContainer& operator=(const SystemContainer&) = delete;

  /// Runs `script` with bash as root inside the container, killed after
  /// `timeout`.
  RunResult run(const std::string& script,
                std::chrono::seconds timeout = std::chrono::seconds(120)) const;
  /// Runs `script` in a login session of `user` (su -l: PAM, logind session),
  /// which ends when the script ends.
  RunResult run_as_login(const std::string& user, const std::string& script,
                         std::chrono::seconds timeout = std::chrono::seconds(120)) const;
  /// Runs `script` until it exits 0 or `timeout` passes; true if it did.
  bool wait_for(const std::string& script, std::chrono::seconds timeout) const;

  /// Host path of the source tree and of the build tree (same inside).
  static std::string source_dir();
  static std::string build_dir();

  /// What the container printed while booting and running.
  std::string console_log() const;

 private:
  TempDir state_;
  std::string helper_;
};

}  // namespace coproc::test
