// Starting one co-process generation on Windows: CreateProcessW, suspended
// until it sits in its own job object (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE:
// when the service ends, however it ends, the co-process and anything it
// started end with it), stdout and stderr into a pipe the service reads
// (overlapped), stdin from NUL, and only those handles inherited
// (PROC_THREAD_ATTRIBUTE_HANDLE_LIST). No console window, no user session:
// it runs where the service runs, in session 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace coproc {

struct WinSpawnSpec {
  std::string path;               // program to execute (UTF-8)
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // NAME=value, the whole environment
};

struct WinChild {
  void* process = nullptr;  // HANDLE
  void* job = nullptr;      // HANDLE of its job object
  void* output = nullptr;   // HANDLE: read end of its stdout+stderr, overlapped
  std::uint32_t pid = 0;
};

/// Starts the child. False with a sentence in `error` (nothing is left open).
bool spawn_child(const WinSpawnSpec& spec, WinChild* out, std::string* error);
/// Closes every handle of `child` (closing the job kills what is left in it).
void close_child(WinChild* child);

/// Our environment as NAME=value strings, minus the names in `dropped`
/// (each given as "NAME=").
std::vector<std::string> current_environment(const std::vector<std::string>& dropped);

/// "exited with status N", or for an NTSTATUS exception code
/// "crashed with exception 0xC0000005 (access violation)".
std::string describe_exit_code(std::uint32_t code);

}  // namespace coproc
