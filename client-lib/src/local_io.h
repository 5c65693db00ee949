// What a Connection waits on besides its descriptor, per platform:
// POSIX — the Asio socket over the fd, for write readiness;
// Windows — a stop event that wakes a caller blocked in a pipe read when
// the connection is closed (pipe_io_win32.h), since a pipe has no
// shutdown() that makes later reads fail.
#pragma once

#include <asio.hpp>

namespace coproc::net {

#ifdef _WIN32
class PipeStop {
 public:
  explicit PipeStop(asio::io_context& io);
  ~PipeStop();
  PipeStop(const PipeStop&) = delete;
  PipeStop& operator=(const PipeStop&) = delete;
  /// Signals the event: every present and future pipe read given this
  /// event returns ECANCELED.
  void fire();
  void* event() const { return event_; }

 private:
  void* event_;
};
using ConnectionIo = PipeStop;
#else
using ConnectionIo = asio::local::stream_protocol::socket;
#endif

}  // namespace coproc::net
