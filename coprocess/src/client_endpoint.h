// The co-process's client endpoint and its single-instance rule, the part
// of start-up that differs per platform: on POSIX the flock()ed lock file
// plus a Unix socket (own or handed over by a supervisor)
// (client_endpoint_posix.cc); on Windows a named pipe whose first instance
// is the single-instance rule (client_endpoint_win32.cc).
#pragma once

#include <memory>
#include <string>

#include "config.h"
#include "paths.h"

namespace coproc {

class RpcServer;

class ClientEndpoint {
 public:
  ClientEndpoint();
  ~ClientEndpoint();
  ClientEndpoint(const ClientEndpoint&) = delete;
  ClientEndpoint& operator=(const ClientEndpoint&) = delete;

  /// Prepares the directories and process limits, takes the single-instance
  /// rule and opens the endpoint. Returns -1 on success, else the exit code
  /// (the reason is logged).
  int open(const Paths& paths, const Config& config);
  /// Hands the endpoint to `server`, which starts accepting.
  void serve(RpcServer& server);
  /// For the start-up log line: where clients connect, and how.
  std::string description() const;
  /// Removes what open() created for clients (the socket file); at exit or
  /// when start-up fails after open().
  void remove();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace coproc
