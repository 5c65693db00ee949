// Starts a real program for an integration test and makes sure it is gone
// when the test ends.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace coproc::test {

/// Path of a binary built by this tree, e.g. bin_path("coprocess").
std::string bin_path(const std::string& name);

class TestProcess {
 public:
  struct Options {
    std::vector<std::string> argv;      // argv[0] is the program path
    std::vector<std::string> env;       // extra NAME=value entries
    std::string output_path;            // stdout+stderr go here ("" = inherit)
  };

  TestProcess() = default;
  explicit TestProcess(const Options& options);
  TestProcess(TestProcess&& other) noexcept;
  TestProcess& operator=(TestProcess&& other) noexcept;
  ~TestProcess();

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  /// Waits for the exit; returns the wait status, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  /// SIGTERM, wait up to `grace`, then SIGKILL. Returns the wait status.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

/// Polls `condition` every few ms until it is true or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

/// Resident set size of a process in KiB (from /proc), or -1.
long rss_kib(pid_t pid);

/// Number of open descriptors of a process (from /proc), or -1.
int count_open_fds(pid_t pid);

/// Memory bounds are stated for the normal build. Under AddressSanitizer the
/// same code carries shadow memory and a 256 MiB free quarantine, so tests
/// built with COPROC_SANITIZE check the bound multiplied by this factor.
constexpr long kMemoryBoundFactor = COPROC_SANITIZED ? 3 : 1;

}  // namespace coproc::test
