// What asks the co-process to stop gracefully, per platform: SIGTERM and
// SIGINT on POSIX (stop_requests_posix.cc); on Windows Ctrl+C / Ctrl+Break
// from a console, or the event "coproc-stop-<pid>" that the Windows service
// sets, since a service has no console to send Ctrl+C to
// (stop_requests_win32.cc).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <asio.hpp>

namespace coproc {

class StopRequests {
 public:
  explicit StopRequests(asio::io_context& io);
  ~StopRequests();
  StopRequests(const StopRequests&) = delete;
  StopRequests& operator=(const StopRequests&) = delete;

  /// Calls `on_stop` once, on the io_context, with what asked ("signal 15",
  /// "stop event coproc-stop-123").
  void async_wait(std::function<void(const std::string& what)> on_stop);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace coproc
