// Runs a real program for a test on Windows (CreateProcessW): its stdout and
// stderr go to a file, it can be waited for with a timeout and killed
// (TerminateProcess, the Windows counterpart of SIGKILL).
#pragma once

#include <chrono>
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

/// The whole content of a file ("" when missing).
std::string read_file(const std::string& path);

/// Path of a build product as this (Windows) process sees it.
std::string bin_path(const std::string& relative);

}  // namespace coproc::test
