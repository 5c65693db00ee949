#include <signal.h>

#include "stop_requests.h"

namespace coproc {

struct StopRequests::State {
  explicit State(asio::io_context& io) : signals(io, SIGTERM, SIGINT) {}
  asio::signal_set signals;
};

StopRequests::StopRequests(asio::io_context& io) : state_(std::make_unique<State>(io)) {}
StopRequests::~StopRequests() = default;

void StopRequests::async_wait(std::function<void(const std::string& what)> on_stop) {
  state_->signals.async_wait(
      [on_stop = std::move(on_stop)](const std::error_code& ec, int sig) {
        if (ec) return;
        on_stop("signal " + std::to_string(sig));
      });
}

}  // namespace coproc
