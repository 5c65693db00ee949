// Launches and supervises the one co-process: starts it on demand (or at
// start), waits until it is ready (READY=1 on POSIX, serving its pipe on
// Windows), restarts it with exponential backoff when it dies, and stops it
// gracefully (SIGTERM or the stop event, deadline, then a kill). The policy
// is supervisor.cc, the process work supervised_process.h. All process work
// happens on one supervisor thread; the public methods are thread-safe and
// may block their caller until the co-process is ready.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace coproc {

enum class SupervisorState { stopped, starting, running, backoff, stopping };

/// "stopped", "starting", "running", "backoff" or "stopping".
const char* state_name(SupervisorState state);

struct SupervisorSettings {
  std::string coprocess_path;           // absolute path of the binary
  std::vector<std::string> arguments;   // argv after argv[0]
  std::string runtime_dir;
  std::string run_as_user;              // empty: do not change user
  int listen_fd = -1;                   // POSIX: client socket handed to every generation; not owned
  std::string secrets;                  // POSIX: handed to every generation on fd kSecretsFd
  std::string ready_pipe;               // Windows: a generation is ready once it serves this pipe
  bool activate_on_connection = true;   // a pending connection while stopped starts it
  std::chrono::milliseconds ready_timeout{10000};
  std::chrono::milliseconds restart_initial{100};
  std::chrono::milliseconds restart_max{30000};
  std::chrono::milliseconds stable_after{10000};
  std::chrono::milliseconds stop_timeout{5000};
  int crash_loop_threshold = 3;         // consecutive failures that make a crash loop
};

struct SupervisorStatus {
  SupervisorState state = SupervisorState::stopped;
  std::int64_t pid = 0;                 // 0 when no co-process
  std::int64_t generation = 0;          // of the current (or last) co-process
  std::int64_t restarts = 0;            // starts made by supervision after a failure
  std::int64_t consecutive_failures = 0;
  std::int64_t last_exit_status = -1;   // exit code, or -signal; -1 = none yet
  std::string last_exit_reason;         // "exited with status 1", "killed by signal 9", ...
  bool crash_loop = false;
  std::int64_t next_restart_ms = 0;     // in backoff: time until the next start
  std::int64_t uptime_ms = 0;           // of the running co-process
  std::int64_t launch_ms = 0;           // spawn -> READY of the current generation
};

struct LaunchOutcome {
  bool ok = false;
  bool unavailable = false;  // failure kind when !ok: true = cannot run now, false = timeout
  std::string error;         // sentence when !ok
  std::int64_t pid = 0;
  std::int64_t generation = 0;
  bool launched = false;     // this call started the co-process
  std::int64_t launch_ms = 0;
  std::int64_t waited_ms = 0;
};

class Supervisor {
 public:
  /// Creates the notify socket in settings.runtime_dir; throws
  /// std::runtime_error with a sentence when it cannot.
  explicit Supervisor(SupervisorSettings settings);
  ~Supervisor();  // stops the co-process and the thread
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  /// Starts the supervisor thread (and the co-process when `start_now`).
  void start(bool start_now);
  /// Ensures the co-process runs; returns once it is ready, failed to start,
  /// or `deadline` passed.
  LaunchOutcome launch(std::chrono::milliseconds deadline);
  /// Stops the co-process gracefully and starts a new generation; returns
  /// once the new one is ready (or failed).
  LaunchOutcome restart(std::chrono::milliseconds deadline);
  SupervisorStatus status() const;
  /// Stops the co-process (graceful request, stop_timeout, kill) and the thread.
  /// Waiting callers get an error. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace coproc
