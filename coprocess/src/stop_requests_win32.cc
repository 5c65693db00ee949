#include <windows.h>

#include <signal.h>

#include <atomic>

#include "log.h"
#include "stop_requests.h"
#include "win32_error.h"

namespace coproc {

struct StopRequests::State {
  explicit State(asio::io_context& io) : signals(io, SIGINT, SIGTERM), event(io) {
    // In the session's namespace: the service that launched us (same
    // session 0, same account) may set it; other users cannot open it
    // (the default DACL names only our account, SYSTEM and Administrators).
    name = "coproc-stop-" + std::to_string(::GetCurrentProcessId());
    HANDLE h = ::CreateEventW(nullptr, TRUE, FALSE, widen(name).c_str());
    if (h) {
      event.assign(h);
    } else {
      COPROC_LOG(warn, "main", "cannot create the stop event " << name << ": "
                                                              << win32_message(::GetLastError()));
    }
  }

  asio::signal_set signals;
  asio::windows::object_handle event;
  std::string name;
  std::atomic<bool> fired{false};
};

StopRequests::StopRequests(asio::io_context& io) : state_(std::make_unique<State>(io)) {}
StopRequests::~StopRequests() = default;

void StopRequests::async_wait(std::function<void(const std::string& what)> on_stop) {
  State* s = state_.get();
  auto once = [s, on_stop](const std::string& what) {
    if (s->fired.exchange(true)) return;
    std::error_code ignored;
    s->signals.cancel(ignored);
    s->event.cancel(ignored);
    on_stop(what);
  };
  s->signals.async_wait([once](const std::error_code& ec, int sig) {
    if (!ec) once("signal " + std::to_string(sig));
  });
  if (s->event.is_open()) {
    s->event.async_wait([once, s](const std::error_code& ec) {
      if (!ec) once("stop event " + s->name);
    });
  }
}

}  // namespace coproc
