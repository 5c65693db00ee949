// Starting one co-process generation: fork + exec with the client listening
// socket on fd 3 (LISTEN_FDS=1, LISTEN_PID=<its own pid>), stderr piped back
// to the service, a new session, and — when the service runs as root — the
// unprivileged user set before exec. Poco::Process::launch closes every fd
// >= 3 and posix_spawn cannot put the child's own pid into its environment,
// hence fork + exec with only async-signal-safe calls in the child.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace coproc {

struct RunAsUser {
  bool drop = false;  // false: keep the service's identity
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups (as initgroups would set)
};

/// Looks a user up (name, primary group, supplementary groups). False with a
/// sentence in `error` when there is no such user.
bool resolve_user(const std::string& name, RunAsUser* out, std::string* error);

/// The child's descriptor from which it reads `SpawnSpec::secrets`.
constexpr int kSecretsFd = 4;

struct SpawnSpec {
  std::string path;               // program to execute
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // NAME=value; LISTEN_* are added here
  int listen_fd = -1;             // becomes fd 3 when >= 0
  /// When not empty: written to a pipe whose read end becomes fd
  /// kSecretsFd of the child (up to 64 KiB), so secrets never show in
  /// /proc/<pid>/cmdline or environ.
  std::string secrets;
  RunAsUser user;
};

struct SpawnedChild {
  pid_t pid = -1;
  int pidfd = -1;      // readable once the child exits (-1 if the kernel lacks pidfd_open)
  int stderr_fd = -1;  // read end of the child's stdout+stderr, non-blocking
};

/// Starts the child. Returns false with a sentence in `error` when fork or
/// exec (or the privilege change before it) failed; the child is reaped then.
bool spawn_child(const SpawnSpec& spec, SpawnedChild* out, std::string* error);

/// "exited with status N" or "killed by signal N (SIGKILL)".
std::string describe_wait_status(int status);
/// The exit code, or -N when killed by signal N.
std::int64_t wait_status_code(int status);

}  // namespace coproc
