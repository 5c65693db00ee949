// The platform half of the Supervisor (supervisor.cc holds the policy):
// starting one co-process generation, asking it to stop, killing it, and
// waiting for what happens to it — it reported ready, it exited, a client is
// waiting for one. POSIX (supervisor_posix.cc): fork + exec with the client
// socket on fd 3, READY=1 on the notify socket, SIGTERM / SIGKILL to its
// process group. Windows (supervisor_win32.cc): CreateProcessW into a job
// object, ready once it serves the client pipe, the stop event /
// TerminateJobObject.
//
// Only the supervisor thread calls it, except wake().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "supervisor.h"

namespace coproc {

struct ProcessEvents {
  bool ready = false;            // the running generation is ready for clients
  bool exited = false;           // it ended (and is reaped / closed)
  std::int64_t exit_status = -1;  // exit code, or -signal on POSIX
  std::string exit_reason;       // "exited with status 1", "killed by signal 9 (SIGKILL)", ...
  bool client_waiting = false;   // a connection waits on the client socket (POSIX)
};

class SupervisedProcess {
 public:
  /// Sets up what outlives every generation (notify socket, wake pipe or
  /// event); throws std::runtime_error with a sentence when it cannot.
  explicit SupervisedProcess(const SupervisorSettings& settings);
  ~SupervisedProcess();
  SupervisedProcess(const SupervisedProcess&) = delete;
  SupervisedProcess& operator=(const SupervisedProcess&) = delete;

  /// Ends a wait() in progress early. Thread-safe.
  void wake();
  /// Starts generation `generation`. Returns its pid, or 0 with a sentence
  /// in `error`. `detail` gets text for the start-up log line (" user=...").
  std::int64_t start(std::int64_t generation, std::string* detail, std::string* error);
  /// Asks the running generation to stop gracefully.
  void request_stop();
  /// Kills the running generation and whatever it started.
  void kill();
  /// Waits up to `timeout` for events of the running generation (and, when
  /// `watch_clients`, for a client waiting while none runs).
  ProcessEvents wait(std::chrono::milliseconds timeout, bool watch_clients);

  /// How the platform asks for a graceful stop and kills, for log lines:
  /// "SIGTERM" / "SIGKILL", "the stop event" / "TerminateJobObject".
  static const char* stop_request_name();
  static const char* kill_name();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace coproc
