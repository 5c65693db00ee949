// Runs a real program for a test on Windows (CreateProcessW): its stdout and
// stderr go to a file, it can be waited for with a timeout and killed
// (TerminateProcess, the Windows counterpart of SIGKILL).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace coproc::test {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Starts `argv` (argv[0] is the program path) with output to
  /// `output_path` and stdin from `input_path` (NUL when empty). Throws
  /// std::runtime_error on failure.
  void start(const std::vector<std::string>& argv, const std::string& output_path,
             const std::string& input_path = "");
  /// The exit code, or -1 when it is still running after `timeout`.
  long wait(std::chrono::milliseconds timeout);
  bool running() const;
  void kill();
  unsigned long pid() const { return pid_; }

 private:
  void* process_ = nullptr;
  unsigned long pid_ = 0;
};

/// True while the process `pid` runs.
bool process_alive(unsigned long pid);

/// Ends the process `pid` with TerminateProcess (exit code 137, as after a
/// kill -9) and waits up to 10 s for it to be gone; false when it cannot be
/// opened.
bool terminate_process(unsigned long pid);

/// Polls `done` every 50 ms until it is true or `limit` passes.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit);

/// The whole content of a file ("" when missing).
std::string read_file(const std::string& path);

/// Path of a build product as this (Windows) process sees it.
std::string bin_path(const std::string& relative);

}  // namespace coproc::test
